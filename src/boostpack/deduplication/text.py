"""The dedup text of a record, and a batch of them packed as UTF-8 for the hashing kernels.

The text compared is the record's ``fields`` joined by newlines (``ingestion.records.record_text``:
a plain-text record gives its ``text``); normalization happens later, in C, on these bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from boostpack.ingestion import records


@dataclass(frozen=True)
class PackedTexts:
    """The dedup texts of a batch: ``texts[i]`` is ``data[offsets[i]:offsets[i+1]]`` in UTF-8
    (``offsets``: uint64[m+1]); lone surrogates pass through as 3 invalid bytes each, which the
    normalizer turns into U+FFFD as it would the same bytes read from a file."""

    texts: list[str]
    data: bytes
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """uint64[m]: the UTF-8 length of each text (the ``longest`` keep rule's rank)."""
        return np.diff(self.offsets)


def pack_texts(batch: Sequence[dict[str, Any]], fields: Sequence[str]) -> PackedTexts:
    """The dedup texts of the records ``batch``; a field holding a non-string raises ``TypeError``."""
    texts = [records.record_text(r, fields) for r in batch]
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.uint64, count=len(encoded)), out=offsets[1:])
    return PackedTexts(texts, b"".join(encoded), offsets)
