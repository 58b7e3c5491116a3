"""Input formats: how one parsed JSON object becomes a canonical record (see ``records``).

- ``qa`` (alias ``text``): flat records; question/answer under their canonical names, a field
  mapping, or a common alias (``prompt``/``response``, ``query``, ``problem``/``solution``,
  ``input``/``output``, ``completion``); a record with neither but a ``text`` string is a
  plain-text document. Canonical records (ingest output) are this format.
- ``chat``: ``messages`` (OpenAI roles) or ``conversations`` (ShareGPT ``from``/``value``). Rule
  for multi-turn: the first user turn is the question and the first assistant turn after it the
  answer; the first system turn becomes ``system``; when any turn follows that answer, the whole
  ``messages`` list is also kept verbatim so a chat template can render every turn.
- ``openai_batch``: a line of OpenAI Batch API output. ``custom_id`` → id,
  ``response.body.choices[0].message.content`` → answer, ``.reasoning_content`` → reasoning,
  ``response.body.model`` → generator (legacy Completions ``choices[0].text`` and Responses API
  ``output`` message / reasoning-summary items too). Batch output has no prompt, so the question
  comes from, in order: the field mapping, a ``question`` field on the line, an embedded request
  (``request.body.messages`` or ``body.messages``, as merged-output tools write), or the batch
  *requests* file joined on ``custom_id`` (``ReadOptions.requests``; what most users do). A line
  with an ``error``, a null response or a non-200 status is quarantined as
  ``batch_error:<code>`` (the API's message in ``detail``); a ``finish_reason`` of ``length`` or
  an ``incomplete`` response (answer cut off) as ``truncated_answer``.
- ``alpaca``: ``instruction`` + (blank line + ``input`` when non-empty) → question, ``output`` →
  answer.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

from boostpack.errors import InvalidInput
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
from boostpack.ingestion.streams import iter_json_lines

FORMATS = ("auto", "qa", "chat", "openai_batch", "alpaca", "text")

QA_ALIASES: dict[str, tuple[str, ...]] = {
    "question": ("question", "prompt", "query", "problem", "input"),
    "answer": ("answer", "response", "output", "completion", "solution"),
}
_OPTIONAL_ALIASES: dict[str, tuple[str, ...]] = {name: (name,) for name in OPTIONAL_FIELDS}
_OPTIONAL_ALIASES["reasoning"] = ("reasoning", "reasoning_content", "thinking")
# alias -> (priority, canonical name): lets take_optional visit only the keys a record has.
_OPTIONAL_BY_ALIAS: dict[str, tuple[int, str]] = {}
for _name, _aliases in _OPTIONAL_ALIASES.items():
    for _alias in _aliases:
        _OPTIONAL_BY_ALIAS[_alias] = (len(_OPTIONAL_BY_ALIAS), _name)
_OPTIONAL_ALIAS_KEYS = frozenset(_OPTIONAL_BY_ALIAS)
_QUESTION_ALIASES, _ANSWER_ALIASES = QA_ALIASES["question"], QA_ALIASES["answer"]
_USER_ROLES = frozenset(("user", "human"))
_ASSISTANT_ROLES = frozenset(("assistant", "gpt", "model", "bot"))
_MAPPABLE = frozenset(("id", "question", "answer", "text", "messages", *OPTIONAL_FIELDS))

Converter = Callable[[dict[str, Any]], dict[str, Any]]
_MISSING = object()


def check_mapping(mapping: Mapping[str, str] | None) -> None:
    """Reject a mapping that names a field no format fills (a typo would silently do nothing)."""
    for key, value in (mapping or {}).items():
        if key not in _MAPPABLE:
            raise InvalidInput(f"unknown canonical field in mapping: {key!r} "
                               f"(one of {', '.join(sorted(_MAPPABLE))})")
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"mapping for {key!r} must name an input field")


def get_path(obj: Any, path: str) -> Any:
    """``obj`` at a dotted path (``"meta.subject"``, ``"choices.0.text"``); ``_MISSING`` if absent."""
    if "." not in path:
        return obj.get(path, _MISSING) if isinstance(obj, dict) else _MISSING
    for part in path.split("."):
        if isinstance(obj, dict):
            obj = obj.get(part, _MISSING)
        elif isinstance(obj, list) and part.lstrip("-").isdigit() and -len(obj) <= int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return _MISSING
        if obj is _MISSING:
            return _MISSING
    return obj


class _Fields:
    """Collects canonical values from an input object and remembers which top-level keys it used."""

    __slots__ = ("consumed", "mapping", "obj", "values")

    def __init__(self, obj: dict[str, Any], mapping: Mapping[str, str]) -> None:
        self.obj, self.mapping = obj, mapping
        self.values: dict[str, Any] = {}
        self.consumed: set[str] = set()

    def take(self, name: str, aliases: tuple[str, ...]) -> bool:
        """Fill ``name`` from the mapping or the first alias present (even if null)."""
        source = self.mapping.get(name)
        if source is not None:
            value = get_path(self.obj, source)
            if value is _MISSING:
                return False
            if "." not in source:
                self.consumed.add(source)
            self.values[name] = value
            return True
        obj = self.obj
        for alias in aliases:
            if alias in obj:
                self.consumed.add(alias)
                self.values[name] = obj[alias]
                return True
        return False

    def take_optional(self) -> None:
        if self.mapping:
            for name, aliases in _OPTIONAL_ALIASES.items():
                if name not in self.values:
                    self.take(name, aliases)
            return
        # Most records carry few optional fields: intersect the key sets in C, then visit only
        # those, in alias priority order (so "reasoning" beats "reasoning_content").
        present = _OPTIONAL_ALIAS_KEYS.intersection(self.obj)
        if not present:
            return
        values, obj = self.values, self.obj
        for _, name, alias in sorted((*_OPTIONAL_BY_ALIAS[a], a) for a in present):
            if name not in values:
                values[name] = obj[alias]
                self.consumed.add(alias)

    def finish(self) -> dict[str, Any]:
        consumed = self.consumed
        extras = {k: v for k, v in self.obj.items() if k not in consumed}
        return finish_record(self.values, extras)


def _convert_flat(obj: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    f = _Fields(obj, mapping)
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
    present = _OPTIONAL_ALIAS_KEYS.intersection(obj)
    if present:
        for _, name, alias in sorted((*_OPTIONAL_BY_ALIAS[a], a) for a in present):
            if name not in values:
                values[name] = obj[alias]
                consumed.add(alias)
    return finish_record(values, {k: v for k, v in obj.items() if k not in consumed})


_CANONICAL_SET = frozenset(CANONICAL_FIELDS)
# Distinct key tuples remembered per converter. Generator output repeats one or a few key
# layouts; a file whose every line has new keys stops caching here and takes the generic path.
_MAX_PLANS = 256


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
    for alias in sorted(_OPTIONAL_ALIAS_KEYS.intersection(present), key=_OPTIONAL_BY_ALIAS.get):
        chosen.setdefault(_OPTIONAL_BY_ALIAS[alias][1], alias)
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


def _content_text(content: Any, what: str) -> str:
    if isinstance(content, str):
        return content
    # OpenAI content parts: [{"type": "text", "text": ...}, {"type": "image_url", ...}].
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if texts and all(isinstance(t, str) for t in texts):
            return "\n".join(map(str, texts))
    raise RecordError(f"wrong_type:{what}")


def _messages_qa(messages: Any) -> tuple[str | None, str | None, str | None, str | None, bool]:
    """(system, question, answer, reasoning, more_turns) from a chat message list."""
    if not isinstance(messages, list):
        raise RecordError("wrong_type:messages")
    system = question = answer = reasoning = None
    more = False
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise RecordError("wrong_type:messages")
        role = m.get("role", m.get("from"))
        content = m.get("content", m.get("value"))
        if role == "system":
            if system is None and question is None:
                system = _content_text(content, "system")
            else:
                more = True
        elif role in _USER_ROLES and question is None:
            question = _content_text(content, "question")
        elif role in _ASSISTANT_ROLES and question is not None and answer is None:
            answer = _content_text(content, "answer")
            r = m.get("reasoning_content")
            reasoning = r if isinstance(r, str) else None
            more = i + 1 < len(messages)
            break
    return system, question, answer, reasoning, more


def _convert_chat(obj: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    f = _Fields(obj, mapping)
    f.take("id", ("id",))
    if not f.take("messages", ("messages", "conversations")):
        raise RecordError("missing_field:messages")
    messages = f.values.pop("messages")
    system, question, answer, reasoning, more = _messages_qa(messages)
    if question is None:
        raise RecordError("missing_field:question")
    if answer is None:
        raise RecordError("missing_field:answer")
    f.values.update(question=question, answer=answer)
    if system is not None:
        f.values["system"] = system
    if reasoning is not None:
        f.values["reasoning"] = reasoning
    f.take_optional()
    record = f.finish()
    if more:
        record["messages"] = messages
    return record


def _convert_alpaca(obj: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    f = _Fields(obj, mapping)
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


def _batch_error(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(reason, message) when a batch output line carries no usable completion."""
    error = obj.get("error")
    if error:
        if isinstance(error, dict):
            return (f"batch_error:{error.get('code') or 'error'}", str(error.get("message") or ""))
        return "batch_error:error", str(error)
    response = obj.get("response")
    if not isinstance(response, dict):
        return "batch_error:no_response", "response is null"
    status = response.get("status_code", 200)
    body = response.get("body")
    if status != 200 or not isinstance(body, dict):
        err = body.get("error") if isinstance(body, dict) else None
        code = err.get("code") if isinstance(err, dict) else None
        message = err.get("message") if isinstance(err, dict) else None
        return f"batch_error:{code or f'http_{status}'}", str(message or "")
    return None


