"""Candidate pairs from hash buckets: sort ``(key, doc)`` entries, pair documents sharing a key.

This is the join at the heart of LSH (and of exact dedup, with the content hash as the key). It
runs out of core: entries are buffered up to a memory budget; if the whole stream fits, it is
sorted in memory; otherwise each full buffer is sorted and spilled to a run file, and the runs are
merged block by block, so 10^9 entries need only the budget plus a few kilobytes per run.

Pairing rule ("two stars"). Document numbers below ``ref_count`` are reference documents
(decontamination sets), the rest are inputs. Within one bucket, sorted by document number:
  * every input is paired with the bucket's smallest input document (``(first_input, doc)``);
  * every input is also paired with the bucket's smallest reference document, if there is one.
Reference documents are never paired with each other. A star per bucket emits one pair per member
instead of k(k-1)/2, and connects the same components under union-find; pairing with the smallest
member makes the pairs independent of how the stream was chunked or spilled.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from boostpack.errors import InvalidInput
from boostpack.runtime.atomic import naming_output

ENTRY = np.dtype([("key", "<u8"), ("doc", "<u4")])
# Bytes of memory one buffered entry costs while it is sorted: key + doc, the argsort index,
# and the sorted copy of both.
_BYTES_PER_ENTRY = 8 + 4 + 8 + 12
_NONE = np.uint64(np.iinfo(np.uint64).max)
_EMIT_PIECE = 1 << 20

Pairs = tuple[np.ndarray, np.ndarray]


class PairFinder:
    """Turns a stream of ``(keys uint64[m], docs uint32[m])`` chunks into candidate pairs.

    The stream must come in increasing document order (chunk after chunk); within a key, the
    output then follows document order, which is what makes the pairs deterministic.
    ``memory_bytes`` bounds the entry buffer; past it, sorted runs go to ``spill_dir``.
    After a ``pairs()`` call, ``runs_spilled`` says how many run files it needed (0 = in memory).
    """

    def __init__(self, ref_count: int, memory_bytes: int, spill_dir: str | os.PathLike[str]) -> None:
        if memory_bytes < 1 << 16:
            raise InvalidInput(f"candidate memory budget too small: {memory_bytes} bytes")
        self.ref_count = int(ref_count)
        self.capacity = max(memory_bytes // _BYTES_PER_ENTRY, 1 << 10)
        self.spill_dir = Path(spill_dir)
        self.runs_spilled = 0

    def pairs(self, chunks: Iterable[tuple[np.ndarray, np.ndarray]],
              size_hint: int | None = None) -> Iterator[Pairs]:
        """Yield ``(a uint32[k], b uint32[k])`` pair arrays, ``a`` the star centre, ``b`` an input.

        ``size_hint``: the expected entry count, so the buffer is allocated once at its size
        instead of doubling (which briefly needs 1.5x the memory).
        """
        self.runs_spilled = 0
        buf = np.empty(min(self.capacity, max(size_hint or 1 << 20, 1)), dtype=ENTRY)
        fill = 0
        runs: list[Path] = []
        try:
            for keys, docs in chunks:
                keys = np.asarray(keys, dtype=np.uint64)
                docs = np.asarray(docs, dtype=np.uint32)
                start = 0
                while start < len(keys):
                    if fill == len(buf) and len(buf) < self.capacity:
                        buf = np.resize(buf, min(2 * len(buf), self.capacity))
                    if fill == len(buf):
                        runs.append(self._spill(buf[:fill], len(runs)))
                        fill = 0
                    take = min(len(buf) - fill, len(keys) - start)
                    buf["key"][fill : fill + take] = keys[start : start + take]
                    buf["doc"][fill : fill + take] = docs[start : start + take]
                    fill += take
                    start += take
            if not runs:
                keys, docs = _sorted_columns(buf[:fill])
                del buf
                emitter = _StarEmitter(self.ref_count)
                # In pieces: the emitter's temporaries stay a fixed size, not 40 B per entry.
                for s in range(0, len(keys), _EMIT_PIECE):
                    yield from emitter.emit(keys[s : s + _EMIT_PIECE], docs[s : s + _EMIT_PIECE])
                return
            if fill:
                runs.append(self._spill(buf[:fill], len(runs)))
            del buf
            self.runs_spilled = len(runs)
            yield from self._merge(runs)
        finally:
            for path in runs:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def _spill(self, entries: np.ndarray, index: int) -> Path:
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        path = self.spill_dir / f"run-{os.getpid()}-{index:05d}.bin"
        # Not ndarray.tofile: its write errors say "N requested and M written", with no errno.
        with naming_output(path), open(path, "wb") as f:
            f.write(entries[_order(entries)].data)
        return path

    def _merge(self, runs: list[Path]) -> Iterator[Pairs]:
        """k-way merge of the sorted runs into one (key, doc)-ordered stream, block by block.

        Runs hold consecutive document ranges in run order. Each step reads a block from every
        run; ``boundary`` is the smallest block-final key among runs that continue past their
        block, so every entry with a key below it is in the blocks: those are emitted together
        (concatenated in run order, stable-sorted by key). When nothing is below it, all blocks
        start with the boundary key, a bucket larger than the blocks: it is emitted run by run,
        which is document order. The emitter carries the open bucket across steps.
        """
        maps = [np.memmap(p, dtype=ENTRY, mode="r") for p in runs]
        pos = [0] * len(maps)
        block = max(self.capacity // (2 * len(maps)), 1)
        emitter = _StarEmitter(self.ref_count)
        while True:
            heads = {i: m[p : p + block] for i, (m, p) in enumerate(zip(maps, pos, strict=True))
                     if p < len(m)}
            if not heads:
                break
            bounded = [h["key"][-1] for i, h in heads.items() if pos[i] + len(h) < len(maps[i])]
            if not bounded:
                cuts = {i: len(h) for i, h in heads.items()}
            else:
                boundary = min(bounded)
                cuts = {i: int(np.searchsorted(h["key"], boundary, "left")) for i, h in heads.items()}
                if not any(cuts.values()):
                    i = min(i for i, h in heads.items() if h["key"][0] == boundary)
                    cuts = {i: int(np.searchsorted(heads[i]["key"], boundary, "right"))}
            taken = [np.asarray(heads[i][:c]) for i, c in sorted(cuts.items()) if c]
            for i, c in cuts.items():
                pos[i] += c
            yield from emitter.emit(*_sorted_columns(np.concatenate(taken)))
        del maps


def _order(entries: np.ndarray) -> np.ndarray:
    """The permutation sorting entries by (key, doc), given doc-ordered input (a stable sort by
    key keeps doc order within a key)."""
    return np.argsort(entries["key"], kind="stable")


def _sorted_columns(entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, docs) sorted by (key, doc); gathering the two columns apart is ~8x faster than
    gathering the 12-byte records."""
    order = _order(entries)
    return entries["key"][order], entries["doc"][order]


