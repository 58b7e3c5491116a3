"""The one-process pack pipeline (read → render on the main thread, engine check + encode on
the encode thread, pack + write on the write thread): output independent of batching and read
ahead, the engine check and its errors where the main thread still sees them."""

from __future__ import annotations

import gc
import gzip
import importlib
import threading
import time
from pathlib import Path

import numpy as np
import orjson
import pytest
import zstandard

from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import read_batches
from boostpack.packing.output import source_entry
from boostpack.packing.pipeline import pack, pack_batches
from boostpack.packing.tokenization import GigaEncoder
from boostpack.runtime.outdir import RECORD_NAME

SEQ_LEN = 64
pack_module = importlib.import_module("boostpack.packing.threads")


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


def test_batching_does_not_change_the_output(corpus: Path, tmp_path: Path,
                                             llama3_tokenizer_path: Path) -> None:
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, shard_size=SEQ_LEN * 4 * 50,
              progress=False)
    pack(corpus, tmp_path / "file", **kw)
    expected = _files(tmp_path / "file")
    for batch_lines in (1, 37, 100_000):
        out = tmp_path / f"b{batch_lines}"
        sources = [source_entry(str(corpus))]
        pack_batches(((0, b) for b in read_batches(corpus, batch_lines=batch_lines)), out,
                     sources=sources, **kw)
        assert _files(out) == expected, batch_lines


def test_engine_check_off_the_main_thread_falls_back(corpus: Path, tmp_path: Path,
                                                      llama3_tokenizer_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, progress=False)
    pack(corpus, tmp_path / "hf", tokenizer_engine="hf", **kw)
    real = GigaEncoder.encode
    threads = set()

    def off_by_one(self: GigaEncoder, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        threads.add(threading.current_thread().name)
        ids, offsets = real(self, texts)
        return ids + 1, offsets

    real_choose = pack_module.choose_encoder

    def slow_choose(*args: object) -> object:
        time.sleep(0.3)  # the batches are encoded (speculatively, with gigatoken) first
        return real_choose(*args)

    monkeypatch.setattr(GigaEncoder, "encode", off_by_one)
    monkeypatch.setattr(pack_module, "choose_encoder", slow_choose)
    capsys.readouterr()
    summary = pack(corpus, tmp_path / "auto", tokenizer_engine="auto", **kw)
    assert summary["engine"] == "hf"
    assert "ids differ" in capsys.readouterr().err
    # gigatoken encoded the batches while tokenizers checked it; they were redone with tokenizers.
    assert "MainThread" not in threads and any(t.startswith("boostpack-encode") for t in threads)
    hf, auto = _files(tmp_path / "hf"), _files(tmp_path / "auto")
    assert {k: v for k, v in hf.items() if k != "manifest.json"} == \
           {k: v for k, v in auto.items() if k != "manifest.json"}


def test_a_tokenizer_load_error_reaches_the_caller(corpus: Path, tmp_path: Path,
                                                  llama3_tokenizer_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise InvalidInput("--tokenizer-engine giga: gigatoken is not installed")

    monkeypatch.setattr(pack_module, "load_encoders", broken)
    with pytest.raises(InvalidInput, match="gigatoken is not installed"):
        pack(corpus, tmp_path / "ds", tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
             progress=False)
    assert not (tmp_path / "ds" / "manifest.json").exists()
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
    seen, failing = [], []
    real = pack_module.render_batch

    def spy(*args: object) -> object:
        seen.append(gc.get_threshold())
        if failing:
            raise InvalidInput("a bad batch")
        return real(*args)

    monkeypatch.setattr(pack_module, "render_batch", spy)
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, progress=False)
    pack(corpus, tmp_path / "ok", **kw)
    assert seen and all(t[0] >= 50_000 for t in seen) and gc.get_threshold() == before
    failing.append(True)
    with pytest.raises(InvalidInput, match="a bad batch"):  # a failing run restores it too
        pack(corpus, tmp_path / "failed", **kw)
    assert gc.get_threshold() == before
