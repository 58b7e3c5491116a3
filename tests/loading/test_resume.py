"""Exact resume through torchdata's ``StatefulDataLoader`` (skipped without torch/torchdata).

A run on W ranks is interrupted after a random step: every rank saves ``loader.state_dict()``,
the run restarts with the same or another world size, and each rank loads a saved state (the
sampler's state is the global position, the same on every rank). The batches delivered before
and after must be exactly those of the uninterrupted run: per rank, the samples an
uninterrupted ``ShuffledSampler`` draws (or, at another world size, the ones a sampler resumed
from the same global position draws), gathered and collated. Worker prefetching is what made
a sampler's own ``state_dict()`` skip data; the loader's state counts only what it delivered.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_dataset import write_packed

from boostpack import Mixture, PackedDataset, ShuffledSampler
from boostpack.loading.dataset import collate

torch = pytest.importorskip("torch")
stateful = pytest.importorskip("torchdata.stateful_dataloader")
pytestmark = pytest.mark.filterwarnings("ignore:'set_vital' is deprecated")  # torchdata 0.11

BATCH = 3
SEED = 5


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("resume")
    return (write_packed(root / "qa", seed=21, num_sequences=26, seq_len=12, per_shard=7),
            write_packed(root / "web", seed=22, num_sequences=9, seq_len=12, per_shard=4))


def _sampled(paths: tuple[Path, Path]) -> tuple[Any, bool]:
    return PackedDataset(paths[0]), True


def _mixed(paths: tuple[Path, Path]) -> tuple[Any, bool]:
    # 40 samples: the 9-row source wraps into its second epoch (reshuffled) on the way.
    mix = Mixture([(PackedDataset(paths[0]), 0.6), (PackedDataset(paths[1]), 0.4)], seed=3,
                  num_samples=40)
    return mix, False


def _loader(dataset: Any, shuffle: bool, rank: int, world: int, workers: int,
            state: dict[str, Any] | None = None) -> Any:
    sampler = ShuffledSampler(len(dataset), seed=SEED, rank=rank, world_size=world,
                              shuffle=shuffle)
    loader = stateful.StatefulDataLoader(dataset, batch_size=BATCH, sampler=sampler,
                                         num_workers=workers, collate_fn=collate)
    if state is not None:
        loader.load_state_dict(state)
    return loader


def _stream(loader: Any) -> Iterator[Any]:
    """Batches across epochs, as a training loop with an epoch loop sees them."""
    while True:
        yield from loader


def _reference_batches(sampler: ShuffledSampler, count: int) -> list[list[int]]:
    """The next ``count`` batches of indices from ``sampler`` as a loader forms them: full
    batches, then the epoch's partial last one, across epochs."""
    out: list[list[int]] = []
    it = iter(sampler)
    while len(out) < count:
        batch = list(islice(it, BATCH))
        if batch:
            out.append(batch)
        else:  # the epoch is over: the next iteration starts the next one
            it = iter(sampler)
    return out


def _assert_batches(got: list[Any], dataset: Any, indices: list[list[int]]) -> None:
    assert len(got) == len(indices)
    for b, (batch, chunk) in enumerate(zip(got, indices, strict=True)):
        want = collate([dataset[i] for i in chunk])
        assert set(batch) == set(want)
        for key, value in want.items():
            assert np.array_equal(np.asarray(batch[key]), np.asarray(value)), (b, key)


def _interrupt_and_resume(make: Callable[[], tuple[Any, bool]], workers: int, world: int,
                          new_world: int, stop: int, more: int) -> None:
    """Run ``stop`` steps on ``world`` ranks, save, resume on ``new_world`` ranks for
    ``more`` steps; check every rank's batches against the reference samplers."""
    dataset, shuffle = make()
    refs = [ShuffledSampler(len(dataset), SEED, r, world, shuffle=shuffle) for r in range(world)]
    states = []
    for rank in range(world):
        loader = _loader(dataset, shuffle, rank, world, workers)
        stream = _stream(loader)
        got = [next(stream) for _ in range(stop)]
        states.append(loader.state_dict())
        del stream, loader  # the workers shut down: the run is over
        _assert_batches(got, dataset, _reference_batches(refs[rank], stop))
    position = {_position(r.state_dict()) for r in refs}
    assert len(position) == 1  # every rank stands at the same global position
    if new_world != world:
        state = refs[0].state_dict()
        refs = [ShuffledSampler(len(dataset), SEED, r, new_world, shuffle=shuffle)
                for r in range(new_world)]
        for ref in refs:
            ref.load_state_dict(state)
    for rank in range(new_world):
        dataset, _ = make()  # a new process: everything reopened
        loader = _loader(dataset, shuffle, rank, new_world, workers, states[rank % world])
        stream = _stream(loader)
        got = [next(stream) for _ in range(more)]
        del stream, loader
        _assert_batches(got, dataset, _reference_batches(refs[rank], more))


def _position(state: dict[str, Any]) -> tuple[int, int]:
    return state["epoch"], state["position"]


# A rank of 2 sees 13 samples (5 batches) of the 26-row dataset per epoch, so 12 steps span
# epochs 0-2; the mixture (40 samples) gives 7 batches per epoch at world size 2.
@settings(max_examples=25, deadline=None)
@given(stop=st.integers(0, 12), more=st.integers(1, 10), make=st.sampled_from([_sampled, _mixed]),
       new_world=st.sampled_from([1, 2, 3]))
def test_resume_in_process_is_exact(paths: tuple[Path, Path], stop: int, more: int,
                                    make: Callable[..., Any], new_world: int) -> None:
    _interrupt_and_resume(lambda: make(paths), 0, 2, new_world, stop, more)


@pytest.mark.parametrize("make", [_sampled, _mixed])
@pytest.mark.parametrize("new_world", [2, 3])
def test_resume_with_worker_processes_is_exact(paths: tuple[Path, Path],
                                               make: Callable[..., Any], new_world: int) -> None:
    # Two workers prefetch 2 batches each ahead of the loop; a random step from a fixed seed.
    stop = random.Random(f"{make.__name__}-{new_world}").randint(1, 9)
    _interrupt_and_resume(lambda: make(paths), 2, 2, new_world, stop, 6)
