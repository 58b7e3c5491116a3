"""The ``chat`` format: an OpenAI ``messages`` or ShareGPT ``conversations`` list -> one QA
record (the rule for multi-turn conversations is in ``formats``). ``messages_qa`` also reads the
prompt of an OpenAI batch request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boostpack.ingestion.fields import Fields
from boostpack.ingestion.records import RecordError

_USER_ROLES = frozenset(("user", "human"))
_ASSISTANT_ROLES = frozenset(("assistant", "gpt", "model", "bot"))


def _content_text(content: Any, what: str) -> str:
    if isinstance(content, str):
        return content
    # OpenAI content parts: [{"type": "text", "text": ...}, {"type": "image_url", ...}].
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if texts and all(isinstance(t, str) for t in texts):
            return "\n".join(map(str, texts))
    raise RecordError(f"wrong_type:{what}")


def messages_qa(messages: Any) -> tuple[str | None, str | None, str | None, str | None, bool]:
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


def convert_chat(obj: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """A ``chat`` object as a canonical record."""
    f = Fields(obj, mapping)
    f.take("id", ("id",))
    if not f.take("messages", ("messages", "conversations")):
        raise RecordError("missing_field:messages")
    messages = f.values.pop("messages")
    system, question, answer, reasoning, more = messages_qa(messages)
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
