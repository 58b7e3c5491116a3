"""Deterministic weighted interleaving of several datasets (e.g. synthesized QA + general text).

The schedule decides, for every global sample number ``k``, which source it comes from. Draw
``j`` (0-based) of source ``i`` is given the ideal time ``t(i, j) = (j + 1/2) / w_i`` (the
midpoint of its share of the timeline when source ``i`` gets a fraction ``w_i`` of the samples);
the schedule is all draws of all sources sorted by ``(t, i)``. This is the Sainte-Laguë
(Webster) divisor sequence. Before the draw at time ``t`` each source has ``a_i t ± 1/2`` draws,
so every prefix of ``k`` samples has ``|count_i - w_i k| <= (1 + S w_i) / 2`` (S = number of
sources) and any window of 10,000 samples is within ``(1 + S w_i) / 10^4`` of the weights:
under 0.1% for up to 9 sources whatever the weights (measured: at most 0.016% with 12 random
weights, ``tests/test_mixture.py`` checks 0.1% over every window). Megatron's
``BlendedDataset`` gets the same guarantee from a greedy "largest lag" loop over a stored index
array; the divisor form has a closed form instead: the rank of draw ``(i, j)`` is a sum of S
integer floor divisions, so ``mixture[k]`` is a binary search, O(S^2 log S) integer operations,
with no per-sample index stored anywhere.

Weights are turned into exact integers (floats through ``Fraction.limit_denominator(10^6)``, so
0.7 means 7/10), and all comparisons are exact integer arithmetic: the schedule is identical
on every machine. Draw ``j`` of source ``i`` reads item ``perm_e(j mod n_i)`` of that source,
``e = j // n_i``, from the source's own :class:`~boostpack.loading.sampler.ShuffledSampler` (seeded
from the mixture seed and the source number), so each source is reshuffled per source epoch.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Sequence, Sized
from fractions import Fraction
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.loading.dataset import PackedDataset, gather_batch
from boostpack.loading.sampler import ShuffledSampler, splitmix64

_STATE_VERSION = 1
# Moving the sequential cursor forward one draw costs O(S); seeking costs O(S^2 log S).
# Past this many draws ahead (e.g. a large world size), seeking is cheaper.
_MAX_STEPS = 64


def _as_fraction(weight: Any) -> Fraction:
    if isinstance(weight, float):
        if not math.isfinite(weight):
            raise InvalidInput(f"Mixture: weight must be finite, got {weight!r}")
        return Fraction(weight).limit_denominator(1_000_000)
    return Fraction(weight)


class Mixture:
    """A map-style and iterable dataset interleaving ``sources`` by weight.

    Args:
        sources: ``[(dataset, weight), ...]``; each dataset needs ``len`` (and ``[]`` for
            ``mixture[k]`` and iteration); weights are positive and need not sum to 1.
        seed: seeds every source's shuffle.
        num_samples: ``len(mixture)``. Default: the number of samples before any source
            starts its second epoch. Set it to the total samples of training (as Megatron
            does) to draw fresh data throughout; iterating past it repeats the same samples.
        rank, world_size: split of ``iter(mixture)`` across ranks, exactly as
            :class:`ShuffledSampler` with ``shuffle=False`` splits ``range(num_samples)``.
            For a ``DataLoader``, pass the mixture as the (map-style) dataset with
            ``sampler=ShuffledSampler(len(m), rank=r, world_size=W, shuffle=False)``; with
            torchdata's ``StatefulDataLoader``, ``loader.state_dict()`` then resumes exactly
            (the sampler's position is the global sample number), also on another world size.
    """

    def __init__(
        self,
        sources: Sequence[tuple[Sized, float | int | Fraction]],
        seed: int = 0,
        *,
        num_samples: int | None = None,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if not sources:
            raise InvalidInput("Mixture: at least one (dataset, weight) source is needed")
        self.datasets = [ds for ds, _ in sources]
        fractions = [_as_fraction(w) for _, w in sources]
        for i, (ds, w) in enumerate(zip(self.datasets, fractions, strict=True)):
            if w <= 0:
                raise InvalidInput(f"Mixture: weight of source {i} must be > 0, got {w}")
            if len(ds) == 0:
                raise InvalidInput(f"Mixture: source {i} is empty")
        total = sum(fractions)
        self.weights = [w / total for w in fractions]
        # Integer weights a_i with the same ratios: every comparison below is exact.
        denominator = math.lcm(*(w.denominator for w in self.weights))
        self._a = [w.numerator * (denominator // w.denominator) for w in self.weights]
        self._total_a = sum(self._a)
        self.lengths = [len(ds) for ds in self.datasets]
        self.seed = int(seed)
        self._orders = [
            ShuffledSampler(n, seed=splitmix64(self.seed + i)) for i, n in enumerate(self.lengths)
        ]
        if num_samples is None:
            num_samples = min(self._rank_of(i, n) for i, n in enumerate(self.lengths))
        if num_samples < 0:
            raise InvalidInput(f"Mixture: num_samples must be >= 0, got {num_samples}")
        self.num_samples = int(num_samples)
        self._sampler = ShuffledSampler(
            self.num_samples, self.seed, rank, world_size, shuffle=False
        )
        # The sequential cursor of iteration: [next sample number, draws per source before it].
        self._cursor: list[Any] = [0, [0] * len(self._a)]

    # -- the schedule in closed form ---------------------------------------------------------

    def _counts_before(self, i: int, j: int) -> list[int]:
        """Per-source draws scheduled before draw ``j`` of source ``i`` (they sum to its rank)."""
        a_i = self._a[i]
        counts = []
        for other, a in enumerate(self._a):
            # Draw j' of `other` precedes iff (2j'+1)/(2a) < (2j+1)/(2a_i), or equal with
            # other < i: count the odd m = 2j'+1 with m * a_i <= x (strictly below when other >= i).
            x = (2 * j + 1) * a
            if other >= i:
                x -= 1
            counts.append((x // a_i + 1) // 2)
        return counts

    def _rank_of(self, i: int, j: int) -> int:
        return sum(self._counts_before(i, j))

    def _schedule(self, k: int) -> tuple[int, int]:
        """``(source, draw number in that source)`` of global sample ``k >= 0``."""
        s = len(self._a)
        for i, a in enumerate(self._a):
            # Rank(i, j) is within S/2 of the ideal A t, t = (j+1/2)/a, so a draw of rank k
            # can only sit in this short interval of j (taken with a margin).
            lo = max(0, a * (k - 2 * s) // self._total_a - 1)
            hi = a * (k + 2 * s) // self._total_a + 1
            while lo < hi:
                mid = (lo + hi) // 2
                if self._rank_of(i, mid) < k:
                    lo = mid + 1
                else:
                    hi = mid
            if self._rank_of(i, lo) == k:
                return i, lo
        raise AssertionError(f"Mixture: no draw has rank {k}")  # the ranks are a bijection

    def counts(self, num_samples: int) -> list[int]:
        """Exact draws from each source among the first ``num_samples`` samples (O(S^2 log S))."""
        num_samples = operator.index(num_samples)
        if num_samples < 0:
            raise InvalidInput(f"Mixture: num_samples must be >= 0, got {num_samples}")
        if num_samples == 0:
            return [0] * len(self._a)
        return self._counts_before(*self._schedule(num_samples))

    def sources(self, start: int, stop: int) -> list[int]:
        """Source number of each global sample in ``[start, stop)`` (sequential: O(S) each)."""
        if not 0 <= start <= stop:
            raise InvalidInput(f"Mixture: need 0 <= start <= stop, got {start}, {stop}")
        return [self._draw(k, self._cursor)[0] for k in range(start, stop)]

    def epochs_used(self, num_samples: int) -> dict[int, float]:
        """``{source number: epochs of that source}`` consumed by the first ``num_samples``."""
        counts = self.counts(num_samples)
        return {i: c / n for i, (c, n) in enumerate(zip(counts, self.lengths, strict=True))}

    def locate(self, k: int) -> tuple[int, int]:
        """``(source number, index in that source)`` of global sample ``k`` (any ``k >= 0``)."""
        k = operator.index(k)  # a Python int: numpy ints would overflow in the exact arithmetic
        if k < 0:
            raise IndexError(f"Mixture: sample {k} is negative")
        i, j = self._schedule(k)
        return i, self._item(i, j)

    def _item(self, i: int, j: int) -> int:
        """Index in source ``i`` of its draw ``j``: position ``j mod n`` of source epoch ``j // n``."""
        n = self.lengths[i]
        return self._orders[i].index_at(j % n, j // n)

    # -- map-style access --------------------------------------------------------------------

    def __len__(self) -> int:
        return self.num_samples

    def _index(self, k: Any) -> int:
        k = operator.index(k)
        if k < 0:
            k += self.num_samples
        if not 0 <= k < self.num_samples:
            raise IndexError(f"Mixture index out of range (len {self.num_samples})")
        return k

    def __getitem__(self, k: int) -> Any:
        """Sample ``k`` of the mixture: the source dataset's item, unchanged."""
        i, index = self.locate(self._index(k))
        return self.datasets[i][index]

    def __getitems__(self, ks: Sequence[int]) -> Any:
        """Samples ``ks`` (the hook torch's ``DataLoader`` calls with a ``batch_size``): when
        every source is a ``PackedDataset``, one collated ``Batch`` gathered in one compiled
        call, equal to ``collate([self[k] for k in ks])``; otherwise the list of samples (torch's
        ``__getitems__`` contract). A rank's batch is increasing ``k``, located with a cursor
        stepped O(S) per sample rather than sought per sample."""
        cursor: list[Any] = [0, [0] * len(self._a)]
        located = []
        for k in ks:
            i, j = self._draw(self._index(k), cursor)
            located.append((i, self._item(i, j)))
        if all(isinstance(ds, PackedDataset) for ds in self.datasets):
            return gather_batch(self.datasets, [i for i, _ in located],  # type: ignore[arg-type]
                                [index for _, index in located])
        return [self.datasets[i][index] for i, index in located]

    # -- iteration with state ----------------------------------------------------------------

    def _draw(self, k: int, cursor: list[Any]) -> tuple[int, int]:
        """``_schedule(k)``, stepping ``cursor`` (``[next sample number, draws per source
        before it]``) when ``k`` is a little ahead (the common case), else seeking it there."""
        if not 0 <= k - cursor[0] <= _MAX_STEPS:
            cursor[0] = k
            cursor[1] = self.counts(k)
        c, a = cursor[1], self._a
        while True:
            # The next draw is the source with the smallest (2c_i+1)/(2a_i); ties go to the
            # lower source number, exactly the (t, i) order of _counts_before.
            best = 0
            for i in range(1, len(a)):
                if (2 * c[i] + 1) * a[best] < (2 * c[best] + 1) * a[i]:
                    best = i
            j = c[best]
            c[best] += 1
            cursor[0] += 1
            if cursor[0] == k + 1:
                return best, j

    def __iter__(self) -> Iterator[Any]:
        """This rank's samples from the saved position to the end of the mixture epoch."""
        for k in self._sampler:
            i, j = self._draw(k, self._cursor)
            yield self.datasets[i][self._item(i, j)]

    def state_dict(self) -> dict[str, Any]:
        """The position, plus what identifies the schedule (weights, lengths, seed)."""
        return {
            "version": _STATE_VERSION,
            "seed": self.seed,
            "weights": [str(w) for w in self.weights],
            "lengths": list(self.lengths),
            "sampler": self._sampler.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from ``state_dict()`` of an identical mixture (any rank / world size)."""
        if state.get("version") != _STATE_VERSION:
            raise InvalidInput(f"Mixture: unknown state version {state.get('version')!r}")
        mine = self.state_dict()
        for key in ("seed", "weights", "lengths"):
            if state[key] != mine[key]:
                raise InvalidInput(
                    f"Mixture: state is for {key}={state[key]!r}, this mixture has {mine[key]!r}"
                )
        self._sampler.load_state_dict(state["sampler"])
