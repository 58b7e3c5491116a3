"""Reading a plain JSONL file or range straight into a reused buffer (``reading._read_plain``)
gives what the chunked reader of compressed files (``_read_compressed``, the way plain files were
read before) gives for the same bytes: documents, ids, quarantine entries and counts, whatever
the block size, line lengths and ``--max-record-bytes``."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boostpack.ingestion.readers import ReadOptions
from boostpack.packing.config import PackConfig
from boostpack.packing.fastlane import FastLane
from boostpack.packing.reading import InputPiece, ReadSetup, read_documents
from boostpack.packing.render import parts_renderer

reading = importlib.import_module("boostpack.packing.reading")

_RECORD = st.builds(
    lambda q, a, rid: orjson.dumps({**({"id": rid} if rid else {}), "question": q, "answer": a}),
    st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40),
    st.sampled_from(["", "r1", "r2"]))
_LINE = st.one_of(_RECORD, _RECORD.map(lambda b: b + b"\r"), st.just(b""), st.just(b"{bad"),
                  st.just(b"[1, 2]"), st.just(b'{"text": "' + b"long " * 300 + b'"}'),
                  st.just(b'{"text": "' + b"longer " * 900 + b'"}'),
                  st.just(b'{"question": "' + b"q" * 1100 + b'", "answer": "a"}'))


def _read(path: Path, start: int, end: int, max_line: int, fast: bool) -> dict[str, Any]:
    """Everything the batches of ``path[start:end]`` hold, concatenated."""
    config = PackConfig("unused.json", template="qa", max_record_bytes=max_line,
                        read=ReadOptions())
    setup = ReadSetup(config, parts_renderer("qa"), True, FastLane(config) if fast else None)
    st_ = os.stat(path)
    piece = InputPiece(0, str(path), start, end, "auto", (st_.st_size, st_.st_mtime_ns))
    got: dict[str, Any] = {"docs": [], "ids": b"", "quarantined": [], "records": 0,
                           "empty_records": 0, "lines_read": 0, "bytes_read": 0}
    for batch in read_documents(piece, setup):
        data, offsets = batch.text.tobytes(), batch.seg_offsets
        for d in range(batch.documents):
            a, b = batch.doc_segs[d], batch.doc_segs[d + 1]
            got["docs"].append(data[offsets[a]:offsets[b]])
        got["ids"] += batch.ids.tobytes()
        got["quarantined"] += [orjson.loads(q) for q in batch.quarantined]
        for key in ("records", "empty_records", "lines_read", "bytes_read"):
            got[key] += getattr(batch, key)
    return got


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINE, max_size=40), final_newline=st.booleans(), bom=st.booleans(),
       block=st.integers(1, 3000), max_line=st.sampled_from([1024, 2048, 1 << 20]), fast=st.booleans())
def test_plain_reads_equal_the_chunked_reader(tmp_path: Path, lines: list[bytes],
                                              final_newline: bool, bom: bool, block: int,
                                              max_line: int, fast: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + b"\n" * final_newline
    plain, packed = tmp_path / "in.jsonl", tmp_path / "in.jsonl.zst"
    plain.write_bytes(data)
    packed.write_bytes(zstandard.ZstdCompressor().compress(data))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reading, "_BLOCK_BYTES", block)
        expected, got = _read(packed, 0, -1, max_line, fast), _read(plain, 0, -1, max_line, fast)
    for entry in (*expected["quarantined"], *got["quarantined"]):
        entry.pop("file")  # the names differ
    assert got == expected


def test_a_range_reads_only_its_lines(tmp_path: Path) -> None:
    lines = [orjson.dumps({"id": f"r{i}", "question": f"q{i}", "answer": "a" * i})
             for i in range(50)]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    cut = len(b"\n".join(lines[:20])) + 1
    size = path.stat().st_size
    head, tail = _read(path, 0, cut, 4096, True), _read(path, cut, size, 4096, True)
    whole = _read(path, 0, -1, 4096, True)
    assert head["ids"] + tail["ids"] == whole["ids"]
    assert head["docs"] + tail["docs"] == whole["docs"]
    assert (head["lines_read"], tail["lines_read"]) == (20, 30)
    assert head["bytes_read"] + tail["bytes_read"] == whole["bytes_read"] == size
