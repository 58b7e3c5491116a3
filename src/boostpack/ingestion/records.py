"""The canonical record: a plain ``dict``, one per QA item or plain-text document.

A class per record would cost a few hundred nanoseconds each, which at 10^9 records is the whole
ingest budget, so records stay dicts with a documented shape:

- required: ``"id"`` (str) and either ``"question"`` + ``"answer"`` (str, non-empty) for QA or
  ``"text"`` (str, non-empty) for a plain-text document;
- optional, typed when present: ``"reasoning"`` (str, R1-style thinking split out of a leading
  ``<think>…</think>``), ``"options"``, ``"language"`` (str), ``"discipline"`` (list[str] path,
  e.g. ``["STEM", "Physics", "Optics"]``), ``"difficulty"`` and ``"grade"`` (a level: see
  ``level_value``), ``"synth_type"``, ``"source"``, ``"generator"``, ``"system"`` (chat system
  prompt); ``"options"``, ``"synth_type"``, ``"source"`` and ``"generator"`` are any JSON value;
- every other input field, verbatim, at top level.

A null optional field is absent. A value of the wrong type is ``wrong_type:<name>``; a number
that no 64-bit integer or finite double can hold is ``out_of_range:<name>``.

An answer given as a list of acceptable reference answers (SQuAD, NQ-open, CoQA, DROP and
LAMBADA ship them that way: 22% of the real QA corpus) is accepted: its first non-empty string
becomes ``"answer"`` and the whole list is kept as ``"answers"``.

Collision rule: a canonical field always holds the canonical value. When an input carries a field
under a canonical name that the reader did not use as that field's source (e.g. ``--map
question=prompt`` on a line that also has a ``"question"``), the input's value is kept as
``"orig_<name>"`` (``"orig_orig_<name>"`` if that is taken too), so nothing is lost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import xxhash

QA_FIELDS = ("question", "answer")
# Optional canonical fields, in the order they are written after id/question/answer/text.
OPTIONAL_FIELDS = ("reasoning", "system", "options", "language", "discipline", "difficulty",
                   "grade", "synth_type", "source", "generator")
CANONICAL_FIELDS = ("id", "question", "answer", "text", *OPTIONAL_FIELDS)
_CANONICAL_SET = frozenset(CANONICAL_FIELDS)
_OPTIONAL_SET = frozenset(OPTIONAL_FIELDS)
_STR_FIELDS = frozenset(("reasoning", "language", "system"))
_LEVEL_FIELDS = frozenset(("difficulty", "grade"))
_TEXT_FIELDS = ("text",)

THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
# "STEM/Physics/Optics", "STEM > Physics > Optics" and "STEM → Physics" are all seen in
# synthesized-data taxonomies; "::" shows up in hierarchical labels exported from spreadsheets.
_DISCIPLINE_SEP = re.compile(r"\s*(?:/|>|→|::)\s*")


class RecordError(ValueError):
    """A record that cannot be made canonical; ``reason`` is a short stable code, ``detail`` a
    longer human message when there is one (it goes to the quarantine entry)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def record_text(record: dict[str, Any], fields: Sequence[str] = QA_FIELDS) -> str:
    """The text to hash and dedup: the named fields joined by ``"\\n"``.

    A plain-text record (no question and no answer) gives its ``"text"``. Missing fields are
    skipped, so ``fields=("question",)`` dedups on questions alone.
    """
    if "question" not in record and "answer" not in record:
        return record.get("text", "")
    return "\n".join(record[f] for f in fields if f in record)


