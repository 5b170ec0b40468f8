#!/usr/bin/env python3
"""Throughput of Hugging Face transformers on the same shapes as rb_bench (bench/models.json):
random weights via from_config, bf16, attn_implementation="sdpa", torch.no_grad(). Each run
scores whole windows exactly as ropebatch does: the decoder's hidden states, then the LM head
over row chunks with log_softmax in fp32, gather of the next token and argmax (the chunking only
keeps the L x V logits of long windows from exhausting memory; it does not change the FLOPs).
Batch sizes: from 32768 // L windows downwards, halving on out-of-memory; the best tokens/s is
kept. Prints one JSON line per (model, length) with the fields rb_bench prints.

  bench_hf.py [--models a,b] [--lengths 2048,8192] [--repeats N] [--warmup N] [--out FILE]
              [--models-json FILE] [--device cuda] [--batch-tokens 32768] [--time-budget S]
"""
import argparse
import json
import os
import sys
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))


def gemm_params(c):
    H, KV, h, ff = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"]), \
        c["hidden_size"], c["intermediate_size"]
    D = c.get("head_dim", h // H)
    per_layer = h * (H + 2 * KV) * D + H * D * h + 3 * h * ff
    return per_layer * c["num_hidden_layers"] + c["vocab_size"] * h


def attention_pairs(L, window):
    """Query-key pairs of a causal window of L tokens in one layer (a sliding window W: at most W keys each)."""
    if not window or window >= L:
        return L * (L + 1) / 2
    return window * (window + 1) / 2 + (L - window) * window


def flops(c, batch, L):
    H = c["num_attention_heads"]
    D = c.get("head_dim", c["hidden_size"] // H)
    # Every Mistral layer slides when sliding_window is set (the only preset with a window).
    window = c.get("sliding_window") if c["model_type"] == "mistral" else None
    pairs = attention_pairs(L, window) * c["num_hidden_layers"]
    return 2.0 * gemm_params(c) * batch * L + 4.0 * pairs * H * D * batch


@torch.no_grad()
def score(model, ids, row_chunk_bytes=2 << 30):
    """Per-token log p(ids[t+1] | ids[..t]) and is-argmax, for a [B, L] batch."""
    hidden = model.model(input_ids=ids, use_cache=False).last_hidden_state[:, :-1]  # [B, L-1, h]
    targets = ids[:, 1:].reshape(-1)
    hidden = hidden.reshape(-1, hidden.shape[-1])
    vocab = model.lm_head.weight.shape[0]
    chunk = max(256, row_chunk_bytes // (vocab * 4 * 2))
    logprob = torch.empty(targets.shape[0], dtype=torch.float32, device=ids.device)
    is_argmax = torch.empty(targets.shape[0], dtype=torch.bool, device=ids.device)
    for r0 in range(0, targets.shape[0], chunk):
        logits = model.lm_head(hidden[r0:r0 + chunk])  # [rows, V] in bf16, as the model returns them
        t = targets[r0:r0 + chunk]
        lp = torch.log_softmax(logits.float(), dim=-1)
        logprob[r0:r0 + chunk] = lp.gather(-1, t[:, None])[:, 0]
        is_argmax[r0:r0 + chunk] = logits.argmax(-1) == t
        del logits, lp
    return logprob, is_argmax


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run_once(model, ids, device):
    sync(device)
    t0 = time.perf_counter()
    lp, _ = score(model, ids)
    sync(device)
    return time.perf_counter() - t0, float(lp[: ids.shape[1] - 1].mean())


def is_oom(e):
    return isinstance(e, torch.OutOfMemoryError) or "out of memory" in str(e).lower()


def bench_length(model, c, L, args, deadline):
    device = args.device
    vocab = c["vocab_size"]
    B = max(1, args.batch_tokens // L)
    best = None
    tried_after_success = 0
    while B >= 1 and time.time() < deadline:
        try:
            g = torch.Generator(device="cpu").manual_seed(L)
            ids = torch.randint(0, vocab, (B, L), generator=g).to(device)
            if device.startswith("cuda"):
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
            for _ in range(args.warmup):
                run_once(model, ids, device)
            secs, mean_lp = min(run_once(model, ids, device) for _ in range(max(args.repeats, 1)))
            peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else 0.0
            row = {"batch": B, "tokens": B * L, "seconds": secs, "tokens_per_s": B * L / secs,
                   "tflops": flops(c, B, L) / secs / 1e12, "peak_gib": peak, "mean_logprob_window0": mean_lp}
            if best is None or row["tokens_per_s"] > best["tokens_per_s"]:
                best = row
            tried_after_success += 1
            if tried_after_success >= args.batch_tries:
                break
        except Exception as e:  # OOM: halve the batch
            if not is_oom(e):
                raise
            ids = None
            if device.startswith("cuda"):
                torch.cuda.empty_cache()
            if B == 1:
                return {"error": "out of memory at batch 1"}
        B //= 2
    return best or {"error": "time budget exhausted"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="tinyllama-1.1b,llama-3-8b,qwen2.5-7b")
    p.add_argument("--lengths", default="2048,8192,32768,51200")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--batch-tokens", type=int, default=32768)
    p.add_argument("--batch-tries", type=int, default=2, help="batch sizes measured after the first that fits")
    p.add_argument("--models-json", default=os.path.join(HERE, "models.json"))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--time-budget", type=float, default=1e9, help="seconds; later runs are skipped")
    p.add_argument("--out", default=None)
    args = p.parse_args()
    deadline = time.time() + args.time_budget
    presets = json.load(open(args.models_json))
    out = open(args.out, "a") if args.out else None

    def emit(row):
        line = json.dumps(row)
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()

    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    for name in args.models.split(","):
        c = presets[name]
        fields = {k: v for k, v in c.items() if k not in ("model_type", "architectures")}
        config = AutoConfig.for_model(c["model_type"], **fields)
        t0 = time.time()
        torch.manual_seed(0)
        with torch.device(args.device):
            model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa")
        model.eval()
        create_s = time.time() - t0
        for L in [int(x) for x in args.lengths.split(",")]:
            row = {"impl": "hf-transformers-sdpa", "model": name, "seq_len": L}
            if time.time() > deadline:
                row["error"] = "skipped: time budget"
            else:
                try:
                    row.update(bench_length(model, c, L, args, deadline))
                except Exception as e:  # report and go on with the next shape
                    row["error"] = f"{type(e).__name__}: {e}"[:500]
            row.update({"create_seconds": create_s, "device": device_name,
                        "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__}})
            emit(row)
        del model
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
