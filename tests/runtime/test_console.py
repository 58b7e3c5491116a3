"""Progress on stderr: a line every interval off a terminal, a redrawn line on one, nothing when
turned off; counts, MB, rate and ETA; the executor's per-run progress."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from boostpack.errors import InvalidInput
from boostpack.runtime import console
from boostpack.runtime.console import Progress, duration, log, progress_interval, set_progress
from boostpack.runtime.executor import TaskRunner


def slow_square(task: tuple[float, int]) -> int:
    pause, x = task
    time.sleep(pause)
    return x * x


def lines(err: str, desc: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{desc}: ")]


def test_off_a_terminal_a_line_every_interval_and_one_at_the_end(capsys) -> None:
    with Progress("step", total=4, unit="tasks", total_bytes=4_000_000, interval=0.02) as bar:
        bar.update(1, 1_000_000)
        time.sleep(0.15)
        shown = lines(capsys.readouterr().err, "step")
        assert len(shown) >= 3  # ~7 intervals passed, with one update in all that time
        assert re.fullmatch(r"step: 1/4 tasks, 1\.0/4\.0 MB, [\d.]+ MB/s, ETA [\d.]+s, [\d.]+s",
                            shown[-1])
        bar.update(3, 3_000_000)
    last = lines(capsys.readouterr().err, "step")[-1]
    assert last.startswith("step: 4/4 tasks, 4.0/4.0 MB, ") and "ETA" not in last


def test_a_short_step_writes_nothing_off_a_terminal(capsys) -> None:
    with Progress("quick", total=2, interval=5.0) as bar:
        bar.update(2)
    assert capsys.readouterr().err == ""


def test_turned_off_by_argument_or_process_wide(capsys) -> None:
    with Progress("off", interval=0.01, enabled=False) as bar:
        bar.update()
        time.sleep(0.05)
    set_progress(False)  # what --quiet does
    try:
        with Progress("quiet", interval=0.01) as bar:
            bar.update()
            time.sleep(0.05)
            assert bar._ticker is None
    finally:
        set_progress(None)
    assert capsys.readouterr().err == ""
    with Progress("on", interval=0.01) as bar:
        time.sleep(0.05)
    assert lines(capsys.readouterr().err, "on")


def test_work_found_done_counts_but_is_not_speed() -> None:
    bar = Progress("resume", total=10, enabled=False)
    bar._start -= 2.0  # two seconds of this run
    bar.skip(6)
    bar.update(2)
    text = bar.line()
    assert text.startswith("8/10, 1.0 units/s, ETA 2.0s")  # 2 done in 2 s, 2 left


def test_without_totals_no_eta_and_unit_rates() -> None:
    bar = Progress("ingest", unit="lines", enabled=False)
    bar._start -= 4.0
    bar.update(1000, 8_000_000)
    assert bar.line().startswith("1,000 lines, 8.0 MB, 2.0 MB/s, 4.0s")


def test_interval_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOOSTPACK_PROGRESS_INTERVAL", raising=False)
    assert progress_interval() == console.DEFAULT_INTERVAL == 10.0
    monkeypatch.setenv("BOOSTPACK_PROGRESS_INTERVAL", "0.5")
    assert progress_interval() == 0.5 and Progress("x", enabled=False).interval == 0.5
    for bad in ("0", "-1", "soon"):
        monkeypatch.setenv("BOOSTPACK_PROGRESS_INTERVAL", bad)
        with pytest.raises(InvalidInput, match="BOOSTPACK_PROGRESS_INTERVAL"):
            progress_interval()


def test_durations() -> None:
    assert [duration(s) for s in (4.25, 125, 3725)] == ["4.2s", "2m05s", "1h02m"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_line_redrawn_and_logs_go_above_it(monkeypatch) -> None:
    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    with Progress("bar", total=3, unit="files", interval=0.01) as bar:
        time.sleep(0.25)
        bar.update()
        log("a message")
        bar.update()  # within 0.2 s of the last draw: not redrawn
    text = term.getvalue()
    assert "\n" not in text.split("a message")[0]  # nothing but redraws before the log line
    assert "\r\x1b[K" + "a message\n" in text  # the bar line is wiped first
    assert text.endswith("bar: 2/3 files, " + text.rsplit("bar: 2/3 files, ", 1)[1])
    assert text.endswith("\n") and text.count("\n") == 2


def test_executor_shows_each_run_and_counts_resumed_tasks(tmp_path: Path, capsys,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("BOOSTPACK_PROGRESS_INTERVAL", "0.02")
    tasks = [(0.03, x) for x in range(4)]
    with TaskRunner(progress=None, label="stage") as runner:
        assert list(runner.run(slow_square, tasks[:2], tmp_path)) == [0, 1]
        assert list(runner.run(slow_square, tasks, tmp_path, weight=lambda t: 1_000_000)) \
            == [0, 1, 4, 9]
        assert list(runner.run(slow_square, [], tmp_path)) == []  # nothing to show
        usage = runner.usage()
    shown = lines(capsys.readouterr().err, "stage: slow_square")
    assert shown and shown[-1].startswith("stage: slow_square: 4/4 tasks, 4.0/4.0 MB, ")
    assert usage == {"backend": "local", "workers": 1, "tasks": 4, "resumed": 2, "nodes": 1,
                     "retried": 0}
    with TaskRunner(progress=False) as runner:  # the default: silent
        list(runner.run(slow_square, tasks, tmp_path / "again"))
    assert capsys.readouterr().err == ""
