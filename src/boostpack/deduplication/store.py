"""The phase-1 files of all sign tasks, read by global document number (phases 2 and 3).

Document numbers run over the tasks in order (references first), so task ``t`` holds documents
``offsets[t]..offsets[t+1]``. A run's tasks are described by their *layout*: the document count
of each task, as the sign results report them.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from boostpack._jsonl import gather
from boostpack._minhash import pread_rows
from boostpack.deduplication.bandfile import file_bytes, read_band
from boostpack.deduplication.itemkey import ITEM_KEY, band_mix
from boostpack.deduplication.lsh import band_key
from boostpack.deduplication.workdir import WorkDir, corrupt, map_array, read_array, read_at

Layout = tuple[int, ...]


def layout(results: Sequence[dict[str, Any]]) -> Layout:
    """The layout of the tasks whose sign results are ``results``."""
    return tuple(int(r["n"]) for r in results)


def _task_of(offsets: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(uniq, bounds, inverse)``: the sorted unique ``docs``, task ``t``'s being
    ``uniq[bounds[t]:bounds[t+1]]``, and the indices that give back ``docs`` from ``uniq``."""
    uniq, inverse = np.unique(docs, return_inverse=True)
    task = np.searchsorted(offsets, uniq, side="right") - 1
    bounds = np.searchsorted(task, np.arange(len(offsets)))
    return uniq, bounds, inverse.reshape(-1)


class SignStore:
    """Per-document columns, band keys, signatures and item keys of all tasks.

    Columns are read whole, a band's keys a block at a time. Signatures (and item keys) are
    gathered row by row in document order for the verification of candidate pairs, with a
    ``pread`` each in C (``_minhash.pread_rows``): through a memory map each row cost a page
    fault (5.3 us a signature, 1.8 an item key, at any corpus size on this project's VM),
    against ~0.5 us a copy. Nothing stays open or mapped between reads, so the signature files
    (512 B/doc) never count as resident memory, and a run of 10^4 tasks holds no descriptors.
    """

    def __init__(self, work: WorkDir, tasks: Layout, num_perm: int, bands: int) -> None:
        self.work, self.tasks, self.num_perm, self.bands = work, tasks, num_perm, bands
        self.sizes = np.array(tasks, dtype=np.int64).reshape(-1)
        self.offsets = np.concatenate(([0], np.cumsum(self.sizes)))
        self.total = int(self.offsets[-1])

    def check_sizes(self, keys: bool) -> None:
        """``CorruptData`` unless every task's signatures, band keys (and item keys) have the
        size its document count gives: a file that turns out not to be needed is damaged all
        the same."""
        per_doc = {"sig.bin": 4 * self.num_perm, "bands.bin": file_bytes(1, self.bands)}
        if keys:
            per_doc["key.bin"] = ITEM_KEY.itemsize
        for i, n in enumerate(self.sizes.tolist()):
            for name, size in per_doc.items():
                path = self.work.task(i) / name
                try:
                    found = path.stat().st_size
                except FileNotFoundError:
                    raise corrupt(path, "missing") from None
                if found != n * size:
                    raise corrupt(path, f"{found} bytes where {n} x {size} were written")

    def column(self, name: str, dtype: Any, width: int = 1, first_task: int = 0) -> np.ndarray:
        """A per-document array (``dtype[docs, width]``, or ``dtype[docs]`` for width 1) over the
        documents of tasks ``first_task..``, read into memory."""
        parts = [read_array(self.work.task(i) / name, dtype, int(self.sizes[i]) * width)
                 for i in range(first_task, len(self.sizes))]
        out = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        return out.reshape(-1, width) if width > 1 else out

    def band(self, b: int) -> Iterator[tuple[int, np.ndarray]]:
        """(first doc, keys uint64[m]) of LSH band ``b`` in document order, from the band keys
        phase 1 wrote (``deduplication.bandfile``)."""
        for i, n in enumerate(self.sizes.tolist()):
            for first, keys in read_band(self.work.task(i) / "bands.bin", n, self.bands, b):
                yield int(self.offsets[i]) + first, keys

    def question_band(self, b: int, rows: int, step: int = 1 << 16) -> Iterator[tuple[int, np.ndarray]]:
        """(first doc, keys uint64[m]) of LSH band ``b`` (of ``rows`` rows) with the question
        key alone mixed in (``itemkey.band_mix(answers=False)``), ``step`` documents at a time
        in document order, computed from the signatures: only runs with references without an
        answer need these, so phase 1 does not write them."""
        sig_row = np.dtype((np.uint32, self.num_perm))
        for i, n in enumerate(self.sizes.tolist()):
            for s in range(0, n, step):
                e = min(s + step, n)
                sig, items = self._block(i, "sig.bin", s, e, sig_row), self._block(i, "key.bin", s, e, ITEM_KEY)
                yield int(self.offsets[i]) + s, band_key(sig, b, rows) ^ band_mix(items, answers=False)

    def signatures(self, docs: np.ndarray) -> np.ndarray:
        """uint32[len(docs), num_perm]: the signatures of ``docs``, read from the task files."""
        return self._gather(docs, "sig.bin", np.dtype((np.uint32, self.num_perm)))

    def keys(self, docs: np.ndarray) -> np.ndarray:
        """``ITEM_KEY[len(docs)]``: the item keys of ``docs`` (runs that compare answers)."""
        return self._gather(docs, "key.bin", ITEM_KEY)

    def _gather(self, docs: np.ndarray, name: str, row: np.dtype) -> np.ndarray:
        uniq, bounds, inverse = _task_of(self.offsets, docs)
        out = np.empty(len(uniq), dtype=row)
        for t in np.flatnonzero(np.diff(bounds)):
            lo, hi = int(bounds[t]), int(bounds[t + 1])
            out[lo:hi] = self._rows(int(t), name, uniq[lo:hi].astype(np.int64) - self.offsets[t], row)
        return out[inverse]

    def _block(self, task: int, name: str, start: int, stop: int, row: np.dtype) -> np.ndarray:
        """``row[stop - start]``: rows ``start..stop`` of the task's file ``name``, one read."""
        path = self.work.task(task) / name
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise corrupt(path, "missing") from None
        try:
            data = read_at(fd, (stop - start) * row.itemsize, start * row.itemsize, path)
        finally:
            os.close(fd)
        return np.frombuffer(data, dtype=row)

    def _rows(self, task: int, name: str, rows: np.ndarray, row: np.dtype) -> np.ndarray:
        """``row[len(rows)]``: rows ``rows`` (int64, of this task) of the task's file ``name``."""
        path = self.work.task(task) / name
        out = np.empty(len(rows), dtype=row)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise corrupt(path, "missing") from None
        try:
            got = pread_rows(fd, rows, out.view(np.uint8).reshape(len(rows), row.itemsize))
        finally:
            os.close(fd)
        if got < len(rows):
            raise corrupt(path, f"ends before row {int(rows[got])} of {row.itemsize} bytes")
        return out


