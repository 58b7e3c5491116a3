"""Peak memory of this process and of its worker processes, for a run's report.

Read from ``/proc/<pid>/status`` (``VmHWM``, the peak resident set since the process started;
Linux only: elsewhere the figures are None). A local worker pool's processes are this
process's children, so their peaks can be read before the pool closes; workers on other
machines (a Ray cluster) are not, and are left out.
"""

from __future__ import annotations

import os


def peak_rss(pid: int | str = "self") -> int | None:
    """Bytes: the peak resident set of process ``pid``, or None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def children_peak_rss() -> int | None:
    """Bytes: the largest peak resident set among this process's descendants alive now, or
    None when there are none (or no /proc)."""
    peaks = [p for p in map(peak_rss, _descendants(os.getpid())) if p is not None]
    return max(peaks) if peaks else None


def _descendants(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(c) for c in f.read().split()]
            except OSError:
                continue
            out += kids
            stack += kids
    return out
