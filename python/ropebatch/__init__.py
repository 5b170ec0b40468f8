"""ropebatch from Python: results as pandas DataFrames, and thin wrappers over the binary.

    import ropebatch
    df = ropebatch.read_results("results.h5")          # one row per run
    ev = ropebatch.eval(model="m.gguf", data="bible-kjv", lengths=[512, 1024])
"""
from ropebatch._binary import find_binary
from ropebatch.commands import eval, run
from ropebatch.results import read_positions, read_results, read_windows

__all__ = ["read_results", "read_windows", "read_positions", "eval", "run", "find_binary"]
__version__ = "0.1.0"
