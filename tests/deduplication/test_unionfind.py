"""UnionFind in C against a plain-Python model (a list of sets), driven by hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from boostpack import InvalidInput
from boostpack.deduplication.unionfind import UnionFind


def model_roots(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Representatives by brute force: merge sets, the smallest member represents each."""
    cluster = [{i} for i in range(n)]
    for a, b in pairs:
        if cluster[a] is not cluster[b]:
            merged = cluster[a] | cluster[b]
            for x in merged:
                cluster[x] = merged
    return [min(c) for c in cluster]


class UnionFindMachine(RuleBasedStateMachine):
    """Every batch of unions, then every roots() call, agrees with the model."""

    @initialize(n=st.integers(1, 60))
    def start(self, n: int) -> None:
        self.n = n
        self.uf = UnionFind(n)
        self.pairs: list[tuple[int, int]] = []

    @rule(data=st.data())
    def union_batch(self, data: st.DataObject) -> None:
        doc = st.integers(0, self.n - 1)
        batch = data.draw(st.lists(st.tuples(doc, doc), max_size=8))
        a = np.array([p[0] for p in batch], dtype=np.uint32)
        b = np.array([p[1] for p in batch], dtype=np.uint32)
        self.uf.union(a, b)
        self.pairs += batch

    @rule()
    def roots_twice(self) -> None:
        # roots() compresses paths; a second call must see the same clusters
        first = self.uf.roots()
        np.testing.assert_array_equal(first, self.uf.roots())

    @invariant()
    def matches_model(self) -> None:
        if hasattr(self, "uf"):
            assert len(self.uf) == self.n
            assert self.uf.roots().tolist() == model_roots(self.n, self.pairs)


TestUnionFindMachine = UnionFindMachine.TestCase
TestUnionFindMachine.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)


@given(st.integers(2, 300).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                                             max_size=400))),
       st.randoms())
def test_roots_do_not_depend_on_union_order_or_chunking(case, rnd) -> None:
    n, pairs = case
    shuffled = [(b, a) if rnd.random() < 0.5 else (a, b) for a, b in pairs]
    rnd.shuffle(shuffled)
    whole, chunked = UnionFind(n), UnionFind(n)
    if pairs:
        arr = np.array(pairs, dtype=np.uint32)
        whole.union(arr[:, 0], arr[:, 1])
    cut = rnd.randint(0, len(shuffled))
    for part in (shuffled[:cut], shuffled[cut:]):
        arr = np.array(part, dtype=np.int64).reshape(-1, 2)
        chunked.union(arr[:, 0], arr[:, 1])
    np.testing.assert_array_equal(whole.roots(), chunked.roots())
    assert whole.roots().tolist() == model_roots(n, pairs)


def test_long_chain_and_star() -> None:
    n = 200_000
    uf = UnionFind(n)
    chain = np.arange(n - 1, 0, -1, dtype=np.uint32)  # n-1 -> n-2 -> ... -> 0, worst order
    uf.union(chain, chain - 1)
    assert (uf.roots() == 0).all()
    star = UnionFind(10)
    star.union(np.full(9, 9, dtype=np.uint32), np.arange(9, dtype=np.uint32))
    assert star.roots().tolist() == [0] * 10


def test_roots_dtype_and_empty() -> None:
    uf = UnionFind(0)
    assert len(uf) == 0 and uf.roots().dtype == np.uint32 and uf.roots().size == 0
    uf.union(np.array([], dtype=np.uint32), np.array([], dtype=np.uint32))
    assert UnionFind(3).roots().tolist() == [0, 1, 2]


def test_bad_input_raises_and_changes_nothing() -> None:
    uf = UnionFind(5)
    uf.union(np.array([1]), np.array([2]))
    with pytest.raises(InvalidInput, match="outside"):
        uf.union(np.array([0, 3]), np.array([4, 5]))
    with pytest.raises(InvalidInput, match="outside"):
        uf.union(np.array([-1]), np.array([0]))
    with pytest.raises(InvalidInput, match="same length"):
        uf.union(np.array([0, 1]), np.array([2]))
    with pytest.raises(InvalidInput, match="integers"):
        uf.union(np.array([0.5]), np.array([1.0]))
    with pytest.raises(InvalidInput, match="1-D"):
        uf.union(np.zeros((2, 2), dtype=np.uint32), np.zeros((2, 2), dtype=np.uint32))
    with pytest.raises(InvalidInput, match="n must be"):
        UnionFind(-1)
    assert uf.roots().tolist() == [0, 1, 1, 3, 4]
