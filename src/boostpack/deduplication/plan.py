"""The plan: phase 2's decision about every input document, which phase 3 carries out.

One file per input sign task, ``plan/<task>.bin``, three arrays back to back over its ``n``
documents: ``action uint8[n]`` (``KEPT`` or the reason for removal), ``dup_of uint32[n]`` (the
global number of the document kept in its place; ``NONE`` for a kept one) and
``similarity float32[n]`` (signature Jaccard with that document; 1.0 for an identical copy).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from boostpack.deduplication.workdir import corrupt, read_at
from boostpack.runtime.atomic import atomic_write

REASONS = ("exact", "near", "contaminated")
KEPT, EXACT, NEAR, CONTAMINATED = 0, 1, 2, 3  # action codes: KEPT, then REASONS in order
NONE = np.uint32(0xFFFFFFFF)
_BYTES_PER_DOC = 1 + 4 + 4


def write_plan(path: Path, action: np.ndarray, dup_of: np.ndarray, similarity: np.ndarray) -> None:
    """``action uint8[n]``, ``dup_of uint32[n]``, ``similarity float32[n]``, written whole."""
    with atomic_write(path) as f:
        f.write(action.astype(np.uint8, copy=False).tobytes())
        f.write(dup_of.astype(np.uint32, copy=False).tobytes())
        f.write(similarity.astype(np.float32, copy=False).tobytes())


class PlanReader:
    """The plan of one sign task, read a run of documents at a time (``pread``: no state)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise corrupt(path, "missing") from None
        size = os.fstat(self._fd).st_size
        if size % _BYTES_PER_DOC:
            os.close(self._fd)
            raise corrupt(path, f"{size} bytes, not {_BYTES_PER_DOC} per document")
        self.n = size // _BYTES_PER_DOC

    def close(self) -> None:
        os.close(self._fd)

    def actions(self, first: int, m: int) -> np.ndarray:
        """uint8[m]: the actions of documents ``first..first+m`` of the task."""
        return np.frombuffer(read_at(self._fd, m, first, self.path), dtype=np.uint8)

    def dup_of(self, first: int, m: int) -> np.ndarray:
        return np.frombuffer(read_at(self._fd, 4 * m, self.n + 4 * first, self.path), dtype=np.uint32)

    def similarity(self, first: int, m: int) -> np.ndarray:
        return np.frombuffer(read_at(self._fd, 4 * m, 5 * self.n + 4 * first, self.path),
                             dtype=np.float32)
