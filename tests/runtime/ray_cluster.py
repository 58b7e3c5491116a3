"""A real local Ray cluster for the Ray backend's tests (``conftest.ray_cluster``): a head and a
second node, each started with ``ray start`` on 127.0.0.1, so tasks run in two separate
raylets.

Token authentication is on, with a token made for the session and given through the
environment, so nothing is written to ``~/.ray``. Every port is picked free, and Ray's temp
directory is the session's own, so another Ray on the machine is neither used nor disturbed.
Teardown is scoped the same way: ``ray stop`` would stop every Ray of this user on the
machine, so the fixture instead ends the two ``ray start --block`` process sessions (SIGTERM,
then SIGKILL after a grace period), which hold every process of this cluster: GCS, raylets,
agents and workers.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_START_TIMEOUT = 90.0
_GRACE = 2.0
# Ray's object store is unused by boostpack's tasks (results are small); keep it small.
_OBJECT_STORE = 100 << 20


def _ray_cli() -> str:
    """The ``ray`` command of this Python's Ray."""
    beside = Path(sys.executable).with_name("ray")
    return str(beside) if beside.exists() else shutil.which("ray") or "ray"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_ports() -> list[str]:
    """Every port a node opens, picked free (the defaults clash with another Ray here)."""
    return ["--node-manager-port", str(_free_port()), "--object-manager-port", str(_free_port()),
            "--dashboard-agent-listen-port", str(_free_port()),
            "--dashboard-agent-grpc-port", str(_free_port()),
            "--metrics-export-port", str(_free_port()),
            "--runtime-env-agent-port", str(_free_port())]


def _client_port() -> list[str]:
    """A free port for the Ray Client server, which runs where its dependency ``grpc`` is
    installed (``ray[client]``, ``ray[default]``); Ray refuses the option without it."""
    return (["--ray-client-server-port", str(_free_port())]
            if importlib.util.find_spec("grpc") else [])


def session_members(sessions: set[int]) -> list[int]:
    """Processes whose session id is in ``sessions`` (from ``/proc/<pid>/stat``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[3]) in sessions and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


@dataclass
class LocalRayCluster:
    """Address, environment (auth token) and processes of the session's cluster."""

    address: str
    env: dict[str, str]
    temp_dir: Path
    starters: list[subprocess.Popen[bytes]]

    @property
    def sessions(self) -> set[int]:
        return {p.pid for p in self.starters}  # started with start_new_session: sid == pid

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in session_members(self.sessions):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + _GRACE
            while session_members(self.sessions) and time.monotonic() < deadline:
                time.sleep(0.1)
        for p in self.starters:
            p.wait(timeout=_GRACE)
        left = session_members(self.sessions)
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        assert not left, f"Ray processes left behind: {left}"


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def _wait_for_port(port: int, cluster: LocalRayCluster) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline and cluster.starters[0].poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the test Ray head did not start: {_logs(cluster)}")


def _logs(cluster: LocalRayCluster) -> str:
    return "\n".join(p.read_text(errors="replace")[-2000:] for p in cluster.temp_dir.glob("*.log"))


def _wait_for_nodes(cluster: LocalRayCluster, count: int) -> None:
    """Until ``count`` nodes are alive (asked through ``ray status``, so this process stays
    free of a Ray connection)."""
    deadline = time.monotonic() + _START_TIMEOUT
    ray_cli = _ray_cli()
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in cluster.starters):
            break
        status = subprocess.run([ray_cli, "status", "--address", cluster.address],
                                env=cluster.env, capture_output=True, text=True)
        if status.returncode == 0 and status.stdout.count(" node_") >= count:
            return
        time.sleep(1.0)
    raise RuntimeError(f"the test Ray cluster did not start:\n{_logs(cluster)}")


def start_cluster(token: str) -> LocalRayCluster:
    """Head + one more node on 127.0.0.1, one CPU each, token authentication on with
    ``token``."""
    # Short path: Ray's socket paths live under it and must fit in 107 bytes.
    temp_dir = Path(tempfile.mkdtemp(prefix="bpray-", dir="/tmp"))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token,
           "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    env.pop("RAY_AUTH_TOKEN_PATH", None)
    ray_cli = _ray_cli()
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--block", "--node-ip-address", "127.0.0.1", "--num-cpus", "1",
              "--object-store-memory", str(_OBJECT_STORE), "--disable-usage-stats"]
    cluster = LocalRayCluster(address, env, temp_dir, [])
    try:
        cluster.starters.append(_start(
            [ray_cli, "start", "--head", "--port", str(port), "--temp-dir", str(temp_dir),
             "--include-dashboard", "false", "--dashboard-port", str(_free_port()),
             *_client_port(), *common, *_node_ports()], env, temp_dir / "head.log"))
        _wait_for_port(port, cluster)  # the head's GCS is up: the second node can join
        cluster.starters.append(_start([ray_cli, "start", "--address", address, *common,
                                        *_node_ports()], env, temp_dir / "node2.log"))
        _wait_for_nodes(cluster, 2)
    except BaseException:
        cluster.stop()
        raise
    return cluster
