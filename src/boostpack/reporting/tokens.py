"""Token counts of records that are not packed yet (``--tokenizer``): the count ``pack`` would
give each document with the same tokenizer and template.

A record is rendered with the pack template (``qa`` by default), tokenized without special
tokens, and BOS/EOS are added when the tokenizer defines them, as ``pack`` does by default;
a record that renders to empty text has 0 tokens (``pack`` skips it). So the token total of a
report over ``dedup/kept`` equals the ``totals.tokens`` of the dataset packed from it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from boostpack.errors import InvalidInput
from boostpack.packing import engines
from boostpack.packing.render import renderer
from boostpack.packing.tokenization import load_encoder, load_tokenizer_info

BATCH = 2048
TEMPLATES = ("qa", "qa+reasoning", "text")


class TokenCounter:
    """Counts tokens per record with a ``tokenizer.json`` (see the module docstring)."""

    def __init__(self, tokenizer: str | os.PathLike[str], template: str = "qa") -> None:
        if template not in TEMPLATES:
            raise InvalidInput(f"report: template must be one of {', '.join(TEMPLATES)}")
        info = load_tokenizer_info(tokenizer)
        self.path = str(info.path)
        self.template = template
        self._render = renderer(template)
        self._special = int(info.bos_id is not None) + int(info.eos_id is not None)
        self.warning: str | None = None
        self._encoder: Any = None

    def lengths(self, texts: list[str]) -> np.ndarray:
        """int64[len(texts)]: tokens of each rendered text, BOS/EOS included, 0 if empty."""
        if self._encoder is None:  # the engine pack would pick (stored per tokenizer file)
            verdict = engines.decide(self.path, "auto", lambda: texts[:64])
            self._encoder = load_encoder(self.path, verdict.engine)
            self.warning = verdict.warning
        _, offsets = self._encoder.encode(texts)
        counts = np.diff(offsets).astype(np.int64) + self._special
        counts[[not t for t in texts]] = 0
        return counts

    def counted(self, records: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], int]]:
        """``(record, tokens)`` for each record, tokenized in batches of ``BATCH``."""
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) == BATCH:
                yield from self._flush(batch)
                batch = []
        if batch:
            yield from self._flush(batch)

    def _flush(self, batch: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], int]]:
        counts = self.lengths([self._render(r) for r in batch])
        yield from zip(batch, counts.tolist(), strict=True)
