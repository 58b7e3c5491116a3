"""keep_freed_memory: large buffers allocated again and again stop faulting in fresh pages, in
the boostpack command's process and in its local workers; applied once per process, and left
alone where the user set the allocator or the C library is not glibc."""

from __future__ import annotations

import inspect
import json
import os
import platform
import resource
import subprocess
import sys

import pytest

from boostpack.runtime import allocator
from boostpack.runtime.backends import LocalProcesses


def _glibc() -> bool:
    return platform.libc_ver()[0] == "glibc"


def _clean_env(**env: str) -> dict[str, str]:
    """This environment without the user's allocator settings, plus ``env``."""
    clean = {k: v for k, v in os.environ.items()
             if k not in (*allocator.USER_SETTINGS, "GLIBC_TUNABLES")}
    return {**clean, **env}


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
    out = subprocess.run([sys.executable, "-c", code], env=_clean_env(), capture_output=True,
                         text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not _glibc(), reason="glibc only")
def test_fixed_thresholds_cut_page_faults():
    default = _faults_in_fresh_python("")
    kept = _faults_in_fresh_python(
        "from boostpack.runtime.allocator import keep_freed_memory\n"
        "assert keep_freed_memory()\n")
    assert kept * 4 < default, (kept, default)


@pytest.mark.skipif(not _glibc() or _clean_env() != dict(os.environ),
                    reason="glibc only, allocator not set by the environment")
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


_PROBE = """
import json, threading
import numpy as np
from boostpack.runtime.allocator import keep_freed_memory
first = keep_freed_memory()
# What pack does per block: arrays allocated on one thread, freed on another.
done = []
def work():
    for size in [3 << 20, 9 << 20, 2 << 20] * 4:
        np.ones(size, np.uint8)
    done.append(True)
thread = threading.Thread(target=work)
thread.start()
thread.join()
print(json.dumps([first, keep_freed_memory(), done == [True]]))
"""


def _probe(env: dict[str, str]) -> list[bool]:
    out = subprocess.run([sys.executable, "-c", _PROBE], env=_clean_env(**env),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.skipif(not _glibc(), reason="glibc only")
def test_applied_once_per_process_on_glibc() -> None:
    assert _probe({}) == [True, True, True]


@pytest.mark.skipif(not _glibc(), reason="glibc only")
@pytest.mark.parametrize("env", [{"MALLOC_ARENA_MAX": "2"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}])
def test_the_users_allocator_settings_win(env: dict[str, str]) -> None:
    assert _probe(env) == [False, False, True]


@pytest.mark.skipif(not _glibc(), reason="glibc only")
def test_tunables_of_other_kinds_do_not_count() -> None:
    assert _probe({"GLIBC_TUNABLES": "glibc.cpu.x86_rep_movsb_threshold=4096"}) == [
        True, True, True]


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("", ""))
    assert allocator._apply() is False
