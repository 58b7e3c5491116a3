"""Fuzz the compiled union-find glue (``_unionfind``) with arbitrary arrays: every call returns
a correct result or raises InvalidInput, never crashes or hangs the interpreter. A corrupt
parent array used to segfault ``union``.

Runs ``FUZZ_FACTOR`` times the profile's example count: a few seconds under ``ci``, more under
``HYPOTHESIS_PROFILE=dev``; under the sanitizer build (README, Development) every out-of-bounds
access is an error even where it would not crash.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from boostpack import _unionfind
from boostpack.errors import InvalidInput

FUZZ = settings(max_examples=10 * settings.default.max_examples)

# Small values hit the valid range, large ones every kind of out-of-range index.
values = st.one_of(st.integers(0, 40), st.integers(0, 2**32 - 1))


def uint32s(max_size: int = 40) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.uint32, st.integers(0, max_size), elements=values)


def is_forest(parent: np.ndarray) -> bool:
    """What union and roots keep: every link points to a smaller number (or to itself)."""
    return bool(np.all(parent <= np.arange(len(parent))))


@FUZZ
@given(parent=uint32s())
def test_init(parent: np.ndarray) -> None:
    _unionfind.init(parent)
    assert np.array_equal(parent, np.arange(len(parent)))


@FUZZ
@given(parent=uint32s(), a=uint32s(8), b=uint32s(8))
def test_union_of_arbitrary_arrays(parent: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    was_forest = is_forest(parent)
    try:
        merged = _unionfind.union(parent, a, b)
    except InvalidInput:
        assert len(a) != len(b) or not was_forest or max([*a, *b]) >= len(parent)
        return
    assert len(a) == len(b) and merged <= len(a)
    assert all(x < len(parent) for x in [*a, *b])
    if was_forest:
        assert is_forest(parent)


@FUZZ
@given(n=st.integers(1, 40), pairs=st.lists(st.tuples(values, values), max_size=20),
       at=st.integers(0, 39), value=values, more=st.lists(st.tuples(values, values), max_size=8))
def test_union_after_one_damaged_link(n: int, pairs: list[tuple[int, int]], at: int, value: int,
                                      more: list[tuple[int, int]]) -> None:
    """A forest built by unions, then one link overwritten (a cycle, a link up, out of range):
    the next unions either work on a forest or are refused."""
    parent = np.empty(n, np.uint32)
    _unionfind.init(parent)
    pairs = [(x % n, y % n) for x, y in pairs]
    _unionfind.union(parent, np.array([x for x, _ in pairs], np.uint32),
                     np.array([y for _, y in pairs], np.uint32))
    parent[at % n] = value
    a = np.array([x for x, _ in more], np.uint32)
    b = np.array([y for _, y in more], np.uint32)
    try:
        _unionfind.union(parent, a, b)
    except InvalidInput:
        return
    out = np.empty(n, np.uint32)
    try:
        _unionfind.roots(parent, out)
    except InvalidInput:
        return
    assert np.all(out <= np.arange(n)) and np.array_equal(out[out], out)


@FUZZ
@given(parent=uint32s(), extra=st.integers(-2, 2))
def test_roots_of_arbitrary_arrays(parent: np.ndarray, extra: int) -> None:
    out = np.zeros(max(len(parent) + extra, 0), np.uint32)
    try:
        _unionfind.roots(parent, out)
    except InvalidInput:
        assert len(out) != len(parent) or not is_forest(parent)
        return
    assert len(out) == len(parent) and is_forest(parent)
    assert np.all(out <= np.arange(len(out))) and np.array_equal(out[out], out)


@FUZZ
@given(dtype=st.sampled_from([np.int32, np.uint64, np.float32, np.uint16]),
       size=st.integers(0, 5), strided=st.booleans(), readonly=st.booleans())
def test_wrong_buffers_are_refused(dtype: type, size: int, strided: bool, readonly: bool) -> None:
    parent = np.zeros(2 * size, dtype)[:: 2 if strided else 1][:size]
    parent.flags.writeable = not readonly
    good = np.zeros(1, np.uint32)
    for call in (lambda: _unionfind.init(parent), lambda: _unionfind.roots(parent, good),
                 lambda: _unionfind.union(parent, good, good)):
        try:
            call()
        except (ValueError, TypeError):
            continue
        raise AssertionError(f"{dtype} strided={strided} readonly={readonly} was accepted")
