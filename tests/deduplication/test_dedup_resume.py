"""Interrupted dedup runs resume: finished tasks are not redone, the result equals a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import boostpack.deduplication.pipeline as dd


def make_inputs(tmp: Path, files: int = 3, per_file: int = 400) -> list[Path]:
    paths = []
    for f in range(files):
        lines = []
        for i in range(per_file):
            k = (f * per_file + i) % (files * per_file // 2)  # every text twice overall
            words = " ".join(f"w{(k * 31 + j * 7) % 997}" for j in range(25))
            lines.append(orjson.dumps({"id": f"{f}-{i}", "question": f"item {words}", "answer": "yes"}))
        lines.append(b"{broken")
        p = tmp / f"in{f}.jsonl"
        p.write_bytes(b"\n".join(lines) + b"\n")
        paths.append(p)
    return paths


def tree(out: Path) -> dict[str, bytes]:
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    report = orjson.loads(files.pop("report.json"))
    report.pop("timings"), report.pop("mb_per_s"), report.pop("execution")
    files["report"] = orjson.dumps(report, option=orjson.OPT_SORT_KEYS)
    return files


class Calls:
    """Wraps a phase function: counts calls and raises on the ``fail_at``-th one (1-based)."""

    def __init__(self, fn: Any, fail_at: int | None = None) -> None:
        self.fn, self.fail_at, self.count = fn, fail_at, 0

    def __call__(self, *args: Any) -> Any:
        self.count += 1
        if self.count == self.fail_at:
            raise RuntimeError("injected failure")
        return self.fn(*args)


@pytest.mark.parametrize(("phase", "fail_at", "redone"), [
    ("sign_task", 3, {"sign_task": 1, "cluster": 1, "write_task": 3}),
    ("cluster", 1, {"sign_task": 0, "cluster": 1, "write_task": 3}),
    ("write_task", 2, {"sign_task": 0, "cluster": 0, "write_task": 2}),
])
def test_injected_failure_then_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str,
                                      fail_at: int, redone: dict[str, int]) -> None:
    inputs = make_inputs(tmp_path)
    dd.dedup(inputs, tmp_path / "clean", progress=False)
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        m.setattr(dd, phase, Calls(getattr(dd, phase), fail_at))
        with pytest.raises(RuntimeError, match="injected"):
            dd.dedup(inputs, out, progress=False)
    assert not (out / "report.json").exists()  # never looks complete
    calls = {name: Calls(getattr(dd, name)) for name in redone}
    for name, c in calls.items():
        monkeypatch.setattr(dd, name, c)
    dd.dedup(inputs, out, progress=False)
    assert {name: c.count for name, c in calls.items()} == redone
    assert tree(out) == tree(tmp_path / "clean")


def test_changed_options_start_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = make_inputs(tmp_path, files=2)
    with monkeypatch.context() as m:
        m.setattr(dd, "write_task", Calls(dd.write_task, 1))
        with pytest.raises(RuntimeError):
            dd.dedup(inputs, tmp_path / "out", progress=False)
    sign = Calls(dd.sign_task)
    monkeypatch.setattr(dd, "sign_task", sign)
    report = dd.dedup(inputs, tmp_path / "out", threshold=0.8, progress=False)
    assert sign.count == 2 and report["params"]["threshold"] == 0.8


def test_sigkill_mid_run_then_rerun_matches_clean_run(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_inputs(tmp_path, files=8, per_file=3000)]
    cmd = [sys.executable, "-m", "boostpack", "dedup", *inputs, "--workers", "1"]
    subprocess.run([*cmd, "-o", str(tmp_path / "clean")], check=True, capture_output=True)
    out = tmp_path / "out"
    proc = subprocess.Popen([*cmd, "-o", str(out)], stderr=subprocess.DEVNULL)
    markers = out / ".work" / "done-sign"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if markers.is_dir() and any(markers.glob("*.done")):
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "report.json").exists(), "the run finished before it could be killed"
    subprocess.run([*cmd, "-o", str(out)], check=True, capture_output=True)
    assert tree(out) == tree(tmp_path / "clean")


@pytest.mark.parametrize("phase", ["sign_task", "write_task"])
def test_resume_with_files_in_splits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str) -> None:
    """Several splits per file: a run failing midway resumes to the bytes of a clean run; so
    does one failing while it joins the parts into the output files."""
    inputs = make_inputs(tmp_path)
    opts: dict[str, Any] = {"frame_bytes": 4096, "split_bytes": 8192, "progress": False}
    with monkeypatch.context() as m:
        total = Calls(getattr(dd, phase))
        m.setattr(dd, phase, total)
        dd.dedup(inputs, tmp_path / "clean", **opts)
    assert total.count > 3 * 5
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        m.setattr(dd, phase, Calls(getattr(dd, phase), 5))
        with pytest.raises(RuntimeError, match="injected"):
            dd.dedup(inputs, out, **opts)
    calls = Calls(getattr(dd, phase))
    monkeypatch.setattr(dd, phase, calls)
    dd.dedup(inputs, out, **opts)
    assert calls.count == total.count - 4  # only the tasks not finished before the failure
    assert tree(out) == tree(tmp_path / "clean")
    # Failing while a file's parts are joined: split (its output half appended, in a temp
    # file that the failure removes), and unsplit (one part per file, renamed into place:
    # fail after the first file's renames). The bytes equal the clean run's.
    for name, fail_at, split in (("js", 2, opts), ("j", 4, {"frame_bytes": 4096, "progress": False})):
        with monkeypatch.context() as m:
            add = Calls(dd.PartJoin.add, fail_at)
            m.setattr(dd.PartJoin, "add", lambda join, part, add=add: add(join, part))
            with pytest.raises(RuntimeError, match="injected"):
                dd.dedup(inputs, tmp_path / name, **split)
        assert not list((tmp_path / name).rglob(".tmp-*"))
        dd.dedup(inputs, tmp_path / name, **split)
        assert tree(tmp_path / name) == tree(tmp_path / "clean")
