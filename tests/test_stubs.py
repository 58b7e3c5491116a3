"""The ``.pyi`` stubs beside each compiled module match what the module really exports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COMPILED = sorted(p.stem for p in (REPO / "src" / "boostpack").glob("_*.pyx"))


def test_every_compiled_module_has_a_stub():
    assert COMPILED, "no .pyx found"
    for name in COMPILED:
        assert (REPO / "src" / "boostpack" / f"{name}.pyi").is_file(), name


def test_stubs_match_the_compiled_modules(tmp_path):
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "--allowlist",
         str(REPO / "tools" / "stubtest-allowlist.txt"),
         *(f"boostpack.{name}" for name in COMPILED)],
        capture_output=True, text=True, check=False, cwd=tmp_path)  # its cache goes there
    assert result.returncode == 0, result.stdout + result.stderr
