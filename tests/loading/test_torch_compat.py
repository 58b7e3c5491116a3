"""The loader with ``torch.utils.data.DataLoader`` (skipped without torch) and without torch."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_dataset import write_packed

from boostpack import Mixture, PackedDataset, ShuffledSampler
from boostpack.loading.dataset import collate


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_packed(tmp_path_factory.mktemp("torch") / "ds", seed=4, num_sequences=45,
                        seq_len=32, per_shard=8)


def test_no_torch_import_at_module_level() -> None:
    code = ("import sys, boostpack, boostpack.loading.dataset, boostpack.loading.sampler, boostpack.loading.mixture; "
            "boostpack.PackedDataset, boostpack.ShuffledSampler, boostpack.Mixture; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def _batches_by_hand(ds: PackedDataset, order: list[int], batch: int) -> list[dict]:
    return [collate([ds[i] for i in order[b:b + batch]]) for b in range(0, len(order), batch)]


def _same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for key in a:
        assert np.array_equal(np.asarray(a[key]), np.asarray(b[key])), key


@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_with_sampler_and_workers(packed: Path, workers: int) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    ds = PackedDataset(packed)
    sampler = ShuffledSampler(len(ds), seed=8, rank=1, world_size=2)
    loader = DataLoader(ds, batch_size=4, sampler=sampler, num_workers=workers,
                        collate_fn=functools.partial(collate, tensors=True),
                        # spawn: workers receive the dataset pickled, as on macOS/Windows
                        multiprocessing_context="spawn" if workers else None)
    got = list(loader)
    order = ShuffledSampler(len(ds), seed=8).order(0, np.arange(1, 46, 2)).tolist()
    expected = _batches_by_hand(ds, order, 4)
    assert len(got) == len(expected) == 6
    for g, e in zip(got, expected, strict=True):
        assert isinstance(g["input_ids"], torch.Tensor) and g["input_ids"].dtype == torch.int64
        assert g["cu_seqlens"].dtype == torch.int32
        _same({k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in g.items()}, e)
    assert sampler.epoch == 1  # the loader ran the sampler through one full epoch


def test_dataloader_over_a_mixture(packed: Path, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    other = write_packed(tmp_path / "other", seed=9, num_sequences=12, seq_len=32, per_shard=5)
    mix = Mixture([(PackedDataset(packed), 0.5), (PackedDataset(other), 0.5)], seed=2,
                  num_samples=30)
    sampler = ShuffledSampler(len(mix), rank=0, world_size=1, shuffle=False)
    loader = DataLoader(mix, batch_size=5, sampler=sampler, num_workers=2,
                        collate_fn=collate)
    seen = [b["input_ids"] for b in loader]
    by_hand = [np.stack([mix[k]["input_ids"] for k in range(b, b + 5)]) for b in range(0, 30, 5)]
    assert all(np.array_equal(a, b) for a, b in zip(seen, by_hand, strict=True))