class IdStore:
    """Document ids of all sign tasks as JSON strings, fetched by global document number (each
    task has ``ids.bin``, the ids back to back, and ``idend.bin``, uint64 end offsets), so a
    write task holds no per-document state of the other tasks. Memory maps with numpy
    indexing, unmapped after each lookup as in ``SignStore``: reading them with a ``pread`` or
    two per id took ~25% of phase 3 on the benchmark data."""

    def __init__(self, work: WorkDir, offsets: Sequence[int]) -> None:
        self.work, self.offsets = work, np.asarray(offsets, dtype=np.int64)
        self._maps: dict[int, tuple[mmap.mmap, mmap.mmap, np.ndarray]] = {}

    def close(self) -> None:
        maps = [(a, b) for a, b, _ in self._maps.values()]
        self._maps.clear()  # the arrays go first: a map with exported buffers cannot close
        for a, b in maps:
            a.close()
            b.close()

    def _task(self, task: int) -> tuple[mmap.mmap, mmap.mmap, np.ndarray]:
        if task not in self._maps:
            d = self.work.task(task)
            n = int(self.offsets[task + 1] - self.offsets[task])
            ends_map, ends = map_array(d / "idend.bin", np.uint64, (n, 1))
            ends = ends.reshape(-1)
            ids_map, _ = map_array(d / "ids.bin", np.uint8, (int(ends[-1]), 1))
            self._maps[task] = (ids_map, ends_map, ends)
        return self._maps[task]

    def packed(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ids of ``docs`` as JSON strings (quoted, escaped): ``(data, start, length)``,
        the id of ``docs[i]`` being ``data[start[i]:start[i] + length[i]]``."""
        uniq, bounds, inverse = _task_of(self.offsets, docs)
        pieces, lengths = [np.empty(0, dtype=np.uint8)], [np.empty(0, dtype=np.int64)]
        for t in np.flatnonzero(np.diff(bounds)):
            local = uniq[bounds[t] : bounds[t + 1]].astype(np.int64) - self.offsets[t]
            ids, ends_map, ends = self._task(int(t))
            # Each id spans [end of the previous document, its own end).
            stop = ends[local].astype(np.int64)
            start = np.where(local > 0, ends[np.maximum(local - 1, 0)], 0).astype(np.int64)
            lengths.append(stop - start)
            pieces.append(np.empty(int(lengths[-1].sum()), dtype=np.uint8))
            src = np.frombuffer(ids, dtype=np.uint8)
            gather(src, start, lengths[-1], pieces[-1])
            del src  # an exported buffer would keep the map from closing
            ids.madvise(mmap.MADV_DONTNEED)
            ends_map.madvise(mmap.MADV_DONTNEED)
        length = np.concatenate(lengths)
        start = np.zeros(len(length), dtype=np.int64)
        np.cumsum(length[:-1], out=start[1:])
        return np.concatenate(pieces), start[inverse], length[inverse]

    def json_many(self, docs: np.ndarray) -> list[bytes]:
        """The ids of ``docs`` as JSON strings (quoted, escaped), in order."""
        data, start, length = self.packed(docs)
        return [data[a:a + k].tobytes() for a, k in zip(start.tolist(), length.tolist(), strict=True)]
