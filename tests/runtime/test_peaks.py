"""CPU and memory of the process tree, as a run's report gives them."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from boostpack.runtime.peaks import PhaseClock, children_peak_rss, tree_cpu

pytestmark = pytest.mark.skipif(tree_cpu() is None, reason="needs /proc")

_BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass\ninput()"


def test_tree_cpu_counts_a_live_child_while_this_process_sleeps() -> None:
    clock = PhaseClock()
    start = tree_cpu() or 0.0
    child = subprocess.Popen([sys.executable, "-c", _BURN], stdin=subprocess.PIPE)
    try:
        time.sleep(0.1)
        deadline = time.monotonic() + 30
        while (tree_cpu() or 0.0) - start < 0.4 and time.monotonic() < deadline:
            time.sleep(0.05)
        clock.lap("burn")
        assert children_peak_rss() is not None  # alive: still a descendant
    finally:
        child.communicate(b"\n")
    assert clock.cpu is not None and clock.cpu["burn"] >= 0.4
    assert clock.wall["burn"] > 0
    clock.lap("after")  # reaped now: its time is in this process's children times, not again
    assert clock.cpu["after"] < 0.3