class _StarEmitter:
    """Emits the two-star pairs of a (key, doc)-sorted entry stream fed in consecutive pieces."""

    def __init__(self, ref_count: int) -> None:
        self.ref_count = np.uint32(ref_count) if ref_count else None
        self.open_key: np.uint64 | None = None  # the bucket the previous piece ended in
        self.open_ref = _NONE  # its smallest reference doc, or _NONE
        self.open_input = _NONE  # its smallest input doc, or _NONE

    def emit(self, keys: np.ndarray, docs32: np.ndarray) -> Iterator[Pairs]:
        """Pairs of the next piece of the stream: ``keys``/``docs32`` sorted by (key, doc)."""
        n = len(keys)
        if n == 0:
            return
        docs = docs32.astype(np.uint64)
        new = np.empty(n, dtype=bool)
        new[0] = self.open_key is None or keys[0] != self.open_key
        np.not_equal(keys[1:], keys[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        if not new[0]:
            starts = np.concatenate(([0], starts))
        group = np.cumsum(new) - (1 if new[0] else 0)
        sizes = np.diff(np.append(starts, n))
        is_ref = docs < self.ref_count if self.ref_count is not None else np.zeros(n, bool)
        nrefs = np.add.reduceat(is_ref.astype(np.int64), starts)
        # Within a bucket, references (smaller numbers) sort before inputs.
        first_ref = np.where(nrefs > 0, docs[starts], _NONE)
        first_input = np.where(nrefs < sizes, docs[np.minimum(starts + nrefs, n - 1)], _NONE)
        if not new[0]:  # the first group continues the bucket left open by the previous piece
            if self.open_ref != _NONE:
                first_ref[0] = self.open_ref
            if self.open_input != _NONE:
                first_input[0] = self.open_input
        self.open_key = keys[-1]
        self.open_ref, self.open_input = first_ref[-1], first_input[-1]

        inputs = ~is_ref
        g = group[inputs]
        d = docs[inputs]
        out_a, out_b = [], []
        fr = first_ref[g]
        m = fr != _NONE
        if m.any():
            out_a.append(fr[m])
            out_b.append(d[m])
        fi = first_input[g]
        m = fi != d
        if m.any():
            out_a.append(fi[m])
            out_b.append(d[m])
        if out_a:
            yield (np.concatenate(out_a).astype(np.uint32), np.concatenate(out_b).astype(np.uint32))
