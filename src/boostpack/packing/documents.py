"""From record batches to token documents: the steps every pack driver shares (render a batch,
take the sample the engine check runs on, drop documents that encode to nothing).

Documents are the records that render to non-empty text, numbered in input order; the drivers
encode them and frame them with BOS/EOS (``packer.frame_documents``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from boostpack.ingestion.readers import Batch

# Lines per read batch. Reading is the main thread's serial work and nothing is encoded before
# the first batch is read (nor packed after the last is encoded): with 32768 lines the encoder
# waited 0.35 s for the first batch of a 1.4 s qa_en run. gigatoken's 2-core encode of qa_en
# takes 0.077 s in 8192-document calls against 0.069 s in 32768-document calls.
BATCH_LINES = 8192
# gigatoken is trusted after its ids equal tokenizers' on the input's first documents, up to 512
# of them and 64 KB of text (~16k Llama-3 tokens): tokenizers runs at ~1-3 MB/s here, so the
# check costs a few hundredths of a second per run.
_SAMPLE_DOCS = 512
_SAMPLE_BYTES = 1 << 16


def render_batch(render: Callable[[dict[str, Any]], str], batch: Batch
                 ) -> tuple[list[str], list[str]]:
    """Texts and record ids of the batch's records that render to something."""
    texts = [render(r) for r in batch.records]
    ids = [r["id"] for r in batch.records]
    if not all(texts):
        ids = [i for i, t in zip(ids, texts, strict=True) if t]
        texts = [t for t in texts if t]
    return texts, ids


def engine_sample(texts: list[str]) -> list[str]:
    """The texts the engine check compares on: the first ones, at most ``_SAMPLE_DOCS`` and
    about ``_SAMPLE_BYTES`` characters."""
    out: list[str] = []
    size = 0
    for text in texts[:_SAMPLE_DOCS]:
        if out and size + len(text) > _SAMPLE_BYTES:
            break
        out.append(text)
        size += len(text)
    return out


def drop_empty(flat: np.ndarray, offsets: np.ndarray, ids: list[str]
               ) -> tuple[np.ndarray, list[str], int]:
    """Drop documents that encode to no tokens (possible only without BOS/EOS and with a
    normalizer that erases the text); a dropped document adds no tokens, so ``flat`` stays.
    Returns the new offsets, the kept ids and how many were dropped."""
    keep = offsets[1:] > offsets[:-1]
    if keep.all():
        return offsets, ids, 0
    kept = [i for i, k in zip(ids, keep.tolist(), strict=True) if k]
    return np.concatenate([offsets[:1], offsets[1:][keep]]), kept, len(ids) - len(kept)
