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
    clean = {k: v for k, v in os.environ.items() if k not in memory._USER_SETTINGS}
    out = subprocess.run([sys.executable, "-c", _PROBE], env={**clean, **env},
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_applied_once_per_process_on_glibc() -> None:
    assert _probe({}) == [True, True, True]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
@pytest.mark.parametrize("name", ["MALLOC_ARENA_MAX", "GLIBC_TUNABLES"])
def test_the_users_allocator_settings_win(name: str) -> None:
    value = "2" if name == "MALLOC_ARENA_MAX" else "glibc.malloc.arena_max=2"
    assert _probe({name: value}) == [False, False, True]


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.platform, "libc_ver", lambda: ("", ""))
    assert memory._apply() is False
