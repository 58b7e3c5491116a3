"""Killing a run's main process (SIGKILL: nothing of it runs) ends its worker processes within
seconds, for dedup and pack with 2 workers. They used to stay blocked forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HOLDER = str(Path(__file__).with_name("hold_stage.py"))

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by init has ended)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def workers(pid: int) -> list[int]:
    """``pid``'s pool workers (spawned children that are not the resource tracker)."""
    pids = []
    for child in children(pid):
        try:
            cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            pids.append(child)
    return pids


@pytest.mark.parametrize(("stage", "module", "function"), [
    # after the read+sign tasks: the workers wait for the next phase's tasks
    ("dedup", "boostpack.deduplication.pipeline", "_cluster_once"),
    # when the first pack task is done (its marker written by the main process): the workers
    # are started (a field mapping keeps the lines off the in-process fast lane; small tasks
    # make several)
    ("pack", "boostpack.runtime.executor", "_write_marker"),
])
def test_workers_exit_when_the_main_process_is_killed(stage: str, module: str, function: str,
                                                      qa_inputs: list[str], tmp_path: Path,
                                                      small_tokenizer: Path) -> None:
    ready = tmp_path / "ready"
    args = [stage, *qa_inputs, "-o", str(tmp_path / "out"), "--workers", "2"]
    if stage == "pack":
        args += ["--tokenizer", str(small_tokenizer), "--seq-len", "256",
                 "--map", "question=question", "--task-bytes", "4K"]
    main = subprocess.Popen([sys.executable, HOLDER, module, function, str(ready),
                             str(tmp_path / "never"), *args], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() or len(workers(main.pid)) < 2:
            assert main.poll() is None, main.communicate()[1].decode()
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.05)
        spawned = children(main.pid)  # the workers and multiprocessing's resource tracker
    finally:
        os.kill(main.pid, signal.SIGKILL)
        main.wait()
    deadline = time.monotonic() + 10
    while [p for p in spawned if alive(p)] and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in spawned if alive(p)]
    for pid in left:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} of {len(spawned)} child processes outlived their parent by 10 s"
