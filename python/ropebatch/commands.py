"""`ropebatch eval` and `ropebatch run` from Python, returning DataFrames."""
import json

import pandas as pd

from ropebatch._binary import call
from ropebatch.results import read_results

_EXIT_SOME_FAILED = 4  # `run`: the sweep finished and some runs failed (they are rows with status "failed")


def _options(**named):
    args = []
    for name, value in named.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            for v in value:
                args += [flag, v]
        else:
            args += [flag, value]
    return args


def eval(model, data, lengths, *, rope=None, max_tokens=None, stride=None, max_windows=None, bos=None,
         quant=None, group_size=None, backend=None, threads=None, binary=None):
    """`ropebatch eval --format json`: one row per length (length, ppl, ppl_stderr, nll_sum,
    predictions, windows, seconds, tokens_per_second). `rope` is a dict or JSON text; the model,
    data, backend, quant and rope of the evaluation are in `frame.attrs`."""
    if isinstance(lengths, (list, tuple)):
        lengths = ",".join(str(n) for n in lengths)
    if isinstance(rope, dict):
        rope = json.dumps(rope)
    out = call(["eval", "--quiet", "--format", "json",
                *_options(model=model, data=data, lengths=lengths, rope=rope, max_tokens=max_tokens,
                          stride=stride, max_windows=max_windows, bos=bos, quant=quant, group_size=group_size,
                          backend=backend, threads=threads)], binary=binary)
    result = json.loads(out)
    frame = pd.DataFrame(result["results"])
    frame.attrs.update({k: v for k, v in result.items() if k != "results"})
    return frame


def run(grid, out, *, model=None, data=None, ranks=1, backend=None, threads=None, resume=False,
        save_token_nll=False, mpirun="mpirun", binary=None):
    """`[mpirun -n RANKS] ropebatch run`, then read_results(out). `model` and `data` may be lists
    (they replace the grid's). Failed runs are rows with status "failed", not an exception."""
    prefix = () if ranks == 1 else (mpirun, "-n", str(ranks))
    models = [model] if isinstance(model, str) else model
    datasets = [data] if isinstance(data, str) else data
    call(["run", "--quiet", *_options(grid=grid, out=out, model=models, data=datasets, backend=backend,
                                      threads=threads, resume=resume, save_token_nll=save_token_nll)],
         binary=binary, prefix=prefix, ok_codes=(0, _EXIT_SOME_FAILED))
    return read_results(out, binary=binary)


__all__ = ["eval", "run"]
