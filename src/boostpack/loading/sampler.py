"""A seeded, resumable, rank-aware shuffle of ``range(n)`` in O(1) memory.

The order of epoch ``e`` is a keyed pseudo-random permutation ``perm_e`` of ``range(n)``,
computed position by position, so no index array of size ``n`` ever exists (at n = 10^9 an
int64 permutation would be 8 GB per rank). ``perm_e`` is a Feistel network over the
smallest power of two ``2^b >= n`` with cycle walking: apply the network until the value falls
below ``n``. A network over 2^b is a bijection of ``[0, 2^b)``; walking along its cycles keeps it
a bijection of ``[0, n)``, and because ``2^b < 2n`` a walk takes under two steps on average.

The network splits ``b`` bits into a high part of ``ceil(b/2)`` bits and a low part of
``floor(b/2)`` bits and updates them alternately (``hi ^= F(lo)``, then ``lo ^= F(hi)``), which
is invertible for any split, so odd ``b`` needs no rounding up to an even width (which would
double the expected walk). Four updates with a 64-bit multiply-xorshift round function keyed by
(seed, epoch, round) follow Luby-Rackoff's four-round construction.

Rank split: global position ``p`` of an epoch goes to rank ``p % world_size`` (interleaved, as
PyTorch's ``DistributedSampler`` does), so step ``t`` of every rank together covers global
positions ``[t*W, (t+1)*W)``. When ``n % world_size != 0`` the epoch is made a multiple of
``world_size``: with ``drop_last=False`` (default) it is padded by wrapping around to the start
of the same epoch's order (at most ``W - 1`` samples seen twice, every rank gets
``ceil(n/W)``); with ``drop_last=True`` the last ``n % W`` positions are skipped (every rank
gets ``floor(n/W)``). After a resume the same rule applies to the rest of the epoch.

The state is the global position (number of global positions consumed in the current epoch),
not a per-rank counter, so a run saved with one world size resumes with another and continues
the same global order.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

import numpy as np

from boostpack.errors import InvalidInput

_M64 = (1 << 64) - 1
_ROUNDS = 4
# Indices are permuted in vectorized blocks of this many positions per rank: big enough to
# amortize numpy's per-call cost, small enough that memory stays O(1) (a few tens of KB).
_BLOCK = 2048
_STATE_VERSION = 1
# Round-function constants (splitmix64 / Stafford's mix13 multipliers).
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB
_GOLDEN = 0x9E3779B97F4A7C15


def splitmix64(x: int) -> int:
    """One step of splitmix64: a 64-bit integer hash used to derive keys from (seed, epoch)."""
    x = (x + _GOLDEN) & _M64
    x = ((x ^ (x >> 30)) * _C1) & _M64
    x = ((x ^ (x >> 27)) * _C2) & _M64
    return x ^ (x >> 31)


def _round_keys(seed: int, epoch: int) -> list[int]:
    base = splitmix64(splitmix64(seed) ^ (epoch & _M64))
    return [splitmix64(base + r) for r in range(_ROUNDS)]


def _round_scalar(x: int, key: int, bits: int) -> int:
    y = ((x ^ key) * _C1) & _M64
    y ^= y >> 31
    y = (y * _C2) & _M64
    y ^= y >> 29
    return y & ((1 << bits) - 1)


class _Feistel:
    """The keyed permutation of ``[0, n)`` for one (seed, epoch); holds only a few integers."""

    __slots__ = ("hi_bits", "keys", "keys_u64", "lo_bits", "n")

    def __init__(self, n: int, seed: int, epoch: int) -> None:
        self.n = n
        b = max(1, (n - 1).bit_length())
        self.hi_bits = (b + 1) // 2
        self.lo_bits = b // 2
        self.keys = _round_keys(seed, epoch)
        self.keys_u64 = [np.uint64(k) for k in self.keys]

    def scalar(self, x: int) -> int:
        """``perm(x)`` for one position, in plain Python integers."""
        lo_mask = (1 << self.lo_bits) - 1
        while True:
            hi, lo = x >> self.lo_bits, x & lo_mask
            for r in range(0, _ROUNDS, 2):
                hi ^= _round_scalar(lo, self.keys[r], self.hi_bits)
                lo ^= _round_scalar(hi, self.keys[r + 1], self.lo_bits)
            x = (hi << self.lo_bits) | lo
            if x < self.n:
                return x

    def _network(self, x: np.ndarray) -> np.ndarray:
        # uint64 array arithmetic wraps modulo 2^64 silently, exactly like the masked scalar path.
        lo_bits = np.uint64(self.lo_bits)
        hi = x >> lo_bits
        lo = x & np.uint64((1 << self.lo_bits) - 1)
        for r in range(0, _ROUNDS, 2):
            hi ^= self._round(lo, self.keys_u64[r], self.hi_bits)
            lo ^= self._round(hi, self.keys_u64[r + 1], self.lo_bits)
        return (hi << lo_bits) | lo

    @staticmethod
    def _round(x: np.ndarray, key: np.uint64, bits: int) -> np.ndarray:
        y = (x ^ key) * np.uint64(_C1)
        y ^= y >> np.uint64(31)
        y *= np.uint64(_C2)
        y ^= y >> np.uint64(29)
        return y & np.uint64((1 << bits) - 1)

    def vector(self, positions: np.ndarray) -> np.ndarray:
        """``perm`` of each position (uint64[k] in, int64[k] out), walking cycles as needed."""
        y = self._network(positions.astype(np.uint64))
        outside = np.flatnonzero(y >= np.uint64(self.n))
        while outside.size:
            y[outside] = self._network(y[outside])
            outside = outside[y[outside] >= np.uint64(self.n)]
        return y.astype(np.int64)


class ShuffledSampler:
    """Indices of ``range(n)`` in a new seeded order each epoch, split across ranks, resumable.

    Iterating yields this rank's share of the rest of the current epoch (Python ints), then
    advances to the next epoch, so ``for epoch in ...: for i in sampler:`` needs no
    ``set_epoch`` call; ``set_epoch`` is there for code written for ``DistributedSampler``.
    Usable directly as ``torch.utils.data.DataLoader(..., sampler=...)`` (it is an iterable with
    ``len``). A ``DataLoader`` draws indices ahead of the batches it has delivered (prefetch),
    so this sampler's own ``state_dict()`` taken beside one counts the prefetched samples too.
    Checkpoint the loader instead: torchdata's ``StatefulDataLoader`` snapshots this sampler's
    state as of each batch it delivers, so ``loader.state_dict()`` resumes exactly, with
    workers, and on another world size (every rank may load rank 0's state: the position is
    global). Resume with the same ``num_workers`` (torchdata requires it).

    Args:
        n: number of items (``len(dataset)``), 0 <= n < 2^62.
        seed: non-negative integer < 2^64; the same (n, seed) gives the same orders everywhere.
        rank, world_size: this process's share, see the module docstring for the split rule.
        drop_last: skip the ``n % world_size`` tail instead of padding with wrapped positions.
        shuffle: ``False`` gives the identity order (a resumable, rank-split sequential
            sampler; ``Mixture`` uses it since its schedule is already shuffled).
    """

    def __init__(
        self,
        n: int,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        *,
        drop_last: bool = False,
        shuffle: bool = True,
    ) -> None:
        n, seed, rank, world_size = int(n), int(seed), int(rank), int(world_size)
        if not 0 <= n < 1 << 62:
            raise InvalidInput(f"ShuffledSampler: n must be in [0, 2^62), got {n}")
        if not 0 <= seed <= _M64:
            raise InvalidInput(f"ShuffledSampler: seed must be in [0, 2^64), got {seed}")
        if world_size < 1 or not 0 <= rank < world_size:
            raise InvalidInput(
                f"ShuffledSampler: need 0 <= rank < world_size, got rank={rank}, "
                f"world_size={world_size}"
            )
        self.n = n
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.drop_last = drop_last
        self.shuffle = shuffle
        self._epoch = 0
        self._position = 0
        self._feistel: _Feistel | None = None
        self._feistel_epoch = -1

    # -- the global order -------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        """The current epoch (0-based)."""
        return self._epoch

    @property
    def position(self) -> int:
        """Global positions of the current epoch already handed out (all ranks together)."""
        return self._position

    def steps_left(self, position: int | None = None) -> int:
        """Steps (indices per rank) left in the current epoch from global ``position``.

        The rest of the epoch, ``n - position`` positions, is rounded to a multiple of
        ``world_size`` (up when padding, down with ``drop_last``). Rounding the rest rather than
        the whole epoch keeps ranks in lockstep after resuming with a world size that does not
        divide the saved position.
        """
        rest = self.n - (self._position if position is None else position)
        if rest <= 0:
            return 0
        if self.drop_last:
            return rest // self.world_size
        return -(-rest // self.world_size)

    def _perm(self, epoch: int) -> _Feistel:
        epoch = operator.index(epoch)
        if self._feistel_epoch != epoch or self._feistel is None:
            self._feistel = _Feistel(self.n, self.seed, epoch)
            self._feistel_epoch = epoch
        return self._feistel

    def index_at(self, position: int, epoch: int | None = None) -> int:
        """The item at global ``position`` of ``epoch`` (default: current); wraps past ``n``."""
        if self.n == 0:
            raise IndexError("ShuffledSampler: empty (n == 0)")
        # Python ints: the scalar network's masked 64-bit arithmetic would overflow numpy ints.
        position = operator.index(position) % self.n
        if not self.shuffle:
            return position
        return self._perm(self._epoch if epoch is None else epoch).scalar(position)

    def order(self, epoch: int, positions: np.ndarray) -> np.ndarray:
        """Items at the given global positions of ``epoch``: int64[k] -> int64[k] (wraps past n).

        ``order(e, np.arange(n))`` is the whole epoch as a permutation of ``range(n)``.
        """
        if self.n == 0:
            return np.empty(0, dtype=np.int64)
        pos = np.asarray(positions, dtype=np.int64) % self.n
        if not self.shuffle:
            return pos
        return self._perm(epoch).vector(pos)

    # -- iteration ---------------------------------------------------------------------------

    def __len__(self) -> int:
        """Indices this rank yields in one full epoch: ``ceil(n / W)``, or ``floor`` with
        ``drop_last``."""
        return self.steps_left(0)

    def __iter__(self) -> Iterator[int]:
        if self.steps_left() == 0 and self.n > 0:
            self._epoch += 1
            self._position = 0
        w = self.world_size
        epoch = self._epoch
        start = self._position + self.rank
        stop = self._position + self.steps_left() * w
        step = w * _BLOCK
        for block in range(start, stop, step):
            positions = np.arange(block, min(block + step, stop), w, dtype=np.int64)
            for index in self.order(epoch, positions).tolist():
                # Advance before yielding: a state saved after receiving this index must
                # resume with the next one.
                self._position += w
                yield index
        if self.n > 0:
            self._epoch += 1
            self._position = 0

    def set_epoch(self, epoch: int) -> None:
        """Start ``epoch`` from its beginning; a no-op when it is already the current epoch, so
        calling it after ``load_state_dict`` keeps the resumed mid-epoch position."""
        if int(epoch) != self._epoch:
            self._epoch = int(epoch)
            self._position = 0

    # -- checkpointing -----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Plain-int state: what identifies the order (n, seed, shuffle) and where it stands."""
        return {
            "version": _STATE_VERSION,
            "n": self.n,
            "seed": self.seed,
            "shuffle": self.shuffle,
            "epoch": self._epoch,
            "position": self._position,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from ``state_dict()`` of a sampler over the same (n, seed), any world size."""
        if state.get("version") != _STATE_VERSION:
            raise InvalidInput(f"ShuffledSampler: unknown state version {state.get('version')!r}")
        for key in ("n", "seed", "shuffle"):
            if state[key] != getattr(self, key):
                raise InvalidInput(
                    f"ShuffledSampler: state is for {key}={state[key]!r}, this sampler has "
                    f"{key}={getattr(self, key)!r}"
                )
        epoch, position = int(state["epoch"]), int(state["position"])
        if epoch < 0 or position < 0:
            raise InvalidInput(f"ShuffledSampler: bad state epoch={epoch} position={position}")
        self._epoch = epoch
        self._position = position

    def __repr__(self) -> str:
        return (
            f"ShuffledSampler(n={self.n}, seed={self.seed}, rank={self.rank}, "
            f"world_size={self.world_size}, epoch={self._epoch}, position={self._position})"
        )
