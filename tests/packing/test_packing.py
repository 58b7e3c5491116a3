"""The packing kernel against a slow pure-Python reference, and the streaming ``Packer``:
nothing lost, reordered or invented; best-fit never splits a document that fits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack import _packing
from boostpack.errors import InvalidInput, KernelError
from boostpack.packing.config import STRATEGIES
from boostpack.packing.packer import Packer, fill, frame_documents, plan


def reference_plan(lengths: list[int], seq_len: int, strategy: str, flush: bool = True):
    """Sequences as lists of (item, offset, length), written from the strategy's definition,
    plus (carry_item, carry_offset)."""
    seqs: list[list[tuple[int, int, int]]] = []
    if strategy == "concat":
        cur: list[tuple[int, int, int]] = []
        room = seq_len
        for i, n in enumerate(lengths):
            off = 0
            while off < n:
                take = min(n - off, room)
                cur.append((i, off, take))
                off += take
                room -= take
                if room == 0:
                    seqs.append(cur)
                    cur, room = [], seq_len
        if cur and flush:
            seqs.append(cur)
            return seqs, (len(lengths), 0)
        return seqs, ((cur[0][0], cur[0][1]) if cur else (len(lengths), 0))
    if strategy == "pad":
        for i, n in enumerate(lengths):
            seqs += [[(i, off, min(seq_len, n - off))] for off in range(0, n, seq_len)]
        return seqs, (len(lengths), 0)
    tails = []
    for i, n in enumerate(lengths):
        full = n // seq_len
        seqs += [[(i, k * seq_len, seq_len)] for k in range(full)]
        if n % seq_len:
            tails.append((i, full * seq_len, n % seq_len))
    # best-fit decreasing: longest first (stable); the fullest bin that fits; among bins with
    # the same room, the one that reached that room last.
    tails.sort(key=lambda t: -t[2])
    bins: list[list[tuple[int, int, int]]] = []
    by_room: dict[int, list[int]] = {}
    for t in tails:
        rooms = [r for r, stack in by_room.items() if stack and r >= t[2]]
        if rooms:
            r = min(rooms)
            b = by_room[r].pop()
        else:
            r, b = seq_len, len(bins)
            bins.append([])
        bins[b].append(t)
        if r - t[2]:
            by_room.setdefault(r - t[2], []).append(b)
    return seqs + bins, (len(lengths), 0)


def as_sequences(p) -> list[list[tuple[int, int, int]]]:
    out = []
    for s in range(p.num_sequences):
        lo, hi = int(p.seq_ptr[s]), int(p.seq_ptr[s + 1])
        out.append(list(zip(p.item[lo:hi].tolist(), p.offset[lo:hi].tolist(),
                            p.length[lo:hi].tolist(), strict=True)))
    return out


lengths_st = st.lists(st.integers(1, 40), max_size=60)


@given(lengths=lengths_st, seq_len=st.integers(1, 24), strategy=st.sampled_from(STRATEGIES),
       flush=st.booleans())
def test_plan_matches_reference(lengths: list[int], seq_len: int, strategy: str,
                                flush: bool) -> None:
    p = plan(np.array(lengths, dtype=np.uint64), seq_len, strategy, flush)  # type: ignore[arg-type]
    seqs, carry = reference_plan(lengths, seq_len, strategy, flush)
    assert as_sequences(p) == seqs
    assert (p.carry_item, p.carry_offset) == carry
    for s in range(p.num_sequences):  # pieces back to back from 0, within seq_len
        lo, hi = int(p.seq_ptr[s]), int(p.seq_ptr[s + 1])
        ends = np.cumsum(p.length[lo:hi])
        assert p.start[lo:hi].tolist() == [0, *ends[:-1].tolist()]
        assert ends[-1] <= seq_len


@given(lengths=lengths_st, seq_len=st.integers(1, 24))
def test_bestfit_never_splits_a_fitting_document(lengths: list[int], seq_len: int) -> None:
    p = plan(np.array(lengths, dtype=np.uint64), seq_len, "bestfit")
    pieces = np.bincount(p.item, minlength=len(lengths))
    for i, n in enumerate(lengths):
        assert pieces[i] == -(-n // seq_len)  # ceil: fitting documents have exactly one piece


def test_bestfit_efficiency_on_qa_like_lengths() -> None:
    """Log-normal lengths around 300 tokens (the shape of QA pairs) pack ≥ 99% full at 4096."""
    rng = np.random.default_rng(1)
    lengths = np.clip(rng.lognormal(5.5, 0.8, size=50_000), 8, 6000).astype(np.uint64)
    p = plan(lengths, 4096, "bestfit")
    assert int(lengths.sum()) / (p.num_sequences * 4096) >= 0.99


def test_plan_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput):
        plan(np.array([3, 0, 2]), 8)
    with pytest.raises(InvalidInput):
        plan(np.array([3]), 0)
    with pytest.raises(InvalidInput, match="unknown strategy"):
        plan(np.array([3]), 8, "first-fit")  # type: ignore[arg-type]
    with pytest.raises(KernelError, match="too small"):  # an error, not a crash
        _packing.pack_plan("concat", 4, np.array([9], np.uint64), True, np.zeros(1, np.uint64),
                           *(np.zeros(1, t) for t in (np.uint32, np.uint64, np.uint32,
                                                      np.uint32)))


def test_fill_copies_pads_and_checks() -> None:
    ids = np.arange(10, dtype=np.uint32)
    out = fill(ids, np.array([2, 7]), np.array([3, 2]), np.array([0, 1, 2]), 4, 99,
               np.dtype("<u2"))
    assert out.tolist() == [[2, 3, 4, 99], [7, 8, 99, 99]]
    with pytest.raises(InvalidInput):  # past the end of ids
        fill(ids, np.array([9]), np.array([3]), np.array([0, 1]), 4, 0, np.dtype("<u4"))
    with pytest.raises(InvalidInput):  # longer than the sequence
        fill(ids, np.array([0]), np.array([5]), np.array([0, 1]), 4, 0, np.dtype("<u4"))
    with pytest.raises(InvalidInput):  # seq_ptr beyond the pieces
        fill(ids, np.array([0]), np.array([1]), np.array([0, 3]), 4, 0, np.dtype("<u4"))
    with pytest.raises(InvalidInput):  # id does not fit uint16
        fill(np.array([70000], np.uint32), np.array([0]), np.array([1]), np.array([0, 1]), 4, 0,
             np.dtype("<u2"))


def test_frame_documents() -> None:
    ids = np.array([5, 6, 7, 8], dtype=np.uint32)
    framed, offsets = frame_documents(ids, np.array([0, 3, 3, 4]), 1, 2)
    assert framed.tolist() == [1, 5, 6, 7, 2, 1, 2, 1, 8, 2]
    assert offsets.tolist() == [0, 5, 7, 10]
    framed, offsets = frame_documents(ids, np.array([1, 3]), None, 2)  # offsets not from 0
    assert framed.tolist() == [6, 7, 2] and offsets.tolist() == [0, 3]
    with pytest.raises(InvalidInput):
        frame_documents(ids, np.array([0, 9]), None, None)


def _run_packer(docs: list[np.ndarray], batches: list[int], read=lambda block: block,
                **kw) -> tuple[list, Packer]:
    """``read(block)`` of every block, taken as it comes (before the next is packed)."""
    packer = Packer(pad_id=0, dtype=np.dtype("<u4"), **kw)
    blocks, i = [], 0
    for size in [*batches, len(docs)]:
        chunk = docs[i:i + size]
        i += len(chunk)
        if not chunk:
            continue
        offsets = np.concatenate([[0], np.cumsum([len(d) for d in chunk])])
        blocks += [read(b) for b in packer.add(np.concatenate(chunk), offsets)]
    blocks += [read(b) for b in packer.finish()]
    return blocks, packer


def _reassemble(blocks, n_docs: int, seq_len: int) -> tuple[list[list[int]], int, int]:
    got: list[list[int]] = [[] for _ in range(n_docs)]
    pieces = np.zeros(n_docs, dtype=int)
    padding = 0
    for b in blocks:
        assert b.tokens.shape[1] == seq_len
        for s in range(len(b.seq_ptr) - 1):
            lo, hi = int(b.seq_ptr[s]), int(b.seq_ptr[s + 1])
            used = 0
            for st_, ln, d in zip(b.start[lo:hi], b.length[lo:hi], b.doc[lo:hi], strict=True):
                assert st_ == used
                got[int(d)] += b.tokens[s, st_:st_ + ln].tolist()
                pieces[int(d)] += 1
                used += int(ln)
            padding += seq_len - used
            assert (b.tokens[s, used:] == 0).all()
    return got, int((pieces > 1).sum()), padding


@given(lengths=st.lists(st.integers(1, 30), max_size=40), seq_len=st.integers(1, 16),
       strategy=st.sampled_from(STRATEGIES), window=st.integers(1, 8),
       window_tokens=st.integers(1, 64),
       batches=st.lists(st.integers(0, 9), max_size=8))
def test_packer_loses_nothing(lengths: list[int], seq_len: int, strategy: str, window: int,
                              window_tokens: int, batches: list[int]) -> None:
    rng = np.random.default_rng(len(lengths))
    docs = [rng.integers(1, 1000, size=n).astype(np.uint32) for n in lengths]
    kw = dict(seq_len=seq_len, strategy=strategy, window=window, window_tokens=window_tokens)
    blocks, _ = _run_packer(docs, batches, **kw)
    got, split, padding = _reassemble(blocks, len(docs), seq_len)
    assert got == [d.tolist() for d in docs]
    assert sum(b.split_documents for b in blocks) == split
    assert sum(b.tokens.shape[0] for b in blocks) * seq_len - sum(lengths) == padding
    if strategy != "concat":  # documents that fit are never split
        assert split == sum(1 for n in lengths if n > seq_len)
    # Batching never changes the output.
    again, _ = _run_packer(docs, [1] * len(docs), **kw)
    assert [b.tokens.tolist() for b in again] == [b.tokens.tolist() for b in blocks]


@given(lengths=st.lists(st.integers(1, 30), min_size=1, max_size=40), seq_len=st.integers(1, 16),
       window=st.integers(1, 8))
def test_concat_output_does_not_depend_on_window(lengths: list[int], seq_len: int,
                                                 window: int) -> None:
    rng = np.random.default_rng(0)
    docs = [rng.integers(1, 1000, size=n).astype(np.uint32) for n in lengths]
    a, _ = _run_packer(docs, [], seq_len=seq_len, strategy="concat", window=window)
    b, _ = _run_packer(docs, [], seq_len=seq_len, strategy="concat", window=10_000)
    rows = np.concatenate([x.tokens for x in a])
    assert rows.tolist() == np.concatenate([x.tokens for x in b]).tolist()
    assert rows.shape[0] == -(-sum(lengths) // seq_len)


def test_packer_rejects_empty_document_and_bad_pad() -> None:
    packer = Packer(8, pad_id=0, dtype=np.dtype("<u4"))
    with pytest.raises(InvalidInput, match="no tokens"):
        list(packer.add(np.array([1, 2], np.uint32), np.array([0, 2, 2])))
    with pytest.raises(InvalidInput, match="does not fit"):
        Packer(8, pad_id=70000, dtype=np.dtype("<u2"))


def _reference_fill(ids, src, lens, ptr, seq_len, maxid, pad):
    """Rows per the fill contract, or None where the contract rejects the input."""
    n = len(lens)
    if ptr[0] != 0 or any(not a <= b <= n for a, b in itertools.pairwise(ptr)):
        return None
    rows = []
    for a, b in itertools.pairwise(ptr):
        row: list[int] = []
        for p in range(a, b):
            piece = ids[src[p]:src[p] + lens[p]]
            if src[p] + lens[p] > len(ids) or len(row) + lens[p] > seq_len:
                return None
            if any(t > maxid for t in piece):
                return None
            row += piece
        rows += row + [pad] * (seq_len - len(row))
    return rows


@given(ids=st.lists(st.integers(0, 70_000), max_size=20),
       pieces=st.lists(st.tuples(st.integers(0, 24), st.integers(0, 9)), max_size=6),
       ptr=st.lists(st.integers(0, 7), min_size=1, max_size=5),
       seq_len=st.integers(1, 8), wide=st.booleans())
def test_fill_matches_reference_and_rejects_garbage(ids, pieces, ptr, seq_len, wide) -> None:
    """Arbitrary (mostly invalid) plans: the kernel fills exactly what the reference fills and
    rejects exactly what it rejects; never touches memory outside the buffers (run under
    BOOSTPACK_SANITIZE=1 to see that)."""
    src, lens = [p[0] for p in pieces], [p[1] for p in pieces]
    out = np.empty((len(ptr) - 1) * seq_len, dtype=np.uint32 if wide else np.uint16)
    expected = _reference_fill(ids, src, lens, ptr, seq_len, 2**32 - 1 if wide else 65535, 3)
    try:
        _packing.pack_fill(np.array(ids, np.uint32), np.array(src, np.uint64),
                           np.array(lens, np.uint32), np.array(ptr, np.uint64), seq_len, 3, out)
    except InvalidInput:
        assert expected is None
        return
    assert out.tolist() == expected


@given(ids=st.lists(st.integers(0, 2**32 - 1), max_size=20),
       offsets=st.lists(st.integers(-3, 25), min_size=1, max_size=6),
       bos=st.integers(-2, 5), eos=st.integers(-2, 5), cap=st.integers(0, 40))
def test_frame_never_crashes_on_garbage(ids, offsets, bos, eos, cap) -> None:
    out = np.empty(cap, np.uint32)
    out_offsets = np.empty(len(offsets), np.int64)
    try:
        _packing.frame_documents(np.array(ids, np.uint32), np.array(offsets, np.int64), bos,
                                 eos, out, out_offsets)
    except (InvalidInput, KernelError):
        return
    assert offsets[0] >= 0 and all(a <= b <= len(ids) for a, b in itertools.pairwise(offsets))
    docs = [ids[a:b] for a, b in itertools.pairwise(offsets)]
    framed = [[bos] * (bos >= 0) + d + [eos] * (eos >= 0) for d in docs]
    assert out[:out_offsets[-1]].tolist() == [t for d in framed for t in d]


@given(lengths=st.lists(st.integers(0, 30), max_size=40), seq_len=st.integers(1, 16),
       strategy=st.sampled_from(STRATEGIES), window=st.integers(1, 8),
       window_tokens=st.integers(1, 64), batches=st.lists(st.integers(0, 9), max_size=8),
       bos=st.sampled_from([None, 1]), eos=st.sampled_from([None, 2]))
def test_packer_framing_equals_framed_documents(lengths: list[int], seq_len: int, strategy: str,
                                                window: int, window_tokens: int,
                                                batches: list[int], bos: int | None,
                                                eos: int | None) -> None:
    """A packer given BOS/EOS packs bare documents exactly as a packer without them packs the
    documents ``frame_documents`` framed (documents of no tokens included, when framed)."""
    if bos is None and eos is None:
        lengths = [n for n in lengths if n]  # a document must have a token
    rng = np.random.default_rng(len(lengths))
    docs = [rng.integers(3, 1000, size=n).astype(np.uint32) for n in lengths]
    kw = dict(seq_len=seq_len, strategy=strategy, window=window, window_tokens=window_tokens)
    framed = [np.array([*([bos] if bos is not None else []), *d.tolist(),
                        *([eos] if eos is not None else [])], np.uint32) for d in docs]
    want, _ = _run_packer(framed, batches, **kw)
    got, _ = _run_packer(docs, batches, bos=bos, eos=eos, **kw)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        for name in ("tokens", "seq_ptr", "start", "length", "doc", "loss"):
            np.testing.assert_array_equal(getattr(g, name), getattr(w, name))
        assert g.split_documents == w.split_documents


@given(lengths=st.lists(st.integers(1, 30), max_size=40), seq_len=st.integers(1, 16),
       strategy=st.sampled_from(STRATEGIES), window=st.integers(1, 8),
       batches=st.lists(st.integers(0, 9), max_size=8))
def test_reused_rows_give_the_blocks_of_fresh_rows(lengths: list[int], seq_len: int,
                                                   strategy: str, window: int,
                                                   batches: list[int]) -> None:
    """``reuse_rows``: each block, read before the next is asked for, is the block a packer
    with fresh rows per window gives."""
    rng = np.random.default_rng(len(lengths))
    docs = [rng.integers(1, 1000, size=n).astype(np.uint32) for n in lengths]
    kw = dict(seq_len=seq_len, strategy=strategy, window=window, window_tokens=48)
    expected, _ = _run_packer(docs, batches, **kw)
    got, _ = _run_packer(docs, batches, read=lambda b: b.tokens.tolist(), reuse_rows=True, **kw)
    assert got == [b.tokens.tolist() for b in expected]
