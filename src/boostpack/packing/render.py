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

``parts_renderer`` gives the same text as two parts, ``(prompt, response)`` with ``prompt +
response`` the rendered text: what ``--loss-on answer`` masks is the prompt. The response
starts at the answer, or at the ``<think>`` block when the template renders the reasoning (the
model learns to write both); a plain-text record is all response.
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


def _qa_parts(record: dict[str, Any]) -> tuple[str, str]:
    question, answer = record.get("question"), record.get("answer")
    if question and answer:
        return question + "\n\n", answer
    return "", _qa(record)


def _qa_reasoning_parts(record: dict[str, Any]) -> tuple[str, str]:
    reasoning = record.get("reasoning")
    if not reasoning or ("question" not in record and "answer" not in record):
        return _qa_parts(record)
    question, answer = record.get("question"), record.get("answer")
    response = f"<think>\n{reasoning}\n</think>" + ("\n\n" + answer if answer else "")
    return (question + "\n\n", response) if question else ("", response)


def _text_parts(record: dict[str, Any]) -> tuple[str, str]:
    return "", _text(record)


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

    def _messages(self, record: dict[str, Any]) -> list[dict[str, str]]:
        messages = []
        if record.get("system"):
            messages.append({"role": "system", "content": record["system"]})
        if "question" in record or "answer" in record:
            messages.append({"role": "user", "content": record.get("question", "")})
            messages.append({"role": "assistant", "content": record.get("answer", "")})
        elif record.get("text"):
            messages.append({"role": "user", "content": record["text"]})
        return messages

    def _render(self, messages: list[dict[str, str]], prompt: bool) -> str:
        return self._template.render(messages=messages, add_generation_prompt=prompt,
                                     bos_token=self.bos_token, eos_token=self.eos_token)

    def __call__(self, record: dict[str, Any]) -> str:
        messages = self._messages(record)
        return self._render(messages, False) if messages else ""

    def parts(self, record: dict[str, Any]) -> tuple[str, str]:
        """(prompt, response): the conversation up to the assistant's turn, rendered with the
        generation prompt, and the rest. The template must render that prompt as a prefix of
        the whole conversation (the premise of training on the assistant turn alone)."""
        messages = self._messages(record)
        if not messages:
            return "", ""
        whole = self._render(messages, False)
        if messages[-1]["role"] != "assistant":
            return "", whole
        prompt = self._render(messages[:-1], True)
        if not whole.startswith(prompt):
            raise InvalidInput("--loss-on answer: this chat template does not render the prompt "
                               "(with the generation prompt) as a prefix of the conversation")
        return prompt, whole[len(prompt):]


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


def parts_renderer(template: str, chat: ChatTemplate | None = None
                   ) -> Callable[[dict[str, Any]], tuple[str, str]]:
    """``renderer`` split in two: record -> ``(prompt, response)``, whose concatenation is the
    rendered text (see the module docstring)."""
    if template == "chat":
        if chat is None:
            raise InvalidInput("template 'chat' needs the tokenizer's chat template")
        return chat.parts
    check_choice("template", template, TEMPLATES)
    return {"qa": _qa_parts, "qa+reasoning": _qa_reasoning_parts, "text": _text_parts}[template]

