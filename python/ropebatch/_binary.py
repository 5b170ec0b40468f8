"""Where the ropebatch binary is: the argument, $ROPEBATCH_BINARY, or `ropebatch` on PATH."""
import os
import shutil
import subprocess


def find_binary(binary=None):
    candidate = binary or os.environ.get("ROPEBATCH_BINARY") or shutil.which("ropebatch")
    if not candidate or not os.access(candidate, os.X_OK):
        raise FileNotFoundError(
            "ropebatch binary not found: pass binary=..., set ROPEBATCH_BINARY, or put ropebatch on PATH "
            "(it is built at build/harness/ropebatch)")
    return candidate


def call(args, binary=None, prefix=(), ok_codes=(0,)):
    """Runs the binary; returns its stdout. Another exit status raises RuntimeError with its stderr."""
    cmd = [*prefix, find_binary(binary), *[str(a) for a in args]]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{proc.stderr.strip()}")
    return proc.stdout
