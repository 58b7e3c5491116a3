"""Fixtures of the tests that run whole stages in other processes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest


@pytest.fixture(scope="session")
def qa_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Two small QA files, many of the items near duplicates of each other."""
    tmp = tmp_path_factory.mktemp("inputs")
    paths = []
    for f in range(2):
        lines = [orjson.dumps({"id": f"{f}-{i}", "question": f"What is {i % 150} plus {i % 7}?",
                               "answer": f"It is {i % 150 + i % 7}."}) for i in range(300)]
        paths.append(tmp / f"qa{f}.jsonl")
        paths[-1].write_bytes(b"\n".join(lines) + b"\n")
    return [str(p) for p in paths]


@pytest.fixture(scope="session")
def small_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-id byte-level BPE with BOS/EOS: loads in milliseconds where a real vocabulary
    takes seconds in every process."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=300, show_progress=False,
                                  special_tokens=["<|begin_of_text|>", "<|end_of_text|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator((f"What is {i} plus {i % 7}? It is {i + i % 7}." for i in range(500)),
                            trainer)
    path = tmp_path_factory.mktemp("tokenizer") / "tokenizer.json"
    tok.save(str(path))
    return path