def record_id(record: dict[str, Any]) -> str:
    """A stable 32-hex-digit id (128-bit xxh3) of the record's text fields.

    Covers question, answer, reasoning and text with a field tag each, so a QA pair and a text
    document with the same characters get different ids. Exact duplicates share an id on purpose:
    the id names the content.
    """
    h = xxhash.xxh3_128()
    for name in ("question", "answer", "reasoning", "text"):
        value = record.get(name)
        if value is not None:
            h.update(name.encode())
            h.update(b"\x00")
            h.update(value.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
    return h.hexdigest()


def split_think(answer: str) -> tuple[str | None, str]:
    """Split a leading ``<think>…</think>`` off an answer: ``(reasoning or None, answer)``.

    Raises RecordError("unclosed_think") when the answer opens a think block that never closes:
    that is a generation cut off inside its reasoning, with no answer to train on.
    """
    stripped = answer.lstrip()
    if not stripped.startswith(THINK_OPEN):
        return None, answer
    end = stripped.find(_THINK_CLOSE)
    if end < 0:
        raise RecordError("unclosed_think")
    reasoning = stripped[len(THINK_OPEN):end].strip()
    return reasoning, stripped[end + len(_THINK_CLOSE):].lstrip()


def split_discipline(value: Any) -> list[str]:
    """A discipline path as a list of non-empty names; a ``"A/B/C"`` or ``"A > B"`` string is split."""
    if isinstance(value, str):
        return [p for p in _DISCIPLINE_SEP.split(value.strip()) if p]
    if isinstance(value, list) and all(isinstance(p, str) for p in value):
        return [p.strip() for p in value if p.strip()]
    raise RecordError("wrong_type:discipline")


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def level_value(name: str, value: Any) -> int | float | str:
    """A ``difficulty`` or ``grade`` as kept: a string as given (``"easy"``, ``"grade 9"``,
    ``"3"``), an int as is, a whole float as that int (``3.0`` -> 3, as JSON writers emit
    Python floats), any other finite float as is (1-10 scales with halves are common).

    Raises RecordError: ``wrong_type:<name>`` for a bool, list, object; ``out_of_range:<name>``
    for NaN, infinity (Parquet and Arrow can hold them) and whole numbers outside the signed
    64-bit range (``2e19``, ``-1e308``): orjson cannot write them, nor an Arrow int64 hold them.
    """
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        if _INT64_MIN <= value <= _INT64_MAX:
            return value
        raise RecordError(f"out_of_range:{name}", f"{name} {value} is outside the 64-bit integer range")
    if kind is float:
        if not math.isfinite(value):
            raise RecordError(f"out_of_range:{name}", f"{name} {value} is not a finite number")
        if not value.is_integer():
            return value
        if _INT64_MIN <= value <= _INT64_MAX:
            return int(value)
        raise RecordError(f"out_of_range:{name}", f"{name} {value:g} is outside the 64-bit integer range")
    # bool is an int subclass, but True is not a level; a list or an object is not one level.
    raise RecordError(f"wrong_type:{name}")


def _as_id(value: Any) -> str:
    if isinstance(value, str):
        if value:
            return value
        raise RecordError("empty_field:id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RecordError("wrong_type:id")


def optional_value(name: str, value: Any) -> Any:
    """The canonical value of optional field ``name`` (not None): a discipline path split, a
    difficulty or grade as a level (``level_value``), a string field checked; RecordError
    (``wrong_type:<name>``, ``out_of_range:<name>``) otherwise."""
    if name == "discipline":
        return split_discipline(value)
    if name in _LEVEL_FIELDS:
        return level_value(name, value)
    if name in _STR_FIELDS and type(value) is not str:
        raise RecordError(f"wrong_type:{name}")
    return value


def first_reference_answer(answers: list[Any]) -> str:
    """The first non-empty string of a reference-answer list (nested one level, as DROP's)."""
    for item in answers:
        for value in item if type(item) is list else (item,):
            if type(value) is not str:
                raise RecordError("wrong_type:answer")
            if value and not value.isspace():
                return value
    raise RecordError("empty_field:answer")


def finish_record(fields: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    """Validate canonical ``fields`` and merge the verbatim ``extras`` into one canonical record.

    ``fields`` holds the canonical values a reader extracted (question/answer or text required);
    ``extras`` the input's other top-level fields. Key order is fixed (id, question, answer, text,
    optional fields, extras in input order) so output bytes are deterministic.
    """
    # Hot path (once per input line of the generic readers): no helper calls for the required
    # fields, no string copies.
    is_qa = "question" in fields or "answer" in fields
    required = QA_FIELDS if is_qa else _TEXT_FIELDS
    references = None
    if is_qa and type(fields.get("answer")) is list:
        references = fields["answer"]
        fields["answer"] = first_reference_answer(references)
    for name in required:
        value = fields.get(name)
        if type(value) is not str:
            raise RecordError(f"missing_field:{name}" if value is None else f"wrong_type:{name}")
    answer: str = fields["answer"] if is_qa else ""
    if is_qa and fields.get("reasoning") is None and (answer.startswith(THINK_OPEN) or (
            answer[:1].isspace() and answer.lstrip().startswith(THINK_OPEN))):
        reasoning, answer = split_think(answer)
        if reasoning is not None:
            fields["answer"] = answer
            fields["reasoning"] = reasoning
    rid = fields.get("id")
    out: dict[str, Any] = {"id": rid if type(rid) is str and rid else "" if rid is None else _as_id(rid)}
    for name in required:
        value = fields[name]
        if not value or value.isspace():
            raise RecordError(f"empty_field:{name}")
        out[name] = value
    if not _OPTIONAL_SET.isdisjoint(fields):
        for name in OPTIONAL_FIELDS:
            value = fields.get(name)
            if value is not None:
                out[name] = optional_value(name, value)
    if references is not None:
        out["answers"] = references
    for key, value in extras.items():
        # An input field under a canonical name that was not its source never masquerades as
        # the canonical field (it would skip validation), even when that field is absent.
        if key in _CANONICAL_SET:
            key = "orig_" + key
        while key in out:
            key = "orig_" + key
        out[key] = value
    if not out["id"]:
        out["id"] = record_id(out)
    return out
