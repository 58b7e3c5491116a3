"""Near-duplicate edits (the planted near duplicates) and the diversity filter (the base items).

The demo must show dedup finding the *planted* duplicates, so the base items must not already
be near duplicates of each other; the edits must stay similar enough to be found.
"""

from __future__ import annotations

import random

import numpy as np

from boostpack.deduplication.minhash import MinHasher

# Below dedup's default threshold (0.5) by a margin, because dedup compares MinHash estimates
# (about ±0.045 at 128 permutations), not exact similarities.
MAX_BASE_SIMILARITY = 0.4

_SYNONYMS = {"What": "Which", "How": "In what way", "receive": "get", "buys": "purchases",
             "holds": "contains", "main": "primary", "ray": "beam", "placed": "put",
             "originally": "initially", "sale": "discount", "Find": "Determine",
             "Calculate": "Compute", "dropped": "released", "Describe": "Explain",
             "long": "far", "city": "town", "rises": "increases", "falls": "drops"}


def near_edit(r: random.Random, text: str, zh: bool) -> tuple[str, str]:
    """A small edit of ``text`` and its name; the result always differs from the input."""
    if zh:
        choices = ["drop_char", "punct_width", "prefix"]
        kind = r.choice(choices)
        if kind == "drop_char" and len(text) > 6:
            i = r.randrange(1, len(text) - 2)
            return text[:i] + text[i + 1:], kind
        if kind == "punct_width" and ("？" in text or "，" in text):
            return text.replace("？", "?").replace("，", ","), kind
        return "请问：" + text, "prefix"
    words = text.split(" ")
    kind = r.choice(["synonym", "delete_word", "punctuation", "case", "whitespace"])
    if kind == "synonym":
        spots = [i for i, w in enumerate(words) if w in _SYNONYMS]
        if spots:
            i = r.choice(spots)
            words[i] = _SYNONYMS[words[i]]
            return " ".join(words), kind
        kind = "delete_word"
    if kind == "delete_word" and len(words) > 4:
        del words[r.randrange(1, len(words) - 1)]
        return " ".join(words), kind
    if kind == "punctuation" and text[-1] in "?.":
        return text[:-1] + ("" if r.random() < 0.5 else "!" if text[-1] == "." else " ?"), kind
    if kind == "case":
        return (text.lower() if text != text.lower() else text.upper()), "case"
    i = r.randrange(1, len(words)) if len(words) > 1 else 0
    return " ".join(words[:i]) + "  " + " ".join(words[i:]), "whitespace"


class DiversityFilter:
    """Admits a text unless its char-5 Jaccard similarity to an earlier text of its group
    reaches ``MAX_BASE_SIMILARITY``. Groups are a template's items of one discipline path (one
    kind of problem): other items share little text with them (the sample's test checks all
    pairs), and comparing within a group keeps generation fast.

    Each text is also kept as a bitset of its shingle hashes modulo ``_BITS``, so one numpy
    popcount per group finds the few earlier texts worth an exact set comparison. Hash
    collisions make bitset similarity overestimate (unshared shingles landing on one bit)
    more than underestimate (shared ones landing on one bit, under 1 in 4096 pairs), so the
    small slack keeps the screen from missing a similar pair.
    """

    _BITS = 4096
    _SLACK = 0.02

    def __init__(self) -> None:
        self._hasher = MinHasher()
        # group -> (bitset rows, their popcounts, shingle sets); rows grow by doubling.
        self._groups: dict[str, tuple[np.ndarray, np.ndarray, list[frozenset[int]]]] = {}

    def admit(self, group: str, text: str) -> bool:
        hashes = self._hasher.shingle_hashes(text)
        bits = np.zeros(self._BITS // 64, np.uint64)
        slots = hashes % self._BITS
        np.bitwise_or.at(bits, slots >> 6, np.left_shift(np.uint64(1), (slots & 63).astype(np.uint64)))
        rows, ones, sets = self._groups.get(group) or (np.zeros((16, self._BITS // 64), np.uint64),
                                                       np.zeros(16, np.int64), [])
        shingles = frozenset(hashes.tolist())
        n, mine = len(sets), int(np.bitwise_count(bits).sum())
        common = np.bitwise_count(rows[:n] & bits).sum(axis=1)
        rough = common / (ones[:n] + mine - common)
        for i in np.flatnonzero(rough >= MAX_BASE_SIMILARITY - self._SLACK):
            shared = len(shingles & sets[i])
            if shared >= MAX_BASE_SIMILARITY * (len(shingles) + len(sets[i]) - shared):
                return False
        if n == len(rows):
            rows, ones = np.concatenate([rows, np.zeros_like(rows)]), np.concatenate([ones, ones * 0])
        rows[n], ones[n] = bits, mine
        sets.append(shingles)
        self._groups[group] = rows, ones, sets
        return True
