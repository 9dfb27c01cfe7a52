"""Test helpers: run code in a fresh interpreter and compare what it computed."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

_RUNNER = """
import pickle, runpy, sys
import numpy as np
def plain(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy"):
        return value.numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value
namespace = runpy.run_path(sys.argv[1], run_name="__harp_test__")
call = sys.argv[2]
value = eval(call, namespace) if call else namespace["RESULT"]
sys.stdout.buffer.write(pickle.dumps(plain(value)))
"""


def run_program(path: Path, call: str = "") -> Any:
    """Run a program in a fresh interpreter; return `RESULT` or the value of `call` as NumPy."""
    completed = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(path), call],
        capture_output=True,
        timeout=300,
        env={**os.environ, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    return pickle.loads(completed.stdout)


def assert_close(expected: Any, actual: Any, rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """Same structure, shapes and dtypes; values equal within tolerance."""
    import numpy as np

    if isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected) and len(actual) == len(expected)
        for e, a in zip(expected, actual, strict=True):
            assert_close(e, a, rtol, atol)
        return
    expected_array, actual_array = np.asarray(expected), np.asarray(actual)
    assert expected_array.shape == actual_array.shape
    assert expected_array.dtype == actual_array.dtype
    np.testing.assert_allclose(actual_array, expected_array, rtol=rtol, atol=atol)


def dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


_VERIFYING = {"--diff", "--apply", "--interactive", "--pr", "verify"}


def harp_command(*args: str) -> list[str]:
    """`python -m harp_refactor ARGS`; a verifying run gets `--min-speedup 0`, so that what a test
    sees never depends on a measured time (the speed check has tests of its own)."""
    verifying = _VERIFYING & set(args) and not {"--no-verify", "--min-speedup"} & set(args)
    speed = ["--min-speedup", "0"] if verifying else []
    return [sys.executable, "-m", "harp_refactor", *args, *speed]
