"""LSH band keys on disk (``bands.bin`` of a sign task), laid out for one band at a time.

Phase 1 computes every band key of a document while its signature is in memory, and phase 2's
band task ``b`` reads band ``b`` alone. Computing the keys in the band tasks instead meant
each of them sweeping all the signatures (512 B a document) for 8 bytes a document: 25 sweeps
at ~3.5 GB/s from the page cache were ~40% of clustering, and their cost per document grew
with the corpus (page faults on ever larger maps). The file costs 8 bytes a document and band
(200 B at the default 25 bands) of scratch until phase 2 ends.

Layout: consecutive blocks of ``BLOCK`` documents (the last one shorter), each band-major:
block ``k`` of ``m`` documents holds band 0's ``m`` keys, then band 1's, and so on. Band ``b``
of a block is one contiguous read, and the offsets follow from the document count alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from boostpack.deduplication.workdir import corrupt

BLOCK = 1 << 15  # documents per block: 6.4 MB of keys buffered at 25 bands, 256 KB reads


class BandWriter:
    """Buffers ``uint64[m, bands]`` key batches and writes them to ``f`` block by block;
    ``close`` writes the last, shorter block."""

    def __init__(self, f: BinaryIO, bands: int) -> None:
        self.f, self.bands = f, bands
        self.buf = np.empty((BLOCK, bands), dtype=np.uint64)
        self.fill = 0

    def add(self, keys: np.ndarray) -> None:
        start = 0
        while start < len(keys):
            take = min(BLOCK - self.fill, len(keys) - start)
            self.buf[self.fill : self.fill + take] = keys[start : start + take]
            self.fill += take
            start += take
            if self.fill == BLOCK:
                self._flush()

    def close(self) -> None:
        if self.fill:
            self._flush()

    def _flush(self) -> None:
        self.f.write(np.ascontiguousarray(self.buf[: self.fill].T).tobytes())
        self.fill = 0


def file_bytes(n: int, bands: int) -> int:
    """The size of the band-key file of ``n`` documents."""
    return 8 * n * bands


def read_band(path: Path, n: int, bands: int, band: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first document, keys uint64[m]) of ``band`` in the file of ``n`` documents at ``path``,
    a block at a time."""
    fd = os.open(path, os.O_RDONLY)
    try:
        for first in range(0, n, BLOCK):
            m = min(BLOCK, n - first)
            want = 8 * m
            data = os.pread(fd, want, 8 * (first * bands + band * m))
            if len(data) != want:
                raise corrupt(path, f"ends inside band {band} of the block at document {first}")
            yield first, np.frombuffer(data, dtype=np.uint64)
    finally:
        os.close(fd)
