"""Benchmark decontamination by word n-gram overlap (the GPT-3 / lm-evaluation-harness rule).

GPT-3 (Brown et al. 2020, appendix C) called a document contaminated when it shares any 8- to
13-gram with a test item; lm-evaluation-harness settled on 13. Here the words are those of the
dedup normalization (case-folded, punctuation stripped, digits as configured; every CJK
ideograph, kana and hangul syllable is a word of its own), so "13 words" means the same on
Chinese and English.
A document shorter than n words contributes one n-gram made of all its words, so a short
benchmark item is matched only by text that contains it whole.

Each n-gram is a 64-bit hash (32 bits would collide: 10^7 reference n-grams against an input's
hundreds give a false match in one input of ten). The reference index is two arrays on disk
(n-gram hash, reference document), sorted, memory-mapped by every worker.

``Contamination`` keeps, per input, the closest reference found by any rule (exact copy,
verified near pair, n-gram overlap) while dedup's cluster phase runs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from boostpack.deduplication.minhash import MinHasher
from boostpack.deduplication.plan import NONE
from boostpack.deduplication.settings import DEFAULT_DIGITS, check_int
from boostpack.errors import CorruptData

# Odd 64-bit multiplier of the polynomial n-gram hash (the golden-ratio constant) and its
# inverse mod 2^64.
_MUL = np.uint64(0x9E3779B97F4A7C15)
_MUL_INV = np.uint64(pow(0x9E3779B97F4A7C15, -1, 1 << 64))


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: spreads the polynomial hash over all bits."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB93FE53B8B53)
    return h ^ (h >> np.uint64(33))


@functools.lru_cache(maxsize=4)
def _word_hasher(digits: str) -> MinHasher:
    # Word 1-grams of the C normalizer: its words, in text order, as 32-bit hashes; one C call
    # per text instead of a Python call per word (10x faster on QA).
    return MinHasher(num_perm=1, ngram=1, shingle="word", digits=digits)


def ngram_hashes(texts: Sequence[str], n: int,
                 digits: str = DEFAULT_DIGITS) -> tuple[np.ndarray, np.ndarray]:
    """Word n-gram hashes of a batch of texts: ``(hashes uint64[k], doc uint32[k])``.

    ``doc`` is the index of the text each n-gram came from (non-decreasing). The hash of an
    n-gram is ``fmix64(sum_j w_j * MUL^(n-1-j))`` over the 32-bit hashes ``w_j`` of its words
    (a 10^6-word vocabulary has about a hundred colliding word pairs; only n-grams differing in
    just such a word collide), computed for the whole batch at once in numpy.
    """
    n = check_int("decontam_ngram", n)
    hasher = _word_hasher(digits)
    per_doc = [hasher.shingle_hashes(t) for t in texts]
    counts = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(per_doc))
    wh = np.concatenate(per_doc).astype(np.uint64) if per_doc else np.zeros(0, np.uint64)
    starts = np.concatenate(([0], np.cumsum(counts)))
    # A text with fewer than n words yields one n-gram of all its words.
    nwin = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1))
    doc = np.repeat(np.arange(len(texts), dtype=np.uint32), nwin)
    total = int(nwin.sum())
    win_start = np.repeat(starts[:-1], nwin) + (
        np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(nwin) - nwin, nwin)
    )
    win_len = np.repeat(np.minimum(counts, n), nwin)
    # Rolling form of the polynomial (all arithmetic mod 2^64; MUL is odd, so invertible):
    # with C_k = sum_{i<k} w_i MUL^-i, the window [s, s+L) hashes to
    # (C_{s+L} - C_s) * MUL^(s+L-1), so every window costs O(1) instead of O(n).
    with np.errstate(over="ignore"):
        m = len(wh)
        power = np.cumprod(np.full(m + 1, _MUL, dtype=np.uint64)) * _MUL_INV  # MUL^i, i = 0..m
        inverse = np.cumprod(np.full(m + 1, _MUL_INV, dtype=np.uint64)) * _MUL  # MUL^-i
        prefix = np.zeros(m + 1, dtype=np.uint64)
        np.cumsum(wh * inverse[:m], out=prefix[1:])
        end = win_start + win_len
        h = (prefix[end] - prefix[win_start]) * power[end - 1] if total else np.zeros(0, np.uint64)
        # Mix in the window length so a short text's single n-gram never equals a window.
        h = fmix64(h ^ win_len.astype(np.uint64))
    return h, doc


# An n-gram held by more than this share of the reference documents (and by at least
# UBIQUITOUS_MIN of them) is scaffolding, not an item: "Answer with the letter of the correct
# option", "A. ... B. ... C. ... D." and instruction headers that a benchmark repeats in every
# item would flag every training record written in the same format. Production decontamination
# skips such n-grams (the phi-4 technical report, Abdin et al. 2024, keeps an allowlist of
# frequent n-grams out of its n-gram matching); an item is still found by its own n-grams.
UBIQUITOUS_SHARE, UBIQUITOUS_MIN = 0.01, 10


def scaffolding(hashes: np.ndarray, ref: np.ndarray, n: int) -> np.ndarray:
    """bool[k]: the reference n-grams that are mostly scaffolding. ``hashes``/``ref``: every
    n-gram of the references in document order, each document's in text order. An n-gram
    held by more than ``UBIQUITOUS_SHARE`` of the documents (and at least ``UBIQUITOUS_MIN``) is
    ubiquitous; the words it covers are scaffolding, and so is every n-gram whose words are
    more than half scaffolding: the instruction plus the first words of an answer ("... and
    nothing else. The") is no more the item than the instruction alone."""
    order = np.lexsort((ref, hashes))
    h, r = hashes[order], ref[order]
    pair = np.concatenate(([True], (h[1:] != h[:-1]) | (r[1:] != r[:-1])))
    h = h[pair]
    starts = np.flatnonzero(np.concatenate(([True], h[1:] != h[:-1])))
    held = np.diff(np.append(starts, len(h)))
    documents = int(np.count_nonzero(np.diff(ref.astype(np.int64))) + 1)  # ref: document order
    common = h[starts[held > max(UBIQUITOUS_SHARE * documents, UBIQUITOUS_MIN - 1)]]
    if not len(common):
        return np.zeros(len(hashes), dtype=bool)
    ubiquitous = np.isin(hashes, common)
    # Words on one axis: document d's n-grams i = 0.. cover words i..i+n-1, and each document
    # gets n-1 extra positions, so documents never share a word.
    new_doc = np.concatenate(([1], np.diff(ref.astype(np.int64)) != 0)).astype(np.int64)
    word = np.arange(len(hashes), dtype=np.int64) + (n - 1) * (np.cumsum(new_doc) - 1)
    edges = np.zeros(int(word[-1]) + n + 1, dtype=np.int64)
    np.add.at(edges, word[ubiquitous], 1)
    np.add.at(edges, word[ubiquitous] + n, -1)
    covered = np.concatenate(([0], np.cumsum(np.cumsum(edges)[:-1] > 0)))
    return 2 * (covered[word + n] - covered[word]) > n


class NgramIndex:
    """Reference n-grams as distinct ``(hash, ref)`` pairs sorted by hash then reference:
    ``hashes uint64[u]``, ``ref uint32[u]``."""

    def __init__(self, hashes: np.ndarray, ref: np.ndarray) -> None:
        self.hashes = hashes
        self.ref = ref

    @classmethod
    def build(cls, hashes: np.ndarray, ref: np.ndarray, n: int = 0) -> NgramIndex:
        """From all reference n-grams and their reference numbers. With ``n``, they come in
        document order, each document's n-grams in text order (as ``ngram_hashes`` gives
        them), and the scaffolding is left out (``scaffolding``); otherwise any order."""
        if n and len(hashes):
            keep = ~scaffolding(hashes, ref, n)
            hashes, ref = hashes[keep], ref[keep]
        order = np.lexsort((ref, hashes))
        h, r = hashes[order], ref[order]
        first = np.ones(len(h), dtype=bool)
        first[1:] = (h[1:] != h[:-1]) | (r[1:] != r[:-1])
        return cls(np.ascontiguousarray(h[first]), np.ascontiguousarray(r[first]))

    def save(self, directory: str | os.PathLike[str]) -> None:
        from boostpack.runtime.atomic import atomic_write

        d = Path(directory)
        for name, arr in (("ngram_hashes.npy", self.hashes), ("ngram_refs.npy", self.ref)):
            with atomic_write(d / name) as f:
                np.save(f, arr)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> NgramIndex:
        """The index ``save`` wrote, memory-mapped; ``CorruptData`` if it is missing or damaged."""
        d = Path(directory)
        try:
            hashes = np.load(d / "ngram_hashes.npy", mmap_mode="r")
            ref = np.load(d / "ngram_refs.npy", mmap_mode="r")
        except (OSError, ValueError, EOFError) as err:
            raise CorruptData(f"{d}: unreadable n-gram index ({err})") from None
        if (hashes.dtype != np.uint64 or ref.dtype != np.uint32 or hashes.ndim != 1
                or hashes.shape != ref.shape):
            raise CorruptData(f"{d}: n-gram index arrays do not match ({hashes.dtype}{hashes.shape}, "
                              f"{ref.dtype}{ref.shape})")
        return cls(hashes, ref)

    def match(self, texts: Sequence[str], n: int, min_overlap: float | None,
              digits: str = DEFAULT_DIGITS) -> tuple[np.ndarray, np.ndarray]:
        """Which texts overlap the references: ``(ref int64[len(texts)], overlap float32[...])``.

        ``overlap`` is the share of a text's distinct n-grams found in the index; a text is
        flagged when it shares any n-gram (``min_overlap`` None) or at least that share. ``ref``
        is the reference sharing the most of its n-grams (ties: the smallest number), -1 when
        not flagged.
        """
        count = len(texts)
        ref_out = np.full(count, -1, dtype=np.int64)
        overlap = np.zeros(count, dtype=np.float32)
        h, doc = ngram_hashes(texts, n, digits)
        if len(h) == 0 or len(self.hashes) == 0:
            return ref_out, overlap
        pos = np.minimum(np.searchsorted(self.hashes, h, "left"), len(self.hashes) - 1)
        # Contamination is rare: the exact work below runs only on texts with any hit.
        touched = np.zeros(count, dtype=bool)
        touched[doc[self.hashes[pos] == h]] = True
        sel = touched[doc]
        h, doc = h[sel], doc[sel]
        order = np.lexsort((h, doc))
        h, doc = h[order], doc[order]
        distinct = np.ones(len(h), dtype=bool)
        distinct[1:] = (h[1:] != h[:-1]) | (doc[1:] != doc[:-1])
        h, doc = h[distinct], doc[distinct]
        lo = np.searchsorted(self.hashes, h, "left")
        hi = np.searchsorted(self.hashes, h, "right")
        found = hi > lo
        total = np.bincount(doc, minlength=count)
        hits = np.bincount(doc[found], minlength=count)
        overlap = (hits / np.maximum(total, 1)).astype(np.float32)
        flagged = hits > 0 if min_overlap is None else (hits > 0) & (overlap >= min_overlap)
        # Most-shared reference per flagged text: expand each matched n-gram to every reference
        # holding it, count (doc, ref) pairs, take the largest count.
        keep = found & flagged[doc]
        width = (hi - lo)[keep]
        fd = np.repeat(doc[keep], width)
        at = np.repeat(lo[keep] - (np.cumsum(width) - width), width) + np.arange(int(width.sum()))
        fr = np.asarray(self.ref)[at].astype(np.int64)
        if len(fd):
            o = np.lexsort((fr, fd))
            fd, fr = fd[o], fr[o]
            new = np.ones(len(fd), dtype=bool)
            new[1:] = (fd[1:] != fd[:-1]) | (fr[1:] != fr[:-1])
            starts = np.flatnonzero(new)
            run = np.diff(np.append(starts, len(fd)))
            gd, gr = fd[starts], fr[starts]
            # Sort by doc, then count descending, then ref ascending; first per doc wins.
            o = np.lexsort((gr, -run, gd))
            gd, gr = gd[o], gr[o]
            first = np.ones(len(gd), dtype=bool)
            first[1:] = gd[1:] != gd[:-1]
            ref_out[gd[first]] = gr[first]
        overlap[~flagged] = 0.0
        return ref_out, overlap


class Contamination:
    """For each input, the reference document it is closest to so far and how close:
    ``ref uint32[total]`` (``NONE``: none) and ``sim float32[total]``, over all document
    numbers (references first). Empty (``total`` 0) when a run has no references."""

    def __init__(self, total: int) -> None:
        self.ref = np.full(total, NONE, dtype=np.uint32)
        self.sim = np.zeros(total, dtype=np.float32)

    def exact(self, ref: np.ndarray, doc: np.ndarray) -> None:
        """Inputs ``doc`` are exact copies of references ``ref`` (the smallest one wins)."""
        np.minimum.at(self.ref, doc, ref)
        self.sim[doc] = 1.0

    def near(self, ref: np.ndarray, doc: np.ndarray, sim: np.ndarray) -> None:
        """Verified near pairs: keep for each input its most similar reference (ties: the
        smaller number)."""
        cur_ref, cur_sim = self.ref[doc], self.sim[doc]
        better = (cur_ref == NONE) | (sim > cur_sim) | ((sim == cur_sim) & (ref < cur_ref))
        ref, doc, sim = ref[better], doc[better], sim[better]
        # Several references for one input in this chunk: sort so the best comes last per input.
        order = np.lexsort((-ref.astype(np.int64), sim, doc))
        ref, doc, sim = ref[order], doc[order], sim[order]
        last = np.ones(len(doc), dtype=bool)
        last[:-1] = doc[1:] != doc[:-1]
        self.ref[doc[last]] = ref[last]
        self.sim[doc[last]] = sim[last]

    def inherit(self, exact_first: np.ndarray) -> None:
        """Exact copies share their group representative's contamination (``exact_first``:
        each document's group representative)."""
        inherit = (self.ref == NONE) & (self.ref[exact_first] != NONE)
        self.ref[inherit] = self.ref[exact_first[inherit]]
        self.sim[inherit] = self.sim[exact_first[inherit]]

    def ngram(self, ng_ref: np.ndarray, ng_sim: np.ndarray, first_input: int) -> int:
        """Add the inputs the n-gram rule flags (``ng_ref int64``: reference or -1, ``ng_sim``:
        overlap; per input, from document ``first_input`` on) that are not contaminated yet;
        return how many."""
        flagged = np.flatnonzero(ng_ref >= 0) + first_input
        flagged = flagged[self.ref[flagged] == NONE]
        self.ref[flagged] = ng_ref[flagged - first_input]
        self.sim[flagged] = ng_sim[flagged - first_input]
        return len(flagged)

    def sparse(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(docs, ref, sim)`` of the contaminated documents only (contamination is rare)."""
        docs = np.flatnonzero(self.ref != NONE)
        return docs, self.ref[docs], self.sim[docs]
