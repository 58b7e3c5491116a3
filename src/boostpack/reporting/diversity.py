"""Diversity of one column of the report, overall and per category, at fixed sample sizes.

For each size s in ``sizes`` and each population (the whole column, and each category value
of ``by`` with at least s records) the same uniform sample of s texts (``sampling``) is
measured: lexical metrics, near-duplicate structure at ``thresholds`` (MinHash, the dedup
kernel) and, with an encoder, the embedding metrics. Samples of one size from different
columns and categories compare directly; a population smaller than s has no value at s.

Embeddings are cached by text across columns, so the "before" and "after" columns of a dedup
output embed their shared records once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from boostpack.errors import InvalidInput
from boostpack.reporting.embedding_metrics import (
    DEFAULT_CLUSTER_THRESHOLD,
    DEFAULT_DRAWS,
    DEFAULT_TAU,
    embedding_metrics,
)
from boostpack.reporting.lexical import lexical_metrics
from boostpack.reporting.neardup import DEFAULT_THRESHOLDS, neardup_metrics
from boostpack.reporting.sampling import Reservoir, Sampler

DEFAULT_SIZES = (200, 1000)
MAX_SIZE = 100_000


@dataclass(frozen=True)
class DiversityOptions:
    """What to measure. ``embed``: run the encoder (the ``embed`` extra) on the samples of the
    smallest size (overall and per category): encoding costs ~1.5 ms of CPU per token, so
    larger embedded samples would dominate the report's run time."""

    sizes: tuple[int, ...] = DEFAULT_SIZES
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    by: str = "discipline"
    embed: bool = False
    tau: float = DEFAULT_TAU
    cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD
    draws: int = DEFAULT_DRAWS
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.sizes or any(not 2 <= s <= MAX_SIZE for s in self.sizes):
            raise InvalidInput(f"report: sample sizes must be in 2..{MAX_SIZE}, got {self.sizes}")
        if any(not 0.0 < t <= 1.0 for t in self.thresholds):
            raise InvalidInput(f"report: thresholds must be in (0, 1], got {self.thresholds}")
        if self.tau <= 0 or not 0.0 < self.cluster_threshold <= 1.0 or self.draws < 1:
            raise InvalidInput("report: tau > 0, cluster threshold in (0, 1], draws >= 1")
        object.__setattr__(self, "sizes", tuple(sorted(set(self.sizes))))

    @property
    def capacity(self) -> int:
        return max(self.sizes)


class EmbeddingCache:
    """Embeddings of texts, computed once per distinct text."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self._cache: dict[str, np.ndarray] = {}
        self.encoded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for text, row in zip(todo, self.encoder.encode(todo), strict=True):
                self._cache[text] = row
            self.encoded += len(todo)
        return np.stack([self._cache[t] for t in texts])


def _measure(texts: list[str], opts: DiversityOptions, cache: EmbeddingCache | None,
             embed: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"lexical": lexical_metrics(texts),
                           "neardup": neardup_metrics(texts, opts.thresholds)}
    if embed and cache is not None:
        out["embedding"] = embedding_metrics(cache.embed(texts), tau=opts.tau,
                                             threshold=opts.cluster_threshold,
                                             draws=opts.draws, seed=opts.seed)
    return out


def _population(res: Reservoir, sizes: Sequence[int], opts: DiversityOptions,
                cache: EmbeddingCache | None, embed_sizes: Sequence[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in sizes:
        texts = res.sample(size)
        if texts is not None:
            out[str(size)] = _measure(texts, opts, cache, size in embed_sizes)
    return out


def column_diversity(sampler: Sampler, opts: DiversityOptions,
                     cache: EmbeddingCache | None) -> dict[str, Any]:
    """``overall``: {size: metrics}; ``by_category``: {value: {size: metrics}} (values with
    at least the smallest size), ``population``: {value: records seen}."""
    smallest = opts.sizes[0]
    overall = _population(sampler.all, opts.sizes, opts, cache, (smallest,))
    by_category = {}
    for value in sorted(sampler.categories, key=lambda v: (-sampler.categories[v].seen, v)):
        res = sampler.categories[value]
        if res.seen >= smallest:
            by_category[value] = _population(res, opts.sizes, opts, cache, (smallest,))
    return {"by": opts.by, "sizes": list(opts.sizes), "overall": overall,
            "by_category": by_category,
            "population": {v: r.seen for v, r in sampler.categories.items()}}
