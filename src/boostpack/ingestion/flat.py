"""Flat formats, whose record fields are top-level keys of the object: ``qa``/``text`` and
``alpaca`` (see ``formats`` for the rules). ``qa`` without a field mapping is what generators
write and what ingest reads most, so it has a fast path: a conversion plan per key layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boostpack.ingestion.fields import (
    OPTIONAL_ALIAS_KEYS,
    OPTIONAL_BY_ALIAS,
    QA_ALIASES,
    Converter,
    Fields,
)
from boostpack.ingestion.records import (
    CANONICAL_FIELDS,
    OPTIONAL_FIELDS,
    THINK_OPEN,
    RecordError,
    finish_record,
    first_reference_answer,
    optional_value,
    record_id,
)

_QUESTION_ALIASES, _ANSWER_ALIASES = QA_ALIASES["question"], QA_ALIASES["answer"]
_CANONICAL_SET = frozenset(CANONICAL_FIELDS)
# Distinct key tuples remembered per converter. Generator output repeats one or a few key
# layouts; a file whose every line has new keys stops caching here and takes the generic path.
_MAX_PLANS = 256


def _convert_flat(obj: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    f = Fields(obj, mapping)
    f.take("id", ("id",))
    has_q = f.take("question", QA_ALIASES["question"])
    has_a = f.take("answer", QA_ALIASES["answer"])
    if not (has_q or has_a) and not f.take("text", ("text",)):
        raise RecordError("missing_field:question")
    f.take_optional()
    return f.finish()


def _convert_flat_plain(obj: dict[str, Any]) -> dict[str, Any]:
    """``_convert_flat`` without a mapping, inlined: what ``_flat_plain_converter`` falls back
    to for any line off its fast path, and its reference in the tests."""
    values: dict[str, Any] = {}
    consumed: set[str] = set()
    if "id" in obj:
        values["id"] = obj["id"]
        consumed.add("id")
    for alias in _QUESTION_ALIASES:
        if alias in obj:
            values["question"] = obj[alias]
            consumed.add(alias)
            break
    for alias in _ANSWER_ALIASES:
        if alias in obj:
            values["answer"] = obj[alias]
            consumed.add(alias)
            break
    if "question" not in values and "answer" not in values:
        if "text" not in obj:
            raise RecordError("missing_field:question")
        values["text"] = obj["text"]
        consumed.add("text")
    present = OPTIONAL_ALIAS_KEYS.intersection(obj)
    if present:
        for _, name, alias in sorted((*OPTIONAL_BY_ALIAS[a], a) for a in present):
            if name not in values:
                values[name] = obj[alias]
                consumed.add(alias)
    return finish_record(values, {k: v for k, v in obj.items() if k not in consumed})


class _FlatPlan:
    """What ``_convert_flat_plain`` does with one key layout, worked out once: the source keys
    of id/question/answer (or text), the optional fields in output order, the extras with their
    output names. Only for layouts where no extra's output name can collide (then the
    ``orig_`` renaming of ``finish_record`` is fixed by the keys alone)."""

    __slots__ = ("answer", "extras", "id", "optional", "question", "text")

    def __init__(self, id_key: str | None, question: str | None, answer: str | None,
                 text: str | None, optional: tuple[tuple[str, str], ...],
                 extras: tuple[tuple[str, str], ...]) -> None:
        self.id, self.question, self.answer, self.text = id_key, question, answer, text
        self.optional, self.extras = optional, extras


def _flat_plan(keys: tuple[str, ...]) -> _FlatPlan | None:
    """The plan for objects with exactly ``keys`` (in order), or None when the layout needs the
    generic path (QA with only one side, nothing to convert, or a possible name collision)."""
    present = set(keys)
    question = next((a for a in _QUESTION_ALIASES if a in present), None)
    answer = next((a for a in _ANSWER_ALIASES if a in present), None)
    text = None
    if question is None and answer is None:
        if "text" not in present:
            return None
        text = "text"
    elif question is None or answer is None:
        return None  # the generic path raises missing_field for the absent side
    id_key = "id" if "id" in present else None
    chosen: dict[str, str] = {}
    for alias in sorted(OPTIONAL_ALIAS_KEYS.intersection(present), key=OPTIONAL_BY_ALIAS.get):
        chosen.setdefault(OPTIONAL_BY_ALIAS[alias][1], alias)
    optional = tuple((name, chosen[name]) for name in OPTIONAL_FIELDS if name in chosen)
    consumed = {k for k in (id_key, question, answer, text) if k is not None}
    consumed.update(chosen.values())
    taken = {"id", "question", "answer", "text", "answers", *chosen}
    extras = []
    for key in keys:
        if key in consumed:
            continue
        out = "orig_" + key if key in _CANONICAL_SET else key
        if out in taken:  # finish_record's renaming loop would depend on the values
            return None
        taken.add(out)
        extras.append((key, out))
    return _FlatPlan(id_key, question, answer, text, optional, tuple(extras))


def _flat_plain_converter() -> Converter:
    """``_convert_flat_plain`` with a plan per key layout (``_FlatPlan``): the common line
    (string fields, no ``<think>``, no conversion error) is built in one pass without the
    intermediate dicts; any other line takes ``_convert_flat_plain``, which gives the same
    record or the same error. Measured on qa_en (73k lines): 3.6 -> 1.5 µs per line, next to
    ~3 µs for orjson's parse of the line."""
    plans: dict[tuple[str, ...], _FlatPlan | None] = {}

    def convert(obj: dict[str, Any]) -> dict[str, Any]:
        keys = tuple(obj)
        plan = plans.get(keys)
        if plan is None:
            if keys in plans or len(plans) >= _MAX_PLANS:
                return _convert_flat_plain(obj)
            plan = plans[keys] = _flat_plan(keys)
            if plan is None:
                return _convert_flat_plain(obj)
        rid = obj[plan.id] if plan.id is not None else None
        if rid is None:
            rid = ""
        elif type(rid) is not str or not rid:
            return _convert_flat_plain(obj)
        references = None
        if plan.text is None:
            question, answer = obj[plan.question], obj[plan.answer]
            if type(question) is not str or not question or question.isspace():
                return _convert_flat_plain(obj)
            if type(answer) is list:
                references = answer
                try:
                    answer = first_reference_answer(references)
                except RecordError:
                    return _convert_flat_plain(obj)
            elif type(answer) is not str or not answer or answer.isspace():
                return _convert_flat_plain(obj)
            if answer.startswith(THINK_OPEN) or (
                    answer[:1].isspace() and answer.lstrip().startswith(THINK_OPEN)):
                return _convert_flat_plain(obj)
            out = {"id": rid, "question": question, "answer": answer}
        else:
            text = obj[plan.text]
            if type(text) is not str or not text or text.isspace():
                return _convert_flat_plain(obj)
            out = {"id": rid, "text": text}
        for name, alias in plan.optional:
            value = obj[alias]
            if value is not None:
                try:
                    out[name] = optional_value(name, value)
                except RecordError:
                    return _convert_flat_plain(obj)
        if references is not None:
            out["answers"] = references
        for key, name in plan.extras:
            out[name] = obj[key]
        if not rid:
            out["id"] = record_id(out)
        return out

    return convert


def flat_converter(mapping: Mapping[str, str]) -> Converter:
    """The ``qa``/``text`` converter: the planned fast path without a mapping, else generic."""
    if mapping:
        return lambda obj: _convert_flat(obj, mapping)
    return _flat_plain_converter()


def convert_alpaca(obj: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """An ``alpaca`` object as a canonical record."""
    f = Fields(obj, mapping)
    f.take("id", ("id",))
    if not f.take("question", ("instruction",)):
        raise RecordError("missing_field:instruction")
    if not f.take("answer", ("output",)):
        raise RecordError("missing_field:output")
    extra_input = obj.get("input")
    if "question" not in mapping and extra_input not in (None, ""):
        if not isinstance(extra_input, str):
            raise RecordError("wrong_type:input")
        if isinstance(f.values["question"], str):
            f.values["question"] = f.values["question"] + "\n\n" + extra_input
    if "input" in obj and "question" not in mapping:
        f.consumed.add("input")
    f.take_optional()
    return f.finish()
