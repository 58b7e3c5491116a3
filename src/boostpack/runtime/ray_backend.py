"""A stage's tasks as Ray Core tasks on a cluster (``pip install 'boostpack[ray]'``).

Only the task crosses the network to a worker — a small frozen dataclass naming files, and the
task function by reference (module and name, so every node needs the same boostpack) — and
only its small JSON result comes back. Bulk data never enters Ray's object store: tasks read
their inputs from, and write their outputs to, storage that every node mounts at the same path
(NFS, a parallel file system, a FUSE-mounted bucket). ``check_shared`` proves that from a task
on each node before any work starts. Each task runs in the driver's working directory, so
relative paths mean on a worker what they mean on the driver (and outputs that record input
paths are byte-identical to a local run).

A task whose worker process or node dies is run again by Ray (``MAX_RETRIES``); tasks write
through temp files and renames, so a retried task gives the same bytes and a half-written file
never counts. An exception raised by the task itself is not retried: it is the data's fault and
would recur, so it propagates as itself (an ``InvalidInput`` stays an ``InvalidInput``).

Connecting: ``address`` if given, else ``$RAY_ADDRESS``, else a Ray started on this machine for
the run and stopped after it. A program already connected (``ray.init`` was called) keeps its
connection. Token authentication (Ray >= 2.52; on by default for clusters ``ray.init`` starts
since 2.59): the driver needs ``RAY_AUTH_MODE=token`` and the cluster's token
(``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``) to connect to a given
address; see docs/scale-out.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from boostpack.errors import ClusterError, InvalidInput
from boostpack.runtime.backends import check_workers

T = TypeVar("T")
R = TypeVar("R")

# Runs of a task after its worker or node died (Ray's own default, said out loud).
MAX_RETRIES = 3
# Each task asks Ray for one CPU: every stage task is one thread of Python or C, as in one
# local worker process.
CPUS_PER_TASK = 1


def run_in_driver_cwd(fn: Callable[[T], R], task: T, cwd: str) -> tuple[R, str, int | None]:
    """On a worker: ``fn(task)`` in the driver's working directory (when this node has it);
    returns the result, this node's id and the attempt number (0: first run)."""
    # Where this node lacks it, absolute paths still work; check_shared reports relative ones.
    with contextlib.suppress(OSError):
        os.chdir(cwd)
    result = fn(task)
    return result, _node_id(), _attempt_number()


def _node_id() -> str:
    import ray

    return str(ray.get_runtime_context().get_node_id())


def _attempt_number() -> int | None:
    """This task's attempt (0 first, 1 after one retry...), or None where Ray does not say.

    Ray has no public call for it; its core worker has had one through Ray 2.x.
    """
    try:
        from ray._private.worker import global_worker

        return int(global_worker.core_worker.get_current_task_attempt_number())
    except Exception:
        return None


def _cluster_error(err: BaseException, what: str) -> BaseException:
    """What a Ray failure of ``what`` becomes: the task's own exception when it raised one,
    else a ``ClusterError`` naming the failure."""
    import ray.exceptions

    if isinstance(err, ray.exceptions.RayTaskError):
        cause = getattr(err, "cause", None)
        if isinstance(cause, Exception):
            return cause
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return ClusterError(f"{what} failed on the Ray cluster after up to {MAX_RETRIES} retries "
                        f"({type(err).__name__}: {first})")


class RayTask:
    """A submitted task; ``result()`` waits for it and re-raises its failure."""

    def __init__(self, backend: RayBackend, ref: Any, name: str) -> None:
        self.backend, self.ref, self.name = backend, ref, name

    def result(self) -> Any:
        import ray
        import ray.exceptions

        try:
            value, node, attempt = ray.get(self.ref)
        except ray.exceptions.RayError as err:
            raise _cluster_error(err, f"task {self.name}") from err
        self.backend.record(node, attempt)
        return value

    def cancel(self) -> bool:
        import ray

        ray.cancel(self.ref)
        return True


class RayBackend:
    """Tasks on the Ray cluster at ``address`` (see the module docstring for the default).

    ``workers``: tasks in flight at once; default: the cluster's CPUs at the start (each task
    takes ``CPUS_PER_TASK``). ``$BOOSTPACK_WORKERS`` describes this machine, not the cluster,
    so it is not used here.
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise InvalidInput("backend 'ray' needs Ray: pip install 'boostpack[ray]'") from None
        if workers is not None:
            check_workers(workers)
        self._owner = not ray.is_initialized()
        if self._owner:
            _connect(address or os.environ.get("RAY_ADDRESS") or None, workers)
        try:
            cpus = int(ray.cluster_resources().get("CPU", 0))
        except BaseException:
            self.close()
            raise
        self.workers = workers if workers is not None else max(1, cpus // CPUS_PER_TASK)
        self.prefetch = 2 * self.workers
        self.cwd = os.getcwd()
        self.remote = ray.remote(run_in_driver_cwd)
        self.nodes: set[str] = set()
        self.retried: int | None = 0

    def submit(self, fn: Callable[[T], R], task: T) -> RayTask:
        ref = self.remote.options(
            num_cpus=CPUS_PER_TASK, max_retries=MAX_RETRIES, retry_exceptions=False,
            name=fn.__name__, scheduling_strategy="SPREAD",
        ).remote(fn, task, self.cwd)
        return RayTask(self, ref, fn.__name__)

    def record(self, node: str, attempt: int | None) -> None:
        """Note where a finished task ran and whether it needed a retry."""
        self.nodes.add(node)
        if attempt is None:
            self.retried = None
        elif self.retried is not None and attempt > 0:
            self.retried += 1

    def usage(self) -> dict[str, int | None]:
        return {"nodes": len(self.nodes), "retried": self.retried}

    def check_shared(self, read: Sequence[str], write_dir: str) -> None:
        from boostpack.runtime.ray_probe import check_shared

        check_shared(self.remote, self.cwd, read, write_dir)

    def warm(self, modules: Sequence[str]) -> None:
        """Nothing: Ray starts its workers when a task needs one, on its own schedule."""

    def close(self) -> None:
        if self._owner:
            import ray

            self._owner = False
            ray.shutdown()


def _connect(address: str | None, workers: int | None) -> None:
    """``ray.init`` for the run: to ``address``, or a new Ray on this machine (``"local"``:
    never an unrelated cluster found running here)."""
    import ray

    options: dict[str, Any] = {
        "log_to_driver": False,  # stdout is for data; task failures come back as exceptions
        "logging_level": logging.WARNING,
    }
    if address is None:
        options.update(address="local", include_dashboard=False)
        if workers is not None:
            options["num_cpus"] = workers * CPUS_PER_TASK
    else:
        options["address"] = address
    try:
        ray.init(**options)
    except Exception as err:
        raise ClusterError(_connect_failure(address, err)) from err


def _connect_failure(address: str | None, err: Exception) -> str:
    where = f"the Ray cluster at {address}" if address else "a local Ray"
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    text = f"cannot start or reach {where}: {type(err).__name__}: {first}"
    # A token the cluster wants and the driver lacks shows only as a failure to connect (the
    # reason goes to Ray's own log lines); Ray sends a token to a given address only when
    # RAY_AUTH_MODE=token says so.
    if address and os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
        text += ("; if the cluster uses token authentication (Ray >= 2.52; the default for "
                 "new clusters in recent releases), set RAY_AUTH_MODE=token and the cluster's "
                 "token in RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token")
    return text
