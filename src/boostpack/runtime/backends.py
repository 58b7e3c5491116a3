"""Where a stage's tasks run: in this process, or on local worker processes (and on a Ray
cluster: ``runtime.ray_backend``).

A backend only starts tasks and hands back their results; ordering, resume markers, progress
and cancellation are the executor's (``runtime.executor.TaskRunner``), the same for every
backend. A backend has ``name``, ``workers``, ``prefetch``, ``submit`` and ``close``:
``submit`` may return anything with ``result()`` and ``cancel()``, such as a
``concurrent.futures.Future``. ``usage()`` says where tasks ran (nodes, retries), and
``check_shared`` refuses, before any work, paths the workers would not see (a no-op on one
machine); ``LocalBackend`` gives both for backends that run on this machine.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    CancelledError,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from multiprocessing.connection import wait
from typing import Any, Generic, Protocol, TypeVar

from boostpack.errors import InvalidInput
from boostpack.runtime.allocator import keep_freed_memory

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


def check_workers(workers: Any) -> int:
    """``workers`` if it is a positive integer (not a bool), else ``InvalidInput``."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InvalidInput(f"workers must be a positive integer, got {workers!r}")
    return workers


class TaskHandle(Protocol[R_co]):
    """A submitted task: ``result()`` waits for it (re-raising its exception)."""

    def result(self) -> R_co: ...

    def cancel(self) -> bool: ...


class Backend(Protocol):
    """Runs ``fn(task)`` somewhere. ``workers``: tasks that run at once; ``prefetch``: how many
    tasks the executor submits beyond the one whose result it waits for."""

    name: str
    workers: int
    prefetch: int

    def submit(self, fn: Callable[[T], R], task: T) -> TaskHandle[R]: ...

    def warm(self, modules: Sequence[str]) -> None:
        """Start the workers now, importing ``modules``, without waiting for them."""
        ...

    def close(self) -> None: ...

    def usage(self) -> dict[str, int | None]:
        """``{"nodes": machines that ran tasks, "retried": tasks run again after their worker
        died (None: not known)}`` so far."""
        ...

    def check_shared(self, read: Sequence[str], write_dir: str) -> None:
        """Raise ``InvalidInput`` when a worker cannot read a file of ``read`` or write into the
        directory ``write_dir`` (which exists)."""
        ...


class LocalBackend:
    """What every backend on this machine shares: one node, no retries, every path visible."""

    name = "local"

    def usage(self) -> dict[str, int | None]:
        return {"nodes": 1, "retried": 0}

    def warm(self, modules: Sequence[str]) -> None:
        pass

    def check_shared(self, read: Sequence[str], write_dir: str) -> None:
        pass


class _Deferred(Generic[R]):
    """A task run when its result is asked for, in the asking thread."""

    def __init__(self, fn: Callable[[Any], R], task: Any) -> None:
        self._fn, self._task = fn, task

    def result(self) -> R:
        return self._fn(self._task)

    def cancel(self) -> bool:
        return True


class InProcess(LocalBackend):
    """Each task runs in this process, one at a time, when the executor reaches it: nothing is
    computed ahead, so a traceback or a profile shows the stage's own code."""

    workers = 1
    prefetch = 0

    def submit(self, fn: Callable[[T], R], task: T) -> _Deferred[R]:
        return _Deferred(fn, task)

    def close(self) -> None:
        pass


_handing_off = threading.local()  # per thread: the event ``hand_off`` sets, if any


def hand_off() -> None:
    """Called by a task once it has read all its input (it only drains and writes from here
    on): under ``Staggered``, the next task starts now. Anywhere else a no-op."""
    event = getattr(_handing_off, "event", None)
    if event is not None:
        event.set()


class _Turn(Generic[R]):
    """A task submitted to ``Staggered``: ``handed_off`` is set once it no longer holds up the
    next task (it handed off, ended, or never started), ``failed`` first if it raised;
    ``cancel`` keeps it from starting."""

    def __init__(self) -> None:
        self.handed_off = threading.Event()
        self.cancelled = self.failed = False
        self.future: Future[R] | None = None

    def result(self) -> R:
        assert self.future is not None
        return self.future.result()

    def cancel(self) -> bool:
        self.cancelled = True
        return True


