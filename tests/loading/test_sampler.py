"""ShuffledSampler: bijection, exactly-once rank split, exact resume (in a new process), world
size changes, O(1) memory."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from itertools import islice

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack import ShuffledSampler
from boostpack.errors import InvalidInput
from boostpack.loading.sampler import _Feistel

seeds = st.integers(0, 2**64 - 1)


def global_order(n: int, seed: int, epoch: int) -> list[int]:
    return ShuffledSampler(n, seed).order(epoch, np.arange(n)).tolist()


@given(n=st.integers(1, 5000), seed=seeds, epoch=st.integers(0, 2**40))
def test_order_is_a_permutation(n: int, seed: int, epoch: int) -> None:
    order = global_order(n, seed, epoch)
    assert sorted(order) == list(range(n))
    f = _Feistel(n, seed, epoch)
    # The scalar path (plain ints) and the vectorized path (uint64 arrays) agree.
    for p in {0, n - 1, n // 2, n // 3}:
        assert f.scalar(p) == order[p]


@given(bits=st.integers(1, 20), seed=seeds)
def test_network_is_a_bijection_of_the_power_of_two(bits: int, seed: int) -> None:
    # Before cycle walking: the raw network permutes [0, 2^b) (every b, even or odd).
    f = _Feistel(1 << bits, seed, 0)
    out = f._network(np.arange(1 << bits, dtype=np.uint64))
    assert np.array_equal(np.sort(out), np.arange(1 << bits, dtype=np.uint64))


def test_epochs_and_seeds_give_different_orders() -> None:
    n = 1000
    orders = {tuple(global_order(n, seed, epoch)) for seed in (0, 1) for epoch in (0, 1, 2)}
    assert len(orders) == 6


def test_order_looks_shuffled() -> None:
    n = 100_000
    order = np.array(global_order(n, 12345, 0))
    positions = np.arange(n)
    assert abs(np.corrcoef(positions, order)[0, 1]) < 0.02
    assert np.count_nonzero(order == positions) < 20  # ~1 fixed point expected
    # Adjacent positions land far apart (a weak mixer would keep neighbours close).
    assert np.median(np.abs(np.diff(order))) > n / 5
    # Each tenth of the positions spreads evenly over the tenths of the items.
    counts = np.histogram2d(positions, order, bins=10)[0]
    assert counts.min() > 0.8 * n / 100 and counts.max() < 1.2 * n / 100


def take_ranks(n: int, seed: int, world: int, drop_last: bool) -> list[list[int]]:
    return [list(ShuffledSampler(n, seed, r, world, drop_last=drop_last)) for r in range(world)]


@given(n=st.integers(0, 3000), world=st.integers(1, 9), seed=seeds, drop_last=st.booleans())
def test_ranks_see_the_global_order_once(n: int, world: int, seed: int, drop_last: bool) -> None:
    per_rank = take_ranks(n, seed, world, drop_last)
    steps = n // world if drop_last else -(-n // world)
    assert all(len(r) == steps == len(ShuffledSampler(n, seed, 0, world, drop_last=drop_last))
               for r in per_rank)
    # Interleaved back together (position p -> rank p % world), the ranks give the global order.
    merged = [per_rank[p % world][p // world] for p in range(steps * world)]
    order = global_order(n, seed, 0)
    if drop_last:
        assert merged == order[:steps * world]
        assert len(set(merged)) == len(merged) > n - world
    else:
        assert merged[:n] == order  # every item exactly once ...
        # ... then fewer than `world` repeats, wrapping around the order (more than once if n < W).
        assert merged[n:] == [order[p % n] for p in range(n, steps * world)]


def test_iteration_advances_epochs() -> None:
    s = ShuffledSampler(50, 7)
    first, second = list(s), list(s)
    assert s.epoch == 2
    assert first == global_order(50, 7, 0) and second == global_order(50, 7, 1)
    s.set_epoch(0)
    assert list(s) == first


def test_set_epoch_keeps_a_resumed_position() -> None:
    s = ShuffledSampler(50, 7)
    list(islice(iter(s), 20))
    state = s.state_dict()
    t = ShuffledSampler(50, 7)
    t.load_state_dict(state)
    t.set_epoch(0)  # the DistributedSampler idiom after resuming: must not rewind
    assert list(t) == global_order(50, 7, 0)[20:]


def consume(s: ShuffledSampler, k: int) -> list[int]:
    """Take k indices, restarting iteration at epoch ends like a training loop does."""
    out: list[int] = []
    while len(out) < k:
        out += islice(iter(s), k - len(out))
    return out


RESUME_SCRIPT = """
import json, sys
from itertools import islice
from boostpack import ShuffledSampler
args = json.loads(sys.argv[1])
s = ShuffledSampler(args["n"], args["seed"], args["rank"], args["world"])
s.load_state_dict(args["state"])
out = []
while len(out) < args["k"]:
    out += islice(iter(s), args["k"] - len(out))
