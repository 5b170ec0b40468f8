"""Results files (docs/RESULTS_FORMAT.md) as DataFrames.

A single finished `.h5` is read directly with h5py. Shards, and files with a live or left-over
`.journal` (a sweep still running or killed), are first joined by `ropebatch merge` into a
temporary file, so they are read exactly as `merge` reads them (journal replay, torn tails, the
bit-for-bit agreement of duplicates): the journal format has one implementation, the C++ one.
"""
import json
import math
import os
import tempfile

import h5py
import numpy as np
import pandas as pd

from ropebatch._binary import call

SCHEMA_VERSION = 2  # 1 still reads: its runs lack the schema 2 columns (NaN / None)
# 95% interval of the perplexity: exp(m ± z·SE(m)), the normal interval of the mean NLL per token
# carried through exp (SE(m) = ppl_stderr / ppl, docs/RESULTS_FORMAT.md "Standard error").
Z_95 = 1.959963984540054

_STRING_ATTRS = ("status", "error", "model", "dataset", "family", "rope_label", "quant", "host", "device",
                 "started_at", "finished_at")
_NUMBER_ATTRS = ("length", "ppl", "ppl_stderr", "nll_sum", "predictions", "skipped_documents",
                 "ratio_to_baseline", "collapse_ratio", "longppl", "longppl_key_tokens", "seconds",
                 "tokens_per_second", "rank",
                 # schema 2: the paired comparison with the baseline run, the model's trained length
                 "paired_windows", "log_ratio_to_baseline", "log_ratio_stderr", "ratio_ci_low",
                 "ratio_ci_high", "trained_length")
_POSITION_DATASETS = ("position_bucket_start", "position_mean_nll", "position_predictions")


def _as_list(paths):
    return [os.fspath(paths)] if isinstance(paths, (str, os.PathLike)) else [os.fspath(p) for p in paths]


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _check(f, path):
    if _text(f.attrs.get("format", "")) != "ropebatch-results":
        raise ValueError(f"{path}: format: not a ropebatch results file")
    version = int(f.attrs.get("schema_version", -1))
    if version < 1 or version > SCHEMA_VERSION:
        raise ValueError(f"{path}: schema_version: {version} is not supported (this reader knows 1 to {SCHEMA_VERSION})")


def _flatten(prefix, value, row):
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, row)
    else:
        row[prefix] = json.dumps(value) if isinstance(value, list) else value


def _row(run_id, group):
    row = {"run_id": run_id}
    attrs = group.attrs
    for name in _STRING_ATTRS:
        row[name] = _text(attrs[name]) if name in attrs else None
    for name in _NUMBER_ATTRS:
        row[name] = attrs[name].item() if name in attrs else np.nan
    row["baseline"] = bool(attrs["baseline"]) if "baseline" in attrs else False
    config = json.loads(_text(attrs["config"]))
    rope = config.get("rope") or {}
    row["rope_config"] = json.dumps(rope, sort_keys=True)
    # rope.KEY columns: every parameter as the run resolved it (schema 2's rope_resolved: YaRN's
    # beta_fast 32 when the grid left it unset), else as the grid gave it (schema 1).
    resolved = _text(attrs["rope_resolved"]) if "rope_resolved" in attrs else ""
    row["rope_resolved"] = resolved or None
    _flatten("rope", json.loads(resolved) if resolved else rope, row)
    row["windows"] = int(group["window_nll"].shape[0]) if "window_nll" in group else 0
    ppl, se = row["ppl"], row["ppl_stderr"]
    if not (math.isnan(ppl) or math.isnan(se)) and ppl > 0:
        half = Z_95 * se / ppl
        row["ppl_ci_low"], row["ppl_ci_high"] = ppl * math.exp(-half), ppl * math.exp(half)
    else:
        row["ppl_ci_low"] = row["ppl_ci_high"] = np.nan
    row["config"] = config
    return row


def _has_journal(path):
    journal = path + ".journal"
    return os.path.exists(journal) and os.path.getsize(journal) > 0


