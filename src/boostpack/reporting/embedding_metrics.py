"""Diversity of a sample from its sentence embeddings: Vendi score, DCScore and an offline
surrogate of the LLM cluster-agent score. Pure numpy over an embedding matrix, so the
encoder (``encoder``) is swappable and the formulas are testable on tiny matrices.

All three use the cosine similarity kernel K = X Xᵀ of the L2-normalized rows of X
(n × d): K is positive semi-definite with a unit diagonal.

- Vendi score (Friedman & Dieng 2023, "The Vendi Score: A Diversity Evaluation Metric for
  Machine Learning"): exp of the Shannon entropy of the eigenvalues of K / n. 1 when every
  sample is the same, n when all are orthogonal: an "effective number of distinct samples".
  The non-zero eigenvalues of X Xᵀ / n equal those of Xᵀ X / n (d × d), which is what is
  decomposed, so the cost is O(n d²) whatever n.
- DCScore (Zhu et al. 2025, "Measuring Diversity in Synthetic Datasets", ICML): each sample
  is "classified" among all samples by a softmax over its row of K / tau; the score is the
  trace of that probability matrix, the expected number of samples recognized as themselves
  (1 to n). The authors' reference uses tau = 1; with an encoder whose cosine similarities
  crowd into a narrow band, tau = 1 leaves every row nearly uniform and the score blind to
  duplicates, so the report uses a smaller tau (``DEFAULT_TAU``, measured) and states it.
- cluster surrogate: N draws of K samples (K = 10, as the cluster-agent of Chen et al. 2024,
  arXiv 2410.15226, shows its LLM), each draw split into clusters by single-link at cosine
  >= a threshold; score = mean of C² / K over draws, C the draw's cluster count (the
  definition this project's issue gives), with mean C and C / K alongside. A cheap, offline
  stand-in for the LLM's judgment, not a replacement for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from boostpack.errors import InvalidInput

# DCScore's temperature for multilingual-e5-small (tools/measure_encoders.py, 400 qa_en items):
# e5 crowds unrelated QA into cosine 0.77 +- 0.05, so at the reference tau = 1 DCScore / n is
# 0.003 for distinct items and for the same sample with every item twice alike; at 0.025 it is
# 0.89 against 0.47 (ideal: 1 against 0.5, with room left below 1 for items that are merely
# alike; at 0.02 it saturates, 0.97 against 0.49). It is MiniLM's tau = 0.1 (0.95 against
# 0.49) rescaled to e5's narrower band of similarities.
DEFAULT_TAU = 0.025
# Single-link threshold of the surrogate clustering: above the ~95th percentile of unrelated
# qa_en pairs under e5 (0.83), below edited copies (>= 0.95), so items e5 sees as the same
# kind of question group together (C/K 0.93 on a mixed benchmark sample).
DEFAULT_CLUSTER_THRESHOLD = 0.85
DEFAULT_DRAWS = 200
DRAW_SIZE = 10


def normalized(x: np.ndarray) -> np.ndarray:
    """float64 rows of ``x`` scaled to unit length (a zero row stays zero)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise InvalidInput(f"embeddings must be a 2-D array, got shape {arr.shape}")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.where(norms > 0, norms, 1.0)


def vendi_from_kernel(k: np.ndarray) -> float:
    """Vendi score of a PSD similarity matrix with unit diagonal (n × n)."""
    k = np.asarray(k, dtype=np.float64)
    n = k.shape[0]
    if n == 0:
        return 0.0
    eig = np.linalg.eigvalsh(k / n)
    return _exp_entropy(eig)


def vendi(x: np.ndarray) -> float:
    """Vendi score of the cosine kernel of the rows of ``x``, via the d × d Gram matrix."""
    xn = normalized(x)
    n = xn.shape[0]
    if n == 0:
        return 0.0
    eig = np.linalg.eigvalsh(xn.T @ xn / n)
    return _exp_entropy(eig)


def _exp_entropy(eig: np.ndarray) -> float:
    p = eig[eig > 1e-12]
    return float(np.exp(-(p * np.log(p)).sum()))


def dcscore_from_kernel(k: np.ndarray, tau: float = DEFAULT_TAU) -> float:
    """DCScore: trace of the row-wise softmax of ``k / tau`` (n × n similarity matrix)."""
    if tau <= 0:
        raise InvalidInput(f"tau must be positive, got {tau}")
    z = np.asarray(k, dtype=np.float64) / tau
    if z.size == 0:
        return 0.0
    z = z - z.max(axis=1, keepdims=True)  # stable softmax; the trace is unchanged
    e = np.exp(z)
    return float((np.diag(e) / e.sum(axis=1)).sum())


def dcscore(x: np.ndarray, tau: float = DEFAULT_TAU) -> float:
    """DCScore of the cosine kernel of the rows of ``x``."""
    xn = normalized(x)
    return dcscore_from_kernel(xn @ xn.T, tau)


def single_link_clusters(k: np.ndarray, threshold: float) -> int:
    """Number of connected components of the graph with an edge where ``k >= threshold``."""
    n = k.shape[0]
    label = list(range(n))

    def find(i: int) -> int:
        while label[i] != i:
            label[i] = label[label[i]]
            i = label[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(k >= threshold, 1)), strict=True):
        a, b = find(int(i)), find(int(j))
        if a != b:
            label[max(a, b)] = min(a, b)
    return len({find(i) for i in range(n)})


def cluster_surrogate(x: np.ndarray, draws: int = DEFAULT_DRAWS, size: int = DRAW_SIZE,
                      threshold: float = DEFAULT_CLUSTER_THRESHOLD, seed: int = 0
                      ) -> dict[str, Any]:
    """The offline cluster-agent surrogate (module docstring) over ``draws`` random draws of
    ``size`` rows of ``x`` (without replacement within a draw; seeded)."""
    xn = normalized(x)
    n = xn.shape[0]
    if n < size:
        return {"draws": 0, "size": size, "threshold": threshold, "score": None,
                "mean_clusters": None, "clusters_per_sample": None}
    rng = np.random.default_rng(seed)
    counts = np.empty(draws, dtype=np.float64)
    for d in range(draws):
        rows = xn[rng.choice(n, size=size, replace=False)]
        counts[d] = single_link_clusters(rows @ rows.T, threshold)
    return {"draws": draws, "size": size, "threshold": threshold,
            "score": float((counts ** 2 / size).mean()),
            "mean_clusters": float(counts.mean()),
            "clusters_per_sample": float(counts.mean() / size)}


def embedding_metrics(x: np.ndarray, tau: float = DEFAULT_TAU,
                      threshold: float = DEFAULT_CLUSTER_THRESHOLD,
                      draws: int = DEFAULT_DRAWS, seed: int = 0) -> dict[str, Any]:
    """Vendi, DCScore (and DCScore / n) and the cluster surrogate of one embedded sample."""
    n = int(np.asarray(x).shape[0])
    dc = dcscore(x, tau) if n else None
    return {"n": n, "vendi": vendi(x) if n else None, "dcscore": dc,
            "dcscore_per_sample": dc / n if dc is not None else None, "tau": tau,
            "cluster_surrogate": cluster_surrogate(x, draws=draws, threshold=threshold,
                                                   seed=seed)}
