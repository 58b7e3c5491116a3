"""Before a Ray run: prove, from a task on every node, that the workers see the driver's files.

A cluster whose nodes do not share the input or output storage would otherwise fail task by
task, or worse, write outputs where the driver never looks. So before any work the driver
writes a probe file with a random token into the output directory and runs one task pinned
to each node that can run tasks. The task checks that every input file is there and readable
with the size the driver sees, that the probe file holds the same token (the same storage, not
a same-named local directory), and writes a file of its own that the driver must then see. It
also reports the node's boostpack and Python versions, which must match the driver's: tasks
are sent as references to boostpack's functions.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boostpack._version import __version__
from boostpack.errors import ClusterError, InvalidInput
from boostpack.runtime.atomic import TMP_PREFIX, atomic_write

# Seconds to wait for every node's probe: a node starts a worker process and imports numpy.
PROBE_TIMEOUT = 300
_SHOWN = 5  # problems listed in the error, per node


@dataclass(frozen=True)
class Probe:
    """What a node checks: ``read`` files with their sizes on the driver; the ``probe`` file
    holding ``token`` in ``write_dir``; the file it writes back is ``probe + "." + node``;
    ``cwd``, the driver's working directory, against which relative paths are read."""

    read: tuple[tuple[str, int], ...]
    write_dir: str
    probe: str
    token: str
    cwd: str


def probe_node(probe: Probe) -> dict[str, Any]:
    """On a worker: the problems this node has with the driver's files, and its versions."""
    import ray

    node = str(ray.get_runtime_context().get_node_id())
    problems = [p for path, size in probe.read if (p := _read_problem(path, size))]
    relative = [p for p, _ in probe.read if not os.path.isabs(p)] + (
        [] if os.path.isabs(probe.write_dir) else [probe.write_dir])
    if relative and os.getcwd() != probe.cwd:
        problems.insert(0, f"the driver's working directory {probe.cwd} is missing here, and "
                        f"relative paths ({relative[0]}, ...) are read from it")
    problem = _write_problem(probe, node)
    if problem:
        problems.append(problem)
    return {"node": node, "problems": problems, "boostpack": __version__,
            "python": list(sys.version_info[:2])}


def _write_problem(probe: Probe, node: str) -> str | None:
    """Whether ``write_dir`` is the driver's (it holds the driver's probe file) and writable
    (this node's own probe file). Nothing is created where it is not the driver's."""
    try:
        with open(probe.probe, encoding="ascii") as f:
            same = f.read() == probe.token
    except OSError as err:
        return (f"{probe.write_dir}: not the driver's directory ({err.strerror} reading the "
                "driver's probe file)")
    if not same:
        return (f"{probe.write_dir}: another directory than the driver's (its probe file "
                "holds something else)")
    try:
        with atomic_write(f"{probe.probe}.{node}", "w") as f:
            f.write(probe.token)
    except OSError as err:
        return f"{probe.write_dir}: cannot write there ({err.strerror})"
    return None


def _read_problem(path: str, size: int) -> str | None:
    try:
        st = os.stat(path)
    except OSError as err:
        return f"{path}: {err.strerror}"
    if st.st_size != size:
        return f"{path}: {st.st_size:,} bytes here, {size:,} on the driver (another file)"
    if not os.access(path, os.R_OK):
        return f"{path}: not readable"
    return None


def check_shared(remote: Any, cwd: str, read: Sequence[str], write_dir: str) -> None:
    """Run ``probe_node`` (through ``remote``, the backend's task wrapper, in the driver's
    ``cwd``) on every node with a CPU; raise ``InvalidInput`` naming each node's problems, or
    ``ClusterError`` when a node cannot run a boostpack task at all."""
    import ray

    nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= 1]
    token = secrets.token_hex(16)
    probe_path = os.path.join(write_dir, f"{TMP_PREFIX}probe-{token}")
    with atomic_write(probe_path, "w") as f:
        f.write(token)
    probe = Probe(tuple((p, os.path.getsize(p)) for p in read), write_dir, probe_path, token, cwd)
    try:
        replies = _probe_all(remote, cwd, probe, nodes)
        errors = []
        for node, reply in zip(nodes, replies, strict=True):
            where = f"Ray node {node.get('NodeManagerAddress', '?')} ({reply['node'][:12]})"
            problems = reply["problems"]
            if not os.path.exists(f"{probe_path}.{reply['node']}") and not problems:
                problems.append(f"{write_dir}: what this node writes there does not reach the driver")
            errors += _version_problems(where, reply)
            if problems:
                more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
                errors.append(f"{where}: " + "; ".join(problems[:_SHOWN]) + more)
    finally:
        for p in Path(write_dir).glob(f"{TMP_PREFIX}probe-{token}*"):
            p.unlink(missing_ok=True)
    if errors:
        raise InvalidInput("the Ray workers do not see the run's files as the driver does; "
                           "inputs and the output directory must be on storage every node "
                           "mounts at the same path: " + " | ".join(errors))


def _probe_all(remote: Any, cwd: str, probe: Probe, nodes: list[dict[str, Any]]) -> list[Any]:
    import ray
    import ray.exceptions
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    refs = [remote.options(num_cpus=0, name="probe_node", scheduling_strategy=(
        NodeAffinitySchedulingStrategy(node_id=n["NodeID"], soft=False))).remote(
            probe_node, probe, cwd) for n in nodes]
    try:
        return [reply for reply, _, _ in ray.get(refs, timeout=PROBE_TIMEOUT)]
    except ray.exceptions.GetTimeoutError:
        for ref in refs:
            ray.cancel(ref)
        raise ClusterError(
            f"not every Ray node answered a probe task within {PROBE_TIMEOUT} s") from None
    except ray.exceptions.RayError as err:
        raise ClusterError(
            "a Ray node could not run a boostpack task (every node needs the same Python "
            f"environment with boostpack installed): {type(err).__name__}: "
            f"{str(err).strip().splitlines()[-1] if str(err).strip() else ''}") from err


def _version_problems(where: str, reply: dict[str, Any]) -> list[str]:
    mine = list(sys.version_info[:2])
    if reply["boostpack"] != __version__ or reply["python"] != mine:
        return [f"{where}: boostpack {reply['boostpack']} on Python "
                f"{'.'.join(map(str, reply['python']))}, the driver runs boostpack {__version__} "
                f"on Python {'.'.join(map(str, mine))}"]
    return []
