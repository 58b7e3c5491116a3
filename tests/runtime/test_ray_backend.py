"""The Ray backend on a real two-node local cluster (``conftest.ray_cluster``): dedup and pack
give the bytes of a local run on real QA; a worker killed mid-task is retried with the same
result; a driver killed mid-run resumes; files the workers cannot see are refused up front.

Skipped without Ray (``pip install 'boostpack[ray]'``); that its absence is a clear error is
checked in test_executor.py.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from ray_cluster import session_members

from boostpack.deduplication.pipeline import dedup
from boostpack.errors import InvalidInput
from boostpack.packing.pipeline import pack
from boostpack.runtime.outdir import RECORD_NAME

if importlib.util.find_spec("ray") is None:  # not imported here: see conftest.ray_cluster
    pytest.skip("Ray is not installed (pip install 'boostpack[ray]')", allow_module_level=True)

# Small frames and splits, so a few MB of real QA make several tasks per phase (output-changing
# for frame_bytes, so the local reference uses the same).
FRAME = 1 << 20
SETTINGS: dict[str, Any] = {"frame_bytes": FRAME, "split_bytes": 2 * FRAME,
                            "decontam_ngram": 13, "progress": False}


def _lines(corpora_dir: Path, start: int, stop: int) -> list[bytes]:
    with open(corpora_dir / "qa_en.jsonl.zst", "rb") as f:
        data = zstandard.ZstdDecompressor().stream_reader(f).read()
    return data.split(b"\n")[start:stop]


@pytest.fixture(scope="module")
def qa(corpora_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Real QA in three inputs (two plain, split into tasks; one ``.zst``, read whole), with
    overlaps (exact duplicates), and a reference file of lines from one of them."""
    d = tmp_path_factory.mktemp("qa")
    lines = _lines(corpora_dir, 0, 16000)
    (d / "a.jsonl").write_bytes(b"\n".join(lines[:7000]) + b"\n")
    (d / "b.jsonl").write_bytes(b"\n".join(lines[5000:12000]) + b"\n")
    (d / "c.jsonl.zst").write_bytes(zstandard.compress(b"\n".join(lines[11000:16000]) + b"\n"))
    (d / "ref.jsonl").write_bytes(b"\n".join(lines[3000:3200]) + b"\n")
    inputs = [str(d / "a.jsonl"), str(d / "b.jsonl"), str(d / "c.jsonl.zst")]
    local = d / "local"
    report = dedup(inputs, local, against=[str(d / "ref.jsonl")], workers=1, **SETTINGS)
    assert report["reasons"]["exact"] and report["reasons"]["contaminated"]
    return {"dir": d, "inputs": inputs, "against": [str(d / "ref.jsonl")], "local": local,
            "report": report}


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file but the report, by name: what must be byte-identical."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in ("report.json", RECORD_NAME)}


def same_result(report: dict[str, Any], local: dict[str, Any]) -> bool:
    """Reports equal but for how the run went (timings, workers, where tasks ran)."""
    def what(r: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in r.items() if k not in ("timings", "mb_per_s", "execution")}
        kept["params"] = {k: v for k, v in r["params"].items() if k != "workers"}
        return kept
    return what(report) == what(local)


def run_dedup(qa: dict[str, Any], out: Path, address: str, **kw: Any) -> dict[str, Any]:
    return dedup(qa["inputs"], out, against=qa["against"], backend="ray", ray_address=address,
                 **SETTINGS, **kw)


def test_dedup_on_ray_equals_local_byte_for_byte(qa, ray_cluster, tmp_path: Path) -> None:
    report = run_dedup(qa, tmp_path / "ray", ray_cluster.address)
    assert outputs(tmp_path / "ray") == outputs(qa["local"])
    assert same_result(report, qa["report"])
    run = report["execution"]
    assert run["backend"] == "ray" and run["nodes"] == 2  # both raylets ran tasks
    assert run["workers"] == 2 and run["retried"] == 0 and run["resumed"] == 0
    assert run["tasks"] > 30  # sign, band and write tasks all went through the cluster
    assert orjson.loads((tmp_path / "ray" / "report.json").read_bytes())["execution"] == run
    assert not (tmp_path / "ray" / ".work").exists()
    assert not [p for p in (tmp_path / "ray").iterdir() if p.name.startswith(".tmp-")]


