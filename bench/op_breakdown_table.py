#!/usr/bin/env python3
"""Markdown tables of rb_bench --op-breakdown lines (JSON lines with ops_first / ops_steady): per
model and length, each op class's time in the steady call and in the first call, its roofline
(GEMM classes and attention at the measured 8192^3 GEMM peak, elementwise classes at the measured
device-to-device copy bandwidth) and efficiency, and the time above the roofline.

  op_breakdown_table.py OPS.jsonl [MORE.jsonl ...]
"""
import json
import sys


def rows(paths):
    for path in paths:
        for line in open(path):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            yield r


def fmt(x, digits=1):
    return "" if x is None else f"{x:,.{digits}f}"


def table(r):
    steady, first = r["ops_steady"], r.get("ops_first", {})
    first_ms = {o["op"]: o["ms"] for o in first.get("ops", [])}
    out = [f"**{r['model']}, {r['batch']} x {r['seq_len']:,} tokens, quant {r.get('quant', 'none')}** — "
           f"best of repeats {r['seconds']:.3f} s, timed call {r.get('timed_seconds', 0):.3f} s, "
           f"first call {r['first_seconds']:.3f} s ({r['first_seconds'] / r['seconds']:.2f}x)", "",
           "| op | calls | steady ms | share | roofline ms | efficiency | achieved | first call ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    total = steady["total_ms"]
    above = 0.0
    for o in sorted(steady["ops"], key=lambda o: -o["ms"]):
        roof = o.get("roofline_ms")
        achieved = (f"{o['tflops']:.0f} TFLOP/s" if "tflops" in o else
                    f"{o['gbps']:.0f} GB/s" if "gbps" in o else "")
        above += o["ms"] - (roof or 0.0)
        eff = "" if roof is None else f"{100 * o['efficiency']:.0f}%"
        out.append(f"| {o['op']} | {o['calls']} | {fmt(o['ms'])} | {100 * o['ms'] / total:.1f}% | {fmt(roof)} | "
                   f"{eff} | {achieved} | {fmt(first_ms.get(o['op']))} |")
    out.append(f"| **total** | | **{fmt(total)}** | | **{fmt(steady['roofline_ms'])}** | "
               f"**{100 * steady['roofline_ms'] / total:.0f}%** | | **{fmt(first.get('total_ms'))}** |")
    out += ["", f"Time above the roofline in the steady call: {above:,.1f} ms of {total:,.1f} ms "
                f"({100 * above / total:.0f}%).", ""]
    return "\n".join(out)


def main(paths):
    peaks = []
    for r in rows(paths):
        if r.get("impl") == "cublas-gemm-bf16":
            peaks.append(f"bf16 8192^3 GEMM {r['tflops']:.0f} TFLOP/s")
        elif r.get("impl") == "cuda-memcpy-d2d":
            peaks.append(f"device-to-device copy {r['gbps']:.0f} GB/s")
        elif "ops_steady" in r:
            print(table(r))
        elif "error" in r:
            print(f"error: {r.get('model')} {r.get('seq_len')}: {r['error']}\n")
    if peaks:
        print("Peaks measured in the same call: " + ", ".join(dict.fromkeys(peaks)) + ".")


if __name__ == "__main__":
    main(sys.argv[1:])
