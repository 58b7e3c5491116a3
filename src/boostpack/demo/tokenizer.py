"""A small byte-level BPE trained on the spot: the demo packs with one when no real
``tokenizer.json`` is given, and tests use one where a 128k vocabulary would take seconds to
load in every process. Nothing is downloaded."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# Llama-3's names, so the BOS/EOS that pack reads from a tokenizer are found as in a real one.
SPECIAL_TOKENS = ["<|begin_of_text|>", "<|end_of_text|>"]


def train_byte_bpe(texts: Iterable[str], path: Path, vocab_size: int) -> Path:
    """Train a byte-level BPE of ``vocab_size`` ids (with ``SPECIAL_TOKENS``) on ``texts`` and
    save it as ``path``; deterministic for the same texts."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False,
                                  special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.save(str(path))
    return path
