"""pytest-benchmark figures for the dedup stages: candidate pairing and the whole dedup() call.

    python -m pytest benchmarks/bench_dedup.py --benchmark-only
    python -m pytest benchmarks/bench_dedup.py --benchmark-disable   # CI: run once

The end-to-end throughput against the DESIGN.md targets is ``compare_dedup_e2e.py``; these track
the pieces: the candidate join in memory and spilled, and dedup() on a real QA slice at 1 worker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zstandard

from boostpack.deduplication.candidates import PairFinder
from boostpack.deduplication.pipeline import dedup
from qa_corpus import CORPORA


def _keys(n: int, distinct: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    keys = rng.integers(0, distinct, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return keys, np.arange(n, dtype=np.uint32)


@pytest.mark.parametrize("memory", [1 << 30, 1 << 22], ids=["in-memory", "spilled"])
def test_candidate_pairs_1m_entries(benchmark, tmp_path: Path, memory: int) -> None:
    keys, docs = _keys(1_000_000, 800_000)  # ~20% of entries share a bucket, as in one LSH band

    def run() -> int:
        finder = PairFinder(0, memory, tmp_path)
        chunks = ((keys[s : s + 65536], docs[s : s + 65536]) for s in range(0, len(keys), 65536))
        return sum(len(a) for a, _ in finder.pairs(chunks))

    pairs = benchmark(run)
    assert pairs == len(keys) - len(np.unique(keys))


@pytest.fixture(scope="module")
def qa_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CORPORA.is_dir():
        pytest.skip("real corpora (../shared/corpora) not available")
    with open(CORPORA / "qa_en.jsonl.zst", "rb") as f:
        data = zstandard.ZstdDecompressor().stream_reader(f).read()
    path = tmp_path_factory.mktemp("qa") / "qa.jsonl"
    path.write_bytes(data[: 20_000_000].rsplit(b"\n", 1)[0] + b"\n")
    return path


def test_dedup_qa_20mb_one_worker(benchmark, qa_slice: Path, tmp_path: Path) -> None:
    report = benchmark.pedantic(lambda: dedup(qa_slice, tmp_path / "out", progress=False),
                                rounds=1, iterations=1)
    benchmark.extra_info["mb_per_s"] = report["mb_per_s"]
    assert report["input"] == report["kept"] + report["removed"] + report["quarantined"]
