"""keep_freed_memory: large buffers allocated again and again stop faulting in fresh pages, in
the boostpack command's process and in its local workers."""

from __future__ import annotations

import inspect
import platform
import resource
import subprocess
import sys

import pytest

from boostpack.runtime.backends import LocalProcesses

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

def pattern_faults(_: object = None) -> int:
    """Top-level (spawn-safe): minor page faults of buffers of 1..20 MiB made and freed in
    turn, as a stage's blocks of input and output come. glibc's dynamic mmap threshold maps
    (and the kernel zeroes) each one larger than any freed before."""
    r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(60):
        b = b"x" * ((1 + i % 20) << 20)
        del b
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0


def _faults_in_fresh_python(setup: str) -> int:
    code = f"import resource\n{setup}{inspect.getsource(pattern_faults)}print(pattern_faults())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def _glibc() -> bool:
    return platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not _glibc(), reason="glibc only")
def test_fixed_thresholds_cut_page_faults():
    default = _faults_in_fresh_python("")
    kept = _faults_in_fresh_python(
        "from boostpack.runtime.allocator import keep_freed_memory\n"
        "assert keep_freed_memory()\n")
    assert kept * 4 < default, (kept, default)


@pytest.mark.skipif(not _glibc(), reason="glibc only")
def test_local_workers_keep_freed_memory():
    default = _faults_in_fresh_python("")
    backend = LocalProcesses(1)
    try:
        in_worker = backend.submit(pattern_faults, None).result()
    finally:
        backend.close()
    assert in_worker * 4 < default, (in_worker, default)


def test_command_keeps_freed_memory(monkeypatch):
    from boostpack import cli

    calls = []
    monkeypatch.setattr(cli, "keep_freed_memory", lambda: calls.append(1) or True)
    assert cli.main(["inspect", "/nonexistent", "-q"]) == 1
    assert calls == [1]
