"""Vendi score, DCScore and the cluster surrogate against their formulas on tiny matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boostpack.reporting.embedding_metrics import (
    cluster_surrogate,
    dcscore,
    dcscore_from_kernel,
    single_link_clusters,
    vendi,
    vendi_from_kernel,
)


def test_vendi_extremes_and_a_block_kernel() -> None:
    assert vendi_from_kernel(np.eye(3)) == pytest.approx(3.0)
    assert vendi_from_kernel(np.ones((4, 4))) == pytest.approx(1.0)
    # Two identical samples and one orthogonal: eigenvalues of K/3 are 2/3, 1/3, 0.
    k = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    expected = math.exp(-(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)))
    assert vendi_from_kernel(k) == pytest.approx(expected)


def test_vendi_from_embeddings_equals_the_kernel_form() -> None:
    x = np.random.default_rng(0).normal(size=(50, 8))
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    assert vendi(x) == pytest.approx(vendi_from_kernel(xn @ xn.T), rel=1e-9)
    assert 1.0 <= vendi(x) <= 8.0  # at most the dimension


def test_dcscore_is_the_trace_of_the_row_softmax() -> None:
    k = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.1], [0.2, 0.1, 1.0]])
    for tau in (1.0, 0.1):
        p = np.exp(k / tau) / np.exp(k / tau).sum(axis=1, keepdims=True)
        assert dcscore_from_kernel(k, tau) == pytest.approx(float(np.trace(p)))
    # Identity kernel: each row's softmax gives e^(1/tau) / (e^(1/tau) + n - 1) to itself.
    n, tau = 4, 0.5
    assert dcscore_from_kernel(np.eye(n), tau) == pytest.approx(
        n * math.exp(2) / (math.exp(2) + n - 1))
    # Identical samples can't be told apart: every row is uniform, trace = 1.
    assert dcscore(np.ones((5, 3)), 0.05) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        dcscore_from_kernel(np.eye(2), 0.0)


def test_single_link_clusters_follow_chains() -> None:
    k = np.eye(4)
    k[0, 1] = k[1, 0] = 0.95
    k[1, 2] = k[2, 1] = 0.92
    assert single_link_clusters(k, 0.9) == 2  # {0, 1, 2} by the chain, {3}
    assert single_link_clusters(k, 0.93) == 3


def test_cluster_surrogate_on_orthogonal_and_identical_samples() -> None:
    distinct = cluster_surrogate(np.eye(20), draws=5, size=10)
    assert distinct["score"] == pytest.approx(10.0)  # C = K = 10: 10^2 / 10
    assert distinct["clusters_per_sample"] == pytest.approx(1.0)
    same = cluster_surrogate(np.ones((20, 3)), draws=5, size=10)
    assert same["score"] == pytest.approx(0.1)  # C = 1: 1 / 10
    assert same["mean_clusters"] == pytest.approx(1.0)
    assert cluster_surrogate(np.eye(5), size=10)["score"] is None  # fewer rows than K
