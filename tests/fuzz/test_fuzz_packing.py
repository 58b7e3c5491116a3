"""Fuzz the compiled packing glue (``_packing``): arbitrary buffers and plans, and valid plans
with one field damaged. Every call either returns a result that satisfies the plan's
invariants or raises InvalidInput / KernelError; it never crashes the interpreter.

Runs ``10 x`` the profile's example count: a few seconds under ``ci``, more under
``HYPOTHESIS_PROFILE=dev``; run under the sanitizer build (README, Development) for
out-of-bounds accesses that would not crash.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from boostpack import _packing
from boostpack.errors import InvalidInput, KernelError

FUZZ = settings(max_examples=10 * settings.default.max_examples)
REFUSED = (InvalidInput, KernelError)

u32 = st.one_of(st.integers(0, 70), st.integers(0, 2**32 - 1))
u64 = st.one_of(st.integers(0, 70), st.integers(0, 2**64 - 1))
# Best-fit's planning state is O(seq_len) (a counting sort over room sizes): keep it small.
seq_lens = st.one_of(st.integers(0, 70), st.integers(0, 1 << 16))
strategies = st.sampled_from([*_packing.STRATEGIES, "unknown"])


def arrays(dtype: type, elements: st.SearchStrategy[int], max_size: int = 12
           ) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(dtype, st.integers(0, max_size), elements=elements)


@FUZZ
@given(item_len=arrays(np.uint64, u64), seq_len=u32)
def test_pack_bound(item_len: np.ndarray, seq_len: int) -> None:
    try:
        bound = _packing.pack_bound(item_len, seq_len)
    except REFUSED:
        return
    assert bound >= len(item_len) + 1


def plan_buffers(seq_cap: int, piece_cap: int, equal: bool = True) -> list[np.ndarray]:
    other = piece_cap if equal else piece_cap + 1
    return [np.zeros(seq_cap + 1, np.uint64), np.zeros(piece_cap, np.uint32),
            np.zeros(piece_cap, np.uint64), np.zeros(other, np.uint32),
            np.zeros(piece_cap, np.uint32)]


def check_plan(result: tuple[int, int, int, int], seq_len: int, item_len: np.ndarray,
               seq_ptr: np.ndarray, item: np.ndarray, offset: np.ndarray, start: np.ndarray,
               length: np.ndarray) -> None:
    """Sequences index pieces in order; pieces lie back to back inside their sequence and
    inside their item."""
    n_seq, n_pieces, carry_item, _ = result
    assert seq_ptr[0] == 0 and seq_ptr[n_seq] == n_pieces and carry_item <= len(item_len)
    assert np.all(np.diff(seq_ptr[: n_seq + 1].astype(np.int64)) >= 0)
    for s in range(n_seq):
        pos = 0
        for p in range(int(seq_ptr[s]), int(seq_ptr[s + 1])):
            assert start[p] == pos and length[p] >= 1 and item[p] < len(item_len)
            assert int(offset[p]) + int(length[p]) <= int(item_len[item[p]])
            pos += int(length[p])
        assert pos <= seq_len


@FUZZ
@given(strategy=strategies, seq_len=seq_lens, item_len=arrays(np.uint64, u64, 8),
       flush=st.booleans(), seq_cap=st.integers(0, 20), piece_cap=st.integers(0, 20),
       equal=st.booleans())
def test_pack_plan(strategy: str, seq_len: int, item_len: np.ndarray, flush: bool, seq_cap: int,
                   piece_cap: int, equal: bool) -> None:
    buffers = plan_buffers(seq_cap, piece_cap, equal)
    try:
        result = _packing.pack_plan(strategy, seq_len, item_len, flush, *buffers)
    except REFUSED:
        return
    check_plan(result, seq_len, item_len, *buffers)


@st.composite
def valid_fills(draw: st.DrawFn) -> tuple:
    """A plan made by pack_plan and the ids it packs, for pack_fill."""
    seq_len = draw(st.integers(1, 40))
    item_len = draw(arrays(np.uint64, st.integers(1, 90), 8))
    strategy = draw(st.sampled_from(list(_packing.STRATEGIES)))
    bound = _packing.pack_bound(item_len, seq_len)
    seq_ptr, item, offset, start, length = plan_buffers(bound, bound)
    n_seq, n_pieces, _, _ = _packing.pack_plan(strategy, seq_len, item_len, True, seq_ptr, item,
                                               offset, start, length)
    firsts = np.concatenate(([0], np.cumsum(item_len)))
    ids = draw(hnp.arrays(np.uint32, int(firsts[-1]), elements=st.integers(0, 2**17)))
    src = (firsts[item[:n_pieces]] + offset[:n_pieces]).astype(np.uint64)
    return ids, src, length[:n_pieces].copy(), seq_ptr[: n_seq + 1].copy(), seq_len


@FUZZ
@given(fill=valid_fills(), field=st.integers(0, 4), at=st.integers(0, 100), value=u64,
       pad=u32, wide=st.booleans(), size_delta=st.integers(-1, 1))
def test_pack_fill_with_one_damaged_field(fill: tuple, field: int, at: int, value: int, pad: int,
                                          wide: bool, size_delta: int) -> None:
    ids, src, length, seq_ptr, seq_len = fill
    damaged = [ids, src, length, seq_ptr]
    if field < 4 and len(damaged[field]):
        target = damaged[field]
        target[at % len(target)] = value % (np.iinfo(target.dtype).max + 1)
    out = np.zeros(max((len(seq_ptr) - 1) * seq_len + size_delta, 0),
                   np.uint32 if wide else np.uint16)
    try:
        _packing.pack_fill(ids, src, length, seq_ptr, seq_len, pad, out)
    except REFUSED:
        return
    rows = out.reshape(-1, seq_len) if seq_len else out
    for s in range(len(seq_ptr) - 1):
        pos = 0
        for p in range(int(seq_ptr[s]), int(seq_ptr[s + 1])):
            n = int(length[p])
            assert np.array_equal(rows[s, pos:pos + n], ids[int(src[p]):int(src[p]) + n])
            pos += n
        assert np.all(rows[s, pos:] == pad)


@FUZZ
@given(ids=arrays(np.uint32, u32), piece_src=arrays(np.uint64, u64),
       piece_len=arrays(np.uint32, u32), seq_ptr=arrays(np.uint64, u64), seq_len=u32, pad=u32,
       out_size=st.integers(0, 200), wide=st.booleans())
def test_pack_fill_of_arbitrary_arrays(ids: np.ndarray, piece_src: np.ndarray,
                                       piece_len: np.ndarray, seq_ptr: np.ndarray, seq_len: int,
                                       pad: int, out_size: int, wide: bool) -> None:
    out = np.zeros(out_size, np.uint32 if wide else np.uint16)
    try:
        _packing.pack_fill(ids, piece_src, piece_len, seq_ptr, seq_len, pad, out)
    except REFUSED:
        return
    assert len(seq_ptr) >= 1 and len(out) == (len(seq_ptr) - 1) * seq_len


@FUZZ
@given(ids=arrays(np.uint32, u32, 30),
       offsets=arrays(np.int64, st.one_of(st.integers(-3, 40), st.integers(-2**63, 2**63 - 1))),
       bos=st.integers(-2**63, 2**63 - 1), eos=st.integers(-2, 2**33), out_size=st.integers(0, 60),
       out_offsets_delta=st.integers(-1, 1), shared=st.none() | st.integers(0, 30))
def test_frame_documents(ids: np.ndarray, offsets: np.ndarray, bos: int, eos: int, out_size: int,
                         out_offsets_delta: int, shared: int | None) -> None:
    """``shared``: ``out`` starts that many ids into one buffer with ``ids`` (overlapping them
    unless it starts past their end): copying between overlapping buffers is undefined."""
    if shared is None:
        out = np.zeros(out_size, np.uint32)
    else:
        buffer = np.zeros(len(ids) + shared + out_size, np.uint32)
        buffer[: len(ids)] = ids
        ids, out = buffer[: len(ids)], buffer[shared:shared + out_size]
    ids_before = ids.copy()
    out_offsets = np.zeros(max(len(offsets) + out_offsets_delta, 0), np.int64)
    try:
        _packing.frame_documents(ids, offsets, bos, eos, out, out_offsets)
    except REFUSED:
        return
    assert np.array_equal(ids, ids_before) and out_offsets[0] == 0
    for d in range(len(offsets) - 1):
        doc = ids[offsets[d]:offsets[d + 1]]
        framed = out[out_offsets[d]:out_offsets[d + 1]]
        expected = [*([bos] if bos >= 0 else []), *doc, *([eos] if eos >= 0 else [])]
        assert framed.tolist() == expected
