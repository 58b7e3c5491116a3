"""Run a stage's independent tasks, resumably, on one of the backends (``runtime.backends``).

A task is a picklable value handed to a top-level function ``fn(task) -> result``. The function
writes its bulk output to files itself (through ``atomic_write``, so each file is either absent or
complete) and returns a small JSON-serializable result. Once it returns, the executor writes a
completion marker holding that result; a rerun over the same ``state_dir`` skips every task whose
marker exists and yields the stored result instead. The order is therefore: output renamed into
place, then marker — a kill at any moment leaves either a finished task or one that is redone.

Results come back in task order whatever the backend and worker count, and since every task is
computed by the same function on the same input, outputs are byte-identical across ``workers``
values. The ordering, markers and cancellation live here, once; a backend only runs tasks.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from pathlib import Path
from typing import Any, TypeVar

import orjson

from boostpack.errors import CorruptData, InvalidInput
from boostpack.runtime.atomic import atomic_write
from boostpack.runtime.backends import Backend, InProcess, LocalProcesses, TaskHandle, check_workers
from boostpack.runtime.console import Progress

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
    return check_workers(workers)


def task_fingerprint(task: Any) -> str:
    """A stable name for a task's marker: changing the task's description invalidates it."""
    return hashlib.sha256(repr(task).encode()).hexdigest()[:16]


def _marker_path(state_dir: Path, index: int, task: Any) -> Path:
    return state_dir / f"{index:06d}-{task_fingerprint(task)}.done"


def _load_marker(path: Path) -> tuple[bool, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False, None
    try:
        return True, orjson.loads(data)["result"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as err:
        raise CorruptData(f"{path}: damaged task completion marker ({type(err).__name__}: "
                          f"{err}); delete it to redo the task") from None


def _write_marker(path: Path, result: Any) -> None:
    with atomic_write(path, "wb") as f:
        f.write(orjson.dumps({"result": result}))


# (marker path, finished by an earlier run, its stored result, the running task, its weight)
_Pending = tuple[Path | None, bool, Any, TaskHandle[Any] | None, int]

# The names of ``open_runner``'s backends.
BACKENDS = ("local", "ray")


class TaskRunner:
    """Runs stages of tasks on one backend, started once and reused by every stage.

    ``workers=1`` runs in this process (easy to debug and profile); ``workers>1`` uses that many
    local processes, started on first use. Or give a ``backend`` instead (see
    ``runtime.backends``; ``open_runner`` picks one by name). Use as a context manager: leaving
    it closes the backend. ``progress``: show each ``run`` on stderr (``runtime.console``; None:
    unless ``--quiet``), named ``label`` and the task function's name, or ``run``'s ``desc``.
    """

    def __init__(self, workers: int = 1, *, backend: Backend | None = None,
                 progress: bool | None = False, label: str = "") -> None:
        if backend is None:
            backend = InProcess() if check_workers(workers) == 1 else LocalProcesses(workers)
        elif workers != 1:
            raise InvalidInput("give TaskRunner a worker count or a backend, not both")
        self.backend = backend
        self.progress, self.label = progress, label
        self._ran = self._resumed = 0

    @property
    def workers(self) -> int:
        """Tasks that run at once."""
        return self.backend.workers

    def __enter__(self) -> TaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    def warm(self, *modules: str) -> None:
        """Start the backend's workers now, importing ``modules``, while this process goes on
        with a stage's serial start (see ``LocalProcesses.warm``)."""
        self.backend.warm(modules)

    def check_shared(self, read: Sequence[str | os.PathLike[str]],
                     write_dir: str | os.PathLike[str]) -> None:
        """Refuse, before any work, input files the workers cannot read or an output directory
        (which must exist) they cannot write: nothing on one machine, a probe on each node of a
        cluster."""
        self.backend.check_shared([os.fspath(p) for p in read], os.fspath(write_dir))

    def usage(self) -> dict[str, Any]:
        """Where this runner's tasks ran, for a report: backend, workers, tasks run and found
        done by an earlier run (``resumed``), tasks retried after a worker died, nodes used."""
        return {"backend": self.backend.name, "workers": self.workers, "tasks": self._ran,
                "resumed": self._resumed, **self.backend.usage()}

    def run(self, fn: Callable[[T], R], tasks: Iterable[T],
            state_dir: str | os.PathLike[str] | None = None, *, desc: str | None = None,
            weight: Callable[[T], int] | None = None) -> Iterator[R]:
        """Yield ``fn(task)`` for every task, in task order.

        The backend's ``prefetch`` bounds the tasks in flight, so memory stays bounded by the
        task size, not the task count. With ``state_dir`` set, finished tasks leave a marker
        there and are skipped by a rerun (their stored result is yielded); results must then be
        JSON-serializable. A failing task re-raises its exception here; tasks not yet started
        are cancelled, and the finished ones keep their markers. Progress counts tasks (of
        ``len(tasks)`` when it has one) and, with ``weight`` (a task's input bytes), MB.
        """
        state = Path(state_dir) if state_dir is not None else None
        if state is not None:
            state.mkdir(parents=True, exist_ok=True)
        bar = self._progress(fn, tasks, desc, weight)
        window: deque[_Pending] = deque()
        try:
            for i, task in enumerate(tasks):
                marker = _marker_path(state, i, task) if state is not None else None
                done, result = _load_marker(marker) if marker is not None else (False, None)
                handle = None if done else self.backend.submit(fn, task)
                size = weight(task) if weight is not None and bar is not None else 0
                window.append((marker, done, result, handle, size))
                while len(window) > self.backend.prefetch or (window and window[0][1]):
                    yield self._finish(window.popleft(), bar)
            while window:
                yield self._finish(window.popleft(), bar)
        except BaseException:
            for _, _, _, handle, _ in window:
                if handle is not None:
                    handle.cancel()
            raise
        finally:
            if bar is not None:
                bar.close()

    def _progress(self, fn: Callable[..., Any], tasks: Iterable[Any], desc: str | None,
                  weight: Callable[[Any], int] | None) -> Progress | None:
        """The progress line of one ``run`` (None: off, or nothing to run)."""
        total = len(tasks) if isinstance(tasks, Sized) else None
        if self.progress is False or total == 0:
            return None
        if desc is None:
            desc = f"{self.label}: {fn.__name__}" if self.label else fn.__name__
        total_bytes = sum(map(weight, tasks)) if weight is not None and total else None
        return Progress(desc, total, "tasks", total_bytes=total_bytes, enabled=self.progress)

    def _finish(self, entry: _Pending, bar: Progress | None) -> Any:
        marker, done, result, handle, size = entry
        if done or handle is None:
            self._resumed += 1
            if bar is not None:
                bar.skip(1, size)
            return result
        result = handle.result()
        if marker is not None:
            _write_marker(marker, result)
        self._ran += 1
        if bar is not None:
            bar.update(1, size)
        return result


