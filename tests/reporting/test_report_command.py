"""``boostpack report`` on the command line, and the report step the demo ends with."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from boostpack.cli import main
from boostpack.commands.report import summary_lines
from boostpack.reporting.build import demo_step

FAST = ["--sample-sizes", "20,100", "--thresholds", "0.5"]


def test_writes_html_and_json_and_prints_a_summary(pipeline, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r" / "report.html"
    code = main(["report", str(pipeline.dedup_dir), str(pipeline.packed_dir), "-o", str(out),
                 "--label", "deduped", "--label", "packed", *FAST])
    assert code == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert [c["name"] for c in report["columns"]] == [
        "deduped (before dedup)", "deduped (after dedup)", "packed"]
    assert out.read_text().startswith("<!DOCTYPE html>")
    stdout = capsys.readouterr().out
    assert stdout.startswith("report: 3 column(s) -> ") and "packed:" in stdout


def test_json_on_stdout(pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(pipeline.records_file), "--json", *FAST]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["format"] == "boostpack.report"
    assert report["columns"][0]["records"] == len(pipeline.records)
    assert "report: 1 column(s)" in captured.err


def test_usage_errors(pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(pipeline.records_file)]) == 1  # nothing to write
    assert main(["report", str(pipeline.records_file), "--json",
                 "--llm-endpoint", "http://127.0.0.1:9/v1"]) == 1  # endpoint without a model
    with pytest.raises(SystemExit) as exc:
        main(["report", str(pipeline.records_file), "--json", "--sample-sizes", "a,b"])
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_demo_step_reports_the_demo_outputs(pipeline, tmp_path: Path) -> None:
    # The demo's layout: ingested/, dedup/, packed-qa/ and tokenizer.json in one directory.
    root = tmp_path / "demo"
    (root / "ingested" / "records").mkdir(parents=True)
    shutil.copy(pipeline.records_file, root / "ingested" / "records" / "part-00000.jsonl")
    shutil.copytree(pipeline.dedup_dir, root / "dedup")
    shutil.copytree(pipeline.packed_dir, root / "packed-qa")
    shutil.copy(pipeline.tokenizer, root / "tokenizer.json")
    summary = demo_step(root)
    assert Path(summary["html"]).is_file() and Path(summary["json"]).is_file()
    ingested, before, after, packed = summary["columns"]
    assert ingested["records"] == before["records"] == len(pipeline.records)
    assert after["tokens"] == packed["tokens"] == json.loads(
        (root / "packed-qa" / "manifest.json").read_text())["totals"]["tokens"]
    lines = summary_lines(summary)
    assert len(lines) == 5 and "near-dup rate" in lines[1]
