"""MinHash near-duplicate structure against hand-computed clusterings and a brute-force check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boostpack.deduplication.lsh import signature_similarity
from boostpack.deduplication.minhash import MinHasher
from boostpack.reporting.neardup import cluster_labels, cluster_stats, neardup_metrics

BASE = ("A train leaves the station at 9:00 travelling at 60 km/h; a second train follows "
        "at 10:00 at 90 km/h. When does the second train catch up with the first one?")
OTHER = ("Name the capital of Australia and explain why it is not Sydney, the largest city, "
         "in two sentences.")
THIRD = "Integrate x times e to the x with respect to x, showing integration by parts."


def test_cluster_stats_by_hand() -> None:
    s = cluster_stats(np.array([0, 0, 2, 3], dtype=np.uint32))
    assert s["clusters"] == 3 and s["largest"] == 2
    assert s["duplicate_rate"] == pytest.approx(0.25)
    assert s["entropy_bits"] == pytest.approx(1.5)  # -(.5 log2 .5 + 2 * .25 log2 .25)
    assert s["entropy_norm"] == pytest.approx(0.75)  # 1.5 / log2(4)
    assert cluster_stats(np.arange(8, dtype=np.uint32))["entropy_norm"] == pytest.approx(1.0)
    assert cluster_stats(np.zeros(0, dtype=np.uint32))["duplicate_rate"] is None


def test_copies_and_near_copies_cluster_distinct_items_do_not() -> None:
    near = BASE.replace("9:00", "9:30")  # one edit: char-5 Jaccard well above 0.7
    texts = [BASE, OTHER, BASE, near, THIRD]
    m = neardup_metrics(texts, thresholds=(0.5, 0.999))
    # t=0.5: {BASE, BASE, near}, {OTHER}, {THIRD} -> 3 clusters of 5
    assert m["t=0.5"]["clusters"] == 3 and m["t=0.5"]["largest"] == 3
    assert m["t=0.5"]["duplicate_rate"] == pytest.approx(0.4)
    p = np.array([3, 1, 1]) / 5
    assert m["t=0.5"]["entropy_bits"] == pytest.approx(float(-(p * np.log2(p)).sum()))
    # t=0.999: only the identical copy joins
    assert m["t=0.999"]["clusters"] == 4
    assert m["t=0.999"]["entropy_norm"] == pytest.approx(
        -(0.4 * math.log2(0.4) + 3 * 0.2 * math.log2(0.2)) / math.log2(5))


def test_labels_agree_with_brute_force_components() -> None:
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(300)]
    base = [" ".join(rng.choice(words, 40)) for _ in range(30)]
    texts = base + [t.replace(t.split()[3], "edited", 1) for t in base[:10]]
    sigs = MinHasher().signatures(texts)
    labels = cluster_labels(sigs, 0.5)
    # Brute force: components of all pairs with signature similarity >= 0.5.
    n = len(texts)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if signature_similarity(sigs[i:i + 1], sigs[j:j + 1])[0] >= 0.5:
                parent[max(find(i), find(j))] = min(find(i), find(j))
    assert labels.tolist() == [find(i) for i in range(n)]
