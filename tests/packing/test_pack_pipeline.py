"""A task's pipeline (read → render on the task's thread, encode on the encode thread, pack +
write on the write thread): output independent of block and batch sizes and read ahead, the
engine verdict's fallback, errors reaching the caller, no thread left behind."""

from __future__ import annotations

import gc
import gzip
import importlib
import threading
from pathlib import Path

import numpy as np
import orjson
import pytest
import zstandard

from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import read_batches
from boostpack.packing.pipeline import pack
from boostpack.runtime.outdir import RECORD_NAME

SEQ_LEN = 64
reading = importlib.import_module("boostpack.packing.reading")
tasks = importlib.import_module("boostpack.packing.tasks")
documents = importlib.import_module("boostpack.packing.documents")
pipeline_module = importlib.import_module("boostpack.packing.pipeline")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 QA lines (some without id, some with reference-answer lists), blank and bad lines."""
    rng = np.random.default_rng(3)
    words = ["alpha", "beta", "数学", "énergie", "42", "\n", "x"]
    lines = []
    for i in range(600):
        q = " ".join(rng.choice(words, size=int(rng.integers(1, 30))))
        rec: dict[str, object] = {"question": f"Q{i} {q}", "answer": f"A{i}", "task": "t"}
        if i % 3:
            rec = {"id": f"r{i}", **rec}
        if i % 7 == 0:
            rec["answer"] = ["", f"ref {i}"]
        lines.append(orjson.dumps(rec))
    lines[10:10] = [b"", b"{bad", b"[1]"]
    path = tmp_path_factory.mktemp("pipeline") / "qa.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(b"\n".join(lines) + b"\n"))
    return path


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != RECORD_NAME}


def test_block_and_batch_sizes_do_not_change_the_output(corpus: Path, tmp_path: Path,
                                                        llama3_tokenizer_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, shard_size=SEQ_LEN * 4 * 50,
              progress=False)
    pack(corpus, tmp_path / "file", **kw)
    expected = _files(tmp_path / "file")
    for block, batch in ((1, 1), (37, 100), (1 << 30, 1 << 30)):
        monkeypatch.setattr(reading, "_BLOCK_BYTES", block)
        monkeypatch.setattr(reading, "BATCH_BYTES", batch)
        out = tmp_path / f"b{block}"
        pack(corpus, out, **kw)
        assert _files(out) == expected, block


def test_disagreeing_engines_fall_back_with_a_warning(corpus: Path, tmp_path: Path,
                                                      llama3_tokenizer_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str],
                                                      request: pytest.FixtureRequest) -> None:
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, progress=False)
    pack(corpus, tmp_path / "hf", tokenizer_engine="hf", **kw)
    request.getfixturevalue("giga_off_by_one")  # from here on gigatoken disagrees
    monkeypatch.setenv("BOOSTPACK_CACHE_DIR", str(tmp_path / "fresh-cache"))
    capsys.readouterr()
    summary = pack(corpus, tmp_path / "auto", tokenizer_engine="auto", **kw)
    assert summary["engine"] == "hf"
    assert "ids differ" in capsys.readouterr().err
    hf, auto = _files(tmp_path / "hf"), _files(tmp_path / "auto")
    assert {k: v for k, v in hf.items() if k != "manifest.json"} == \
           {k: v for k, v in auto.items() if k != "manifest.json"}


def test_a_tokenizer_load_error_reaches_the_caller(corpus: Path, tmp_path: Path,
                                                  llama3_tokenizer_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise InvalidInput("gigatoken cannot load it")

    monkeypatch.setattr(tasks, "load_encoder", broken)
    with pytest.raises(InvalidInput, match="cannot load"):
        pack(corpus, tmp_path / "ds", tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
             progress=False)
    assert not (tmp_path / "ds" / "manifest.json").exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("boostpack-")]


def test_an_encode_error_stops_every_thread(corpus: Path, tmp_path: Path,
                                           llama3_tokenizer_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("encoder crashed")

    monkeypatch.setattr(importlib.import_module("boostpack.packing.threads"), "encode_batch",
                        broken)
    with pytest.raises(RuntimeError, match="encoder crashed"):
        pack(corpus, tmp_path / "ds", tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
             progress=False)
    assert not (tmp_path / "ds" / "manifest.json").exists()
    assert not list((tmp_path / "ds").rglob(".tmp-*"))
    assert not [t for t in threading.enumerate() if t.name.startswith("boostpack-")]


def _batches(path: Path, read_ahead: bool) -> list[tuple]:
    return [(b.records, b.raw, b.lines, [(q.line, q.offset, q.reason, q.raw, q.detail)
                                         for q in b.quarantined],
             b.empty, b.lines_read, b.bytes_read, b.format)
            for b in read_batches(path, batch_lines=500, read_ahead=read_ahead)]


@pytest.mark.parametrize("kind", ["plain", "zst", "gz", "zst_truncated", "zst_corrupt",
                                  "gz_truncated"])
def test_read_ahead_gives_the_same_batches(kind: str, tmp_path: Path) -> None:
    data = b"".join(orjson.dumps({"id": f"r{i}", "question": f"q{i} " * (i % 50),
                                  "answer": "a"}) + b"\n" for i in range(20000))
    if kind == "plain":
        raw, name = data, "x.jsonl"
    elif kind.startswith("zst"):
        raw, name = zstandard.ZstdCompressor(level=1).compress(data), "x.jsonl.zst"
    else:
        raw, name = gzip.compress(data), "x.jsonl.gz"
    if kind.endswith("truncated"):
        raw = raw[:len(raw) * 2 // 3]
    if kind.endswith("corrupt"):
        raw = raw[:len(raw) // 2] + b"not a frame" + raw[len(raw) // 2:]
    path = tmp_path / name
    path.write_bytes(raw)
    assert _batches(path, True) == _batches(path, False)


def test_an_abandoned_read_ahead_stops_its_thread(tmp_path: Path) -> None:
    data = b"".join(orjson.dumps({"question": "q" * 200, "answer": str(i)}) + b"\n"
                    for i in range(50000))
    path = tmp_path / "x.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(data))
    batches = read_batches(path, batch_lines=10, read_ahead=True)
    assert len(next(batches).records) == 10
    batches.close()
    assert not [t for t in threading.enumerate() if t.name == "boostpack-read-ahead"]


def test_gc_threshold_is_raised_during_a_pack_and_restored(corpus: Path, tmp_path: Path,
                                                           llama3_tokenizer_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []
    in_task = []  # the engine check reads a sample before any task, at the usual threshold
    real, real_task = documents.DocBuilder.finish, pipeline_module.run_task

    failing = []

    def spy(self: object) -> object:
        if in_task:
            seen.append(gc.get_threshold())
        if failing:
            raise InvalidInput("a bad batch")
        return real(self)  # type: ignore[arg-type]

    def task(*args: object) -> object:
        in_task.append(True)
        try:
            return real_task(*args)
        finally:
            in_task.pop()

    monkeypatch.setattr(documents.DocBuilder, "finish", spy)
    monkeypatch.setattr(pipeline_module, "run_task", task)
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, progress=False)
    pack(corpus, tmp_path / "ok", **kw)
    assert seen and all(t[0] >= 50_000 for t in seen) and gc.get_threshold() == before
    failing.append(True)
    with pytest.raises(InvalidInput, match="a bad batch"):  # a failing run restores it too
        pack(corpus, tmp_path / "failed", **kw)
    assert gc.get_threshold() == before
