"""The canonical record: ids, dedup text, <think> splitting, discipline paths, field rules."""

from __future__ import annotations

import pytest
import xxhash
from hypothesis import given
from hypothesis import strategies as st

from boostpack.ingestion.records import (
    RecordError,
    finish_record,
    record_id,
    record_text,
    split_discipline,
    split_think,
)

texts = st.text(min_size=1).filter(str.strip)


def test_record_text_joins_named_fields_and_falls_back_to_text() -> None:
    qa = {"id": "1", "question": "Q?", "answer": "A.", "reasoning": "R"}
    assert record_text(qa) == "Q?\nA."
    assert record_text(qa, ("question",)) == "Q?"
    assert record_text(qa, ("question", "reasoning", "answer")) == "Q?\nR\nA."
    assert record_text({"id": "2", "text": "plain"}) == "plain"


def test_record_id_is_xxh3_128_of_tagged_text_fields() -> None:
    expected = xxhash.xxh3_128(b"question\x00Q\x00answer\x00A\x00").hexdigest()
    assert record_id({"question": "Q", "answer": "A", "other": 1}) == expected
    assert len(expected) == 32


# Extra keys are never text fields (an integer "text" is not a record's text).
@given(texts, texts, st.dictionaries(
    st.text(min_size=1).filter(lambda k: k not in ("question", "answer", "reasoning", "text")),
    st.integers(), max_size=3))
def test_record_id_depends_on_text_fields_only(q: str, a: str, extras: dict) -> None:
    base = {"question": q, "answer": a}
    assert record_id({**extras, **base}) == record_id(base)
    assert record_id({"question": q + "x", "answer": a}) != record_id(base)
    # The field tags keep a QA pair and a text document with the same characters apart.
    assert record_id({"text": q}) != record_id({"question": q, "answer": ""})


def test_split_think() -> None:
    assert split_think("  <think>\nstep 1\n</think>\n\nFinal.") == ("step 1", "Final.")
    assert split_think("No thinking here.") == (None, "No thinking here.")
    assert split_think("Answer with <think>inside</think> later") == (
        None, "Answer with <think>inside</think> later")
    with pytest.raises(RecordError) as err:
        split_think("<think>never closed")
    assert err.value.reason == "unclosed_think"


@pytest.mark.parametrize(("value", "path"), [
    ("STEM/Physics/Optics", ["STEM", "Physics", "Optics"]),
    ("STEM > Physics > Optics", ["STEM", "Physics", "Optics"]),
    (" Humanities / History ", ["Humanities", "History"]),
    (["STEM", " Biology "], ["STEM", "Biology"]),
    ("Mathematics", ["Mathematics"]),
])
def test_split_discipline(value: object, path: list[str]) -> None:
    assert split_discipline(value) == path


def test_split_discipline_rejects_other_types() -> None:
    with pytest.raises(RecordError, match="wrong_type:discipline"):
        split_discipline(["STEM", 3])


def test_finish_record_orders_keys_types_fields_and_keeps_extras() -> None:
    record = finish_record(
        {"question": "Q", "answer": "<think>r</think>A", "difficulty": "3", "id": 17,
         "discipline": "A/B"},
        {"zeta": 1, "alpha": [2]})
    assert list(record) == ["id", "question", "answer", "reasoning", "discipline", "difficulty",
                            "zeta", "alpha"]
    assert record["id"] == "17" and record["answer"] == "A" and record["reasoning"] == "r"
    assert record["difficulty"] == "3" and record["discipline"] == ["A", "B"]


def test_finish_record_collision_rule() -> None:
    # "question" came from elsewhere (a mapping); the input's own "question" is kept aside, and an
    # unused canonical name never poses as the canonical field even when that field is absent.
    record = finish_record({"question": "mapped", "answer": "A"},
                           {"question": "original", "orig_question": "taken", "difficulty": "hard"})
    assert record["question"] == "mapped"
    assert record["orig_question"] == "original"
    assert record["orig_orig_question"] == "taken"
    assert record["orig_difficulty"] == "hard" and "difficulty" not in record