class BatchError(RecordError):
    """A batch output line that reports a failed request; ``detail`` is the API's message."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.detail = detail


def _request_question(request: Any) -> tuple[str | None, str | None]:
    """(system, question) from a batch request line or its ``body``."""
    if isinstance(request, dict) and "body" in request:
        request = request["body"]
    if not isinstance(request, dict):
        return None, None
    if isinstance(request.get("input"), str):  # the Responses API takes a plain string prompt
        return request.get("instructions"), request["input"]
    if "messages" not in request:
        return None, None
    system, question, _, _, _ = _messages_qa(request["messages"])
    return system, question


@functools.lru_cache(maxsize=4)
def _load_requests(path: str, mtime_ns: int, size: int) -> dict[str, tuple[str | None, str | None]]:
    """custom_id -> (system, question) of an OpenAI batch requests file (input of the batch).

    Held in memory: the Batch API caps a batch at 50,000 requests / 200 MB, so one index is
    bounded; unreadable lines are skipped here, and their outputs quarantine as missing_field.
    Cached by (path, mtime, size), so several output files of one batch share one index.
    """
    index: dict[str, tuple[str | None, str | None]] = {}
    for obj in iter_json_lines(path):
        custom_id = obj.get("custom_id")
        if isinstance(custom_id, str):
            try:
                index[custom_id] = _request_question(obj)
            except RecordError:
                continue
    return index


class _Requests:
    """The questions of batch requests files, loaded on first lookup."""

    def __init__(self, paths: tuple[str | os.PathLike[str], ...]) -> None:
        self.paths = tuple(os.fspath(p) for p in paths)
        self._indexes: list[dict[str, tuple[str | None, str | None]]] | None = None

    def get(self, custom_id: str) -> tuple[str | None, str | None]:
        if self._indexes is None:
            stats = [os.stat(p) for p in self.paths]
            self._indexes = [_load_requests(p, st.st_mtime_ns, st.st_size)
                             for p, st in zip(self.paths, stats, strict=True)]
        for index in self._indexes:
            found = index.get(custom_id)
            if found is not None and found[1] is not None:
                return found
        return None, None


def _completion(body: dict[str, Any]) -> tuple[Any, str | None]:
    """(answer, reasoning) of a batch response body: Chat Completions (``choices[0].message``),
    legacy Completions (``choices[0].text``) or the Responses API (``output`` items)."""
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        choice = choices[0]
        if choice.get("finish_reason") == "length":
            raise RecordError("truncated_answer")
        message = choice.get("message")
        if isinstance(message, dict):
            reasoning = message.get("reasoning_content")
            return message.get("content"), reasoning if isinstance(reasoning, str) else None
        if "text" in choice:
            return choice["text"], None
    output = body.get("output")
    if isinstance(output, list):
        if body.get("status") == "incomplete":
            raise RecordError("truncated_answer")
        texts: list[str] = []
        thoughts: list[str] = []
        for item in output:
            if not isinstance(item, dict):
                continue
            parts = item.get("content") if item.get("type") == "message" else item.get("summary")
            for part in parts if isinstance(parts, list) else ():
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    (texts if item.get("type") == "message" else thoughts).append(part["text"])
        if texts:
            return "".join(texts), "\n".join(thoughts) or None
    raise RecordError("missing_field:answer")


def _convert_batch(obj: dict[str, Any], mapping: Mapping[str, str],
                   requests: _Requests) -> dict[str, Any]:
    failed = _batch_error(obj)
    if failed is not None:
        raise BatchError(*failed)
    body = obj["response"]["body"]
    answer, reasoning = _completion(body)
    f = _Fields(obj, mapping)
    f.consumed.update(("custom_id", "response", "error"))
    if not f.take("id", ()):
        f.values["id"] = obj.get("custom_id")
    f.values["answer"] = answer
    if reasoning:
        f.values["reasoning"] = reasoning
    if isinstance(body.get("model"), str):
        f.values["generator"] = body["model"]
    if not f.take("question", ("question",)):
        system, question = None, None
        for key in ("request", "body"):
            if key in obj:
                system, question = _request_question(obj[key])
                f.consumed.add(key)
                break
        custom_id = obj.get("custom_id")
        if question is None and isinstance(custom_id, str) and requests.paths:
            system, question = requests.get(custom_id)
        if question is None:
            raise RecordError("missing_field:question")
        f.values["question"] = question
        if system is not None:
            f.values["system"] = system
    f.take_optional()
    return f.finish()


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
              requests: tuple[str | os.PathLike[str], ...] = ()) -> Converter:
    """The function turning a parsed object of format ``fmt`` into a canonical record.

    It raises ``RecordError`` (``.reason``: a short stable code) for an object it cannot use.
    """
    m: Mapping[str, str] = mapping or {}
    if fmt in ("qa", "text"):
        return (lambda obj: _convert_flat(obj, m)) if m else _flat_plain_converter()
    if fmt == "chat":
        return lambda obj: _convert_chat(obj, m)
    if fmt == "alpaca":
        return lambda obj: _convert_alpaca(obj, m)
    if fmt == "openai_batch":
        index = _Requests(requests)
        return lambda obj: _convert_batch(obj, m, index)
    raise InvalidInput(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")

