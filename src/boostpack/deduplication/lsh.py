"""MinHash LSH: band/row parameters, 64-bit band keys, signature similarity.

Two documents whose signatures agree on every row of at least one band become a candidate pair;
with b bands of r rows, documents of Jaccard similarity s collide with probability
``1 - (1 - s**r)**b``. ``optimal_params`` picks (b, r) exactly as datasketch's ``MinHashLSH`` does.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from boostpack import _minhash
from boostpack.deduplication.settings import DEFAULT_THRESHOLD, check_num_perm, check_threshold
from boostpack.errors import InvalidInput

__all__ = ["DEFAULT_THRESHOLD", "band_key", "band_keys", "optimal_params", "signature_similarity"]

# The kernel starts band j's hash from seed ^ (j + 1) * _GOLDEN (csrc/lsh.c).
_GOLDEN = 0x9E3779B97F4A7C15


@lru_cache(maxsize=256)
def _legendre(points: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(points)


def _integrate(values_at, lo: float, hi: float, degree: int) -> np.ndarray:
    """Integral over [lo, hi] of a polynomial of at most ``degree``, exact up to rounding:
    Gauss-Legendre with n nodes is exact to degree 2n - 1."""
    x, w = _legendre(degree // 2 + 2)
    s = (hi - lo) / 2 * x + (hi + lo) / 2
    return values_at(s) @ w * ((hi - lo) / 2)


@lru_cache(maxsize=1024)
def optimal_params(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """(bands, rows) minimizing the weighted false-positive plus false-negative probability mass.

    Same objective and search order as datasketch's ``_optimal_param`` (the first minimum over
    b = 1..num_perm, r = 1..num_perm // b wins); the integrals are computed exactly (the
    integrands are polynomials) instead of with adaptive quadrature.
    """
    threshold, num_perm = check_threshold(threshold), check_num_perm(num_perm)
    if false_positive_weight < 0 or false_negative_weight < 0:
        raise InvalidInput("false positive/negative weights must be non-negative")
    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        rows = np.arange(1, num_perm // b + 1, dtype=np.float64)[:, None]
        degree = num_perm  # r * b <= num_perm bounds the degree of every integrand here

        def collide(s: np.ndarray, b: int = b, rows: np.ndarray = rows) -> np.ndarray:
            return 1.0 - (1.0 - s[None, :] ** rows) ** b

        fp = _integrate(collide, 0.0, threshold, degree)
        fn = _integrate(lambda s, c=collide: 1.0 - c(s), threshold, 1.0, degree)
        error = fp * false_positive_weight + fn * false_negative_weight
        r = int(np.argmin(error))
        if error[r] < best:
            best, opt = float(error[r]), (b, r + 1)
    return opt


def _signature_matrix(sig: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(sig)
    if arr.dtype != np.uint32 or arr.ndim != 2:
        raise InvalidInput(f"{what} must be a uint32[n, num_perm] array, got {arr.dtype}{list(arr.shape)}")
    return np.ascontiguousarray(arr)


def band_keys(signatures: np.ndarray, bands: int, rows: int, seed: int = 0) -> np.ndarray:
    """uint64[n, bands]: a 64-bit hash of each band (rows ``j*rows .. (j+1)*rows - 1``) of each
    signature (uint32[n, num_perm]), the band index and ``seed`` mixed in, so equal keys in
    different bands never collide by construction."""
    sig = _signature_matrix(signatures, "signatures")
    if not 0 <= seed < 2**64:
        raise InvalidInput(f"seed must be in [0, 2**64), got {seed}")
    return _minhash.band_keys(sig, bands, rows, seed)


def band_key(signatures: np.ndarray, band: int, rows: int, seed: int = 0) -> np.ndarray:
    """uint64[n]: ``band_keys(signatures, bands, rows, seed)[:, band]`` from that band's rows
    alone, so a band task computes its keys without the others'. The kernel starts band j
    from ``seed ^ (j + 1) * golden``, so band j is band 0 of the seed ``seed ^ (j + 1) * golden
    ^ golden``."""
    sig = _signature_matrix(signatures, "signatures")
    if not 0 <= band < sig.shape[1] // rows:
        raise InvalidInput(f"band {band} of {rows} rows is past the {sig.shape[1]} positions")
    if not 0 <= seed < 2**64:
        raise InvalidInput(f"seed must be in [0, 2**64), got {seed}")
    mask = 2**64 - 1
    start = seed ^ (((band + 1) * _GOLDEN) & mask) ^ _GOLDEN
    rows_of_band = np.ascontiguousarray(sig[:, band * rows : (band + 1) * rows])
    return _minhash.band_keys(rows_of_band, 1, rows, start).reshape(-1)


def signature_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32[m]: the share of positions where row i of a equals row i of b (uint32[m, P] each),
    the MinHash estimate of their Jaccard similarity."""
    left, right = _signature_matrix(a, "a"), _signature_matrix(b, "b")
    if left.shape != right.shape:
        raise InvalidInput(f"a and b must have the same shape, got {left.shape} and {right.shape}")
    if left.shape[1] == 0:
        raise InvalidInput("signatures must have at least one position")
    equal = np.count_nonzero(left == right, axis=1)
    return (equal / left.shape[1]).astype(np.float32)
