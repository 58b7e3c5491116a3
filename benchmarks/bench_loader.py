"""pytest-benchmark timings of the training-side loader (random samples, sampler, mixture).

    python -m pytest benchmarks/bench_loader.py --benchmark-only
    python -m pytest benchmarks/bench_loader.py --benchmark-disable  # CI: run once

Ratios against numpy baselines in one run are printed by ``benchmarks/compare_loader.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from boostpack import Mixture, PackedDataset, ShuffledSampler
from boostpack.loading.dataset import collate

sys.path.insert(0, str(Path(__file__).parent))
from compare_loader import write_qa_like

SEQ_LEN = 4096
SEQUENCES = 1000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> PackedDataset:
    path = tmp_path_factory.mktemp("bench") / "qa"
    write_qa_like(path, SEQUENCES, SEQ_LEN, per_shard=256)
    return PackedDataset(path)


@pytest.fixture(scope="module")
def indices() -> list[int]:
    return np.random.default_rng(0).integers(0, SEQUENCES, size=10_000).tolist()


def test_random_samples(benchmark, dataset: PackedDataset, indices: list[int]) -> None:
    def run() -> int:
        cu_total = 0
        for i in indices:
            cu_total += dataset[i]["cu_seqlens"].shape[0]
        return cu_total

    assert benchmark(run) > len(indices)


def test_batches_of_32(benchmark, dataset: PackedDataset, indices: list[int]) -> None:
    batches = [indices[b:b + 32] for b in range(0, 3200, 32)]

    def run() -> int:
        return sum(dataset.__getitems__(batch)["cu_seqlens"].shape[0] for batch in batches)

    assert benchmark(run) > len(batches) * 32


def test_collate_batch_of_8(benchmark, dataset: PackedDataset) -> None:
    samples = [dataset[i] for i in range(8)]
    batch = benchmark(collate, samples)
    assert batch["input_ids"].shape == (8, SEQ_LEN)


def test_sampler_indices(benchmark) -> None:
    def run() -> int:
        s = ShuffledSampler(10**9, seed=1, rank=2, world_size=8)
        it = iter(s)
        return sum(next(it) for _ in range(100_000))

    assert benchmark(run) > 0


def test_mixture_schedule(benchmark) -> None:
    m = Mixture([(range(10**6), 0.7), (range(10**5), 0.2), (range(10**4), 0.1)], seed=3)

    sources = benchmark(m.sources, 0, 100_000)
    assert sources.count(0) == 70_000


def test_mixture_random_access(benchmark) -> None:
    m = Mixture([(range(10**6), 0.7), (range(10**5), 0.2), (range(10**4), 0.1)], seed=3)
    ks = np.random.default_rng(1).integers(0, 10**9, size=2000).tolist()
    benchmark(lambda: [m.locate(k) for k in ks])
