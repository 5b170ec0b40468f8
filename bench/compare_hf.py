#!/usr/bin/env python3
"""Perplexity of a model with Hugging Face transformers, windowed exactly as `ropebatch eval` does
(text tokenized once with the tokenizer's default special tokens, the first --max-tokens kept,
non-overlapping full windows of L tokens from token 0, each scoring its L-1 predictions), in bf16
and fp32 on the GPU (or in fp32 on the CPU, --device cpu --threads N). Prints one JSON line per
(dtype, length), with the scoring's tokens/s (model load and tokenization excluded), to put beside
`ropebatch eval --backend cuda|cpu --format json` in the same call.

  python3 bench/compare_hf.py --model DIR|FILE.gguf --data TEXT --lengths 128,320 --max-tokens 320
                              [--device cuda|cpu] [--threads N] [--dtypes bfloat16,float32]
"""
import argparse
import json
import math
import os
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(model_path, dtype, device):
    kwargs = {"dtype": dtype, "attn_implementation": "sdpa"}
    if model_path.endswith(".gguf"):
        d, f = os.path.split(os.path.abspath(model_path))
        tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
        model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, **kwargs)
    else:
        tok = AutoTokenizer.from_pretrained(model_path)
        model = AutoModelForCausalLM.from_pretrained(model_path, **kwargs)
    return tok, model.to(device).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--lengths", required=True)
    ap.add_argument("--max-tokens", type=int, default=0)
    ap.add_argument("--dtypes", default="bfloat16,float32")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    text = open(args.data, encoding="utf-8").read()
    for dtype_name in args.dtypes.split(","):
        tok, model = load(args.model, getattr(torch, dtype_name), args.device)
        ids = tok(text).input_ids
        if args.max_tokens:
            ids = ids[: args.max_tokens]
        ids = torch.tensor(ids, device=args.device)
        for L in [int(x) for x in args.lengths.split(",")]:
            nll, n, windows = 0.0, 0, len(ids) // L
            start = time.perf_counter()
            with torch.no_grad():
                for w in range(windows):
                    x = ids[w * L:(w + 1) * L].unsqueeze(0)
                    logits = model(x).logits.float()
                    lp = torch.log_softmax(logits[0, :-1], dim=-1)
                    nll -= lp.gather(1, x[0, 1:].unsqueeze(1)).double().sum().item()
                    n += L - 1
            seconds = time.perf_counter() - start
            print(json.dumps({"impl": "transformers", "model": args.model, "dtype": dtype_name, "length": L,
                              "windows": windows, "predictions": n, "nll_sum": nll,
                              "ppl": math.exp(nll / n) if n else None, "device": args.device,
                              "threads": torch.get_num_threads(), "seconds": seconds,
                              "tokens_per_s": windows * L / seconds if seconds > 0 else None}), flush=True)
        del model
        if args.device == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
