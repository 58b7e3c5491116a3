"""Verification of candidate pairs: signature Jaccard and item keys, gathered from the sign
files (``SignStore``) a chunk of pairs at a time. Band tasks accept pairs with it
(``verify_pairs``); the keep rule tests members against their cluster's kept document
(``closeness``)."""

from __future__ import annotations

import numpy as np

from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.itemkey import same_item
from boostpack.deduplication.lsh import signature_similarity
from boostpack.deduplication.store import SignStore

# Pairs verified per gather of signatures: 32k pairs x 2 x 512 B = 32 MB at 128 permutations.
VERIFY_CHUNK = 1 << 15


def similarity(store: SignStore, a: np.ndarray, b: np.ndarray,
               chunk: int = VERIFY_CHUNK) -> np.ndarray:
    """float32[m]: signature Jaccard of the document pairs ``(a[i], b[i])``, ``chunk`` pairs
    per gather."""
    out = np.empty(len(a), dtype=np.float32)
    for s in range(0, len(a), max(chunk, 1)):
        e = min(s + chunk, len(a))
        # One gather for both sides: star centres repeat, and reads are shared.
        both = store.signatures(np.concatenate((a[s:e], b[s:e])))
        out[s:e] = signature_similarity(both[: e - s], both[e - s :])
    return out


def same_items(store: SignStore, a: np.ndarray, b: np.ndarray, config: DedupConfig,
               ref_count: int = 0, chunk: int = VERIFY_CHUNK) -> np.ndarray:
    """bool[m]: whether the pairs ``(a[i], b[i])`` can be one item (``itemkey.same_item``, a
    reference ``a[i] < ref_count`` without an answer agreeing with any answer; all True when
    the run does not compare answers)."""
    if not config.compares_answers:
        return np.ones(len(a), dtype=bool)
    out = np.empty(len(a), dtype=bool)
    for s in range(0, len(a), max(chunk, 1)):
        e = min(s + chunk, len(a))
        both = store.keys(np.concatenate((a[s:e], b[s:e])))
        out[s:e] = same_item(both[: e - s], both[e - s :], config.answer_threshold,
                             open_a=a[s:e] < ref_count)
    return out


def verify_pairs(store: SignStore, a: np.ndarray, b: np.ndarray, config: DedupConfig,
                 ref_count: int = 0, chunk: int = VERIFY_CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """``(accepted bool[m], similarity float32[m])`` of the candidate pairs ``(a[i], b[i])``
    (``a[i] < ref_count``: a reference): accepted when the signature Jaccard reaches
    ``threshold`` (all of them with ``verify`` off: classic LSH, where components are the
    clusters) and the two can be one item. ``chunk``: pairs per gather of signatures."""
    # Item keys first: 80 bytes a document against 512 for a signature, and a pair with a
    # reference of another item fails on them (input pairs never do: see itemkey.band_mix).
    ok = same_items(store, a, b, config, ref_count, chunk)
    sim = np.zeros(len(a), dtype=np.float32)
    items = np.flatnonzero(ok)
    sim[items] = similarity(store, a[items], b[items], chunk)
    if config.verify:
        ok &= sim >= config.threshold
    return ok, sim


def closeness(store: SignStore, a: np.ndarray, b: np.ndarray, config: DedupConfig) -> np.ndarray:
    """float32[m]: the signature Jaccard of pairs that can be one item, 0 for the others (the
    keep rule's test of a member against its cluster's kept document)."""
    sim = similarity(store, a, b)
    return np.where(same_items(store, a, b, config), sim, np.float32(0))


def pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """uint64[m]: the unordered pairs ``{a[i], b[i]}`` as one number each."""
    lo, hi = np.minimum(a, b).astype(np.uint64), np.maximum(a, b).astype(np.uint64)
    return (lo << np.uint64(32)) | hi