def test_finish_record_derives_id_when_missing() -> None:
    record = finish_record({"question": "Q", "answer": "A"}, {})
    assert record["id"] == record_id({"question": "Q", "answer": "A"})


def test_explicit_reasoning_is_not_overwritten_by_think() -> None:
    record = finish_record({"question": "Q", "answer": "<think>x</think>A", "reasoning": "given"}, {})
    assert record["reasoning"] == "given" and record["answer"] == "<think>x</think>A"


@pytest.mark.parametrize(("fields", "reason"), [
    ({"answer": "A"}, "missing_field:question"),
    ({"question": "Q"}, "missing_field:answer"),
    ({"question": ["Q"], "answer": "A"}, "wrong_type:question"),
    ({"question": "Q", "answer": "  "}, "empty_field:answer"),
    ({"question": "Q", "answer": "<think>only thinking</think>"}, "empty_field:answer"),
    ({"question": "Q", "answer": "A", "difficulty": True}, "wrong_type:difficulty"),
    ({"question": "Q", "answer": "A", "difficulty": [3]}, "wrong_type:difficulty"),
    ({"question": "Q", "answer": "A", "grade": {"us": 9}}, "wrong_type:grade"),
    ({"question": "Q", "answer": "A", "difficulty": 2e19}, "out_of_range:difficulty"),
    ({"question": "Q", "answer": "A", "difficulty": -1e308}, "out_of_range:difficulty"),
    ({"question": "Q", "answer": "A", "difficulty": 1 << 63}, "out_of_range:difficulty"),
    ({"question": "Q", "answer": "A", "grade": float("nan")}, "out_of_range:grade"),
    ({"question": "Q", "answer": "A", "grade": float("-inf")}, "out_of_range:grade"),
    ({"question": "Q", "answer": "A", "id": 1.5}, "wrong_type:id"),
    ({"question": "Q", "answer": "A", "language": 5}, "wrong_type:language"),
    ({}, "missing_field:text"),
    ({"text": 5}, "wrong_type:text"),
])
def test_finish_record_reasons(fields: dict, reason: str) -> None:
    with pytest.raises(RecordError) as err:
        finish_record(fields, {})
    assert err.value.reason == reason


def test_reference_answer_lists_become_answer_plus_answers():
    rec = finish_record({"question": "Who?", "answer": ["", "Justin Timberlake", "JT"]}, {})
    assert rec["answer"] == "Justin Timberlake"
    assert rec["answers"] == ["", "Justin Timberlake", "JT"]
    nested = finish_record({"question": "Which?", "answer": [["swedish"], ["Swedish"]]},
                           {"answers": "input field of the same name"})
    assert nested["answer"] == "swedish" and nested["orig_answers"] == "input field of the same name"
    for bad, reason in (([], "empty_field:answer"), ([" "], "empty_field:answer"),
                        ([1, 2], "wrong_type:answer")):
        with pytest.raises(RecordError) as info:
            finish_record({"question": "q", "answer": bad}, {})
        assert info.value.reason == reason


def test_reference_answer_lists_through_a_reader(tmp_path):
    from boostpack.ingestion.readers import read_records
    path = tmp_path / "squad.jsonl"
    path.write_text('{"question": "How old?", "answer": ["23 years", "23"]}\n', encoding="utf-8")
    (rec,) = read_records([path])
    assert (rec["answer"], rec["answers"]) == ("23 years", ["23 years", "23"])


@pytest.mark.parametrize(("value", "kept"), [
    ("easy", "easy"), ("3", "3"), (" Level 3 ", " Level 3 "), ("", ""),  # strings as given
    (4, 4), (-(1 << 63), -(1 << 63)), ((1 << 63) - 1, (1 << 63) - 1),  # ints as they are
    (3.0, 3), (-2.0, -2), (4.5, 4.5), (0.35, 0.35),  # a whole float is that int
])
def test_difficulty_and_grade_accept_levels(value: object, kept: object) -> None:
    for name in ("difficulty", "grade"):
        record = finish_record({"question": "Q", "answer": "A", name: value}, {})
        assert record[name] == kept and type(record[name]) is type(kept)
