"""PairFinder against a brute-force bucket join, in memory and spilled to run files."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack._minhash import sort_entries
from boostpack.deduplication import candidates
from boostpack.deduplication.candidates import PairFinder
from boostpack.errors import InvalidInput


def brute_pairs(keys: np.ndarray, ref_count: int, clique: int = 0) -> set[tuple[int, int]]:
    """The pairing rule written out plainly: a bucket of at most ``clique`` documents pairs
    every input with every other document; a larger one pairs inputs with the smallest input
    and with the smallest reference."""
    buckets: dict[int, list[int]] = defaultdict(list)
    for doc, key in enumerate(keys.tolist()):
        buckets[key].append(doc)
    out = set()
    for docs in buckets.values():
        refs = [d for d in docs if d < ref_count]
        inputs = [d for d in docs if d >= ref_count]
        for d in inputs:
            if len(docs) <= clique:
                out.update((e, d) for e in docs if e < d)
                continue
            if refs:
                out.add((refs[0], d))
            if d != inputs[0]:
                out.add((inputs[0], d))
    return out


def found_pairs(keys: np.ndarray, ref_count: int, memory: int, tmp: Path,
                chunk: int = 97, clique: int = 0) -> tuple[list[tuple[int, int]], int]:
    finder = PairFinder(ref_count, memory, tmp, clique=clique)
    docs = np.arange(len(keys), dtype=np.uint32)
    chunks = ((keys[s : s + chunk], docs[s : s + chunk]) for s in range(0, len(keys), chunk))
    pairs = [(int(a), int(b)) for pa, pb in finder.pairs(chunks) for a, b in zip(pa, pb, strict=True)]
    return pairs, finder.runs_spilled


CLIQUES = st.sampled_from([0, 1, 3, 8])


@given(
    keys=st.lists(st.integers(0, 40), min_size=0, max_size=400),
    ref_count=st.integers(0, 30),
    clique=CLIQUES,
)
def test_pairs_match_brute_force_in_memory(tmp_path_factory, keys: list[int], ref_count: int,
                                           clique: int) -> None:
    k = np.array(keys, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # spread over 64 bits
    pairs, runs = found_pairs(k, ref_count, 1 << 30, tmp_path_factory.mktemp("spill"), clique=clique)
    assert runs == 0
    assert len(pairs) == len(set(pairs))  # each pair once
    assert set(pairs) == brute_pairs(k, ref_count, clique)


@given(
    n=st.integers(4500, 9000),
    distinct=st.sampled_from([3, 50, 3000]),
    ref_count=st.integers(0, 100),
    seed=st.integers(0, 2**32 - 1),
    clique=CLIQUES,
)
def test_spilled_runs_give_the_same_pairs(tmp_path_factory, n: int, distinct: int, ref_count: int,
                                          seed: int, clique: int) -> None:
    """64 KiB holds ~2k entries: thousands of entries force several runs, and few distinct keys
    force buckets that straddle merge blocks and runs (with 3000 keys, most buckets are small
    enough to be paired whole)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, distinct, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    pairs, runs = found_pairs(k, ref_count, 1 << 16, tmp_path_factory.mktemp("spill"), chunk=1000,
                              clique=clique)
    assert runs >= 2
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == brute_pairs(k, ref_count, clique)


@given(keys=st.lists(st.integers(0, 12), max_size=300), ref_count=st.integers(0, 20),
       clique=CLIQUES, piece=st.sampled_from([1, 2, 7]))
def test_pieces_of_the_in_memory_stream_carry_open_buckets(tmp_path_factory, keys: list[int],
                                                         ref_count: int, clique: int,
                                                         piece: int) -> None:
    """The sorted stream is emitted in pieces; buckets spanning a piece boundary keep their
    smallest members, or all of them while they are small."""
    k = np.array(keys, dtype=np.uint64)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(candidates, "_EMIT_PIECE", piece)
        pairs, _ = found_pairs(k, ref_count, 1 << 30, tmp_path_factory.mktemp("spill"), clique=clique)
    assert sorted(pairs) == sorted(brute_pairs(k, ref_count, clique))


def test_spill_files_are_removed(tmp_path: Path) -> None:
    k = np.arange(10000, dtype=np.uint64) % np.uint64(7)
    pairs, runs = found_pairs(k, 0, 1 << 16, tmp_path)
    assert runs >= 2 and len(pairs) == 10000 - 7
    assert list(tmp_path.iterdir()) == []


@given(st.lists(st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1),
                          st.integers(0, 2**11 - 1).map(lambda v: v << 33)), max_size=600))
def test_the_radix_sort_is_a_stable_sort_by_key(values: list[int]) -> None:
    """``sort_entries`` against numpy's stable argsort: few distinct keys (long runs of equal
    keys, whose documents must keep their order), full-range keys, and keys differing in one
    middle digit only (the passes it may skip)."""
    keys = np.array(values, dtype=np.uint64)
    docs = np.random.default_rng(len(values)).permutation(len(values)).astype(np.uint32)
    order = np.argsort(keys, kind="stable")
    want_keys, want_docs = keys[order], docs[order]
    sort_entries(keys, docs)
    assert keys.tolist() == want_keys.tolist() and docs.tolist() == want_docs.tolist()


def test_the_radix_sort_checks_its_arguments() -> None:
    with pytest.raises(InvalidInput, match="same length"):
        sort_entries(np.zeros(3, np.uint64), np.zeros(2, np.uint32))
    with pytest.raises(ValueError):
        sort_entries(np.zeros(3, np.int64), np.zeros(3, np.uint32))
    with pytest.raises(ValueError):
        sort_entries(np.zeros(6, np.uint64)[::2], np.zeros(3, np.uint32))


@pytest.mark.parametrize("kind", ["random", "few", "middle", "top-constant"])
def test_the_radix_sort_past_the_msd_threshold(kind: str) -> None:
    """Past 64k entries the top digit is sorted first, then each bucket: still numpy's stable
    order, also when the top digits are shared and with long runs of equal keys."""
    rng = np.random.default_rng(7)
    n = 300_000
    keys = {"random": rng.integers(0, 2**64, n, dtype=np.uint64),
            "few": rng.integers(0, 5, n, dtype=np.uint64) << np.uint64(40),
            "middle": rng.integers(0, 2**11, n, dtype=np.uint64) << np.uint64(22),
            "top-constant": rng.integers(0, 2**30, n, dtype=np.uint64) | np.uint64(7 << 60)}[kind]
    docs = rng.permutation(n).astype(np.uint32)
    order = np.argsort(keys, kind="stable")
    want_keys, want_docs = keys[order], docs[order]
    sort_entries(keys, docs)
    np.testing.assert_array_equal(keys, want_keys)
    np.testing.assert_array_equal(docs, want_docs)
