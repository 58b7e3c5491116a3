"""Uniform samples of a stream of texts, per dataset and per category, for the diversity metrics.

Diversity metrics depend on how much text they see, so they are computed on samples of
fixed sizes. A bottom-k sample keeps the ``capacity`` texts whose key (the record id and the
text) hashes lowest under a seed: a uniform sample without replacement that does not depend
on the order of the stream, so the same records give the same sample whether they come from
the raw files, from a dedup output (removed first, then kept) or from a packed dataset.
Keying by id as well as text keeps two copies of one text independent (sampling by text alone
would take both copies or neither, and inflate the duplicate rate measured on the sample).
The ``s`` lowest of them are a uniform sample of size ``s``: samples of different sizes are
nested. Per-category samples exist for at most ``MAX_CATEGORIES`` values; later values share
one ``(other)`` sample.
"""

from __future__ import annotations

import heapq

import xxhash

MAX_CATEGORIES = 64
_OTHER = "(other)"


class Reservoir:
    """The ``capacity`` texts of lowest hash priority among those offered."""

    __slots__ = ("_heap", "capacity", "seed", "seen")

    def __init__(self, capacity: int, seed: int) -> None:
        self.capacity = capacity
        self.seed = seed
        self.seen = 0
        self._heap: list[tuple[int, str]] = []  # (-priority, text): a max-heap on priority

    def offer(self, text: str, key: str = "") -> None:
        self.seen += 1
        priority = xxhash.xxh3_64_intdigest(f"{key}\0{text}".encode("utf-8", "surrogatepass"),
                                            seed=self.seed)
        if len(self._heap) < self.capacity:
            heapq.heappush(self._heap, (-priority, text))
        elif priority < -self._heap[0][0]:
            heapq.heapreplace(self._heap, (-priority, text))

    @property
    def items(self) -> list[str]:
        """The kept texts, lowest priority first."""
        return [text for _, text in sorted(self._heap, reverse=True)]

    def sample(self, size: int) -> list[str] | None:
        """A uniform sample of ``size`` texts, or None when fewer were offered."""
        if size > len(self._heap):
            return None
        return self.items[:size]


class Sampler:
    """A sample of the whole dataset and one per category value."""

    def __init__(self, capacity: int, category_capacity: int, seed: int) -> None:
        self.seed = seed
        self.all = Reservoir(capacity, seed)
        self.category_capacity = category_capacity
        self.categories: dict[str, Reservoir] = {}

    def offer(self, text: str, category: str, key: str = "") -> None:
        self.all.offer(text, key)
        res = self.categories.get(category)
        if res is None:
            if len(self.categories) >= MAX_CATEGORIES:
                category = _OTHER
            res = self.categories.get(category)
            if res is None:
                res = self.categories[category] = Reservoir(self.category_capacity, self.seed)
        res.offer(text, key)
