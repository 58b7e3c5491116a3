"""Templates that turn a canonical record into the training text of one document.

- ``qa`` (default): ``question``, a blank line, ``answer``. A plain-text record gives its
  ``text``, so mixed inputs pack without a second pass.
- ``qa+reasoning``: ``question``, a blank line, the record's ``reasoning`` inside
  ``<think>…</think>`` (the R1 convention the reasoning was split from), a blank line,
  ``answer``. Without reasoning, the same as ``qa``.
- ``text``: the record's ``text`` verbatim; a QA record has none and renders empty.
- ``chat``: the tokenizer's own chat template (Jinja, from ``tokenizer_config.json`` beside
  ``tokenizer.json``) over ``[system], user: question, assistant: answer``.

A record that renders to the empty string is counted by the caller and not packed. BOS/EOS are
not part of the text; the tokenizer stage adds them (see ``boostpack.packing.tokenization``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.packing.config import TEMPLATES, check_choice


def _qa(record: dict[str, Any]) -> str:
    question, answer = record.get("question"), record.get("answer")
    if question and answer:  # the common case, kept to one concatenation (per-record cost)
        return question + "\n\n" + answer
    if question is None and answer is None:
        return record.get("text") or ""
    return question or answer or ""


def _qa_reasoning(record: dict[str, Any]) -> str:
    reasoning = record.get("reasoning")
    if not reasoning or ("question" not in record and "answer" not in record):
        return _qa(record)
    parts = (record.get("question"), f"<think>\n{reasoning}\n</think>", record.get("answer"))
    return "\n\n".join(p for p in parts if p)


def _text(record: dict[str, Any]) -> str:
    return record.get("text") or ""


class ChatTemplate:
    """A Hugging Face chat template (Jinja source) rendered in a sandbox, as ``transformers``
    does: ``messages``, ``bos_token``, ``eos_token``, ``add_generation_prompt=False``."""

    def __init__(self, source: str, bos_token: str = "", eos_token: str = "") -> None:
        try:
            from jinja2.sandbox import ImmutableSandboxedEnvironment
        except ImportError:
            raise InvalidInput("the chat template needs jinja2 (pip install 'boostpack[chat]')") from None
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise_template_error
        self._template = env.from_string(source)
        self.bos_token, self.eos_token = bos_token, eos_token

    def __call__(self, record: dict[str, Any]) -> str:
        messages = []
        if record.get("system"):
            messages.append({"role": "system", "content": record["system"]})
        if "question" in record or "answer" in record:
            messages.append({"role": "user", "content": record.get("question", "")})
            messages.append({"role": "assistant", "content": record.get("answer", "")})
        elif record.get("text"):
            messages.append({"role": "user", "content": record["text"]})
        else:
            return ""
        return self._template.render(messages=messages, add_generation_prompt=False,
                                     bos_token=self.bos_token, eos_token=self.eos_token)


def _raise_template_error(message: str) -> None:
    raise InvalidInput(f"chat template: {message}")


def renderer(template: str, chat: ChatTemplate | None = None
             ) -> Callable[[dict[str, Any]], str]:
    """The render function for a template name; ``chat`` is required for ``"chat"``."""
    if template == "chat":
        if chat is None:
            raise InvalidInput("template 'chat' needs the tokenizer's chat template")
        return chat
    check_choice("template", template, TEMPLATES)
    return {"qa": _qa, "qa+reasoning": _qa_reasoning, "text": _text}[template]

