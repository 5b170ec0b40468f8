#!/usr/bin/env python3
"""Which kernel the reference's attention runs, and how fast: torch's scaled_dot_product_attention
as transformers' sdpa_attention_forward calls it (causal, bf16, GQA either through enable_gqa or
with K/V repeated per query head as repeat_kv does; and on views into fused qkv rows, the layout
ropebatch hands cuDNN), at a model's attention shape, timed with CUDA
events and profiled for the kernel names. One JSON line per (model, length, GQA form).

    python3 bench/hf_attention_kernel.py [--models llama-3-8b,tinyllama-1.1b] [--lengths 32768,2048]
                                         [--batch-tokens 32768] [--repeats 5]

The shapes come from bench/models.json; the batch is batch-tokens / length windows, as rb_bench's
preferred_batch chooses it on one H200. ropebatch's own attention time for the same shape is the
`attention` row of rb_bench --op-breakdown (per layer: its ms / calls).
"""
import argparse
import json
import os

import torch
import torch.nn.functional as F


def time_ms(fn, repeats):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end))
    return best


def kernels(fn):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    rows = [(e.key, e.device_time_total) for e in prof.key_averages() if e.device_time_total > 0]
    rows.sort(key=lambda r: -r[1])
    return [{"kernel": k[:160], "us": round(t, 1)} for k, t in rows[:4]]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="llama-3-8b,tinyllama-1.1b")
    ap.add_argument("--lengths", default="32768,2048")
    ap.add_argument("--batch-tokens", type=int, default=32768)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--models-json", default=os.path.join(here, "models.json"))
    args = ap.parse_args()
    presets = json.load(open(args.models_json))
    for name, length in zip(args.models.split(","), (int(x) for x in args.lengths.split(","))):
        c = presets[name]
        heads, kv = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
        dim = c.get("head_dim", c["hidden_size"] // heads)
        batch = max(1, args.batch_tokens // length)
        g = torch.Generator(device="cuda").manual_seed(0)
        q = torch.randn(batch, heads, length, dim, device="cuda", dtype=torch.bfloat16, generator=g)
        k = torch.randn(batch, kv, length, dim, device="cuda", dtype=torch.bfloat16, generator=g)
        v = torch.randn(batch, kv, length, dim, device="cuda", dtype=torch.bfloat16, generator=g)
        k_rep = k.repeat_interleave(heads // kv, dim=1)
        v_rep = v.repeat_interleave(heads // kv, dim=1)
        flops = 4.0 * batch * heads * dim * length * (length + 1) / 2  # causal: Q K^T and P V
        # ropebatch's layout: q, k and v read in place from the fused qkv projection rows
        # [batch, seq, (heads + 2 kv) * dim] (strides [seq * width, dim, width, 1]).
        width = (heads + 2 * kv) * dim
        qkv = torch.randn(batch, length, width, device="cuda", dtype=torch.bfloat16, generator=g)
        fq = qkv[:, :, : heads * dim].view(batch, length, heads, dim).transpose(1, 2)
        fk = qkv[:, :, heads * dim : (heads + kv) * dim].view(batch, length, kv, dim).transpose(1, 2)
        fv = qkv[:, :, (heads + kv) * dim :].view(batch, length, kv, dim).transpose(1, 2)
        forms = {
            "enable_gqa": lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True),
            "repeat_kv": lambda: F.scaled_dot_product_attention(q, k_rep, v_rep, is_causal=True),
            "fused_qkv_rows": lambda: F.scaled_dot_product_attention(fq, fk, fv, is_causal=True, enable_gqa=True),
        }
        for form, fn in forms.items():
            try:
                ms = time_ms(fn, args.repeats)
                row = {"impl": "torch-sdpa", "model": name, "seq_len": length, "batch": batch, "gqa": form,
                       "ms_per_layer": ms, "tflops": flops / ms / 1e9, "kernels": kernels(fn),
                       "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
                       "device": torch.cuda.get_device_name()}
            except Exception as e:  # a form the installed torch does not run
                row = {"impl": "torch-sdpa", "model": name, "seq_len": length, "gqa": form, "error": str(e)[:300]}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
