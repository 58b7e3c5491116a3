"""The dedup texts of a record, and a batch of them packed as UTF-8 for the hashing kernels.

The text compared is the record's ``fields`` joined by newlines (``ingestion.records.record_text``:
a plain-text record gives its ``text``); normalization happens later, in C, on these bytes.
When answers are compared by their item key (``DedupConfig.compares_answers``), the signed
text leaves the answer out (``DedupConfig.signed_fields``) and the answer is packed on its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from boostpack.ingestion import records


@dataclass(frozen=True)
class PackedTexts:
    """The dedup texts of a batch: ``texts[i]`` is ``data[offsets[i]:offsets[i+1]]`` in UTF-8
    (``offsets``: uint64[m+1]); lone surrogates pass through as 3 invalid bytes each, which the
    normalizer turns into U+FFFD as it would the same bytes read from a file. ``strings``: the
    texts as ``str`` when they were made from them (else decoded when asked for)."""

    data: bytes
    offsets: np.ndarray
    strings: list[str] | None = None

    @property
    def texts(self) -> list[str]:
        if self.strings is not None:
            return self.strings
        return [self.data[a:b].decode("utf-8", "surrogatepass")
                for a, b in itertools.pairwise(self.offsets.tolist())]

    @property
    def lengths(self) -> np.ndarray:
        """uint64[m]: the UTF-8 length of each text (the ``longest`` keep rule's rank)."""
        return np.diff(self.offsets)


def _texts(batch: Sequence[dict[str, Any]], fields: Sequence[str]) -> list[str]:
    """``records.record_text`` of each record, without a call and a generator per record (they
    were ~90% of this module's time on real QA): one field (the default, the question) is taken
    as is, several joined from a list. Any value that is not exactly a ``str`` sends the batch
    through ``record_text`` itself, so errors and results stay the same."""
    if len(fields) == 1:
        (name,) = fields
        texts = [r.get(name, "") if "question" in r or "answer" in r
                 else r.get("text", "") for r in batch]
        if set(map(type, texts)) <= {str}:
            return texts
    else:
        try:
            return [("\n".join([r[f] for f in fields if f in r]) if "question" in r or "answer" in r
                     else r.get("text", "")) for r in batch]
        except TypeError:
            pass
    return [records.record_text(r, fields) for r in batch]


def pack_texts(batch: Sequence[dict[str, Any]], fields: Sequence[str]) -> PackedTexts:
    """The dedup texts of the records ``batch``; a field holding a non-string raises ``TypeError``."""
    texts = _texts(batch, fields)
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.uint64, count=len(encoded)), out=offsets[1:])
    return PackedTexts(b"".join(encoded), offsets, texts)


def pack_answers(batch: Sequence[dict[str, Any]]) -> PackedTexts:
    """The answers of the records ``batch`` ("" for a record without one, or a plain-text one)."""
    answers = [r.get("answer", "") if "question" in r or "answer" in r else "" for r in batch]
    if not all(type(a) is str for a in answers):
        raise TypeError("an answer is not a string")
    encoded = [a.encode("utf-8", "surrogatepass") for a in answers]
    offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.uint64, count=len(encoded)), out=offsets[1:])
    return PackedTexts(b"".join(encoded), offsets, answers)


@dataclass(frozen=True)
class BatchTexts:
    """What a batch of records is hashed on: ``signed`` (the MinHash text), ``answers`` (None
    unless answers are compared by item key), and ``full``, the joined ``fields`` (the n-gram
    rule's text and the ``longest`` rank), which is ``signed`` itself without answers."""

    signed: PackedTexts
    answers: PackedTexts | None

    @property
    def lengths(self) -> np.ndarray:
        """uint64[m]: UTF-8 bytes of the compared texts (signed text and answer)."""
        return self.signed.lengths if self.answers is None else self.signed.lengths + self.answers.lengths

    def full(self) -> list[str]:
        if self.answers is None:
            return self.signed.texts
        return [q + "\n" + a if q and a else q or a
                for q, a in zip(self.signed.texts, self.answers.texts, strict=True)]


def batch_texts(batch: Sequence[dict[str, Any]], signed_fields: Sequence[str],
                answers: bool) -> BatchTexts:
    """The texts of the records ``batch``; a field holding a non-string raises ``TypeError``."""
    return BatchTexts(pack_texts(batch, signed_fields), pack_answers(batch) if answers else None)
