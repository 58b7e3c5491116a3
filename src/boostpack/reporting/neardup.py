"""Near-duplicate structure of a text sample at several similarity thresholds, with the dedup
kernel: MinHash signatures, LSH candidate pairs, verification by signature Jaccard, union-find.

At each threshold t the sample falls into clusters (documents joined by verified pairs of
estimated Jaccard >= t, transitively). Reported per threshold:

- ``duplicate_rate``: 1 - clusters / n, the share of documents a dedup at t would remove;
- ``entropy_bits``: Shannon entropy of the cluster-size distribution, -sum (s/n) log2 (s/n),
  log2(n) when every document is alone; ``entropy_norm``: the same divided by log2(n), 1.0
  for an all-distinct sample (so samples of one size compare at a glance);
- ``largest``: the largest cluster.

Candidate pairs are the two-star pairs of ``PairFinder`` (each bucket member with the bucket's
smallest), so chains are found as dedup finds them; a sample is small (thousands), so
everything stays in memory.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from boostpack.deduplication.candidates import PairFinder
from boostpack.deduplication.lsh import band_keys, optimal_params, signature_similarity
from boostpack.deduplication.minhash import MinHasher
from boostpack.deduplication.unionfind import UnionFind

DEFAULT_THRESHOLDS = (0.5, 0.7, 0.9)
_PAIR_MEMORY = 1 << 26  # 64 MiB: a sample's band keys always fit; nothing is spilled


def cluster_labels(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """uint32[n]: each document's cluster (its smallest member) at ``threshold``.

    ``signatures``: uint32[n, num_perm] MinHash signatures.
    """
    n, num_perm = signatures.shape
    uf = UnionFind(n)
    if n < 2:
        return uf.roots()
    bands, rows = optimal_params(threshold, num_perm)
    keys = band_keys(signatures, bands, rows)
    docs = np.arange(n, dtype=np.uint32)
    with tempfile.TemporaryDirectory(prefix="boostpack-report-") as spill:
        finder = PairFinder(0, _PAIR_MEMORY, spill)
        for band in range(bands):
            for a, b in finder.pairs([(keys[:, band], docs)], size_hint=n):
                sim = signature_similarity(signatures[a], signatures[b])
                keep = sim >= threshold
                uf.union(a[keep], b[keep])
    return uf.roots()


def cluster_stats(labels: np.ndarray) -> dict[str, Any]:
    """Duplicate rate, cluster entropy and largest cluster of a labelling (see module doc)."""
    n = len(labels)
    if n == 0:
        return {"clusters": 0, "duplicate_rate": None, "entropy_bits": None,
                "entropy_norm": None, "largest": 0}
    _, sizes = np.unique(labels, return_counts=True)
    p = sizes / n
    entropy = float(-(p * np.log2(p)).sum())
    return {
        "clusters": len(sizes),
        "duplicate_rate": 1.0 - len(sizes) / n,
        "entropy_bits": entropy,
        "entropy_norm": entropy / math.log2(n) if n > 1 else 1.0,
        "largest": int(sizes.max()),
    }


def neardup_metrics(texts: Sequence[str], thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                    hasher: MinHasher | None = None) -> dict[str, Any]:
    """``{"t=0.5": {...cluster_stats...}, ...}`` for one sample; ``hasher`` defaults to the
    dedup defaults (char 5-grams, 128 permutations), so the rates match what dedup would do."""
    hasher = hasher or MinHasher()
    sigs = hasher.signatures(list(texts))
    return {f"t={t:g}": cluster_stats(cluster_labels(sigs, t)) for t in thresholds}
