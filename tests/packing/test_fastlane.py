"""The fast lane against the classifier path: the same documents, ids, quarantine entries and
counts for any mix of lines, and a scanner that only vouches for lines orjson reads the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boostpack import _jsonl
from boostpack.errors import InvalidInput, KernelError
from boostpack.ingestion.flatscan import BLANK, FAST, KEYS, NAME_OFFSETS, NAMES, STRING
from boostpack.packing.config import PackConfig
from boostpack.packing.fastlane import FastLane
from boostpack.packing.reading import InputPiece, ReadSetup, read_documents
from boostpack.packing.render import parts_renderer

KEY_POOL = [*KEYS, "choices", "task", "answers", "orig_question", "meta", "Question"]
TEXTS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "\u3000", " \n\t", "<think>r</think>a", "  <think>x", "Q?", "\n A",
                     "é\u0301", "🙂", "\\", "\"", "a\x00b", "x\ny", "   leading", "\x1c"]),
)
VALUES = st.recursive(
    st.one_of(TEXTS, st.none(), st.booleans(), st.integers(-10**20, 10**20),
              st.floats(allow_nan=False, allow_infinity=False), st.just(1e300)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)
RECORDS = st.dictionaries(st.sampled_from(KEY_POOL), VALUES, max_size=7)
QA = st.fixed_dictionaries({"question": TEXTS, "answer": st.one_of(TEXTS, st.lists(
    st.one_of(TEXTS, st.lists(TEXTS, max_size=2)), max_size=3))}, optional={
    "id": st.one_of(TEXTS, st.none(), st.integers(0, 9)), "reasoning": st.one_of(TEXTS, st.none()),
    "difficulty": st.one_of(st.integers(0, 5), st.text(max_size=2), st.floats(0, 5)),
    "grade": st.one_of(st.booleans(), st.integers(0, 12), st.text(max_size=2), st.none()),
    "discipline": st.one_of(TEXTS, st.lists(TEXTS, max_size=2), st.integers()),
    "choices": st.lists(TEXTS, max_size=3), "text": TEXTS})
BAD = st.sampled_from([b"", b"   ", b"\t\r", b"\x0c{}", b"{bad", b"[1, 2]", b'{"a": 1,}',
                       b'{"question": "q", "answer": "a"} x', b'{"question": "\xff", "answer": "a"}',
                       b'{"question": "a\tb", "answer": "a"}', b'{"question": NaN, "answer": "a"}',
                       b'{"question": "q", "question": "r", "answer": "a"}',
                       b'{"\\u0071uestion": "q", "answer": "a"}', b'{"answer": "a", "x": 01}',
                       b'{"question": "\\ud800", "answer": "a"}', b'{"text": "t", "n": 1e999}',
                       b'\xef\xbb\xbf{"question": "bom", "answer": "a"}', b'"just a string"',
                       b'{"question": "q", "answer": "a"}\r', b"[" * 300 + b"]" * 300])


def _line(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind < 2:
        return draw(BAD)
    obj = draw(RECORDS if kind < 5 else QA)
    if draw(st.booleans()):
        return json.dumps(obj, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    try:
        return orjson.dumps(obj)
    except TypeError:  # an integer past 64 bits
        return json.dumps(obj).encode()


@st.composite
def files(draw: st.DrawFn) -> bytes:
    lines = [orjson.dumps({"question": "first", "answer": "line"})] if draw(st.booleans()) else []
    lines += [_line(draw) for _ in range(draw(st.integers(0, 25)))]
    return b"\n".join(lines) + (b"\n" if draw(st.booleans()) else b"")


def _documents(path: Path, config: PackConfig, exact: bool, fast: bool) -> list[object]:
    setup = ReadSetup(config, parts_renderer(config.template), exact,
                      FastLane.for_config(config) if fast else None)
    st_ = path.stat()
    piece = InputPiece(0, str(path), 0, -1, config.read.fmt, (st_.st_size, st_.st_mtime_ns))
    out: list[object] = []
    counts = np.zeros(4, dtype=np.int64)
    for b in read_documents(piece, setup):
        data = b.text.tobytes()
        ids = b.ids.tobytes()
        id_ends = np.cumsum(b.id_lengths.astype(np.int64)).tolist()
        for d in range(b.documents):
            segs = [data[b.seg_offsets[s]:b.seg_offsets[s + 1]]
                    for s in range(b.doc_segs[d], b.doc_segs[d + 1])]
            rid = ids[(id_ends[d - 1] if d else 0):id_ends[d]]
            out.append((segs, int(b.prompt_segs[d]), b.probes.get(d), rid))
        out += [orjson.loads(q) for q in b.quarantined]
        counts += [b.records, b.empty_records, b.lines_read, b.bytes_read]
    return [*out, counts.tolist()]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=files())
def test_fast_lane_gives_what_the_classifier_gives(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    for template in ("qa", "qa+reasoning", "text"):
        for loss_on, exact in (("all", True), ("answer", True), ("answer", False)):
            config = PackConfig("tokenizer.json", template=template, loss_on=loss_on,
                                max_record_bytes=4096)
            assert _documents(path, config, exact, True) == \
                _documents(path, config, exact, False), (template, loss_on, exact)


def test_most_lines_of_real_qa_take_the_fast_lane(corpora_dir: Path, tmp_path: Path) -> None:
    """Every qa_en line is vouched for (22% of them carry reference-answer lists)."""
    import zstandard

    data = zstandard.ZstdDecompressor().decompress(
        (corpora_dir / "qa_en.jsonl.zst").read_bytes(), max_output_size=1 << 30)
    raw = np.frombuffer(data, np.uint8)
    n, k = _jsonl.count_lines(raw), len(KEYS)
    kind = np.empty(n, np.uint8)
    types = np.empty(n * k, np.uint8)
    _jsonl.scan(raw, NAMES, NAME_OFFSETS, 1 << 22, np.empty(n, np.int64), kind, types,
                np.empty(n * k, np.uint8), np.empty(n * k, np.int64), np.empty(n * k, np.int64),
                np.empty(len(data), np.uint8))
    assert (kind == FAST).all()
    (tmp_path / "qa.jsonl").write_bytes(data[:2_000_000])
    config = PackConfig("tokenizer.json")
    assert _documents(tmp_path / "qa.jsonl", config, True, True) == \
        _documents(tmp_path / "qa.jsonl", config, True, False)


@given(st.lists(st.one_of(BAD, st.builds(lambda r: json.dumps(r).encode(), RECORDS)),
                max_size=20))
def test_the_scanner_vouches_only_for_what_orjson_reads(lines: list[bytes]) -> None:
    lines = [line.replace(b"\n", b" ") for line in lines]
    data = b"".join(line + b"\n" for line in lines)
    raw = np.frombuffer(data, np.uint8)
    n, k = len(lines), len(KEYS)
    kind, types = np.empty(n, np.uint8), np.empty(n * k, np.uint8)
    starts, lengths = np.empty(n * k, np.int64), np.empty(n * k, np.int64)
    out = np.empty(len(data), np.uint8)
    _jsonl.scan(raw, NAMES, NAME_OFFSETS, 1 << 20, np.empty(n, np.int64), kind, types,
                np.empty(n * k, np.uint8), starts, lengths, out)
    for i, line in enumerate(lines):
        if kind[i] == BLANK:
            assert line.isspace() or not line
        if kind[i] != FAST:
            continue
        obj = orjson.loads(line)
        assert isinstance(obj, dict)
        for j, key in enumerate(KEYS):
            if types[i * k + j] == STRING:
                s, m = int(starts[i * k + j]), int(lengths[i * k + j])
                assert out[s:s + m].tobytes().decode() == obj[key]


def test_gather_checks_its_parts() -> None:
    src = np.frombuffer(b"hello world", np.uint8)
    dst = np.empty(5, np.uint8)
    assert _jsonl.gather(src, np.array([6, 0]), np.array([3, 2]), dst) == 5
    assert dst.tobytes() == b"worhe"
    with pytest.raises(InvalidInput):
        _jsonl.gather(src, np.array([9]), np.array([3]), dst)
    with pytest.raises(InvalidInput):
        _jsonl.gather(src, np.array([0]), np.array([-1]), dst)
    with pytest.raises(KernelError, match="too small"):
        _jsonl.gather(src, np.array([0]), np.array([11]), dst)
    with pytest.raises(ValueError):
        _jsonl.scan(src, NAMES, NAME_OFFSETS, 10, *(np.empty(1, t) for t in (
            np.int64, np.uint8, np.uint8, np.uint8, np.int64, np.int64)), np.empty(20, np.uint8))
