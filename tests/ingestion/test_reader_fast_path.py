"""The planned flat-QA converter and the line loop of ``read_batches`` against plain oracles.

``_flat_plain_converter`` (one plan per key layout, the reader's fast path) must give exactly what
``_convert_flat_plain`` gives: the same record, key order included, or the same error reason.
``read_batches`` must classify every physical line as a one-line-at-a-time reference reader
does, whatever the batch size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack.ingestion import flat
from boostpack.ingestion.flat import _convert_flat_plain, _flat_plain_converter
from boostpack.ingestion.readers import ReadOptions, read_batches
from boostpack.ingestion.records import RecordError

KEYS = ("id", "question", "answer", "text", "prompt", "response", "query", "problem", "input",
        "output", "completion", "solution", "reasoning", "reasoning_content", "thinking", "system",
        "options", "language", "discipline", "difficulty", "grade", "synth_type", "source",
        "generator", "answers", "orig_question", "orig_text", "orig_orig_text", "orig_id",
        "task", "meta")
STRINGS = st.sampled_from(["Q", "an answer", "", " ", "\n\t", "<think>r</think>A", " <think>r</think>",
                           "<think>open", "STEM > Physics", "7", "x" * 40])
VALUES = st.one_of(
    STRINGS, st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([2.0, 2.5]),
    st.lists(st.one_of(STRINGS, st.lists(STRINGS, max_size=2), st.integers(0, 1)), max_size=3),
    st.dictionaries(st.sampled_from(["k", "text"]), STRINGS, max_size=2))
OBJECTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8)
# Layouts like real generator output: both QA sides as strings, a few extras.
QA_OBJECTS = st.fixed_dictionaries(
    {"question": STRINGS, "answer": st.one_of(STRINGS, st.lists(STRINGS, max_size=2))},
    optional={k: VALUES for k in ("id", "task", "source", "difficulty", "discipline", "thinking",
                                  "reasoning", "text", "answers", "orig_question")})


def _outcome(convert: Any, obj: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "record", list(convert(obj).items())
    except RecordError as exc:
        return "error", exc.reason


@given(st.lists(st.one_of(OBJECTS, QA_OBJECTS), min_size=1, max_size=12))
def test_planned_converter_equals_the_generic_one(objects: list[dict[str, Any]]) -> None:
    convert = _flat_plain_converter()
    for obj in objects + objects:  # the second pass runs on cached plans
        assert _outcome(convert, obj) == _outcome(_convert_flat_plain, obj)


@pytest.mark.parametrize("obj", [
    {"question": "q", "answer": "a", "text": "t", "orig_text": "u"},
    {"orig_text": "u", "question": "q", "answer": "a", "text": "t"},
    {"question": "q", "answer": ["a", "b"], "answers": "x"},
    {"question": "q", "answer": "a", "answers": "x"},
    {"prompt": "q", "question": None, "response": "a", "orig_question": 1},
    {"text": "t", "answers": [1], "id": 5},
    {"question": "q", "answer": "a", "reasoning": None, "thinking": "t", "discipline": "A/B"},
])
def test_name_collisions_and_conversions_match_the_generic_converter(obj: dict[str, Any]) -> None:
    convert = _flat_plain_converter()
    assert _outcome(convert, obj) == _outcome(convert, obj) == _outcome(_convert_flat_plain, obj)


def test_plan_cache_is_bounded_and_overflow_takes_the_generic_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flat, "_MAX_PLANS", 2)
    convert = _flat_plain_converter()
    objects = [{"question": "q", "answer": "a", f"extra{i}": i} for i in range(5)]
    for obj in objects + objects:
        assert _outcome(convert, obj) == _outcome(_convert_flat_plain, obj)


def _reference_read(data: bytes) -> tuple[list[Any], list[Any], int]:
    """Records (line, record), quarantine (line, offset, reason, raw) and blank lines, one
    physical line at a time (format forced to ``qa``)."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    records, quarantined, empty, offset = [], [], 0, 0
    for number, line in enumerate(lines, 1):
        at = offset
        offset += len(line) + 1
        line = line.removesuffix(b"\r")
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line, at = line[3:], at + 3
        if not line or line.isspace():
            empty += 1
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            try:
                line.decode("utf-8")
                reason = "invalid_json"
            except UnicodeDecodeError:
                reason = "invalid_utf8"
            quarantined.append((number, at, reason, line))
            continue
        if not isinstance(obj, dict):
            quarantined.append((number, at, "not_an_object", line))
            continue
        kind, value = _outcome(_convert_flat_plain, obj)
        if kind == "error":
            quarantined.append((number, at, value, line))
        else:
            records.append((number, value, line))
    return records, quarantined, empty


LINES = st.one_of(
    QA_OBJECTS.map(orjson.dumps), OBJECTS.map(orjson.dumps),
    st.sampled_from([b"", b"  ", b"\r", b"[1]", b"not json", b"\xff\xfe{}", b'"s"',
                     b'{"question": "q", "answer": "a"}\r', b"\xef\xbb\xbf{}"]))


@given(lines=st.lists(LINES, min_size=1, max_size=40), bom=st.booleans(), final=st.booleans(),
       batch_lines=st.integers(1, 7))
def test_read_batches_equals_a_line_at_a_time_reader(tmp_path_factory: pytest.TempPathFactory,
                                                     lines: list[bytes], bom: bool, final: bool,
                                                     batch_lines: int) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + (b"\n" if final else b"")
    path = tmp_path_factory.mktemp("lines") / "in.jsonl"
    path.write_bytes(data)
    records, quarantined, empty, read, size = [], [], 0, 0, 0
    for batch in read_batches(path, ReadOptions(fmt="qa"), batch_lines):
        assert batch.lines_read <= batch_lines
        records += [(n, list(r.items()), raw)
                    for n, r, raw in zip(batch.lines, batch.records, batch.raw, strict=True)]
        quarantined += [(q.line, q.offset, q.reason, q.raw.encode("utf-8", "surrogateescape"))
                        for q in batch.quarantined]
        empty += batch.empty
        read += batch.lines_read
        size += batch.bytes_read
    expected = _reference_read(data)
    assert (records, quarantined, empty) == expected
    assert read == len(records) + len(quarantined) + empty
    assert size == len(data) + (0 if data.endswith(b"\n") or not data else 1)


def test_a_file_of_changing_layouts_reads_as_the_generic_converter(tmp_path: Path) -> None:
    objects = [{"question": f"q{i}", "answer": "a", f"k{i % 300}": i, "id": i % 3 or None}
               for i in range(1000)]
    path = tmp_path / "layouts.jsonl"
    path.write_bytes(b"\n".join(map(orjson.dumps, objects)))
    got = [r for b in read_batches(path, ReadOptions(fmt="qa"), 128) for r in b.records]
    assert [list(r.items()) for r in got] == [
        list(_convert_flat_plain(o).items()) for o in objects]
