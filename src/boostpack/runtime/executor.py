"""Run a stage's independent tasks in-process or on local worker processes, resumably.

A task is a picklable value handed to a top-level function ``fn(task) -> result``. The function
writes its bulk output to files itself (through ``atomic_write``, so each file is either absent or
complete) and returns a small JSON-serializable result. Once it returns, the executor writes a
completion marker holding that result; a rerun over the same ``state_dir`` skips every task whose
marker exists and yields the stored result instead. The order is therefore: output renamed into
place, then marker — a kill at any moment leaves either a finished task or one that is redone.

Results come back in task order whatever the worker count, and since every task is computed by
the same function on the same input, outputs are byte-identical across ``workers`` values.
Workers are started with ``spawn`` (no inherited locks or threads, same behaviour on every OS),
so ``fn`` must be importable at module top level.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import orjson

from boostpack.errors import InvalidInput
from boostpack.runtime.atomic import atomic_write

T = TypeVar("T")
R = TypeVar("R")


def resolve_workers(workers: int | None) -> int:
    """``workers`` when given, else ``$BOOSTPACK_WORKERS``, else every core of this machine.

    The variable lets a job scheduler's core allocation reach every stage without flags.
    """
    if workers is None:
        env = os.environ.get("BOOSTPACK_WORKERS", "").strip()
        if not env:
            return os.cpu_count() or 1
        if not env.isdigit() or int(env) < 1:
            raise InvalidInput(f"BOOSTPACK_WORKERS must be a positive integer, got {env!r}")
        return int(env)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InvalidInput(f"workers must be a positive integer, got {workers!r}")
    return workers


def task_fingerprint(task: Any) -> str:
    """A stable name for a task's marker: changing the task's description invalidates it."""
    return hashlib.sha256(repr(task).encode()).hexdigest()[:16]


def _marker_path(state_dir: Path, index: int, task: Any) -> Path:
    return state_dir / f"{index:06d}-{task_fingerprint(task)}.done"


def _load_marker(path: Path) -> tuple[bool, Any]:
    try:
        return True, orjson.loads(path.read_bytes())["result"]
    except FileNotFoundError:
        return False, None


def _write_marker(path: Path, result: Any) -> None:
    with atomic_write(path, "wb") as f:
        f.write(orjson.dumps({"result": result}))


class TaskRunner:
    """Runs stages of tasks on one set of workers, started once and reused by every stage.

    ``workers=1`` runs in this process (easy to debug and profile); ``workers>1`` uses that many
    spawned processes, started on first use (spawning and importing numpy costs ~0.5 s per
    process, worth paying once per run rather than once per stage). Use as a context manager.
    """

    def __init__(self, workers: int = 1) -> None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise InvalidInput(f"workers must be a positive integer, got {workers!r}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> TaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(self, fn: Callable[[T], R], tasks: Iterable[T],
            state_dir: str | os.PathLike[str] | None = None) -> Iterator[R]:
        """Yield ``fn(task)`` for every task, in task order.

        At most ``2 * workers`` tasks are in flight, so memory stays bounded by the task size,
        not the task count. With ``state_dir`` set, finished tasks leave a marker there and are
        skipped by a rerun (their stored result is yielded); results must then be
        JSON-serializable. A failing task re-raises its exception here; tasks not yet started
        are cancelled, and the finished ones keep their markers.
        """
        state = Path(state_dir) if state_dir is not None else None
        if state is not None:
            state.mkdir(parents=True, exist_ok=True)

        def pending() -> Iterator[tuple[Path | None, bool, Any, T]]:
            for i, task in enumerate(tasks):
                marker = _marker_path(state, i, task) if state is not None else None
                done, result = _load_marker(marker) if marker is not None else (False, None)
                yield marker, done, result, task

        if self.workers == 1:
            for marker, done, result, task in pending():
                if not done:
                    result = fn(task)
                    if marker is not None:
                        _write_marker(marker, result)
                yield result
            return

        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                             mp_context=multiprocessing.get_context("spawn"))
        window: deque[tuple[Path | None, bool, Any, Future[R] | None]] = deque()
        try:
            for marker, done, result, task in pending():
                window.append((marker, done, result, None if done else self._pool.submit(fn, task)))
                while len(window) > 2 * self.workers or (window and window[0][1]):
                    yield _finish(window.popleft())
            while window:
                yield _finish(window.popleft())
        except BaseException:
            for _, _, _, fut in window:
                if fut is not None:
                    fut.cancel()
            raise


def run_tasks(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    workers: int = 1,
    state_dir: str | os.PathLike[str] | None = None,
) -> Iterator[R]:
    """One stage on its own ``TaskRunner``: ``fn(task)`` for every task, in task order."""
    with TaskRunner(workers) as runner:
        yield from runner.run(fn, tasks, state_dir)


def _finish(entry: tuple[Path | None, bool, Any, Future[Any] | None]) -> Any:
    marker, done, result, fut = entry
    if done or fut is None:
        return result
    result = fut.result()
    if marker is not None:
        _write_marker(marker, result)
    return result
