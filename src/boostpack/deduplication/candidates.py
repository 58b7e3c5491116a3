"""Candidate pairs from hash buckets: sort ``(key, doc)`` entries, pair documents sharing a key.

This is the join at the heart of LSH (and of exact dedup, with the content hash as the key). It
runs out of core: entries are buffered up to a memory budget; if the whole stream fits, it is
sorted in memory; otherwise each full buffer is sorted and spilled to a run file, and the runs are
merged block by block, so 10^9 entries need only the budget plus a few kilobytes per run.

Pairing rule. Document numbers below ``ref_count`` are reference documents (decontamination
sets), the rest are inputs; reference documents are never paired with each other. A bucket of
at most ``clique`` documents pairs every input with every other document of the bucket (the
smaller number first). A larger bucket, sorted by document number, makes two stars:
  * every input is paired with the bucket's smallest input document (``(first_input, doc)``);
  * every input is also paired with the bucket's smallest reference document, if there is one.
A star emits one pair per member instead of k(k-1)/2 and connects the same components under
union-find, as long as every pair is accepted; when the test of a pair is not transitive (a
threshold on an estimate, answers that must agree), the star leaves out pairs that would have
been accepted, and which ones depends on the numbering. Small buckets, the usual ones, are
therefore paired whole: their pairs are those of their members, whatever the numbering. Either
way the pairs do not depend on how the stream was chunked or spilled.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from boostpack._minhash import sort_entries
from boostpack.errors import InvalidInput
from boostpack.runtime.atomic import naming_output

ENTRY = np.dtype([("key", "<u8"), ("doc", "<u4")])  # a sorted run on disk
# Bytes of memory one buffered entry costs while it is sorted: key + doc, and the radix
# sort's scratch copy of both.
_BYTES_PER_ENTRY = 2 * (8 + 4)
_NONE = np.uint64(np.iinfo(np.uint64).max)
_EMIT_PIECE = 1 << 20

Pairs = tuple[np.ndarray, np.ndarray]


class PairFinder:
    """Turns a stream of ``(keys uint64[m], docs uint32[m])`` chunks into candidate pairs.

    The stream must come in increasing document order (chunk after chunk); within a key, the
    output then follows document order, which is what makes the pairs deterministic.
    ``memory_bytes`` bounds the entry buffer; past it, sorted runs go to ``spill_dir``.
    ``clique``: the largest bucket paired whole (module docstring; 0: stars only).
    After a ``pairs()`` call, ``runs_spilled`` says how many run files it needed (0 = in memory).
    """

    def __init__(self, ref_count: int, memory_bytes: int, spill_dir: str | os.PathLike[str],
                 clique: int = 0) -> None:
        if memory_bytes < 1 << 16:
            raise InvalidInput(f"candidate memory budget too small: {memory_bytes} bytes")
        self.ref_count = int(ref_count)
        self.clique = int(clique)
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
        # The buffer as two columns: the radix sort (csrc/radix.h) takes them in place.
        size = min(self.capacity, max(size_hint or 1 << 20, 1))
        buf_keys, buf_docs = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.uint32)
        fill = 0
        runs: list[Path] = []
        try:
            for keys, docs in chunks:
                keys = np.asarray(keys, dtype=np.uint64)
                docs = np.asarray(docs, dtype=np.uint32)
                start = 0
                while start < len(keys):
                    if fill == len(buf_keys) and len(buf_keys) < self.capacity:
                        size = min(2 * len(buf_keys), self.capacity)
                        buf_keys, buf_docs = np.resize(buf_keys, size), np.resize(buf_docs, size)
                    if fill == len(buf_keys):
                        runs.append(self._spill(buf_keys[:fill], buf_docs[:fill], len(runs)))
                        fill = 0
                    take = min(len(buf_keys) - fill, len(keys) - start)
                    buf_keys[fill : fill + take] = keys[start : start + take]
                    buf_docs[fill : fill + take] = docs[start : start + take]
                    fill += take
                    start += take
            if not runs:
                keys, docs = buf_keys[:fill], buf_docs[:fill]
                del buf_keys, buf_docs
                sort_entries(keys, docs)
                emitter = _PairEmitter(self.ref_count, self.clique)
                # In pieces: the emitter's temporaries stay a fixed size, not 40 B per entry.
                for s in range(0, len(keys), _EMIT_PIECE):
                    yield from emitter.emit(keys[s : s + _EMIT_PIECE], docs[s : s + _EMIT_PIECE])
                yield from emitter.finish()
                return
            if fill:
                runs.append(self._spill(buf_keys[:fill], buf_docs[:fill], len(runs)))
            del buf_keys, buf_docs
            self.runs_spilled = len(runs)
            yield from self._merge(runs)
        finally:
            for path in runs:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def _spill(self, keys: np.ndarray, docs: np.ndarray, index: int) -> Path:
        """Sort the buffered entries (in place) and write them as a run of ``ENTRY`` records."""
        sort_entries(keys, docs)
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        path = self.spill_dir / f"run-{os.getpid()}-{index:05d}.bin"
        # Not ndarray.tofile: its write errors say "N requested and M written", with no errno.
        with naming_output(path), open(path, "wb") as f:
            for s in range(0, len(keys), _EMIT_PIECE):
                piece = np.empty(min(_EMIT_PIECE, len(keys) - s), dtype=ENTRY)
                piece["key"], piece["doc"] = keys[s : s + len(piece)], docs[s : s + len(piece)]
                f.write(piece.data)
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
        emitter = _PairEmitter(self.ref_count, self.clique)
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
            merged = np.concatenate(taken)
            keys, docs = np.ascontiguousarray(merged["key"]), np.ascontiguousarray(merged["doc"])
            del merged
            sort_entries(keys, docs)  # stable: equal keys stay in run order, which is doc order
            yield from emitter.emit(keys, docs)
        yield from emitter.finish()
        del maps


class _PairEmitter:
    """Emits the pairs of a (key, doc)-sorted entry stream fed in consecutive pieces (the rule:
    module docstring). A bucket at the end of a piece may go on in the next one: while it has at
    most ``clique`` entries they are held back and put before the next piece; a larger one is
    paired as a star at once, and its smallest members carried over."""

    def __init__(self, ref_count: int, clique: int = 0) -> None:
        self.ref_count = np.uint64(ref_count) if ref_count else None
        self.clique = clique
        self.held: tuple[np.ndarray, np.ndarray] | None = None  # a small bucket, not yet closed
        self.open_key: np.uint64 | None = None  # the star bucket the previous piece ended in
        self.open_ref = _NONE  # its smallest reference doc, or _NONE
        self.open_input = _NONE  # its smallest input doc, or _NONE

    def finish(self) -> Iterator[Pairs]:
        """Pairs of a bucket still held back when the stream ends."""
        if self.held is not None:
            keys, docs = self.held
            self.held = None
            yield from self._emit(keys, docs, last=True)

    def emit(self, keys: np.ndarray, docs32: np.ndarray) -> Iterator[Pairs]:
        """Pairs of the next piece of the stream: ``keys``/``docs32`` sorted by (key, doc)."""
        docs = docs32.astype(np.uint64)
        if self.held is not None:
            keys, docs = np.concatenate((self.held[0], keys)), np.concatenate((self.held[1], docs))
            self.held = None
        if len(keys):
            yield from self._emit(keys, docs, last=False)

    def _emit(self, keys: np.ndarray, docs: np.ndarray, last: bool) -> Iterator[Pairs]:
        n = len(keys)
        new = np.empty(n, dtype=bool)
        new[0] = self.open_key is None or keys[0] != self.open_key
        np.not_equal(keys[1:], keys[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        if not new[0]:
            starts = np.concatenate(([0], starts))
        sizes = np.diff(np.append(starts, n))
        # Small buckets that start in this piece are paired whole (the last one once it is known
        # to end here); the others, as stars.
        small = sizes <= self.clique
        if not new[0]:
            small[0] = False
        if not last and small[-1]:
            self.held = keys[starts[-1] :], docs[starts[-1] :]
            self.open_key = None
            n = int(starts[-1])
            keys, docs, starts, sizes, small = keys[:n], docs[:n], starts[:-1], sizes[:-1], small[:-1]
            if not n:
                return
        yield from self._cliques(docs, starts[small], sizes[small])
        yield from self._stars(keys, docs, new[:n], starts, sizes, small)

    def _cliques(self, docs: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> Iterator[Pairs]:
        out_a, out_b = [], []
        # The sizes present, by counting (at most ``clique`` values; np.unique would hash them).
        for size in np.flatnonzero(np.bincount(sizes)).tolist():
            if size < 2:
                continue
            i, j = np.triu_indices(size, 1)
            first = starts[sizes == size][:, None]
            a, b = docs[first + i].reshape(-1), docs[first + j].reshape(-1)
            keep = b >= self.ref_count if self.ref_count is not None else slice(None)
            out_a.append(a[keep])
            out_b.append(b[keep])
        if out_a:
            yield np.concatenate(out_a).astype(np.uint32), np.concatenate(out_b).astype(np.uint32)

    def _stars(self, keys: np.ndarray, docs: np.ndarray, new: np.ndarray, starts: np.ndarray,
               sizes: np.ndarray, small: np.ndarray) -> Iterator[Pairs]:
        n = len(keys)
        if n == 0 or small.all():
            return
        group = np.cumsum(new) - (1 if new[0] else 0)
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

        inputs = ~is_ref & ~small[group]
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
