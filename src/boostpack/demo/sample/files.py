"""The sample's files: each item as a line of one input format, the malformed lines, and the writer.

The QA items are spread about 50/30/20 over flat QA, chat and OpenAI Batch API output (whose
questions are in the requests file, as in a real batch job); the text paragraphs and the
duplicate truth get files of their own. Every file is written atomically.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import orjson
import zstandard

from boostpack.demo.sample.items import draw_items
from boostpack.demo.sample.template import Item
from boostpack.demo.sample.textbook import textbook_paragraphs
from boostpack.demo.sample.variants import DiversityFilter
from boostpack.runtime.atomic import atomic_write

REQUESTS_PATH = "_batch_requests/batch_input.jsonl"
TRUTH_PATH = "_truth/duplicates.jsonl"

_SYSTEM = {"en": "You are a patient teacher. Answer the question and show the key steps.",
           "zh": "你是一位耐心的老师。请回答问题并给出关键步骤。"}


def _answer_with_think(item: Item) -> str:
    return f"<think>\n{item['reasoning']}\n</think>\n\n{item['answer']}" if "reasoning" in item else item["answer"]


def _qa_line(item: Item) -> dict[str, Any]:
    return {"id": item["id"], "question": item["question"], "answer": _answer_with_think(item),
            "discipline": "/".join(item["discipline"]), "difficulty": item["difficulty"],
            "grade": item["grade"], "synth_type": item["synth_type"],
            "generator": item["generator"], "language": item["language"],
            "source": "boostpack-sample"}


def _chat_line(item: Item) -> dict[str, Any]:
    return {"id": item["id"], "messages": [
        {"role": "system", "content": _SYSTEM[item["language"]]},
        {"role": "user", "content": item["question"]},
        {"role": "assistant", "content": _answer_with_think(item)}],
        "discipline": item["discipline"], "difficulty": item["difficulty"],
        "grade": item["grade"], "synth_type": item["synth_type"],
        "generator": item["generator"], "language": item["language"]}


def _batch_lines(item: Item, r: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """(request line, output line) of the OpenAI Batch API for one item."""
    model = "deepseek-reasoner" if "reasoning" in item else item["generator"]
    messages = [{"role": "system", "content": _SYSTEM[item["language"]]},
                {"role": "user", "content": item["question"]}]
    request = {"custom_id": item["id"], "method": "POST", "url": "/v1/chat/completions",
               "body": {"model": model, "messages": messages, "temperature": 0.7}}
    message: dict[str, Any] = {"role": "assistant", "content": item["answer"]}
    if "reasoning" in item:
        message["reasoning_content"] = item["reasoning"]
    output = {"id": f"batch_req_{r.getrandbits(96):024x}", "custom_id": item["id"],
              "response": {"status_code": 200, "request_id": f"{r.getrandbits(128):032x}",
                           "body": {"id": f"chatcmpl-{r.getrandbits(80):020x}",
                                    "object": "chat.completion", "created": 1767225600,
                                    "model": model, "choices": [
                                        {"index": 0, "message": message, "finish_reason": "stop"}],
                                    "usage": {"prompt_tokens": len(item["question"]) // 4 + 20,
                                              "completion_tokens": len(item["answer"]) // 4 + 1}}},
              "error": None}
    return request, output


# Each case the quarantine must catch, as it shows up in real generator dumps.
_MALFORMED_QA = [
    b'{"id": "broken-1", "question": "What is the capital of Peru?", "answer": "Li',  # cut off
    b'{"id": "broken-2", "question": "Which gas do plants absorb?"}',  # missing answer
    b'{"id": "broken-3", "question": 42, "answer": "forty-two"}',  # wrong type
    b'["not", "an", "object"]',
    b'{"id": "broken-4", "question": "caf\xe9 au lait?", "answer": "yes"}',  # Latin-1, not UTF-8
    b"",  # a blank line: counted, not quarantined
]
_MALFORMED_CHAT = [
    b'{"id": "broken-5", "messages": [{"role": "user", "content": "Define entropy."}]}',
]


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj) + b"\n"


def _write_lines(path: Path, lines: list[bytes]) -> None:
    with atomic_write(path, "wb") as f:
        f.write(b"".join(lines))


def write_sample(directory: str | os.PathLike[str], n_records: int = 3000,
                 seed: int = 0) -> list[Path]:
    """Write the sample into ``directory``; return the input files (not requests or truth).

    ``n_records`` QA items (planted duplicates included) are split about 50/30/20 over the flat,
    chat and batch files, plus ``n_records // 30`` text paragraphs and the malformed lines.
    """
    if n_records < 10:
        raise ValueError(f"n_records must be >= 10, got {n_records}")
    r = random.Random(seed)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    diversity = DiversityFilter()
    items, truth = draw_items(n_records, r, diversity)
    r.shuffle(items)
    qa: list[bytes] = []
    chat: list[bytes] = []
    requests: list[bytes] = []
    batch: list[bytes] = []
    for item in items:
        u = r.random()
        if u < 0.5:
            qa.append(_dumps(_qa_line(item)))
        elif u < 0.8:
            chat.append(_dumps(_chat_line(item)))
        else:
            request, output = _batch_lines(item, r)
            requests.append(_dumps(request))
            batch.append(_dumps(output))
    for bad in _MALFORMED_QA:
        qa.insert(r.randrange(len(qa) + 1), bad + b"\n")
    for bad in _MALFORMED_CHAT:
        chat.insert(r.randrange(len(chat) + 1), bad + b"\n")
    failed = {"id": "batch_req_failed", "custom_id": "sample-failed", "response": None,
              "error": {"code": "rate_limit_exceeded",
                        "message": "Rate limit reached for requests per day."}}
    batch.insert(r.randrange(len(batch) + 1), _dumps(failed))

    files = [out / "qa_synth.jsonl", out / "chat_synth.jsonl.zst", out / "batch_output.jsonl",
             out / "textbook.jsonl"]
    _write_lines(files[0], qa)
    # Two frames, as when generator workers' outputs are concatenated.
    half = len(chat) // 2
    cctx = zstandard.ZstdCompressor(level=3)
    with atomic_write(files[1], "wb") as f:
        f.write(cctx.compress(b"".join(chat[:half])))
        f.write(cctx.compress(b"".join(chat[half:])))
    _write_lines(files[2], batch)
    _write_lines(files[3], [_dumps(t) for t in textbook_paragraphs(r, max(1, n_records // 30), diversity)])
    _write_lines(out / REQUESTS_PATH, requests)
    _write_lines(out / TRUTH_PATH, [_dumps(t) for t in truth])
    return files
