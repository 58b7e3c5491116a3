"""Input formats: how one parsed JSON object becomes a canonical record (see ``records``).

- ``qa`` (alias ``text``): flat records; question/answer under their canonical names, a field
  mapping, or a common alias (``prompt``/``response``, ``query``, ``problem``/``solution``,
  ``input``/``output``, ``completion``); a record with neither but a ``text`` string is a
  plain-text document. Canonical records (ingest output) are this format. (``flat``)
- ``chat``: ``messages`` (OpenAI roles) or ``conversations`` (ShareGPT ``from``/``value``). Rule
  for multi-turn: the first user turn is the question and the first assistant turn after it the
  answer; the first system turn becomes ``system``; when any turn follows that answer, the whole
  ``messages`` list is also kept verbatim so a chat template can render every turn. (``chat``)
- ``openai_batch``: a line of OpenAI Batch API output. ``custom_id`` → id,
  ``response.body.choices[0].message.content`` → answer, ``.reasoning_content`` → reasoning,
  ``response.body.model`` → generator (legacy Completions ``choices[0].text`` and Responses API
  ``output`` message / reasoning-summary items too). Batch output has no prompt, so the question
  comes from, in order: the field mapping, a ``question`` field on the line, an embedded request
  (``request.body.messages`` or ``body.messages``, as merged-output tools write), or the batch
  *requests* file joined on ``custom_id`` (``ReadOptions.requests``; what most users do): a line
  whose ``custom_id`` is in no requests file is quarantined as ``no_request`` (the id in
  ``detail``), and the request's ``body.metadata`` is carried into the record (its
  ``discipline``, ``difficulty``... fill the canonical fields the line lacks; other keys become
  fields, the line's own fields winning). A line
  with an ``error``, a null response or a non-200 status is quarantined as
  ``batch_error:<code>`` (the API's message in ``detail``); a ``finish_reason`` of ``length`` or
  an ``incomplete`` response (answer cut off) as ``truncated_answer``. (``openai_batch``)
- ``alpaca``: ``instruction`` + (blank line + ``input`` when non-empty) → question, ``output`` →
  answer. (``flat``)

This module picks the converter for a format name, or the format of an object; the converters
live in the modules named in parentheses, over the shared field picking of ``fields``. Read with
``answer_optional``, a QA object whose answer is missing, empty or not text becomes a
question-only record (``id`` and ``question``) instead of an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.ingestion.chat import convert_chat, messages_qa
from boostpack.ingestion.fields import QA_ALIASES, Converter, Fields
from boostpack.ingestion.flat import convert_alpaca, flat_converter
from boostpack.ingestion.openai_batch import batch_converter
from boostpack.ingestion.options import FORMATS
from boostpack.ingestion.records import RecordError, record_id

__all__ = ["FORMATS", "Converter", "converter", "detect_format"]


def detect_format(obj: dict[str, Any], mapping: Mapping[str, str]) -> str | None:
    """The format a parsed object looks like, or None; canonical names win over aliases."""
    if "custom_id" in obj and ("response" in obj or "error" in obj):
        return "openai_batch"
    if "question" in mapping or "answer" in mapping:
        return "qa"
    if "question" in obj or "answer" in obj:
        return "qa"
    if "messages" in mapping or "messages" in obj or "conversations" in obj:
        return "chat"
    if "instruction" in obj and "output" in obj:
        return "alpaca"
    if any(a in obj for aliases in QA_ALIASES.values() for a in aliases):
        return "qa"
    if "text" in obj or "text" in mapping:
        return "text"
    return None


def converter(fmt: str, mapping: Mapping[str, str] | None,
              requests: tuple[str | os.PathLike[str], ...] = (),
              answer_optional: bool = False) -> Converter:
    """The function turning a parsed object of format ``fmt`` into a canonical record.

    It raises ``RecordError`` (``.reason``: a short stable code) for an object it cannot use.
    """
    m: Mapping[str, str] = mapping or {}
    convert: Converter
    if fmt in ("qa", "text"):
        convert = flat_converter(m)
    elif fmt == "chat":
        convert = lambda obj: convert_chat(obj, m)  # noqa: E731
    elif fmt == "alpaca":
        convert = lambda obj: convert_alpaca(obj, m)  # noqa: E731
    elif fmt == "openai_batch":
        convert = batch_converter(m, requests)
    else:
        raise InvalidInput(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    return _answer_optional(convert, m) if answer_optional else convert


# What a converter says about an object whose answer is unusable (alpaca names its "output").
_NO_ANSWER = frozenset(("missing_field:answer", "empty_field:answer", "wrong_type:answer",
                        "missing_field:output", "empty_field:output", "wrong_type:output"))


def _answer_optional(convert: Converter, mapping: Mapping[str, str]) -> Converter:
    def convert_or_question(obj: dict[str, Any]) -> dict[str, Any]:
        try:
            return convert(obj)
        except RecordError as exc:
            if exc.reason not in _NO_ANSWER:
                raise
        return question_only(obj, mapping)

    return convert_or_question


def question_only(obj: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """The ``id`` and ``question`` of an object without a usable answer: the mapped or aliased
    question, an alpaca ``instruction`` (and ``input``), or a chat's first user turn."""
    f = Fields(obj, mapping)
    f.take("id", ("id",))
    question: Any = None
    if "question" not in mapping and "instruction" in obj:
        question = obj["instruction"]
        if isinstance(question, str) and isinstance(obj.get("input"), str) and obj["input"]:
            question += "\n\n" + obj["input"]
    elif "question" not in mapping and f.take("messages", ("messages", "conversations")):
        question = messages_qa(f.values["messages"])[1]
    elif f.take("question", QA_ALIASES["question"]):
        question = f.values["question"]
    if not isinstance(question, str) or not question.strip():
        raise RecordError("missing_field:question")
    rid = f.values.get("id")
    record: dict[str, Any] = {"id": rid if isinstance(rid, str) and rid else "", "question": question}
    if isinstance(rid, int) and not isinstance(rid, bool):
        record["id"] = str(rid)
    if not record["id"]:
        record["id"] = record_id(record)
    return record