def _merged_path(paths, binary, workdir):
    """The one .h5 to read: the input itself, or `ropebatch merge` of the inputs into workdir."""
    if len(paths) == 1 and os.path.exists(paths[0]) and not _has_journal(paths[0]):
        return paths[0]
    out = os.path.join(workdir, "merged.h5")
    call(["merge", out, *paths], binary=binary)
    return out


def _read(path, windows, token_nll, positions=False):
    rows = []
    with h5py.File(path, "r") as f:
        _check(f, path)
        for run_id, group in f["runs"].items():
            row = _row(run_id, group)
            if windows:
                row["window_nll"] = group["window_nll"][:]
                row["window_predictions"] = group["window_predictions"][:]
            if token_nll:
                row["token_nll"] = group["token_nll"][:] if "token_nll" in group else None
            if positions:
                for name in _POSITION_DATASETS:
                    row[name] = group[name][:] if name in group else None
            rows.append(row)
    return rows


def read_results(paths, *, windows=False, token_nll=False, positions=False, binary=None):
    """One row per run of the results file(s) `paths` (a path or a list of shards).

    Columns: run_id, status, error, model, dataset, family, rope_label, quant, length, baseline,
    ppl, ppl_stderr, ppl_ci_low, ppl_ci_high (95%), nll_sum, predictions, windows, seconds,
    tokens_per_second, host, device, ..., rope_config (JSON) and one `rope.KEY` column per RoPE
    parameter, and `config` (the full configuration, a dict). Optional numbers are NaN when absent.
    windows=True adds window_nll / window_predictions arrays; token_nll=True adds the per-token NLL
    (None for runs that did not save it); positions=True adds the loss-by-position arrays
    position_bucket_start / position_mean_nll / position_predictions (schema 2; None before). The
    schema 2 paired comparison with the baseline (paired_windows, log_ratio_to_baseline,
    log_ratio_stderr, ratio_ci_low, ratio_ci_high) and trained_length are columns. Shards and live journals go through `ropebatch merge`
    (`binary`, $ROPEBATCH_BINARY or PATH).
    """
    paths = _as_list(paths)
    with tempfile.TemporaryDirectory(prefix="ropebatch-") as workdir:
        rows = _read(_merged_path(paths, binary, workdir), windows, token_nll, positions)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    first = ["run_id", "status", "model", "dataset", "family", "rope_label", "quant", "length", "ppl",
             "ppl_stderr", "ppl_ci_low", "ppl_ci_high", "seconds"]
    return frame[first + [c for c in frame.columns if c not in first]]


def read_windows(paths, *, binary=None):
    """One row per scored window: run_id, rope_label, length, window, nll, predictions, mean_nll."""
    runs = read_results(paths, windows=True, binary=binary)
    parts = []
    for r in runs.itertuples():
        n = len(r.window_nll)
        parts.append(pd.DataFrame({"run_id": [r.run_id] * n, "rope_label": [r.rope_label] * n,
                                   "length": [r.length] * n, "window": np.arange(n),
                                   "nll": r.window_nll, "predictions": r.window_predictions}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["run_id", "rope_label", "length", "window", "nll", "predictions"])
    out["mean_nll"] = out["nll"] / out["predictions"].where(out["predictions"] > 0)
    return out


def read_positions(paths, *, binary=None):
    """Loss by position, one row per (run, bucket): run_id, rope_label, length, start (the bucket's
    first position), mean_nll, predictions. Runs without it (schema 1, failed runs) have no rows."""
    runs = read_results(paths, positions=True, binary=binary)
    parts = []
    for r in runs.itertuples():
        if r.position_bucket_start is None:
            continue
        n = len(r.position_bucket_start)
        parts.append(pd.DataFrame({"run_id": [r.run_id] * n, "rope_label": [r.rope_label] * n,
                                   "length": [r.length] * n, "start": r.position_bucket_start,
                                   "mean_nll": r.position_mean_nll, "predictions": r.position_predictions}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["run_id", "rope_label", "length", "start", "mean_nll", "predictions"])
