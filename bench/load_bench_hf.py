#!/usr/bin/env python3
"""The load benchmark's checkpoint and its reference side (docs/PERFORMANCE.md, "Loading a checkpoint").

  make   DIR --shape NAME   writes a random-weight checkpoint of a real shape (bench/models.json) the
                            way users get one: transformers' save_pretrained, bf16 safetensors shards.
  load   DIR                times transformers' from_pretrained(dtype=bfloat16, device_map="cuda")
                            to a model on the GPU (synchronized), then one forward of LENGTH tokens
                            twice (first and steady), and prints one JSON line with the peak host RSS
                            (ru_maxrss) and the peak anonymous RSS (RssAnon, sampled every 10 ms).
"""
import argparse
import json
import pathlib
import resource
import sys
import threading
import time

import torch
import transformers

HERE = pathlib.Path(__file__).resolve().parent


def rss_anon_kib():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return float(line.split()[1])
    return 0.0


def make(args):
    cfg = json.loads((HERE / "models.json").read_text())[args.shape]
    config = transformers.AutoConfig.for_model(**cfg)
    config.torch_dtype = torch.bfloat16
    torch.manual_seed(0)
    with torch.device("cuda"):  # initializing 8B parameters is quick on the GPU, slow on 16 cores
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(args.dir, safe_serialization=True, max_shard_size="5GB")
    print(json.dumps({"made": str(args.dir), "shape": args.shape,
                      "params": sum(p.numel() for p in model.parameters())}))


def load(args):
    peak = [0.0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_anon_kib())
            time.sleep(0.01)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    model = transformers.AutoModelForCausalLM.from_pretrained(args.dir, dtype=torch.bfloat16, device_map="cuda",
                                                              attn_implementation="sdpa")
    torch.cuda.synchronize()
    load_s = time.perf_counter() - t0
    ids = torch.randint(0, model.config.vocab_size, (1, args.length), device="cuda")
    times = []
    with torch.no_grad():
        for _ in range(2):
            t1 = time.perf_counter()
            # Hidden states only: the LM head over all positions would not fit at 32k; this is the
            # forward's cost up to the final norm, the part both tools share.
            model.model(input_ids=ids)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t1)
    stop.set()
    t.join()
    print(json.dumps({"tool": "transformers", "transformers": transformers.__version__, "torch": torch.__version__,
                      "load_s": load_s, "length": args.length, "first_window_s": times[0],
                      "steady_window_s": times[1],
                      "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      "peak_anon_rss_gib": peak[0] / 2**20}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["make", "load"])
    p.add_argument("dir", type=pathlib.Path)
    p.add_argument("--shape", default="llama-3-8b")
    p.add_argument("--length", type=int, default=32768)
    args = p.parse_args()
    make(args) if args.what == "make" else load(args)


if __name__ == "__main__":
    sys.exit(main())