def open_runner(backend: str = "local", workers: int | None = None, *,
                ray_address: str | None = None, progress: bool | None = False,
                label: str = "") -> TaskRunner:
    """The ``TaskRunner`` a stage's ``backend=`` setting names: ``local`` (``workers``
    processes on this machine, default ``resolve_workers``) or ``ray`` (Ray Core tasks on the
    cluster at ``ray_address``, else ``$RAY_ADDRESS``, else a Ray started for the run; see
    ``runtime.ray_backend``). Neither changes what a stage writes."""
    check_backend(backend, ray_address)
    if backend == "ray":
        from boostpack.runtime.ray_backend import RayBackend

        return TaskRunner(backend=RayBackend(workers, ray_address), progress=progress,
                          label=label)
    return TaskRunner(resolve_workers(workers), progress=progress, label=label)


def check_backend(backend: str, ray_address: str | None) -> None:
    """``InvalidInput`` unless ``backend`` is one of ``BACKENDS`` and ``ray_address`` comes
    only with ``ray``."""
    if backend not in BACKENDS:
        raise InvalidInput(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if ray_address is not None and backend != "ray":
        raise InvalidInput("ray_address needs backend='ray'")


def run_tasks(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    workers: int = 1,
    state_dir: str | os.PathLike[str] | None = None,
) -> Iterator[R]:
    """One stage on its own ``TaskRunner``: ``fn(task)`` for every task, in task order."""
    with TaskRunner(workers) as runner:
        yield from runner.run(fn, tasks, state_dir)
