#!/usr/bin/env python3
"""Merges rb_bench and bench_hf.py JSON lines into one results.json (all rows plus a
ropebatch-vs-transformers comparison per model and length) and prints a short table.

  combine_results.py OUT_DIR
"""
import json
import os
import sys


def read_jsonl(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return rows


def main(out_dir):
    ours = read_jsonl(os.path.join(out_dir, "rb_bench.jsonl"))
    hf = read_jsonl(os.path.join(out_dir, "hf_bench.jsonl"))
    key = lambda r: (r.get("model"), r.get("seq_len"))
    hf_by_key = {key(r): r for r in hf if "model" in r}
    comparison = []
    for r in ours:
        if "model" not in r:
            continue
        h = hf_by_key.get(key(r), {})
        row = {"model": r["model"], "seq_len": r["seq_len"],
               "ropebatch_tokens_per_s": r.get("tokens_per_s"), "hf_tokens_per_s": h.get("tokens_per_s"),
               "ropebatch_tflops": r.get("tflops"), "hf_tflops": h.get("tflops"),
               "ropebatch_peak_gib": r.get("peak_gib"), "hf_peak_gib": h.get("peak_gib"),
               "ropebatch_batch": r.get("batch"), "hf_batch": h.get("batch"),
               "errors": [e for e in (r.get("error"), h.get("error")) if e]}
        if row["ropebatch_tokens_per_s"] and row["hf_tokens_per_s"]:
            row["speedup"] = row["ropebatch_tokens_per_s"] / row["hf_tokens_per_s"]
        comparison.append(row)
    gemm = [r for r in ours if r.get("impl", "").startswith("cublas-gemm")]
    result = {"gemm_peak": gemm, "comparison": comparison, "ropebatch": ours, "hf": hf}
    if os.path.exists(os.path.join(out_dir, "ctest_summary.txt")):
        result["ctest_summary"] = open(os.path.join(out_dir, "ctest_summary.txt")).read()
    json.dump(result, open(os.path.join(out_dir, "results.json"), "w"), indent=1)

    fmt = lambda x, f="{:.0f}": f.format(x) if isinstance(x, (int, float)) else "-"
    for g in gemm:
        print(f"bf16 GEMM 8192^3: {g.get('tflops', 0):.0f} TFLOP/s on {g.get('device')}")
    print(f"{'model':16} {'L':>6} {'rb tok/s':>10} {'hf tok/s':>10} {'speedup':>7} {'rb TF/s':>8} {'hf TF/s':>8} "
          f"{'rb GiB':>7} {'hf GiB':>7}")
    for c in comparison:
        print(f"{c['model']:16} {c['seq_len']:>6} {fmt(c['ropebatch_tokens_per_s']):>10} {fmt(c['hf_tokens_per_s']):>10} "
              f"{fmt(c.get('speedup'), '{:.2f}'):>7} {fmt(c['ropebatch_tflops']):>8} {fmt(c['hf_tflops']):>8} "
              f"{fmt(c['ropebatch_peak_gib'], '{:.1f}'):>7} {fmt(c['hf_peak_gib'], '{:.1f}'):>7}"
              + (f"  ERR: {'; '.join(c['errors'])[:120]}" if c["errors"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OUT", ".")))
