"""``packing.memory``: glibc's allocator set once per process to keep what pack frees, and
left alone where the user set it or the C library is not glibc."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from boostpack.packing import memory

_PROBE = """
import json, threading
import numpy as np
from boostpack.packing.memory import keep_freed_memory
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
    clean = {k: v for k, v in os.environ.items()
             if k not in (*memory._USER_SETTINGS, "GLIBC_TUNABLES")}
    out = subprocess.run([sys.executable, "-c", _PROBE], env={**clean, **env},
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_applied_once_per_process_on_glibc() -> None:
    assert _probe({}) == [True, True, True]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
@pytest.mark.parametrize("env", [{"MALLOC_ARENA_MAX": "2"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}])
def test_the_users_allocator_settings_win(env: dict[str, str]) -> None:
    assert _probe(env) == [False, False, True]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_tunables_of_other_kinds_do_not_count() -> None:
    assert _probe({"GLIBC_TUNABLES": "glibc.cpu.x86_rep_movsb_threshold=4096"}) == [
        True, True, True]


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.platform, "libc_ver", lambda: ("", ""))
    assert memory._apply() is False
