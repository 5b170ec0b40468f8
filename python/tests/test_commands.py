"""ropebatch.eval and ropebatch.run call the binary and return DataFrames."""
import math

import ropebatch


def test_eval_returns_one_row_per_length(fixtures, binary):
    df = ropebatch.eval(model=fixtures / "models" / "llama_gqa", data=fixtures / "text" / "genesis.txt",
                        lengths=[64, 128], max_windows=3, binary=binary)
    assert list(df.length) == [64, 128]
    assert (df.windows == 3).all()
    assert (df.ppl_stderr > 0).all()
    assert all(math.isclose(p, math.exp(s / n), rel_tol=1e-12) for p, s, n in zip(df.ppl, df.nll_sum, df.predictions))
    assert df.attrs["backend"] == "cpu"
    assert df.attrs["rope"]["method"]


def test_eval_with_a_rope_dict(fixtures, binary):
    base = ropebatch.eval(model=fixtures / "models" / "llama_gqa", data=fixtures / "text" / "genesis.txt",
                          lengths=[64], max_windows=2, binary=binary)
    linear = ropebatch.eval(model=fixtures / "models" / "llama_gqa", data=fixtures / "text" / "genesis.txt",
                            lengths=[64], max_windows=2, rope={"rope_type": "linear", "factor": 2.0}, binary=binary)
    assert linear.ppl[0] != base.ppl[0]


def test_run_returns_the_results_with_failures_as_rows(fixtures, binary, tmp_path):
    grid = fixtures.parent / "grids" / "failing_runs.toml"
    df = ropebatch.run(grid, tmp_path / "r.h5", threads=1, binary=binary)
    assert len(df) == 4
    assert sorted(df.status) == ["failed", "failed", "ok", "ok"]
    assert set(df[df.status == "failed"].length) == {64}
