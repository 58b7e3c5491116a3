"""pytest-benchmark suite for the dedup kernels on real QA (qa_en question + answer).

    pytest benchmarks/bench_minhash.py --benchmark-only        # measure
    pytest benchmarks/bench_minhash.py --benchmark-disable     # CI: run each once, cannot rot

MB/s figures for the signature kernels are attached as ``extra_info`` (raw UTF-8 bytes per
second of the mean). Cross-library ratios are in ``compare_signatures.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import qa_corpus
from boostpack.deduplication.lsh import DEFAULT_THRESHOLD, band_keys, optimal_params
from boostpack.deduplication.minhash import MinHasher, exact_hashes
from boostpack.deduplication.unionfind import UnionFind
from qa_corpus import QA_EN, qa_docs

DOCS = 20_000


@pytest.fixture(scope="module")
def packed() -> tuple[bytes, np.ndarray]:
    """(data, offsets) of the first DOCS qa_en items; skips when the corpora are absent."""
    if not QA_EN.is_file():
        pytest.skip("real corpora (../shared/corpora) not available")
    return qa_corpus.packed(qa_docs(DOCS))


def _mbps(benchmark, nbytes: int) -> None:
    if benchmark.stats is not None:
        benchmark.extra_info["MB/s"] = round(nbytes / benchmark.stats.stats.mean / 1e6, 1)


@pytest.mark.parametrize(("shingle", "ngram"), [("char", 5), ("word", 5)])
def test_signatures_packed(benchmark, packed, shingle: str, ngram: int) -> None:
    data, offsets = packed
    hasher = MinHasher(ngram=ngram, shingle=shingle)
    sigs = benchmark(hasher.signatures_packed, data, offsets)
    assert sigs.shape == (len(offsets) - 1, 128)
    _mbps(benchmark, len(data))


def test_exact_hashes(benchmark, packed) -> None:
    data, offsets = packed
    hashes = benchmark(exact_hashes, data, offsets)
    assert hashes.shape == (len(offsets) - 1, 2)
    _mbps(benchmark, len(data))


def test_band_keys(benchmark, packed) -> None:
    data, offsets = packed
    sigs = MinHasher().signatures_packed(data, offsets)
    bands, rows = optimal_params(DEFAULT_THRESHOLD, 128)
    keys = benchmark(band_keys, sigs, bands, rows)
    assert keys.shape == (len(sigs), bands)


def test_union_find_million_pairs(benchmark) -> None:
    rng = np.random.default_rng(0)
    n = 2_000_000
    a = rng.integers(0, n, 1_000_000, dtype=np.uint32)
    b = rng.integers(0, n, 1_000_000, dtype=np.uint32)

    def run() -> np.ndarray:
        uf = UnionFind(n)
        uf.union(a, b)
        return uf.roots()

    roots = benchmark(run)
    assert (roots <= np.arange(n, dtype=np.uint32)).all()
