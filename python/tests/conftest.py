import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = pathlib.Path(os.environ.get("RB_FIXTURES", ROOT / "tests" / "fixtures"))


@pytest.fixture
def fixtures():
    return FIXTURES


@pytest.fixture
def binary():
    """The ropebatch binary under test: $ROPEBATCH_BINARY, else build/harness/ropebatch. Missing is a
    failure, not a skip (scripts/test.sh builds it first)."""
    path = os.environ.get("ROPEBATCH_BINARY", str(ROOT / "build" / "harness" / "ropebatch"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"ropebatch binary not found at {path}: build it or set ROPEBATCH_BINARY")
    return path
