"""Every bad input or option gets a clear one-line error: InvalidInput from the API, exit 1 or 2
from the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard

import boostpack.deduplication.pipeline as dd
from boostpack.cli import main
from boostpack.deduplication.pipeline import dedup
from boostpack.errors import InvalidInput
from boostpack.runtime.sizes import parse_size


@pytest.fixture
def good(tmp_path: Path) -> Path:
    p = tmp_path / "in.jsonl"
    p.write_bytes(orjson.dumps({"id": "1", "question": "q?", "answer": "a"}) + b"\n")
    return p


@pytest.mark.parametrize(("options", "message"), [
    ({"threshold": 1.5}, "threshold"),
    ({"threshold": 0.0}, "threshold"),
    ({"num_perm": 0}, "num_perm"),
    ({"shingle": "token"}, "shingle"),
    ({"ngram": 0}, "ngram"),
    ({"seed": -1}, "seed"),
    ({"digits": "drop"}, "digits"),
    ({"bands": 4}, "both bands and rows"),
    ({"bands": 20, "rows": 20}, "fit in num_perm"),
    ({"fields": ""}, "fields"),
    ({"keep": "last"}, "keep"),
    ({"keep": "longest", "keep_max": "score"}, "keep_max"),
    ({"decontam_ngram": 0}, "decontam_ngram"),
    ({"decontam_min_overlap": 0.5}, "needs decontam_ngram"),
    ({"decontam_ngram": 13}, "needs reference files"),
    ({"workers": 0}, "workers"),
    ({"memory": "1K"}, "minimum"),
    ({"memory": "lots"}, "bad memory budget"),
    ({"fmt": "csv"}, "unknown format"),
    ({"against": ["/nonexistent/ref.jsonl"]}, "no such file"),
    ({"split_bytes": 0}, "split_bytes"),
    ({"frame_bytes": 0}, "frame_bytes"),
])
def test_bad_options(good: Path, tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        dedup(good, tmp_path / "out", progress=False, **options)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out" / "report.json").exists()


def test_missing_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        dedup(tmp_path / "nope.jsonl", tmp_path / "out")


def test_directory_without_inputs(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no input files"):
        dedup(tmp_path / "empty", tmp_path / "out")


def test_output_is_a_file(good: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a directory"):
        dedup(good, good)


def test_input_inside_output(good: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="inside the output directory"):
        dedup(good, tmp_path)


def test_strict_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "in.jsonl"
    p.write_bytes(b'{"id": "1", "question": "q", "answer": "a"}\n{oops\n')
    with pytest.raises(InvalidInput, match=r"in\.jsonl:2: invalid_json"):
        dedup(p, tmp_path / "out", strict=True, progress=False)


def test_parse_size() -> None:
    assert parse_size("4G") == 4 << 30
    assert parse_size("512MiB") == 512 << 20
    assert parse_size(1 << 27) == 1 << 27


def test_cli_errors_are_one_line_and_exit_1(good: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dedup", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("boostpack dedup: error:") and "missing.jsonl" in err and "\n" not in err
    assert main(["dedup", str(good), "-o", str(tmp_path / "o"), "--threshold", "2"]) == 1
    assert "threshold" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--shingle", "token"], ["--num-perm", "x"], ["--map", "bad"],
                                  ["--keep", "first", "--keep-max", "score"], []])
def test_cli_usage_errors_exit_2(good: Path, tmp_path: Path, args: list[str]) -> None:
    argv = ["dedup", str(good), *args]
    if args:  # [] lacks the required -o
        argv += ["-o", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_cli_json_report(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dedup", str(good), str(good), "-o", str(tmp_path / "o"), "--json"]) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert (report["input"], report["kept"], report["removed"]) == (2, 1, 1)
    assert report == orjson.loads((tmp_path / "o" / "report.json").read_bytes())


@pytest.mark.parametrize("name", ["in.jsonl", "in.jsonl.zst"])
def test_input_changed_during_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      name: str) -> None:
    """Phase 3 re-reads the inputs (a one-frame ``.zst`` is read whole, yet re-read too): one
    modified after phase 1 is an error, not bad output."""
    line = orjson.dumps({"id": "1", "question": "q?", "answer": "a"}) + b"\n"
    path = tmp_path / name
    path.write_bytes(zstandard.ZstdCompressor().compress(line) if name.endswith(".zst") else line)
    cluster = dd.cluster

    def cluster_then_edit(*args: Any) -> Any:
        result = cluster(*args)
        path.write_bytes(path.read_bytes() + path.read_bytes())
        return result

    monkeypatch.setattr(dd, "cluster", cluster_then_edit)
    with pytest.raises(InvalidInput, match=r"in\.jsonl(\.zst)?: input changed during the run"):
        dedup(path, tmp_path / "out", progress=False)
