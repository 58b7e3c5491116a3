"""run_tasks / TaskRunner: task order, equal results across worker counts and backends, resume by
markers, errors, bounded prefetch."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from boostpack.errors import InvalidInput
from boostpack.runtime.backends import (
    InProcess,
    LocalBackend,
    LocalProcesses,
    Staggered,
    hand_off,
    workers_started_early,
)
from boostpack.runtime.executor import TaskRunner, open_runner, run_tasks, task_fingerprint


def square_and_log(task: tuple[str, int]) -> int:
    """Top-level (spawn-safe): append the task to a log file so tests can count executions."""
    log, x = task
    with open(log, "a") as f:
        f.write(f"{x}\n")
    return x * x


def getpid_of(_: object) -> int:
    return os.getpid()


def fail_on_three(task: tuple[str, int]) -> int:
    _, x = task
    if x == 3:
        raise RuntimeError("task 3 failed")
    return square_and_log(task)


def test_results_in_task_order_for_every_worker_count(tmp_path: Path) -> None:
    tasks = [(str(tmp_path / "log"), x) for x in range(7)]
    expected = [x * x for x in range(7)]
    assert list(run_tasks(square_and_log, tasks, workers=1)) == expected
    assert list(run_tasks(square_and_log, tasks, workers=2)) == expected


def test_rerun_skips_finished_tasks_and_replays_their_results(tmp_path: Path) -> None:
    log = tmp_path / "log"
    tasks = [(str(log), x) for x in range(5)]
    state = tmp_path / "state"
    # First run dies at task 3: tasks 0-2 are finished and keep their markers.
    with pytest.raises(RuntimeError, match="task 3 failed"):
        list(run_tasks(fail_on_three, tasks, workers=1, state_dir=state))
    assert log.read_text().split() == ["0", "1", "2"]
    log.unlink()
    assert list(run_tasks(square_and_log, tasks, workers=2, state_dir=state)) == [0, 1, 4, 9, 16]
    assert sorted(log.read_text().split()) == ["3", "4"]  # only the unfinished ones ran


def test_changed_task_is_not_skipped(tmp_path: Path) -> None:
    log = tmp_path / "log"
    state = tmp_path / "state"
    list(run_tasks(square_and_log, [(str(log), 2)], state_dir=state))
    assert list(run_tasks(square_and_log, [(str(log), 5)], state_dir=state)) == [25]
    assert log.read_text().split() == ["2", "5"]
    assert task_fingerprint((str(log), 2)) != task_fingerprint((str(log), 5))


def test_worker_error_propagates(tmp_path: Path) -> None:
    tasks = [(str(tmp_path / "log"), x) for x in range(6)]
    with pytest.raises(RuntimeError, match="task 3 failed"):
        list(run_tasks(fail_on_three, tasks, workers=2))


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2"])
def test_bad_worker_count(workers: object) -> None:
    with pytest.raises(InvalidInput, match="workers"):
        list(run_tasks(square_and_log, [], workers=workers))  # type: ignore[arg-type]


def test_one_runner_serves_several_stages(tmp_path: Path) -> None:
    log = str(tmp_path / "log")
    with TaskRunner(2) as runner:
        first = list(runner.run(square_and_log, [(log, x) for x in range(5)]))
        second = list(runner.run(square_and_log, [(log, x) for x in range(5, 9)]))
    assert first + second == [x * x for x in range(9)]


def test_resolve_workers(monkeypatch):
    from boostpack.runtime.executor import resolve_workers

    assert resolve_workers(3) == 3
    monkeypatch.setenv("BOOSTPACK_WORKERS", "5")
    assert resolve_workers(None) == 5
    monkeypatch.delenv("BOOSTPACK_WORKERS")
    assert resolve_workers(None) == (os.cpu_count() or 1)
    for bad_env in ("0", "two", "-1"):
        monkeypatch.setenv("BOOSTPACK_WORKERS", bad_env)
        with pytest.raises(InvalidInput, match="BOOSTPACK_WORKERS"):
            resolve_workers(None)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(InvalidInput, match="workers"):
            resolve_workers(bad)


class ThreadBackend(LocalBackend):
    """A third backend written against the interface alone (threads, so tasks need not pickle)."""

    def __init__(self, workers: int) -> None:
        self.workers, self.prefetch = workers, 2 * workers
        self._pool = ThreadPoolExecutor(workers)

    def submit(self, fn, task):
        return self._pool.submit(fn, task)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


BACKENDS = {"in-process": InProcess, "staggered": Staggered,
            "processes": lambda: LocalProcesses(2), "threads": lambda: ThreadBackend(2)}


@pytest.mark.parametrize("make", BACKENDS.values(), ids=BACKENDS.keys())
def test_every_backend_gives_task_order_resume_and_errors(tmp_path: Path, make) -> None:
    log = tmp_path / "log"
    tasks = [(str(log), x) for x in range(7)]
    state = tmp_path / "state"
    with TaskRunner(backend=make()) as runner:
        with pytest.raises(RuntimeError, match="task 3 failed"):
            list(runner.run(fail_on_three, tasks, state))
        first_run = set(log.read_text().split())
        assert {"0", "1", "2"} <= first_run  # finished before the failure: markers kept
        log.unlink()
        assert list(runner.run(square_and_log, tasks, state)) == [x * x for x in range(7)]
    assert "3" in log.read_text().split()
    assert not {"0", "1", "2"} & set(log.read_text().split())  # replayed from markers


@pytest.mark.parametrize(("make", "ahead"), [(InProcess, 0), (Staggered, 1),
                                             (lambda: LocalProcesses(2), 4)])
def test_tasks_are_pulled_at_most_prefetch_ahead(tmp_path: Path, make, ahead: int) -> None:
    pulled = []

    def tasks():
        for x in range(20):
            pulled.append(x)
            yield (str(tmp_path / "log"), x)

    with TaskRunner(backend=make()) as runner:
        results = runner.run(square_and_log, tasks())
        assert next(results) == 0
        assert len(pulled) <= 1 + ahead  # memory bounded by the window, not the task count
        assert list(results) == [x * x for x in range(1, 20)]


def test_worker_count_and_backend_are_exclusive() -> None:
    with pytest.raises(InvalidInput, match="not both"):
        TaskRunner(2, backend=InProcess())
    assert TaskRunner(backend=LocalProcesses(3)).workers == 3


def test_open_runner_picks_a_backend_by_name(monkeypatch) -> None:
    monkeypatch.setenv("BOOSTPACK_WORKERS", "2")
    with open_runner("local") as runner:
        assert isinstance(runner.backend, LocalProcesses) and runner.workers == 2
        assert runner.usage() == {"backend": "local", "workers": 2, "tasks": 0, "resumed": 0,
                                  "nodes": 1, "retried": 0}
    with open_runner("local", 1) as runner:
        assert isinstance(runner.backend, InProcess)
    with pytest.raises(InvalidInput, match="backend must be one of local, ray"):
        open_runner("spark")
    with pytest.raises(InvalidInput, match="ray_address needs backend='ray'"):
        open_runner("local", ray_address="10.0.0.1:6379")


def test_without_ray_the_backend_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from boostpack.runtime.ray_backend import RayBackend

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(InvalidInput, match=r"pip install 'boostpack\[ray\]'"):
        RayBackend()


def test_warm_starts_every_worker_before_the_first_task() -> None:
    before = set(multiprocessing.active_children())
    with TaskRunner(2) as runner:
        runner.warm("boostpack.deduplication.sign")
        deadline = time.monotonic() + 60
        while len(set(multiprocessing.active_children()) - before) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(set(multiprocessing.active_children()) - before) == 2
        assert list(runner.run(abs, [-1, -2, -3])) == [1, 2, 3]
        assert runner.usage()["tasks"] == 3  # the imports are not tasks


def test_workers_started_early_are_the_next_runners_workers() -> None:
    """A pool spawned before the stage is imported is the one its runner uses; one that no
    runner took is shut down at the end of the block."""
    before = set(multiprocessing.active_children())
    with workers_started_early(2, ["json"]):
        early = set(multiprocessing.active_children()) - before
        assert len(early) == 2
        with TaskRunner(2) as runner:
            assert set(runner.run(getpid_of, range(8))) <= {p.pid for p in early}
    with workers_started_early(2, ["json"]):
        unused = set(multiprocessing.active_children()) - before
    deadline = time.monotonic() + 60
    while any(p.is_alive() for p in unused) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert unused and not any(p.is_alive() for p in unused)
    with workers_started_early(1, ["json"]):  # tasks run in this process: nothing to start
        assert set(multiprocessing.active_children()) == before


def test_staggered_task_starts_when_the_one_before_hands_off() -> None:
    """Task k+1 starts only after task k's ``hand_off``, and runs while task k finishes."""
    n = 6
    events: list[tuple[str, int]] = []
    lock = threading.Lock()
    started = [threading.Event() for _ in range(n)]

    def note(what: str, x: int) -> None:
        with lock:
            events.append((what, x))

    def task(x: int) -> int:
        note("start", x)
        started[x].set()
        note("hand off", x)
        hand_off()
        if x + 1 < n:  # the next task starts before this one ends
            assert started[x + 1].wait(10), f"task {x + 1} did not start while {x} finished"
        note("end", x)
        return x * x

    with TaskRunner(backend=Staggered()) as runner:
        assert list(runner.run(task, range(n))) == [x * x for x in range(n)]
    for x in range(n - 1):
        assert events.index(("hand off", x)) < events.index(("start", x + 1))
        assert events.index(("start", x + 1)) < events.index(("end", x))


def test_staggered_task_that_never_hands_off_runs_alone(tmp_path: Path) -> None:
    """Without ``hand_off`` a task holds the next one back until it ends; after a failure the
    tasks waiting behind it never start."""
    running = threading.Semaphore(1)

    def one_at_a_time(task: tuple[str, int]) -> int:
        assert running.acquire(blocking=False), "two tasks ran at once"
        try:
            return fail_on_three(task)
        finally:
            running.release()

    log = tmp_path / "log"
    with TaskRunner(backend=Staggered()) as runner, pytest.raises(RuntimeError, match="task 3"):
        list(runner.run(one_at_a_time, [(str(log), x) for x in range(8)]))
    assert log.read_text().split() == ["0", "1", "2"]


def test_hand_off_outside_staggered_is_a_no_op() -> None:
    hand_off()
    with TaskRunner(backend=InProcess()) as runner:
        assert list(runner.run(lambda x: (hand_off(), x)[1], range(3))) == [0, 1, 2]
