"""Batched loading: ``__getitems__`` (one compiled gather) equals ``collate`` of single samples
field by field, for any layout, dtype, format version and index list; torch's DataLoader takes
that path with ``collate_fn=collate``."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from format_v2 import convert_to_v2
from hypothesis import given, settings
from hypothesis import strategies as st
from test_dataset import write_packed

from boostpack import Mixture, PackedDataset
from boostpack.errors import InvalidInput
from boostpack.loading.dataset import Batch, collate, gather_batch


def assert_same_batch(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert isinstance(got, Batch) and list(got) == list(want)
    for key, value in want.items():
        if isinstance(value, np.ndarray):
            assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
            assert np.array_equal(got[key], value), key
        else:
            assert type(got[key]) is type(value) and got[key] == value, key


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_packed(tmp_path_factory.mktemp("batch") / "ds", seed=7, num_sequences=40,
                        seq_len=24, per_shard=6)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 25), seq_len=st.integers(1, 30),
       per_shard=st.integers(1, 9), dtype=st.sampled_from(["<u2", "<u4"]),
       labels=st.booleans(), version=st.sampled_from([1, 2]), data=st.data())
def test_getitems_equals_collate_of_samples(tmp_path_factory: pytest.TempPathFactory, seed: int,
                                            n: int, seq_len: int, per_shard: int, dtype: str,
                                            labels: bool, version: int, data: Any) -> None:
    path = write_packed(tmp_path_factory.mktemp("g") / "ds", seed=seed, num_sequences=n,
                        seq_len=seq_len, per_shard=per_shard, dtype=dtype)
    if version == 2:
        convert_to_v2(path, seed)
    ds = PackedDataset(path, labels=labels)
    # Any order, repeats, negative indices, across shards.
    indices = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=12))
    assert_same_batch(ds.__getitems__(indices), collate([ds[i] for i in indices]))
    shutil.rmtree(path)


def test_getitems_accepts_numpy_indices_and_checks_them(packed: Path) -> None:
    ds = PackedDataset(packed)
    idx = np.array([3, 39, 0, 3], dtype=np.int64)
    assert_same_batch(ds.__getitems__(idx), collate([ds[int(i)] for i in idx]))
    with pytest.raises(IndexError):
        ds.__getitems__([0, 40])
    with pytest.raises(IndexError):
        ds.__getitems__([2**70])
    with pytest.raises(TypeError):
        ds.__getitems__([1.5])
    with pytest.raises(InvalidInput, match="empty"):
        ds.__getitems__([])


def test_batch_arrays_are_fresh_and_independent(packed: Path) -> None:
    ds = PackedDataset(packed)
    a = ds.__getitems__([1, 2])
    b = ds.__getitems__([1, 2])
    a["labels"][:] = 0
    a["position_ids"][:] = 0
    assert_same_batch(b, collate([ds[1], ds[2]]))
    assert a["input_ids"].flags.writeable  # a copy, not the read-only map


def test_collate_passes_a_batch_through(packed: Path) -> None:
    ds = PackedDataset(packed)
    batch = ds.__getitems__([5, 6, 7])
    assert collate(batch) is batch
    assert_same_batch(collate(collate([ds[5], ds[6], ds[7]])), batch)


def test_torch_default_collate_names_the_collate_fn(packed: Path) -> None:
    torch = pytest.importorskip("torch")
    loader = torch.utils.data.DataLoader(PackedDataset(packed), batch_size=4)
    with pytest.raises(TypeError, match=r"collate_fn=boostpack\.collate"):
        next(iter(loader))


@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_takes_the_batched_path(packed: Path, workers: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    calls = []
    gather = PackedDataset.__getitems__

    def counting(self: PackedDataset, indices: list[int]) -> Batch:
        calls.append(list(indices))
        return gather(self, indices)

    monkeypatch.setattr(PackedDataset, "__getitems__", counting)  # forked workers inherit it
    ds = PackedDataset(packed)
    order = list(range(39, -1, -1))
    loader = torch.utils.data.DataLoader(ds, batch_size=8, sampler=order, num_workers=workers,
                                         collate_fn=functools.partial(collate, tensors=True))
    got = list(loader)
    assert len(got) == 5
    for b, batch in enumerate(got):
        assert isinstance(batch["input_ids"], torch.Tensor)
        want = collate([ds[i] for i in order[8 * b:8 * b + 8]])
        assert_same_batch(Batch({k: v.numpy() if isinstance(v, torch.Tensor) else v
                                 for k, v in batch.items()}), want)
    if workers == 0:
        assert calls == [order[b:b + 8] for b in range(0, 40, 8)]


def test_mixture_getitems_gathers_across_sources(packed: Path, tmp_path: Path) -> None:
    other = PackedDataset(write_packed(tmp_path / "other", seed=8, num_sequences=11,
                                       seq_len=24, per_shard=4, dtype="<u2"))
    mix = Mixture([(PackedDataset(packed), 0.6), (other, 0.4)], seed=1, num_samples=90)
    for ks in ([0, 2, 4, 6, 8, 10], [89, 3, 3, 50, -1], list(range(30, 62, 3))):
        assert_same_batch(mix.__getitems__(ks), collate([mix[k] for k in ks]))
    with pytest.raises(IndexError):
        mix.__getitems__([90])


def test_mixture_of_other_datasets_returns_the_sample_list() -> None:
    mix = Mixture([(range(100), 1), (range(1000, 1010), 1)], seed=0, num_samples=40)
    assert mix.__getitems__([0, 1, 7]) == [mix[0], mix[1], mix[7]]


def test_gather_refuses_sources_that_cannot_share_a_batch(packed: Path, tmp_path: Path) -> None:
    short = PackedDataset(write_packed(tmp_path / "short", seed=2, num_sequences=4, seq_len=8,
                                       per_shard=4))
    with pytest.raises(InvalidInput, match="seq_len or labels"):
        gather_batch([PackedDataset(packed), short], [0, 1], [0, 0])
    with pytest.raises(InvalidInput, match="seq_len or labels"):
        gather_batch([PackedDataset(packed), PackedDataset(packed, labels=False)], [0, 1], [0, 0])
    with pytest.raises(InvalidInput, match="source 2"):
        gather_batch([short], [2], [0])
