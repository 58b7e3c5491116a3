"""Uniform samples of a stream of texts, per dataset and per category, for the diversity metrics.

Diversity metrics depend on how much text they see, so they are computed on samples of
fixed sizes: a reservoir (Vitter's Algorithm R) keeps a uniform sample of ``capacity`` texts
of a stream of unknown length, and the first ``s`` texts of a seeded shuffle of the reservoir
are a uniform sample of size ``s`` (``sample``). Seeded, so a report is reproducible.
Per-category reservoirs exist for at most ``MAX_CATEGORIES`` values; later values share one
``(other)`` reservoir.
"""

from __future__ import annotations

import random
import zlib

MAX_CATEGORIES = 64
_OTHER = "(other)"


class Reservoir:
    """A uniform random sample of at most ``capacity`` of the texts offered."""

    __slots__ = ("_rng", "capacity", "items", "seen")

    def __init__(self, capacity: int, seed: int) -> None:
        self.capacity = capacity
        self.items: list[str] = []
        self.seen = 0
        self._rng = random.Random(seed)

    def offer(self, text: str) -> None:
        self.seen += 1
        if len(self.items) < self.capacity:
            self.items.append(text)
            return
        j = self._rng.randrange(self.seen)
        if j < self.capacity:
            self.items[j] = text

    def sample(self, size: int, seed: int = 0) -> list[str] | None:
        """A uniform sample of ``size`` texts, or None when fewer were offered. Samples of
        different sizes from one reservoir are nested (the smaller is a prefix)."""
        if size > len(self.items):
            return None
        order = list(range(len(self.items)))
        random.Random(seed).shuffle(order)
        return [self.items[i] for i in order[:size]]


class Sampler:
    """A reservoir for the whole dataset and one per category value."""

    def __init__(self, capacity: int, category_capacity: int, seed: int) -> None:
        self.seed = seed
        self.all = Reservoir(capacity, seed)
        self.category_capacity = category_capacity
        self.categories: dict[str, Reservoir] = {}

    def offer(self, text: str, category: str) -> None:
        self.all.offer(text)
        res = self.categories.get(category)
        if res is None:
            if len(self.categories) >= MAX_CATEGORIES:
                category = _OTHER
            res = self.categories.get(category)
            if res is None:
                # A per-category seed, so a category's sample does not depend on the others.
                seed = self.seed ^ zlib.crc32(category.encode("utf-8"))
                res = self.categories[category] = Reservoir(self.category_capacity, seed)
        res.offer(text)
