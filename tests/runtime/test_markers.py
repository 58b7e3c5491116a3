"""A damaged task completion marker is CorruptData naming the file, through the API and the
command line; never a raw JSON error."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from boostpack.errors import CorruptData
from boostpack.runtime.executor import TaskRunner


def double(x: int) -> int:
    return 2 * x


@pytest.mark.parametrize("damage", [b"", b"{\"res", b"[1, 2]", b"{\"value\": 4}"])
def test_a_damaged_marker_is_corrupt_data(tmp_path: Path, damage: bytes) -> None:
    with TaskRunner() as runner:
        assert list(runner.run(double, [1, 2, 3], tmp_path)) == [2, 4, 6]
    marker = sorted(tmp_path.glob("*.done"))[1]
    marker.write_bytes(damage)
    with TaskRunner() as runner, pytest.raises(CorruptData) as info:
        list(runner.run(double, [1, 2, 3], tmp_path))
    assert str(info.value).startswith(f"{marker}: damaged task completion marker (")
    assert "\n" not in str(info.value)


def test_a_damaged_dedup_marker_is_one_line_at_the_command_line(qa_inputs: list[str],
                                                               tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Stopped after the read+sign phase: its markers stay for the rerun to resume from.
    held = [sys.executable, str(Path(__file__).with_name("hold_stage.py")),
            "boostpack.deduplication.pipeline", "_cluster_once", str(tmp_path / "ready"),
            str(tmp_path / "never")]
    first = subprocess.Popen([*held, "dedup", *qa_inputs, "-o", str(out)])
    try:
        while not (tmp_path / "ready").exists():
            assert first.poll() is None
            time.sleep(0.02)
    finally:
        first.kill()
        first.wait()
    marker = sorted((out / ".work" / "done-sign").glob("*.done"))[0]
    marker.write_bytes(b"\x00garbage")
    rerun = subprocess.run([sys.executable, "-m", "boostpack", "dedup", *qa_inputs, "-o", str(out)],
                           capture_output=True, text=True)
    assert rerun.returncode == 1
    assert rerun.stderr.startswith(f"boostpack dedup: error: {marker}: damaged task completion "
                                   "marker (JSONDecodeError: ")
    assert rerun.stderr.count("\n") == 1
