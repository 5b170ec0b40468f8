#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/) from the repository's
fixtures and from small hand-made inputs, plus the reproducers of issue #12's findings
(tests/fuzz/corpus/TARGET/finding_*). Python 3 standard library only; run from the repository
root: python3 tests/fuzz/make_seeds.py. The results-file and journal seeds made with ropebatch's
own writer come from make_seeds.cpp (built as fuzz_make_seeds: run `fuzz_make_seeds
tests/fuzz/corpus` first); this script then repacks those results files with h5repack (Debian's
hdf5-tools), from the 1 MB metadata blocks ropebatch writes (sparse on disk) to ~30 kB inputs."""
import json
import os
import shutil
import struct
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
FIX = os.path.join(ROOT, "tests", "fixtures")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def copy(target, name, path):
    out(target, name, open(os.path.join(FIX, path), "rb").read())


def safetensors(header, data):
    text = json.dumps(header, separators=(",", ":")) if not isinstance(header, str) else header
    text += " " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + data


def small_tokenizer(path, keep=60):
    """A fixture tokenizer.json with its vocabulary cut to `keep` entries (and the merges they allow)."""
    j = json.load(open(os.path.join(FIX, path)))
    m = j["model"]
    vocab = dict(list(m["vocab"].items())[:keep])
    m["vocab"] = vocab
    merges = []
    for merge in m["merges"]:
        a, b = merge.split(" ", 1) if isinstance(merge, str) else merge
        if a in vocab and b in vocab and a + b in vocab:
            merges.append(merge)
    m["merges"] = merges[:40]
    j["added_tokens"] = [dict(t, id=min(t["id"], keep - 1)) for t in j["added_tokens"]]
    return json.dumps(j, ensure_ascii=False)


def main():
    # safetensors: one and two tensors of the readable dtypes, an I32 tensor, metadata.
    f32 = struct.pack("<4f", 1.0, -2.5, 0.0, 3.25)
    out("safetensors", "f32", safetensors({"__metadata__": {"format": "pt"},
                                           "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, f32))
    out("safetensors", "mixed", safetensors({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
                                             "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [4, 8]},
                                             "q": {"dtype": "I32", "shape": [2], "data_offsets": [8, 16]}},
                                            bytes(range(16))))
    out("safetensors", "empty", safetensors({}, b""))
    # Finding 3: the second tensor shifted 4 bytes onto the first.
    out("safetensors", "finding_overlapping_offsets",
        safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(16)))
    # Finding 4: a number beyond the double range in the header.
    out("safetensors", "finding_number_overflow",
        safetensors('{"w":{"dtype":"F32","shape":[1e999],"data_offsets":[0,4]}}', bytes(4)))

    # config.json: the fixtures' configurations.
    for name in ["models/llama_gqa", "models/qwen2_bias", "models/llama_gqa_gptq", "models/llama_gqa_awq", "cpu/qwen2"]:
        copy("config_json", name.replace("/", "_"), name + "/config.json")
    c = json.load(open(os.path.join(FIX, "models/llama_gqa/config.json")))
    c["rope_scaling"] = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 256}
    out("config_json", "yarn_scaling", json.dumps(c))
    out("config_json", "finding_number_overflow", json.dumps(c).replace('"factor": 4.0', '"factor": 1e999'))

    # tokenizer.json: each fixture kind, with a small vocabulary.
    for name in ["llama_fast", "gpt2_bpe", "llama3_bpe", "qwen2_bpe"]:
        out("tokenizer_json", name, small_tokenizer("tokenizers/%s/tokenizer.json" % name))
    out("tokenizer_json", "finding_number_overflow",
        '{"added_tokens": [], "model": {"type": "BPE", "vocab": {"a": 0, "b": 1e999}, "merges": []}}')

    copy("tokenizer_model", "sp_llama", "tokenizers/sp_llama/tokenizer.model")

    for name in ["metadata.gguf", "types_v2.gguf", "tiny_llama.gguf", "tiny_qwen2.gguf"]:
        copy("gguf", name.replace(".gguf", ""), "gguf/" + name)

    grids = os.path.join(ROOT, "tests", "grids")
    os.makedirs(os.path.join(CORPUS, "grid_toml"), exist_ok=True)
    for name in sorted(os.listdir(grids)):
        shutil.copy(os.path.join(grids, name), os.path.join(CORPUS, "grid_toml", name.replace(".toml", "")))

    ropes = {
        "default": {}, "linear": {"rope_type": "linear", "factor": 4},
        "ntk": {"rope_type": "ntk", "factor": 2}, "dynamic": {"type": "dynamic", "factor": 2.0},
        "yarn": {"rope_type": "yarn", "factor": 4, "original_max_position_embeddings": 2048, "beta_fast": 32},
        "llama3": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4,
                   "original_max_position_embeddings": 1024},
        "longrope": {"rope_type": "longrope", "short_factor": [1.0] * 32, "long_factor": [2.0] * 32,
                     "original_max_position_embeddings": 1024},
        "compress": {"rope_type": "compress", "compression_factor": 2, "base": {"rope_type": "yarn", "factor": 2}},
        "rope_parameters": {"rope_parameters": {"rope_type": "default", "rope_theta": 500000.0}},
    }
    for name, rope in ropes.items():
        out("rope_json", name, json.dumps(rope))
    for method in ["linear", "yarn", "ntk", "dynamic"]:  # finding 8
        out("rope_json", "finding_factor_1e308_" + method, json.dumps({"rope_type": method, "factor": 1e308}))

    # Q-ROAR scales files: the plain per-layer fixture, a global symmetric and a wavelength one.
    plain = json.load(open(os.path.join(FIX, "qroar", "plain_scales.json")))
    copy("qroar_json", "plain_per_layer", os.path.join("qroar", "plain_scales.json"))
    out("qroar_json", "symmetric_global", json.dumps(dict(plain, variant="symmetric", scope="global", scales=[[0.794, 1.26]])))
    out("qroar_json", "wavelength", json.dumps(dict(plain, bands={"mode": "wavelength", "count": 3, "wavelength_margin": 2.0,
                                                                  "band_of_pair": [0, 0, 0, 1, 1, 2, 2, 2]},
                                                    scales=[[1, 0.5, 2]])))

    # Journal reproducers (finding 1 and 4): records with valid checksums around bad CBOR.
    import zlib

    def record(payload):
        head = b"RBJ1" + struct.pack("<QI", len(payload), zlib.crc32(payload))
        return head + struct.pack("<I", zlib.crc32(head)) + payload

    out("journal", "finding_deeply_nested_cbor", record(b"\x81" * 200000 + b"\x00"))
    out("journal", "finding_invalid_utf8", record(b"\xa1\x64kind\x63ab\xff"))

    h5 = os.path.join(CORPUS, "results_h5")
    for name in sorted(os.listdir(h5)) if os.path.isdir(h5) else []:
        path = os.path.join(h5, name)
        subprocess.run(["h5repack", path, path + ".packed"], check=True)
        os.replace(path + ".packed", path)


if __name__ == "__main__":
    main()
