"""Fuzzing ``boostpack._loader``'s entry points (``ShardSamples``, ``Samples.sample``,
``Samples.batch``, ``gather``) with arbitrary arrays: wrong dtypes and shapes, lengths that
disagree, pointers past 2^63, pieces that overlap or overrun, document numbers past the table.

Each call either raises one of the documented errors or returns exactly what a plain Python
reference computes from the same arrays; under the sanitizer build (``BOOSTPACK_SANITIZE=1``)
any out-of-bounds read aborts. ``BOOSTPACK_FUZZ_EXAMPLES`` sets the number of examples (CI:
the default, a few seconds).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boostpack._loader import IGNORE_INDEX, Samples, ShardSamples, gather
from boostpack.errors import CorruptData, InvalidInput

EXAMPLES = int(os.environ.get("BOOSTPACK_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Errors the glue may raise for bad arguments: its own, IndexError for rows, and the buffer
# checks of typed memoryviews (ValueError: wrong dtype, not contiguous; TypeError: no buffer).
REFUSALS = (InvalidInput, CorruptData, IndexError, ValueError, TypeError, OverflowError)

_EDGES = [0, 1, 2, 3, 5, 2**31 - 1, 2**31, 2**32 - 1, 2**63 - 1, 2**63, 2**64 - 1]


def _values(limit: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(0, 12), st.sampled_from([e for e in _EDGES if e <= limit]))


@st.composite
def arrays(draw: Any, dtype: str, size: int, limit: int) -> np.ndarray:
    """Mostly ``dtype[size]``; sometimes another length, dtype, or a strided view."""
    n = max(0, size + draw(st.sampled_from([0, 0, 0, 0, -1, 1])))
    values = draw(st.lists(_values(limit), min_size=n, max_size=n))
    kind = draw(st.sampled_from(["ok"] * 8 + ["dtype", "strided", "2d"]))
    if kind == "dtype":
        return np.array([v % 2**15 for v in values], dtype=draw(st.sampled_from(
            ["<i8", "<u2", "<f8", ">u4"])))
    arr = np.array(values, dtype=np.uint64).astype(dtype)
    if kind == "strided":
        return np.repeat(arr, 2)[::2]
    if kind == "2d":
        return arr.reshape(1, -1)
    return arr


@st.composite
def shards(draw: Any) -> dict[str, Any]:
    rows = draw(st.integers(0, 4))
    seq_len = draw(st.integers(1, 9))
    pieces = draw(st.integers(0, 8))
    dtype = draw(st.sampled_from(["<u2", "<u4"]))
    tokens = np.array(draw(st.lists(st.integers(0, 2**16 - 1), min_size=rows * seq_len,
                                    max_size=rows * seq_len)), dtype=dtype)
    tokens = tokens.reshape(rows, seq_len)
    if draw(st.integers(0, 9)) == 0:
        tokens = tokens.astype(draw(st.sampled_from(["<i4", "<f4", ">u4", "<u8"])))
    ptr = draw(arrays("<u8", rows + 1, 2**64 - 1))
    if draw(st.booleans()) and len(ptr) and ptr.dtype == np.uint64 and ptr.ndim == 1:
        # A plausible layout: sorted pointers from 0 to the piece count, then maybe damaged.
        ptr = np.sort(ptr % (pieces + 1))
        ptr[0], ptr[-1] = 0, pieces
    return {
        "tokens": tokens, "seq_ptr": ptr,
        "piece_start": draw(arrays("<u4", pieces, 2**32 - 1)),
        "piece_length": draw(arrays("<u4", pieces, 2**32 - 1)),
        "piece_doc": draw(arrays("<u8", pieces, 2**64 - 1)),
        "piece_loss": draw(st.one_of(st.none(), arrays("<u4", pieces, 2**32 - 1))),
        "num_documents": draw(st.sampled_from([0, 1, 4, 9, 2**63])),
    }


def reference(arrays: dict[str, Any], j: int) -> dict[str, list[int]] | None:
    """The documented sample of row ``j``, or None when the row is corrupt."""
    tokens, ptr = arrays["tokens"], arrays["seq_ptr"]
    starts, lengths, docs = arrays["piece_start"], arrays["piece_length"], arrays["piece_doc"]
    loss = arrays["piece_loss"]
    seq_len = tokens.shape[1]
    lo, hi = int(ptr[j]), int(ptr[j + 1])
    if not lo <= hi <= len(starts):
        return None
    labels, positions, cu, end = [], [], [0], 0
    row = [int(t) for t in tokens[j]]
    for p in range(lo, hi):
        s, n, d = int(starts[p]), int(lengths[p]), int(docs[p])
        no_loss = int(loss[p]) if loss is not None else 0
        if s != end or n == 0 or s + n > seq_len or d >= arrays["num_documents"] or no_loss > n:
            return None
        masked = max(1, no_loss)
        labels += [IGNORE_INDEX] * masked + row[s + masked:s + n]
        positions += list(range(n))
        end = s + n
        cu.append(end)
    if end < seq_len:
        labels += [IGNORE_INDEX] * (seq_len - end)
        positions += list(range(seq_len - end))
        cu.append(seq_len)
    return {"input_ids": row, "labels": labels, "position_ids": positions, "cu_seqlens": cu,
            "document_ids": [int(d) for d in docs[lo:hi]]}


def _wrap(arrays: dict[str, Any], labels: bool) -> Samples | None:
    try:
        shard = ShardSamples(arrays["tokens"], arrays["seq_ptr"], arrays["piece_start"],
                             arrays["piece_length"], arrays["piece_doc"], arrays["piece_loss"],
                             num_documents=arrays["num_documents"], source="fuzz")
    except REFUSALS:
        return None
    # What the glue accepted is well-formed: the arrays' lengths agree.
    assert shard.num_rows == arrays["tokens"].shape[0] == len(arrays["seq_ptr"]) - 1
    return Samples([shard.num_rows], lambda k: shard, labels, seq_len=shard.seq_len)


@FUZZ
@given(arrays=shards(), labels=st.booleans())
def test_sample_is_the_reference_or_refused(arrays: dict[str, Any], labels: bool) -> None:
    samples = _wrap(arrays, labels)
    if samples is None:
        return
    rows = len(samples)
    for j in range(-rows - 1, rows + 1):
        try:
            got = samples.sample(j)
        except (CorruptData, IndexError) as exc:
            assert isinstance(exc, IndexError) == (not -rows <= j < rows)
            if isinstance(exc, CorruptData):
                assert reference(arrays, j % rows) is None
            continue
        want = reference(arrays, j % rows)
        assert want is not None
        if not labels:
            del want["labels"]
        assert {k: v.tolist() for k, v in got.items()} == want


@FUZZ
@given(arrays=shards(), labels=st.booleans(), data=st.data())
def test_batch_is_the_reference_or_refused(arrays: dict[str, Any], labels: bool,
                                           data: Any) -> None:
    samples = _wrap(arrays, labels)
    if samples is None or len(samples) == 0:
        return
    rows = len(samples)
    indices = data.draw(st.lists(st.integers(-rows - 1, rows), min_size=0, max_size=6))
    try:
        got = samples.batch(indices)
    except (CorruptData, IndexError, InvalidInput):
        wants = [reference(arrays, j % rows) for j in indices if -rows <= j < rows]
        in_range = all(-rows <= j < rows for j in indices)
        assert not indices or not in_range or None in wants
        return
    wants = [reference(arrays, j % rows) for j in indices]
    assert None not in wants
    seq_len = samples.seq_len
    assert got["input_ids"].tolist() == [w["input_ids"] for w in wants]
    assert got["position_ids"].tolist() == [w["position_ids"] for w in wants]
    if labels:
        assert got["labels"].tolist() == [w["labels"] for w in wants]
    cu = [0] + [b * seq_len + c for b, w in enumerate(wants) for c in w["cu_seqlens"][1:]]
    assert got["cu_seqlens"].tolist() == cu
    assert got["max_seqlen"] == max(np.diff(cu))
    assert got["document_ids"].tolist() == [d for w in wants for d in w["document_ids"]]


@FUZZ
@given(first=shards(), second=shards(), data=st.data())
def test_gather_across_sources_is_the_reference_or_refused(first: dict[str, Any],
                                                           second: dict[str, Any],
                                                           data: Any) -> None:
    sources = [_wrap(first, True), _wrap(second, True)]
    if None in sources:
        return
    which = data.draw(st.lists(st.integers(-1, 2), min_size=1, max_size=5))
    indices = [data.draw(st.integers(-2, 4)) for _ in which]
    try:
        got = gather(sources, which, indices)
    except REFUSALS:
        return
    for b, (s, j) in enumerate(zip(which, indices, strict=True)):
        want = reference((first, second)[s], j % len(sources[s]))
        assert want is not None and got["input_ids"][b].tolist() == want["input_ids"]
        assert got["labels"][b].tolist() == want["labels"]


def test_pointers_past_two_to_the_63_are_refused() -> None:
    """A regression seen by fuzzing: seq_ptr values >= 2^63 went negative as signed sizes."""
    tokens = np.zeros((2, 4), dtype="<u4")
    ptr = np.array([0, 2**63 + 1, 1], dtype="<u8")
    one = np.array([0], dtype="<u4")
    shard = ShardSamples(tokens, ptr, one, one + 4, np.array([0], "<u8"), num_documents=1)
    samples = Samples([2], lambda k: shard, seq_len=4)
    for j in (0, 1):
        with pytest.raises(CorruptData, match=f"row {j}: pointers"):
            samples.sample(j)


def test_objects_made_without_init_have_nothing_to_read() -> None:
    samples, shard = Samples.__new__(Samples), ShardSamples.__new__(ShardSamples)
    for call in (lambda: samples[0], lambda: samples.shard(0), lambda: samples.batch([0]),
                 lambda: gather([samples], None, [0]), lambda: shard.tokens(0)):
        with pytest.raises(IndexError):
            call()
    with pytest.raises(TypeError):
        gather([object()], None, [0])  # type: ignore[list-item]
