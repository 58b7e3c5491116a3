"""Templates: what text each record becomes."""

from __future__ import annotations

import pytest

from boostpack.errors import InvalidInput
from boostpack.packing.render import ChatTemplate, renderer

QA = {"id": "1", "question": "What is 2+2?", "answer": "4"}
QA_R = {**QA, "reasoning": "Add two and two."}
TEXT = {"id": "2", "text": "  Plain text, kept verbatim.\n"}


def test_qa() -> None:
    qa = renderer("qa")
    assert qa(QA) == "What is 2+2?\n\n4"
    assert qa(QA_R) == "What is 2+2?\n\n4"  # reasoning left out
    assert qa(TEXT) == TEXT["text"]  # text records pass through unchanged
    assert qa({"id": "3"}) == ""


def test_qa_reasoning() -> None:
    r = renderer("qa+reasoning")
    assert r(QA_R) == "What is 2+2?\n\n<think>\nAdd two and two.\n</think>\n\n4"
    assert r(QA) == "What is 2+2?\n\n4"
    assert r(TEXT) == TEXT["text"]


def test_text() -> None:
    t = renderer("text")
    assert t(TEXT) == TEXT["text"]
    assert t(QA) == ""  # counted as empty by the pipeline, not packed


def test_unknown_and_chat_without_template() -> None:
    with pytest.raises(InvalidInput, match="unknown template"):
        renderer("markdown")
    with pytest.raises(InvalidInput, match="chat template"):
        renderer("chat")


LLAMA3_STYLE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>"
    "\n\n{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)


def test_chat_template() -> None:
    pytest.importorskip("jinja2")
    chat = renderer("chat", ChatTemplate(LLAMA3_STYLE, "<|begin_of_text|>", "<|end_of_text|>"))
    assert chat({**QA, "system": "Be brief."}) == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>")
    assert chat({"id": "x"}) == ""


def test_chat_template_errors_are_input_errors() -> None:
    pytest.importorskip("jinja2")
    chat = ChatTemplate("{{ raise_exception('only user/assistant') }}")
    with pytest.raises(InvalidInput, match="only user/assistant"):
        chat(QA)
