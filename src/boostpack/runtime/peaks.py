"""Peak memory and CPU time of this process and of its worker processes, for a run's report.

Read from ``/proc/<pid>/status`` (``VmHWM``, the peak resident set since the process started)
and ``/proc/<pid>/stat`` (CPU time); Linux only: elsewhere the figures are None. A local worker
pool's processes are this process's children, so they can be read before the pool closes;
workers on other machines (a Ray cluster) are not, and are left out.
"""

from __future__ import annotations

import os
import time


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


def tree_cpu() -> float | None:
    """CPU seconds (user + system) of this process and of every descendant, alive or reaped,
    so far; None without /proc. Differences between two calls give a phase's CPU across a
    local worker pool, which the phase's wall time cannot (workers idle, or not)."""
    if not os.path.exists("/proc/self/stat"):
        return None
    own = os.times()
    total = own.user + own.system + own.children_user + own.children_system
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _descendants(os.getpid()):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile: counted once reaped
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


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


class PhaseClock:
    """Wall seconds (``wall``) and CPU seconds of the process tree (``cpu``, None without
    /proc) of a run's consecutive phases: ``lap(name)`` ends the phase begun at the last lap
    (or at ``start``)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] | None = {}
        self.start()

    def start(self) -> None:
        self._t, self._cpu = time.monotonic(), tree_cpu()

    def lap(self, name: str) -> None:
        t, cpu = time.monotonic(), tree_cpu()
        self.wall[name] = t - self._t
        if cpu is None or self._cpu is None or self.cpu is None:
            self.cpu = None
        else:
            self.cpu[name] = round(cpu - self._cpu, 3)
        self._t, self._cpu = t, cpu
