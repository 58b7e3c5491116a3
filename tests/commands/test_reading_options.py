"""ingest, dedup and pack share their reading options; --requests reaches all three."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boostpack import cli
from boostpack.demo import sample


@pytest.fixture(scope="module")
def batch_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("sample")
    sample.write_sample(directory, n_records=300)
    return directory / "batch_output.jsonl", directory / sample.REQUESTS_PATH


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert cli.main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_batch_output_needs_its_requests(tmp_path, batch_files, capsys, llama3_tokenizer_path):
    output, requests = batch_files
    without = _run(capsys, "dedup", str(output), "-o", str(tmp_path / "d0"))
    assert without["kept"] == 0 and without["quarantined"] == without["input"]

    dedup = _run(capsys, "dedup", str(output), "-o", str(tmp_path / "d1"),
                 "--requests", str(requests))
    ingest = _run(capsys, "ingest", str(output), "-o", str(tmp_path / "i"),
                  "--requests", str(requests))
    assert dedup["kept"] + dedup["removed"] == ingest["records"] > 0
    assert dedup["quarantined"] == ingest["quarantined"]

    packed = _run(capsys, "pack", str(output), "-o", str(tmp_path / "p"), "--seq-len", "256",
                  "--tokenizer", str(llama3_tokenizer_path), "--requests", str(requests))
    assert packed["records"] == ingest["records"]
    assert packed["quarantined_records"] == ingest["quarantined"]
