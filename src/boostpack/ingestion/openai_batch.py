"""The ``openai_batch`` format: a line of OpenAI Batch API output -> a QA record, its question
(and the request's ``body.metadata``) joined from the batch *requests* file when the line has
none (the rules are in ``formats``)."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from boostpack.ingestion.chat import messages_qa
from boostpack.ingestion.fields import Converter, Fields
from boostpack.ingestion.records import OPTIONAL_FIELDS, RecordError, finish_record
from boostpack.ingestion.streams import iter_json_lines


class BatchError(RecordError):
    """A batch output line that reports a failed request; ``detail`` is the API's message."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)


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


class Request(NamedTuple):
    """What a batch request gives its output: the prompt, and ``body.metadata`` (the Batch API's
    per-request key-value pairs, where generator pipelines keep an item's discipline,
    difficulty, source...)."""

    system: str | None
    question: str | None
    metadata: dict[str, Any]


_NO_PROMPT = Request(None, None, {})


def _request(request: Any) -> Request:
    """The ``Request`` of a batch request line or of its ``body``."""
    if isinstance(request, dict) and "body" in request:
        request = request["body"]
    if not isinstance(request, dict):
        return _NO_PROMPT
    metadata = request.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    if isinstance(request.get("input"), str):  # the Responses API takes a plain string prompt
        return Request(request.get("instructions"), request["input"], metadata)
    if "messages" not in request:
        return Request(None, None, metadata)
    system, question, _, _, _ = messages_qa(request["messages"])
    return Request(system, question, metadata)


@functools.lru_cache(maxsize=4)
def _load_requests(path: str, mtime_ns: int, size: int) -> dict[str, Request]:
    """custom_id -> ``Request`` of an OpenAI batch requests file (input of the batch).

    Held in memory: the Batch API caps a batch at 50,000 requests / 200 MB, so one index is
    bounded; unreadable lines are skipped here, and their outputs quarantine as no_request.
    Cached by (path, mtime, size), so several output files of one batch share one index.
    """
    index: dict[str, Request] = {}
    for obj in iter_json_lines(path):
        custom_id = obj.get("custom_id")
        if isinstance(custom_id, str):
            try:
                index[custom_id] = _request(obj)
            except RecordError:
                continue
    return index


class _Requests:
    """The requests of batch requests files, loaded on first lookup."""

    def __init__(self, paths: tuple[str | os.PathLike[str], ...]) -> None:
        self.paths = tuple(os.fspath(p) for p in paths)
        self._indexes: list[dict[str, Request]] | None = None

    def get(self, custom_id: str) -> Request | None:
        """The request of ``custom_id`` (the first with a question, if several files have
        it); None when no file has it."""
        if self._indexes is None:
            stats = [os.stat(p) for p in self.paths]
            self._indexes = [_load_requests(p, st.st_mtime_ns, st.st_size)
                             for p, st in zip(self.paths, stats, strict=True)]
        found = [index[custom_id] for index in self._indexes if custom_id in index]
        return next((r for r in found if r.question is not None), found[0] if found else None)


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


def _question(obj: dict[str, Any], f: Fields, requests: _Requests) -> Request:
    """The request of a batch output line: embedded in the line (``request`` or ``body``, as
    merged-output tools write it), else the requests files' entry for its ``custom_id``."""
    for key in ("request", "body"):
        if key in obj:
            f.consumed.add(key)
            found = _request(obj[key])
            if found.question is not None:
                return found
            break
    custom_id = obj.get("custom_id")
    if not requests.paths:
        raise RecordError("missing_field:question",
                          "batch output carries no prompt: give the batch input file (--requests)")
    found = requests.get(custom_id) if isinstance(custom_id, str) else None
    if found is None:
        raise RecordError("no_request", f"custom_id {custom_id!r} is in no requests file")
    if found.question is None:
        raise RecordError("missing_field:question", f"request {custom_id!r} has no user prompt")
    return found


def _convert_batch(obj: dict[str, Any], mapping: Mapping[str, str],
                   requests: _Requests) -> dict[str, Any]:
    failed = _batch_error(obj)
    if failed is not None:
        raise BatchError(*failed)
    body = obj["response"]["body"]
    answer, reasoning = _completion(body)
    f = Fields(obj, mapping)
    f.consumed.update(("custom_id", "response", "error"))
    if not f.take("id", ()):
        f.values["id"] = obj.get("custom_id")
    f.values["answer"] = answer
    if reasoning:
        f.values["reasoning"] = reasoning
    if isinstance(body.get("model"), str):
        f.values["generator"] = body["model"]
    metadata: dict[str, Any] = {}
    if not f.take("question", ("question",)):
        request = _question(obj, f, requests)
        f.values["question"] = request.question
        if request.system is not None:
            f.values["system"] = request.system
        metadata = request.metadata
    f.take_optional()
    extras = {k: v for k, v in obj.items() if k not in f.consumed}
    # Metadata fills the canonical fields the line lacks; its other keys join the line's own
    # fields, an ``orig_`` prefix (the collision rule of ``finish_record``) where a name is taken.
    for key, value in metadata.items():
        if key in OPTIONAL_FIELDS and key not in f.values:
            f.values[key] = value
            continue
        while key in extras:
            key = "orig_" + key
        extras[key] = value
    return finish_record(f.values, extras)


def batch_converter(mapping: Mapping[str, str],
                    requests: tuple[str | os.PathLike[str], ...]) -> Converter:
    """The ``openai_batch`` converter, questions joined from the ``requests`` files."""
    index = _Requests(requests)
    return lambda obj: _convert_batch(obj, mapping, index)
