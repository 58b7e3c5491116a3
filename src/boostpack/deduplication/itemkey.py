"""Item keys: what, besides near question text, makes two QA records one item.

MinHash says how much two questions share, not whether they ask the same thing: templated and
synthesized QA is full of distinct items whose text differs in a number or a word
("What is 2 plus 1?" / "What is 2 plus 8?", "... A snake is a reptile." / "... A lizard is a
reptile."), and on real benchmark QA 90% of the near pairs by question text alone have
different answers (docs/dedup-defaults.md). So a near pair is one item only when, besides
signature similarity, its *item keys* agree (``same_item``):

* the **question key** (``csrc/itemkey.h``): the multiset of the question's numbers, or for a
  formula-like question ("12 + 6 / 3 =") its symbols too. The same problem with other numbers
  is another problem, as synthesizers mean it to be.
* the **answer key**: a short answer (a list, a formula, an option letter) or code compared
  whole after a light canonical form (case, spacing, LaTeX spacing, thousands
  separators); a long free-text answer by its stated final answer (``\\boxed{}``, ``####``,
  "the answer is", else its last number) *and* a small MinHash sketch of its text, so that
  paraphrased solutions agree and two solutions with different results do not.
* A reference without an answer (a question-only benchmark set) agrees on the answer with
  any input: its question decides. Among inputs, a record without an answer is one item only
  with another without one.

Every pair that can be one item has equal question keys and (but for those references) equal
answer keys, so both are mixed into the LSH band keys (``band_mix``): a bucket never mixes
items that could not be one, and the pairing of each bucket's members with its smallest member
(``deduplication.candidates``) cannot miss a pair because that member is another item.

One ``ITEM_KEY`` record per document, 80 bytes, fixed size, so a worker can carry it with the
signatures it verifies.
"""

from __future__ import annotations

import numpy as np

from boostpack import _jsonl, _minhash
from boostpack.deduplication.decontam import fmix64
from boostpack.deduplication.minhash import MinHasher

# Answers of at most this many UTF-8 bytes (trimmed) are compared whole: on real QA, short
# answers that differ in one word are different answers ("walk"/"fly", "National"/
# "International Olympic Committee"), and a sketch that admits typos admits those too.
SHORT_ANSWER_BYTES = 64
# 64 lanes of one byte (b-bit MinHash, Li and Koenig 2010): the Jaccard estimate of a long
# answer within +-0.06 (one standard deviation at J = 0.5), in 64 bytes.
SKETCH_LANES = 64

ITEM_KEY = np.dtype([("question", "<u8"), ("answer", "<u8"), ("sketch", "u1", (SKETCH_LANES,))])

# The answer kind sits in the top two bits of the ``answer`` field.
NO_ANSWER, EXACT_ANSWER, LONG_ANSWER = (np.uint64(k) for k in
                                        (_minhash.ANSWER_NONE, _minhash.ANSWER_EXACT,
                                         _minhash.ANSWER_LONG))
_KIND_SHIFT = np.uint64(62)


def answer_sketcher(shingle: str, ngram: int, seed: int, digits: str) -> MinHasher:
    """The MinHasher of the long-answer sketches (the run's shingling, ``SKETCH_LANES`` lanes)."""
    return MinHasher(num_perm=SKETCH_LANES, ngram=ngram, seed=seed, shingle=shingle, digits=digits)


def item_keys(questions: tuple[bytes, np.ndarray], answers: tuple[bytes, np.ndarray],
              sketcher: MinHasher) -> np.ndarray:
    """``ITEM_KEY[m]`` of m records from their compared question text and their answer text,
    each as ``(UTF-8 data, uint64[m+1] offsets)``; an empty answer is no answer."""
    qdata, qoff = questions
    adata, aoff = answers
    keys = np.zeros(len(qoff) - 1, dtype=ITEM_KEY)
    keys["question"] = _minhash.question_keys(qdata, qoff)
    kind, key = _minhash.answer_keys(adata, aoff, SHORT_ANSWER_BYTES)
    kind = kind.astype(np.uint64)
    keys["answer"] = (kind << _KIND_SHIFT) | (key >> np.uint64(2))
    long = np.flatnonzero(kind == LONG_ANSWER)
    if len(long):
        starts = aoff[long].astype(np.int64)
        lengths = aoff[long + 1].astype(np.int64) - starts
        data = np.empty(int(lengths.sum()), dtype=np.uint8)  # the long answers, in one C copy
        _jsonl.gather(np.frombuffer(adata, dtype=np.uint8), starts, lengths, data)
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.uint64)
        keys["sketch"][long] = sketcher.signatures_packed(data, offsets).astype(np.uint8)
    return keys


def answer_kind(keys: np.ndarray) -> np.ndarray:
    """uint64[m]: ``NO_ANSWER``, ``EXACT_ANSWER`` or ``LONG_ANSWER`` of each key."""
    return keys["answer"] >> _KIND_SHIFT


def sketch_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32[m]: the Jaccard estimate of two answer sketches, ``uint8[m, SKETCH_LANES]`` each
    (one-byte lanes also agree by chance, 1 in 256: that share is taken out)."""
    share = np.count_nonzero(a == b, axis=1) / a.shape[1]
    return ((share - 1 / 256) / (1 - 1 / 256)).astype(np.float32)


def same_item(a: np.ndarray, b: np.ndarray, answer_threshold: float,
              open_a: np.ndarray | bool = False) -> np.ndarray:
    """bool[m]: whether the item keys ``a[i]`` and ``b[i]`` (``ITEM_KEY``) can be one item: same
    question key, and answers that agree (the module docstring); ``open_a``: where ``a`` is a
    reference, whose missing answer agrees with any."""
    kind_a, kind_b = answer_kind(a), answer_kind(b)
    agree = (a["answer"] == b["answer"]) | ((kind_a == NO_ANSWER) & open_a)
    long = (kind_a == LONG_ANSWER) & (kind_b == LONG_ANSWER) & agree
    if long.any():
        agree[long] = sketch_similarity(a["sketch"][long], b["sketch"][long]) >= answer_threshold
    return agree & (a["question"] == b["question"])


def band_mix(keys: np.ndarray, answers: bool = True) -> np.ndarray:
    """uint64[m]: what is XORed into each document's LSH band keys: its question key, and its
    answer key unless ``answers`` is False (the band keys that question-only references are
    matched through)."""
    with np.errstate(over="ignore"):
        answer = fmix64(keys["answer"] + np.uint64(0x9E3779B97F4A7C15)) if answers else np.uint64(0)
        return fmix64(keys["question"] ^ answer)


def item_exact_hashes(signed: np.ndarray, answer: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """uint64[m, 2]: the exact hash of each item from the 128-bit hashes of its normalized
    signed text and answer (``uint64[m, 2]`` each) and its ``ITEM_KEY``: exact copies must be
    equal in all of them, since normalization drops what the keys keep ("2 + 2 =" and
    "2 * 2 =" normalize alike, "-1" and "1" too)."""
    with np.errstate(over="ignore"):
        extra = fmix64(keys["question"] ^ fmix64(keys["answer"] + np.uint64(0x9E3779B97F4A7C15)))
        low = fmix64(signed[:, 0] ^ fmix64(answer[:, 0] ^ extra))
        high = fmix64(signed[:, 1] ^ fmix64(answer[:, 1] + extra))
    return np.stack((low, high), axis=1)
