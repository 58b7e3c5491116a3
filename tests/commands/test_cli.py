"""The ingest / inspect / demo commands: exit codes, one-line errors, stdout vs stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

from boostpack import cli


def _qa(tmp_path: Path, extra: bytes = b"") -> Path:
    p = tmp_path / "in.jsonl"
    p.write_bytes(b'{"prompt": "Q", "response": "A", "level": "2"}\n' + extra)
    return p


def test_ingest_json_report_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _qa(tmp_path, b"not json\n")
    assert cli.main(["ingest", str(p), "-o", str(tmp_path / "out"), "--json",
                     "--map", "difficulty=level"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert (report["records"], report["quarantined"]) == (1, 1)
    assert "1 records, 1 quarantined" in captured.err and "invalid_json" in captured.err
    shard = (tmp_path / "out/records/part-00000.jsonl.zst").read_bytes()
    record = json.loads(zstandard.ZstdDecompressor().decompressobj().decompress(shard))
    assert record["difficulty"] == "2"  # a string level is kept as given


def test_ingest_errors_are_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _qa(tmp_path, b"{bad\n")
    assert cli.main(["ingest", str(p), "-o", str(tmp_path / "out"), "--strict"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"boostpack ingest: error: {p}:2: invalid_json"
    assert cli.main(["ingest", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err.strip().count("\n") == 0


@pytest.mark.parametrize("argv", [
    ["ingest", "x.jsonl"],  # no -o
    ["ingest", "x.jsonl", "-o", "o", "--format", "csv"],
    ["ingest", "x.jsonl", "-o", "o", "--map", "question"],
    ["inspect"],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_inspect_records_and_ingest_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _qa(tmp_path)
    assert cli.main(["ingest", str(p), "-o", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert cli.main(["inspect", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "1 records (1 QA, 0 text)" in out and "field coverage" in out and "example 1" in out
    assert cli.main(["inspect", str(p), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == 1 and summary["breakdowns"] == {}


def test_inspect_packed_dataset_calls_shards_describe(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    shards = pytest.importorskip("boostpack.format.describe")
    calls = []

    def describe(path: str, examples: int = 3) -> dict:
        calls.append((path, examples))
        return {"format": "boostpack-packed", "sequences": 7}

    monkeypatch.setattr(shards, "describe", describe)
    (tmp_path / "manifest.json").write_text("{}")
    assert cli.main(["inspect", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sequences"] == 7
    assert calls == [(str(tmp_path), 3)]


def test_demo_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "-o", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    # The default sample: 3,000 QA items, 100 text paragraphs, 7 malformed lines, 1 blank line.
    assert results["ingest"]["records"] == 3100 and results["ingest"]["quarantined"] == 7
    assert "ingest: 3,108 lines" in captured.err
    assert (tmp_path / "ingested" / "report.json").is_file()
    d = results["dedup"]
    assert d["input"] == 3100 == d["kept"] + d["removed"] + d["quarantined"]
    assert d["removed"] == sum(d["reasons"].values())
    for name in ("qa", "general"):
        p = results["pack"][name]
        assert p["documents"] == p["records"] - p["empty_records"]
        assert 0.85 < p["packing_efficiency"] <= 1.0
    assert results["pack"]["qa"]["documents"] == d["kept"]
    load = results["load"]
    assert load["resume_identical"] is True
    assert abs(load["realized_share"][0] - 0.7) <= 0.001


def test_demo_prints_its_summary_on_stdout(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for stage in ("sample:", "ingest:", "dedup:", "pack:", "load:"):
        assert stage in out
    assert "identical next sample: True" in out


def test_entry_point_exit_codes(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "boostpack"]
    bad = subprocess.run([*run, "ingest", str(tmp_path / "missing"), "-o", str(tmp_path / "o")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "no such file" in bad.stderr
    usage = subprocess.run([*run, "ingest"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2
