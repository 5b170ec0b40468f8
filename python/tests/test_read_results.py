"""read_results against the committed sweep fixture (tests/fixtures/reports/report_sweep.h5), read
both directly with h5py and through the binary (shards, live journals)."""
import json
import math
import shutil
import signal
import subprocess

import h5py
import numpy as np
import pytest

import ropebatch

SWEEP = "reports/report_sweep.h5"


def stderr_from_windows(nll, n):
    """docs/RESULTS_FORMAT.md, "Standard error", written out independently of the C++ code."""
    keep = n > 0
    nll, n = nll[keep], n[keep]
    w, total = len(n), n.sum()
    m = nll.sum() / total
    se_m = math.sqrt(w / (w - 1) * ((nll - m * n) ** 2).sum()) / total
    return math.exp(m) * se_m


def test_one_row_per_run_with_the_stored_numbers(fixtures):
    path = fixtures / SWEEP
    df = ropebatch.read_results(path, windows=True)
    with h5py.File(path, "r") as f:
        runs = f["runs"]
        assert len(df) == len(runs) == int(f.attrs["run_count"])
        for row in df.itertuples():
            attrs = runs[row.run_id].attrs
            assert row.status == attrs["status"]
            assert row.length == attrs["length"]
            assert row.rope_label == attrs["rope_label"]
            assert json.loads(attrs["config"]) == row.config
            if "ppl" in attrs:
                assert row.ppl == attrs["ppl"]
            else:
                assert math.isnan(row.ppl)
    ok = df[df.status == "ok"]
    failed = df[df.status == "failed"]
    assert len(ok) > 0 and len(failed) > 0  # the fixture has a run that fails by design
    assert failed.error.str.len().min() > 0


def test_stderr_and_interval_follow_the_results_format(fixtures):
    df = ropebatch.read_results(fixtures / SWEEP, windows=True)
    checked = 0
    for row in df[df.status == "ok"].itertuples():
        if (row.window_predictions > 0).sum() < 2:
            assert math.isnan(row.ppl_stderr)
            continue
        want = stderr_from_windows(row.window_nll, row.window_predictions)
        assert row.ppl_stderr == pytest.approx(want, rel=1e-9)  # double sums in another order
        assert row.ppl_ci_low < row.ppl < row.ppl_ci_high
        # exp(m ± 1.96 SE(m)): symmetric around log(ppl)
        assert math.log(row.ppl_ci_high) - math.log(row.ppl) == pytest.approx(
            math.log(row.ppl) - math.log(row.ppl_ci_low), rel=1e-12)
        checked += 1
    assert checked > 0


def test_rope_parameters_are_columns(fixtures):
    df = ropebatch.read_results(fixtures / SWEEP)
    linear = df[df["rope.rope_type"] == "linear"]
    assert len(linear) > 0
    assert set(linear["rope.factor"].dropna()) <= {2.0, 4.0, 8.0, 16.0}
    for config, factor in zip(linear.rope_config, linear["rope.factor"]):
        assert json.loads(config)["factor"] == factor
    assert {"model", "dataset", "quant", "ppl", "ppl_stderr", "ppl_ci_low", "ppl_ci_high", "seconds"} <= set(df.columns)


def test_read_windows_has_one_row_per_window(fixtures):
    runs = ropebatch.read_results(fixtures / SWEEP)
    windows = ropebatch.read_windows(fixtures / SWEEP)
    assert len(windows) == runs.windows.sum()
    some = windows.dropna(subset=["mean_nll"])
    assert np.allclose(some.mean_nll, some.nll / some.predictions)


def test_shards_are_merged_by_the_binary(fixtures, binary, tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    shutil.copy(fixtures / SWEEP, a)
    shutil.copy(fixtures / SWEEP, b)
    one = ropebatch.read_results(fixtures / SWEEP)
    both = ropebatch.read_results([a, b], binary=binary)  # duplicates agree: the same runs once
    assert sorted(both.run_id) == sorted(one.run_id)
    merged = both.set_index("run_id").loc[one.run_id]
    assert np.array_equal(merged.ppl.to_numpy(), one.ppl.to_numpy(), equal_nan=True)


def test_a_live_journal_is_read(fixtures, binary, tmp_path):
    """A sweep killed with SIGKILL after its first finished run: the run is only in the journal."""
    out = tmp_path / "live.h5"
    grid = fixtures.parent / "grids" / "failing_runs.toml"
    proc = subprocess.Popen([binary, "run", "--grid", str(grid), "--out", str(out), "--cache-dir",
                             str(tmp_path / "cache"), "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if line.startswith("[1/"):  # printed after the run is fsync'ed to the journal
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    if proc.returncode != -signal.SIGKILL:
        pytest.fail(f"the sweep ended before it could be killed (status {proc.returncode})")
    assert (tmp_path / "live.h5.journal").stat().st_size > 0
    df = ropebatch.read_results(out, binary=binary)
    assert len(df) >= 1
    assert set(df.status) <= {"ok", "failed", "skipped"}


def test_a_missing_binary_is_a_clear_error(fixtures, tmp_path, monkeypatch):
    monkeypatch.delenv("ROPEBATCH_BINARY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="ropebatch binary not found"):
        ropebatch.read_results([fixtures / SWEEP, fixtures / SWEEP])


def test_not_a_results_file(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "something-else"
    with pytest.raises(ValueError, match="not a ropebatch results file"):
        ropebatch.read_results(path)


def test_schema_2_columns_are_the_stored_values(fixtures):
    path = fixtures / SWEEP
    df = ropebatch.read_results(path, positions=True)
    with h5py.File(path, "r") as f:
        assert int(f.attrs["schema_version"]) == 2
        runs = f["runs"]
        paired = 0
        for _, row in df[df.status == "ok"].iterrows():
            attrs, group = runs[row.run_id].attrs, runs[row.run_id]
            assert row.trained_length == attrs["trained_length"]
            resolved = json.loads(attrs["rope_resolved"]) if attrs.get("rope_resolved", "") else {}
            for key, value in resolved.items():
                if value is None:  # a null parameter is a missing value in the frame
                    assert row["rope." + key] is None or math.isnan(row["rope." + key])
                elif not isinstance(value, (dict, list)):
                    assert row["rope." + key] == value  # the resolved value, not the grid's
            if "ratio_ci_low" in attrs:
                paired += 1
                assert row.ratio_ci_low == attrs["ratio_ci_low"] and row.ratio_ci_high == attrs["ratio_ci_high"]
                assert row.ratio_ci_low <= math.exp(row.log_ratio_to_baseline) <= row.ratio_ci_high
            np.testing.assert_array_equal(row.position_mean_nll, group["position_mean_nll"][:])
        assert paired > 0
    pos = ropebatch.read_positions(path)
    ok = df[df.status == "ok"]
    assert set(pos.run_id) == set(ok.run_id)
    # Each run's buckets hold all its predictions.
    for run_id, part in pos.groupby("run_id"):
        assert part.predictions.sum() == int(ok[ok.run_id == run_id].predictions.iloc[0])


def test_a_schema_1_file_reads_without_the_new_columns(fixtures):
    df = ropebatch.read_results(fixtures / "reports/report_sweep_schema1.h5", positions=True)
    assert len(df) > 0
    assert df.trained_length.isna().all() and df.ratio_ci_low.isna().all()
    assert df.position_bucket_start.isna().all()
