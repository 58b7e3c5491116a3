"""Union-find over dense uint32 document numbers, in C (``csrc/unionfind.h``).

A cluster's representative is its smallest document number, so the result is deterministic
whatever the order, chunking or parallelism of the unions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from boostpack import _unionfind
from boostpack.errors import InvalidInput

__all__ = ["UnionFind"]


def _doc_numbers(values: Any, n: int, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidInput(f"{what} must be 1-D, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise InvalidInput(f"{what} must hold integers, got {arr.dtype}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= n):
        raise InvalidInput(f"{what} holds document numbers outside 0..{n - 1}")
    return np.ascontiguousarray(arr, dtype=np.uint32)


class UnionFind:
    """Disjoint sets of the documents 0..n-1 (n < 2**32); 4 bytes per document."""

    def __init__(self, n: int) -> None:
        if not isinstance(n, (int, np.integer)) or not 0 <= n <= 2**32:
            raise InvalidInput(f"n must be an int in 0..2**32, got {n!r}")
        self._parent = np.empty(int(n), dtype=np.uint32)
        _unionfind.init(self._parent)

    def __len__(self) -> int:
        """The number of documents n."""
        return len(self._parent)

    def union(self, a: np.ndarray, b: np.ndarray) -> None:
        """Join the clusters of a[i] and b[i] for every i (integers[m] each, values < n)."""
        n = len(self._parent)
        left, right = _doc_numbers(a, n, "a"), _doc_numbers(b, n, "b")
        if len(left) != len(right):
            raise InvalidInput(f"a and b must have the same length, got {len(left)} and {len(right)}")
        _unionfind.union(self._parent, left, right)

    def roots(self) -> np.ndarray:
        """uint32[n]: each document's cluster representative, the smallest number in its cluster."""
        out = np.empty(len(self._parent), dtype=np.uint32)
        _unionfind.roots(self._parent, out)
        return out
