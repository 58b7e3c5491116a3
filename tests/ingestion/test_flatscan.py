"""``FlatScan.qa_records`` vouches only for lines the flat converter makes a QA record of, and
the decoded question and answer it reports are that record's."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from boostpack.ingestion.flat import flat_converter
from boostpack.ingestion.flatscan import SLOT, FlatScan
from boostpack.ingestion.records import RecordError

TEXT = st.sampled_from(["q", "caf\u00e9 \U0001f600", ' "x" \\ \t', " ", "", "  <think>a</think>b", "\x00"])
VALUE = st.one_of(TEXT, st.integers(-(2**70), 2**70), st.none(), st.booleans(),
                  st.floats(allow_nan=False, allow_infinity=False), st.lists(TEXT, max_size=2),
                  st.lists(st.lists(TEXT, max_size=2), max_size=2), st.dictionaries(st.just("k"), TEXT, max_size=1))
KEYS = st.sampled_from(["id", "question", "prompt", "input", "answer", "response", "solution", "text",
                        "reasoning", "thinking", "grade", "difficulty", "discipline", "language",
                        "system", "options", "orig_text", "answers", "messages"])


# Mostly QA objects (question and answer first), then any keys on top.
OBJECTS = st.builds(lambda base, more: {**base, **more},
                    st.fixed_dictionaries({"id": TEXT, "question": TEXT, "answer": st.one_of(TEXT, VALUE)}),
                    st.dictionaries(KEYS, VALUE, max_size=4))


@settings(max_examples=400, deadline=None)
@given(st.lists(OBJECTS, min_size=1, max_size=8), st.booleans())
def test_vouched_lines_are_the_converters_records(objects: list[dict[str, Any]], ascii_only: bool) -> None:
    lines = [json.dumps(o, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass") for o in objects]
    scan = FlatScan(b"\n".join(lines) + b"\n", len(lines), 0)
    good = scan.qa_records()
    convert = flat_converter({})

    def text(line: int, slot: int) -> str:
        s, n = int(scan.starts[line, slot]), int(scan.lengths[line, slot])
        return scan.out[s:s + n].tobytes().decode("utf-8")

    for i, line in enumerate(lines):
        if not good[i]:
            continue
        try:
            record = convert(orjson.loads(line))
        except RecordError as exc:
            raise AssertionError(f"vouched for {line!r}, which the converter refuses ({exc.reason})") from None
        assert record["question"] == text(i, int(scan.question[i]))
        assert record["answer"] == text(i, int(scan.answer[i]))
        if isinstance(objects[i].get("id"), str) and objects[i]["id"]:
            assert record["id"] == text(i, SLOT["id"])


def test_plain_qa_lines_are_vouched_for() -> None:
    lines = [b'{"id":"a","question":"q\\u00e9","answer":"x","grade":3}',
             b'{"id":"b","question":"q","answer":"x","grade":true}',  # wrong_type:grade
             b'{"question":"q","answer":["", ["y"]]}']
    scan = FlatScan(b"\n".join(lines) + b"\n", 3, 0)
    assert scan.qa_records().tolist() == [True, False, True]
