"""Every long-running command shows progress on stderr off a terminal (a line per interval, here
shortened through ``BOOSTPACK_PROGRESS_INTERVAL``), and ``--quiet`` turns it off."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from boostpack import cli


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "qa.jsonl"
    def words(i: int, n: int) -> str:  # distinct texts: dedup has little to cluster
        return " ".join(f"w{(i * 7919 + j * 104729) % 50021}" for j in range(n))

    path.write_bytes(b"".join(
        orjson.dumps({"id": str(i), "question": words(i, 12), "answer": words(i + 1, 6)}) + b"\n"
        for i in range(8000)))
    return path


def commands(records: Path, out: Path, tokenizer: Path) -> list[tuple[list[str], str]]:
    """(argv, the progress description it shows), in an order where each input exists."""
    return [
        (["ingest", str(records), "-o", str(out / "ingested")], "ingest"),
        (["inspect", str(records)], "inspect"),
        (["dedup", str(records), "-o", str(out / "deduped")], "dedup: read+sign"),
        (["pack", str(records), "-o", str(out / "packed"), "--tokenizer", str(tokenizer),
          "--seq-len", "256", "--shard-size", "64K"], "pack"),
        (["verify", str(out / "packed")], "verify"),
    ]


@pytest.mark.parametrize("quiet", [False, True], ids=["progress", "quiet"])
def test_progress_lines_off_a_terminal(records: Path, tmp_path: Path, llama3_tokenizer_path,
                                       capsys, monkeypatch, quiet: bool) -> None:
    monkeypatch.setenv("BOOSTPACK_PROGRESS_INTERVAL", "0.001")
    for argv, desc in commands(records, tmp_path, llama3_tokenizer_path):
        assert cli.main(argv + ["--quiet"] * quiet) == 0
        err = capsys.readouterr().err
        # A progress line: the step, ..., a rate, ..., the time so far (not a summary line).
        shown = [line for line in err.splitlines()
                 if re.fullmatch(rf"{re.escape(desc)}: .*/s, .*[\d.]+s", line)]
        assert "\r" not in err  # whole lines, never redraws, in a log
        if quiet:
            assert shown == [], argv[0]
        else:
            assert shown, argv[0]
            assert " MB" in shown[-1] and "/s" in shown[-1], shown[-1]
