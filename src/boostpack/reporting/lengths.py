"""Length distributions in a fixed log-spaced histogram: mergeable, bounded memory, the same
bins for every dataset so they plot on one axis.

Bin 0 holds length 0; bin i >= 1 holds lengths in [2^((i-1)/4), 2^(i/4)), four bins per
doubling. Quantiles are read from the histogram (the upper edge of the bin where the
cumulative count passes the quantile), within 19% of the exact value; mean, min and max are
exact.
"""

from __future__ import annotations

import math
from typing import Any

BINS_PER_OCTAVE = 4
MAX_BIN = 4 * 32  # lengths up to 2^32
QUANTILES = (0.5, 0.9, 0.99)


def bin_of(length: int) -> int:
    """Histogram bin of a non-negative length."""
    if length <= 0:
        return 0
    return min(int(math.log2(length) * BINS_PER_OCTAVE) + 1, MAX_BIN)


def bin_upper(i: int) -> float:
    """Exclusive upper edge of bin ``i`` (1 for bin 0)."""
    return 2 ** (i / BINS_PER_OCTAVE)


class LengthHistogram:
    """Counts of lengths per bin, plus exact count, sum, min and max."""

    __slots__ = ("counts", "max", "min", "n", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.n = 0
        self.total = 0
        self.min: int | None = None
        self.max: int | None = None

    def add(self, length: int) -> None:
        b = bin_of(length)
        self.counts[b] = self.counts.get(b, 0) + 1
        self.n += 1
        self.total += length
        if self.min is None or length < self.min:
            self.min = length
        if self.max is None or length > self.max:
            self.max = length

    def quantile(self, q: float) -> float | None:
        """Approximate q-quantile (see the module docstring)."""
        if not self.n:
            return None
        need = q * self.n
        seen = 0
        for b in sorted(self.counts):
            seen += self.counts[b]
            if seen >= need:
                return min(bin_upper(b), float(self.max or 0))
        return float(self.max or 0)

    def to_dict(self) -> dict[str, Any]:
        """``n``, ``mean``, ``min``, ``max``, ``p50``/``p90``/``p99`` and ``bins``: ``[[lower
        edge, upper edge, count], ...]`` for the non-empty bins in order."""
        bins = [[0 if b == 0 else round(bin_upper(b - 1), 3), round(bin_upper(b), 3),
                 self.counts[b]] for b in sorted(self.counts)]
        out: dict[str, Any] = {"n": self.n, "mean": self.total / self.n if self.n else None,
                               "min": self.min, "max": self.max}
        for q in QUANTILES:
            out[f"p{round(q * 100)}"] = self.quantile(q)
        out["bins"] = bins
        return out