class Staggered(LocalBackend):
    """Each task runs in this process on a thread of its own, starting when the task before it
    calls ``hand_off`` (or ends): the next task reads and tokenizes while the one before drains
    its last batches and syncs its files to disk, instead of the cores waiting on the disk.
    At most two tasks overlap, and only in that tail; results come back in task order. A task
    whose predecessor failed, cancelled, or reached after ``close`` does not start."""

    workers = 1
    prefetch = 1

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._last: _Turn[Any] | None = None
        self._closing = threading.Event()

    def submit(self, fn: Callable[[T], R], task: T) -> TaskHandle[R]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="boostpack-task")
        before, turn = self._last, _Turn[R]()
        if before is not None and before.future is not None and before.future.done():
            before = None  # an earlier run's last task, finished
        self._last = turn

        def run() -> R:
            try:
                if before is not None:
                    before.handed_off.wait()
                if turn.cancelled or self._closing.is_set() or (before and before.failed):
                    raise CancelledError
                _handing_off.event = turn.handed_off
                try:
                    return fn(task)
                except BaseException:
                    turn.failed = True
                    raise
            finally:
                _handing_off.event = None
                turn.handed_off.set()

        turn.future = self._pool.submit(run)
        return turn

    def close(self) -> None:
        self._closing.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._last = None
        self._closing = threading.Event()


def exit_with_parent() -> None:
    """In a worker process: exit as soon as the process that started it dies.

    A pool worker waits on a queue whose write end it holds itself, so a parent killed with
    SIGKILL left its workers blocked forever. ``multiprocessing`` gives a spawned child the
    read end of a pipe only its parent holds open (``parent_process().sentinel``): a thread
    waits on it and ends the worker when it becomes readable. A wait, not a poll: no cost while
    the parent lives. (``PR_SET_PDEATHSIG`` is not used: it fires when the *thread* that
    started the worker ends, and a pool starts workers from whichever thread submits.)
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)  # no cleanup to run: outputs are temp files until renamed

    threading.Thread(target=watch, name="boostpack-parent-watch", daemon=True).start()


def _start_worker() -> None:
    """A local worker's start: it ends with its parent, and keeps freed memory as the
    ``boostpack`` command does (``runtime.allocator``)."""
    exit_with_parent()
    keep_freed_memory()


def _import_all(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker)


def _import_in_all(pool: ProcessPoolExecutor, workers: int, modules: Sequence[str]) -> None:
    """The pool spawns a worker per task submitted while none is idle, so ``workers`` imports
    start them all."""
    for _ in range(workers):
        pool.submit(_import_all, tuple(modules))


# Pools started by ``workers_started_early``, by size, until a LocalProcesses takes one.
_early: dict[int, ProcessPoolExecutor] = {}


@contextlib.contextmanager
def workers_started_early(workers: int, modules: Sequence[str]) -> Iterator[None]:
    """Spawn ``workers`` local processes importing ``modules`` for the block, in which this
    process imports and runs a stage: the first ``LocalProcesses`` of as many workers takes
    them over. Their start (~0.5 s of imports each) then overlaps this process's own imports
    (~0.4 s for dedup) instead of following them. A pool no stage took is shut down at the
    end of the block. For one worker (tasks run in this process) it does nothing."""
    if workers > 1 and workers not in _early:
        _early[workers] = pool = _new_pool(workers)
        _import_in_all(pool, workers, modules)
    try:
        yield
    finally:
        left = _early.pop(workers, None)
        if left is not None:
            left.shutdown(wait=False, cancel_futures=True)


class LocalProcesses(LocalBackend):
    """``workers`` processes on this machine, started on first use and reused until ``close``.

    Started with ``spawn`` (no inherited locks or threads, same behaviour on every OS), so a
    task's function must be importable at module top level. Spawning and importing numpy costs
    ~0.5 s per process, worth paying once per run rather than once per stage. Up to
    ``2 * workers`` tasks are submitted ahead, so workers never wait for the consumer while
    memory stays bounded by the task size, not the task count. Workers exit when this process
    dies (``exit_with_parent``), however it dies.
    """

    def __init__(self, workers: int) -> None:
        self.workers = check_workers(workers)
        self.prefetch = 2 * workers
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[[T], R], task: T) -> TaskHandle[R]:
        return self._started().submit(fn, task)

    def warm(self, modules: Sequence[str]) -> None:
        """Spawn every worker now and import ``modules`` there, while this process does a
        stage's serial start (listing and splitting inputs, dedup's boilerplate sample): the
        ~0.5 s each worker takes to start then overlaps it instead of delaying the first tasks."""
        _import_in_all(self._started(), self.workers, modules)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = _early.pop(self.workers, None) or _new_pool(self.workers)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