print(json.dumps(out))
"""


@pytest.mark.parametrize("consumed", [0, 13, 37, 38, 100, 111])
def test_resume_in_a_new_process(consumed: int) -> None:
    # n = 37: the saves fall mid-epoch, exactly on an epoch end, and two epochs in.
    n, seed = 37, 99
    s = ShuffledSampler(n, seed)
    consume(s, consumed)
    state = json.loads(json.dumps(s.state_dict()))  # what a checkpoint stores
    expected = consume(s, 60)
    args = {"n": n, "seed": seed, "rank": 0, "world": 1, "state": state, "k": 60}
    out = subprocess.run([sys.executable, "-c", RESUME_SCRIPT, json.dumps(args)],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == expected


@given(n=st.integers(1, 300), seed=seeds, before=st.integers(1, 6), after=st.integers(1, 6),
       steps=st.integers(0, 200), drop_last=st.booleans())
def test_world_size_change_continues_the_global_order(n: int, seed: int, before: int,
                                                      after: int, steps: int,
                                                      drop_last: bool) -> None:
    old = [ShuffledSampler(n, seed, r, before, drop_last=drop_last) for r in range(before)]
    its = [iter(s) for s in old]
    steps = min(steps, len(old[0]))
    for _ in range(steps):
        for it in its:
            next(it)
    states = {json.dumps(s.state_dict()) for s in old}
    assert len(states) == 1  # every rank saves the same global position
    new = [ShuffledSampler(n, seed, r, after, drop_last=drop_last) for r in range(after)]
    (state,) = states
    for s in new:
        s.load_state_dict(json.loads(state))
    rest = [list(s) for s in new]
    assert len({len(r) for r in rest}) == 1  # ranks stay in lockstep
    merged = [rest[p % after][p // after] for p in range(len(rest[0]) * after)]
    order = global_order(n, seed, 0)
    start = steps * before
    if start >= n or (drop_last and n - start < after):
        # Saved at the very end of epoch 0: the resumed samplers play all of epoch 1.
        epoch1 = global_order(n, seed, 1)
        assert merged == [epoch1[p % n] for p in range(len(merged))]
        assert all(s.epoch == 2 for s in new)
        return
    if drop_last:
        assert merged == order[start:start + len(merged)]
        assert len(merged) == (n - start) // after * after
    else:
        assert merged[:n - start] == order[start:]
        assert merged[n - start:] == [order[p % n] for p in range(n, start + len(merged))]
    # After this epoch every new rank moves on to epoch 1 of the same global order.
    assert all(s.epoch == 1 for s in new)


def test_state_checks() -> None:
    s = ShuffledSampler(10, 1)
    with pytest.raises(InvalidInput, match="seed"):
        ShuffledSampler(10, 2).load_state_dict(s.state_dict())
    with pytest.raises(InvalidInput, match="n="):
        ShuffledSampler(11, 1).load_state_dict(s.state_dict())
    with pytest.raises(InvalidInput, match="version"):
        s.load_state_dict({**s.state_dict(), "version": 99})
    with pytest.raises(InvalidInput):
        ShuffledSampler(10, 1, rank=2, world_size=2)
    with pytest.raises(InvalidInput):
        ShuffledSampler(-1, 1)


def test_unshuffled_is_sequential_and_rank_split() -> None:
    assert list(ShuffledSampler(10, 5, 1, 3, shuffle=False)) == [1, 4, 7, 0]
    assert list(ShuffledSampler(10, 5, 1, 3, shuffle=False, drop_last=True)) == [1, 4, 7]


def test_empty() -> None:
    s = ShuffledSampler(0, 1, 0, 4)
    assert len(s) == 0 and list(s) == [] and list(s) == []


def test_memory_is_constant_at_a_billion() -> None:
    tracemalloc.start()
    try:
        s = ShuffledSampler(10**9, 3, rank=5, world_size=8)
        it = iter(s)
        got = [next(it) for _ in range(5000)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # an index array would be 8 GB; the sampler keeps one small block
    assert len(set(got)) == 5000 and max(got) < 10**9
    assert got[:3] == [s.index_at(5 + 8 * t, 0) for t in range(3)]


def test_index_at_accepts_numpy_integers() -> None:
    s = ShuffledSampler(10**9, 2**63 + 5)
    assert s.index_at(np.int64(123_456_789), np.int64(3)) == s.index_at(123_456_789, 3)
    assert s.index_at(123_456_789, 3) == int(s.order(np.int64(3), np.array([123_456_789]))[0])