def _tasks_running(sessions: set[int], names: tuple[bytes, ...]) -> list[int]:
    """Ray workers of the test cluster now running a task named in ``names`` (Ray sets the
    process title to ``ray::<task name>`` while a task runs)."""
    found = []
    for pid in session_members(sessions):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(names):
            found.append(pid)
    return found


def test_worker_killed_mid_task_is_retried_with_identical_output(qa, ray_cluster,
                                                                 tmp_path: Path) -> None:
    killed: list[int] = []
    stop = threading.Event()

    def kill_one_task() -> None:
        seen: dict[int, int] = {}
        while not stop.is_set() and not killed:
            for pid in _tasks_running(ray_cluster.sessions, (b"ray::sign_task", b"ray::write_task")):
                seen[pid] = seen.get(pid, 0) + 1
                if seen[pid] >= 3:  # running for a few polls: mid-task, not finishing
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.002)

    killer = threading.Thread(target=kill_one_task)
    killer.start()
    try:
        report = run_dedup(qa, tmp_path / "ray", ray_cluster.address)
    finally:
        stop.set()
        killer.join()
    assert killed, "no task was caught running"
    assert report["execution"]["retried"] >= 1
    assert outputs(tmp_path / "ray") == outputs(qa["local"])
    assert same_result(report, qa["report"])


def test_driver_killed_mid_run_then_rerun_resumes(qa, ray_cluster, tmp_path: Path) -> None:
    out = tmp_path / "ray"
    # The API in a child process (the CLI has no flags for the frame and split sizes).
    code = ("from boostpack.deduplication.pipeline import dedup; "
            f"dedup({qa['inputs']!r}, {str(out)!r}, against={qa['against']!r}, backend='ray', "
            f"ray_address={ray_cluster.address!r}, frame_bytes={FRAME}, split_bytes={2 * FRAME}, "
            "decontam_ngram=13, progress=False)")
    driver = subprocess.Popen([sys.executable, "-c", code], env=ray_cluster.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    markers = out / ".work" / "done-sign"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        if len(list(markers.glob("*.done"))) >= 3:
            break
        time.sleep(0.01)
    assert driver.poll() is None, driver.stderr.read().decode() if driver.stderr else ""
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    driver.stderr.close()
    assert not (out / "report.json").exists()  # a killed run never looks complete
    report = run_dedup(qa, out, ray_cluster.address)
    assert report["execution"]["resumed"] >= 3  # finished tasks were not redone
    assert outputs(out) == outputs(qa["local"])
    assert same_result(report, qa["report"])


def test_cli_options_reach_ray(qa, ray_cluster, tmp_path: Path) -> None:
    """``--backend ray --ray-address`` from the command line (default frame size: compared
    with a local CLI run)."""
    args = [*qa["inputs"][:2], "--against", *qa["against"], "--decontam-ngram", "13", "--json",
            "--quiet"]
    runs = {}
    for name, extra in (("local", ["--workers", "1"]),
                        ("ray", ["--backend", "ray", "--ray-address", ray_cluster.address])):
        done = subprocess.run([sys.executable, "-m", "boostpack", "dedup", *args, "-o",
                               str(tmp_path / name), *extra], env=ray_cluster.env,
                              capture_output=True, check=True)
        runs[name] = orjson.loads(done.stdout)
        assert b"read+sign" not in done.stderr  # --quiet
    assert runs["ray"]["execution"]["backend"] == "ray"
    assert b"ray: " in done.stderr and b"2 node(s)" in done.stderr
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")


def test_pack_on_ray_equals_local_byte_for_byte(qa, ray_cluster, tmp_path: Path,
                                                llama3_tokenizer_path: Path) -> None:
    """pack's tasks (read, tokenize, pack, write: here 256 KB of input each) run on the
    cluster's two nodes; the shards, index, document table and manifest are a local run's."""
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=1024, progress=False,
              task_bytes="256K")
    local = pack(qa["inputs"], tmp_path / "local", workers=1, **kw)
    ray = pack(qa["inputs"], tmp_path / "ray", backend="ray", ray_address=ray_cluster.address,
               **kw)
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")
    assert (tmp_path / "ray" / "manifest.json").read_bytes() == \
        (tmp_path / "local" / "manifest.json").read_bytes()
    assert ray["execution"]["tasks"] == ray["tasks"] > 3 and ray["execution"]["nodes"] == 2
    assert ray["tokens"] == local["tokens"]


