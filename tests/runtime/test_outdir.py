"""runtime.outdir: one run per output directory (a real second process), and what a stage may
replace (the ownership table of the module docstring, case by case)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boostpack.errors import InvalidInput, OutputInUse
from boostpack.runtime.outdir import LOCK_NAME, RECORD_NAME, StageOutput, claim, file_states

TOY = StageOutput("toy", finished="done.json", names=("data", "done.json"))
RESUMING = StageOutput("toy", finished="done.json", names=("data", "done.json"), resumes=True)

HOLDER = """
import pathlib, sys, time
from boostpack.runtime.outdir import StageOutput, claim
stage = StageOutput("toy", finished="done.json", names=("data", "done.json"))
with claim(sys.argv[1], stage=stage, fingerprint={"run": 1}):
    pathlib.Path(sys.argv[2]).touch()
    time.sleep(120)
"""


def wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "the holder exited early"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def finish(out: Path, stage: StageOutput = TOY, fingerprint: object = None) -> None:
    """A finished toy run: its data, then its finished file."""
    with claim(out, stage=stage, fingerprint=fingerprint or {"run": 1}):
        (out / "data").mkdir()
        (out / "data" / "part-0").write_text("rows")
        (out / "done.json").write_text("{}")


def test_a_second_process_is_refused_at_once_and_a_killed_holder_leaves_no_lock(
        tmp_path: Path) -> None:
    out, ready = tmp_path / "out", tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out), str(ready)])
    try:
        wait_for(ready, holder)
        started = time.monotonic()
        with pytest.raises(OutputInUse) as info, claim(out, stage=TOY, fingerprint={"run": 1}):
            pass
        assert str(info.value) == f"{out} is in use by another boostpack run (pid {holder.pid})"
        assert time.monotonic() - started < 5  # refused, not waited for
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (out / LOCK_NAME).exists()  # what the killed run left: a file, but no lock
    with claim(out, stage=TOY, fingerprint={"run": 1}) as resume:
        assert not resume
        assert (out / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    assert not (out / LOCK_NAME).exists()


def test_the_same_process_cannot_claim_twice(tmp_path: Path) -> None:
    with claim(tmp_path, stage=TOY, fingerprint={}), pytest.raises(OutputInUse), \
            claim(tmp_path, stage=TOY, fingerprint={}):
        pass


def test_a_file_is_not_an_output_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InvalidInput, match="not a directory"), \
            claim(tmp_path / "f", stage=TOY, fingerprint={}):
        pass


def test_a_users_folder_is_refused_even_with_overwrite(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "data").mkdir()
    for overwrite in (False, True):
        with pytest.raises(InvalidInput, match=r"did not write \(notes\.txt\)"), \
                claim(tmp_path, stage=TOY, fingerprint={}, overwrite=overwrite):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "notes.txt"]


def test_another_stages_output_is_refused(tmp_path: Path) -> None:
    finish(tmp_path, StageOutput("other", finished="done.json", names=("data", "done.json")))
    for overwrite in (False, True):
        with pytest.raises(InvalidInput, match="holds a boostpack other output"), \
                claim(tmp_path, stage=TOY, fingerprint={"run": 1}, overwrite=overwrite):
            pass
    assert (tmp_path / "done.json").exists()


def test_a_finished_result_of_other_inputs_needs_overwrite(tmp_path: Path) -> None:
    finish(tmp_path, fingerprint={"inputs": [1], "options": "a"})
    with pytest.raises(InvalidInput, match=r"finished toy result made from other inputs or "
                       r"options \(changed: options\); pass --overwrite"), \
            claim(tmp_path, stage=TOY, fingerprint={"inputs": [1], "options": "b"}):
        pass
    assert (tmp_path / "data" / "part-0").exists() and (tmp_path / "done.json").exists()
    with claim(tmp_path, stage=TOY, fingerprint={"inputs": [1], "options": "b"},
               overwrite=True) as resume:
        assert not resume
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([LOCK_NAME, RECORD_NAME])


def test_a_finished_result_of_the_same_run_is_redone(tmp_path: Path) -> None:
    finish(tmp_path, RESUMING, {"run": 1})
    with claim(tmp_path, stage=RESUMING, fingerprint=({"run": 1})) as resume:
        assert not resume and not (tmp_path / "data").exists()


def test_an_unfinished_run_resumes_only_with_the_same_fingerprint(tmp_path: Path) -> None:
    with claim(tmp_path, stage=RESUMING, fingerprint={"run": (1, 2)}):
        (tmp_path / "data").mkdir()  # killed before done.json
    with claim(tmp_path, stage=RESUMING, fingerprint={"run": [1, 2]}) as resume:
        assert resume and (tmp_path / "data").exists()  # a tuple reads back as a list
    with claim(tmp_path, stage=TOY, fingerprint={"run": [1, 2]}) as resume:
        assert not resume and not (tmp_path / "data").exists()  # a stage that restarts
    (tmp_path / "data").mkdir()
    with claim(tmp_path, stage=RESUMING, fingerprint={"run": 3}) as resume:
        assert not resume and not (tmp_path / "data").exists()  # other inputs: restart


def test_outputs_without_a_record_are_judged_by_their_names(tmp_path: Path) -> None:
    """Outputs of versions that wrote no record: unfinished ones restart, finished ones are
    kept unless overwritten."""
    (tmp_path / "data").mkdir()
    (tmp_path / ".tmp-data.x").write_text("")
    with claim(tmp_path, stage=RESUMING, fingerprint={}) as resume:
        assert not resume and not (tmp_path / "data").exists()
    (tmp_path / RECORD_NAME).unlink()
    (tmp_path / "done.json").write_text("{}")
    with pytest.raises(InvalidInput, match="inputs and options not recorded"), \
            claim(tmp_path, stage=TOY, fingerprint={}):
        pass
    (tmp_path / RECORD_NAME).write_text("not json")  # unreadable: as if missing
    with pytest.raises(InvalidInput, match="inputs and options not recorded"), \
            claim(tmp_path, stage=TOY, fingerprint={}):
        pass


def test_clearing_never_follows_a_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the stage's")
    out = tmp_path / "out"
    out.mkdir()
    (out / "data").symlink_to(elsewhere)
    with claim(out, stage=TOY, fingerprint={}):
        assert not (out / "data").exists()
    assert (elsewhere / "keep.txt").exists()


def test_file_states_change_with_the_file(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text("a\n")
    before = file_states([f])
    assert before[0][0] == str(f.absolute()) and before[0][1] == 2
    f.write_text("ab\n")
    assert file_states([f]) != before
