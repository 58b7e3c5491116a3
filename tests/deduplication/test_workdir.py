"""A damaged work directory (files of an interrupted run, read back when it resumes) raises
CorruptData, never a raw numpy/zstd/pickle error or a wrong result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import zstandard

import boostpack.deduplication.pipeline as dd
from boostpack.deduplication.decontam import NgramIndex
from boostpack.errors import CorruptData


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-1])


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00not what was written")


def delete(path: Path) -> None:
    path.unlink()


def fail(*args: Any) -> Any:
    raise RuntimeError("injected failure")


@pytest.fixture
def compressed_input(tmp_path: Path) -> Path:
    """One compressed file of one frame (so one sign task, reading it whole): duplicates and a
    broken line, so that every kind of work file has content."""
    lines = [orjson.dumps({"id": f"r{i}", "question": f"What is {i % 9} times {i % 9 + 1}?",
                           "answer": str(i % 9)}) for i in range(60)]
    lines.insert(7, b"{broken")
    path = tmp_path / "in.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(b"\n".join(lines) + b"\n"))
    return path


@pytest.mark.parametrize(("stop_at", "name", "damage"), [
    ("cluster", "sign/00000/exact.bin", truncate),
    ("cluster", "sign/00000/flags.bin", delete),
    ("cluster", "sign/00000/sig.bin", delete),
    ("cluster", "sign/00000/sig.bin", truncate),
    ("cluster", "sign/00000/key.bin", truncate),
    ("cluster", "sign/00000/key.bin", delete),
    ("write_task", "plan/done.json", garbage),
    ("write_task", "plan/00000.bin", truncate),
    ("write_task", "plan/00000.bin", delete),
    ("write_task", "sign/00000/lines.bin", truncate),
    ("write_task", "sign/00000/quarantine.pkl", truncate),
    ("write_task", "sign/00000/quarantine.pkl", garbage),
    ("write_task", "sign/00000/lines.bin", delete),
    ("write_task", "sign/00000/idend.bin", truncate),
    ("write_task", "sign/00000/ids.bin", truncate),
])
def test_damaged_work_file_raises_corrupt_data(tmp_path: Path, compressed_input: Path,
                                               monkeypatch: pytest.MonkeyPatch, stop_at: str,
                                               name: str, damage: Callable[[Path], None]) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        m.setattr(dd, stop_at, fail)
        with pytest.raises(RuntimeError, match="injected"):
            dd.dedup(compressed_input, out, progress=False)
    damage(out / ".work" / name)
    with pytest.raises(CorruptData, match="damaged dedup work file") as info:
        dd.dedup(compressed_input, out, progress=False)
    assert "\n" not in str(info.value)
    assert not (out / "report.json").exists()


def test_an_undamaged_interrupted_run_resumes(tmp_path: Path, compressed_input: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The control for the test above: the same interruption without damage finishes."""
    with monkeypatch.context() as m:
        m.setattr(dd, "write_task", fail)
        with pytest.raises(RuntimeError, match="injected"):
            dd.dedup(compressed_input, tmp_path / "out", progress=False)
    report = dd.dedup(compressed_input, tmp_path / "out", progress=False)
    assert (report["kept"], report["removed"], report["quarantined"]) == (9, 51, 1)


@pytest.mark.parametrize("damage", [truncate, delete, garbage])
def test_damaged_ngram_index_raises_corrupt_data(tmp_path: Path,
                                                 damage: Callable[[Path], None]) -> None:
    NgramIndex.build(np.arange(100, dtype=np.uint64), np.zeros(100, dtype=np.uint32)).save(tmp_path)
    assert len(NgramIndex.load(tmp_path).hashes) == 100
    damage(tmp_path / "ngram_refs.npy")
    with pytest.raises(CorruptData, match="n-gram index"):
        NgramIndex.load(tmp_path)