def _ray_version() -> tuple[int, ...]:
    import ray

    return tuple(int(x) for x in ray.__version__.split(".")[:2])


def _only_here(fd: int, target: int) -> str:
    """A path that names an open file or directory in this process only: each Ray worker
    resolves ``/proc/self/fd/N`` in its own process, where fd ``target`` is not open. The
    stand-in for storage that is not shared with the nodes."""
    os.dup2(fd, target)
    os.close(fd)
    return f"/proc/self/fd/{target}"


def test_files_the_workers_cannot_see_are_refused_before_any_work(qa, ray_cluster,
                                                                  tmp_path: Path) -> None:
    hidden_input = _only_here(os.open(qa["inputs"][0], os.O_RDONLY), 900)
    (tmp_path / "outputs").mkdir()
    hidden_dir = _only_here(os.open(tmp_path / "outputs", os.O_RDONLY), 901)
    try:
        with pytest.raises(InvalidInput, match="do not see") as info:
            dedup([hidden_input, qa["inputs"][1]], tmp_path / "out", backend="ray",
                  ray_address=ray_cluster.address, progress=False)
        assert info.value.args[0].count(hidden_input) == 2  # named once per node
        assert not (tmp_path / "out" / ".work").exists()  # refused before any work
        with pytest.raises(InvalidInput, match="not the driver's directory"):
            dedup(qa["inputs"][1:2], f"{hidden_dir}/out", backend="ray",
                  ray_address=ray_cluster.address, progress=False)
        assert sorted(os.listdir(tmp_path / "outputs")) == ["out"]  # no probe file left
    finally:
        os.close(900)
        os.close(901)


def test_relative_paths_mean_the_drivers(qa, ray_cluster, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks run in the driver's working directory: relative inputs and output work, and
    the removed records name the inputs as given, as in a local run."""
    monkeypatch.chdir(qa["dir"])
    names = [os.path.basename(p) for p in qa["inputs"][:2]]
    plain = {k: v for k, v in SETTINGS.items() if k != "decontam_ngram"}
    local = dedup(names, tmp_path / "local", workers=1, **plain)
    out = os.path.relpath(tmp_path / "ray")
    ray = dedup(names, out, backend="ray", ray_address=ray_cluster.address, **plain)
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")
    assert ray["inputs"] == local["inputs"] == names


def test_without_an_address_a_local_ray_is_started_for_the_run(qa, ray_cluster,
                                                               tmp_path: Path) -> None:
    small = qa["inputs"][2:]
    local = dedup(small, tmp_path / "local", workers=1, progress=False)
    report = dedup(small, tmp_path / "ray", backend="ray", workers=1, progress=False)
    assert report["execution"]["nodes"] == 1 and report["execution"]["workers"] == 1
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")
    assert same_result(report, local)


def test_missing_token_says_what_to_set(qa, ray_cluster, tmp_path: Path) -> None:
    if _ray_version() < (2, 52):
        pytest.skip("token authentication came with Ray 2.52")
    env = {k: v for k, v in ray_cluster.env.items() if not k.startswith("RAY_AUTH")}
    env["HOME"] = str(tmp_path)  # no ~/.ray/auth_token either
    # Ray's connection attempts (20 by default, a second each), fewer: a test-only knob.
    env.update(RAY_NUM_REDIS_GET_RETRIES="3", RAY_gcs_server_port_wait_time_s="3")
    done = subprocess.run([sys.executable, "-m", "boostpack", "dedup", qa["inputs"][2], "-o",
                           str(tmp_path / "out"), "--backend", "ray", "--ray-address",
                           ray_cluster.address], env=env, capture_output=True, timeout=180)
    assert done.returncode == 1
    last = done.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("boostpack dedup: error: cannot start or reach the Ray cluster")
    assert "RAY_AUTH_MODE=token" in last
