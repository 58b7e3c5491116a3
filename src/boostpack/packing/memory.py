"""Freed memory kept for reuse while pack runs (glibc's allocator, set through ``mallopt(3)``).

A pack task allocates and frees ~15-20 MB of arrays per 4 MB block of input (the scan's
fields, the documents' text, the engine's token ids, the packer's framed documents) on three
threads. Under glibc's defaults most of it went back to the kernel when freed: each thread
allocates from an arena of its own, whose emptied heaps are returned, and a block over the
dynamic mmap threshold is unmapped. So the next block's arrays were fresh pages, which the
kernel zeroes on first touch: on the 300 MB benchmark ~300 MB of pages were allocated beyond a
1% run's, and ``clear_page`` alone took 0.1-0.45 CPU-s (perf; a VM's first touch is the
slow part). With one arena, blocks up to 32 MB served from the heap and up to 64 MB of free
heap kept, ~105 MB are allocated (what the largest moment holds) and peak RSS drops from ~440
to ~300 MB. Raw gigatoken on two rayon threads encoded as fast on one arena (the engine does
not allocate much per text), so the shared arena's lock costs little.
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt(3) parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_SETTINGS = ((_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 64 << 20))
# The user's own allocator settings are left alone.
_USER_SETTINGS = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                  "MALLOC_TOP_PAD_")

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Set glibc's allocator, once per process, to keep and reuse what pack frees (see the
    module docstring); True when the settings are in force. The settings stay for the
    process (glibc has no way back to its dynamic thresholds) and keep at most 64 MB of free
    heap. Does nothing on other C libraries, or when the environment sets the allocator."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if (platform.libc_ver()[0] != "glibc" or any(name in os.environ for name in _USER_SETTINGS)
            or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in _SETTINGS)
