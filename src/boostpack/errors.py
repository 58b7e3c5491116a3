"""The exception hierarchy. Each class also inherits the builtin it refines, so callers can catch
either ``boostpack.InvalidInput`` or plain ``ValueError``."""

from __future__ import annotations


class BoostpackError(Exception):
    """Base class of every error boostpack raises on purpose."""


class InvalidInput(BoostpackError, ValueError):
    """Input data or an argument that cannot be processed (bad record, bad option value)."""


class CorruptData(BoostpackError, ValueError):
    """Stored output (shard, manifest, index) fails a checksum or structural check."""


class ClusterError(BoostpackError, RuntimeError):
    """A cluster could not run the work: unreachable, refused the credentials, or a task's
    worker kept dying past its retries. Never the data's fault."""


class KernelError(BoostpackError, RuntimeError):
    """A C kernel reported a failure that is not the caller's fault (allocation, overflow)."""


# Status codes from csrc/status.h, converted here and nowhere else.
_STATUS = {
    1: (InvalidInput, "invalid argument"),
    2: (MemoryError, "out of memory"),
    3: (KernelError, "size overflow"),
    4: (KernelError, "output buffer too small"),
}


def raise_for_status(status: int, what: str) -> None:
    """Raise the exception matching a non-zero C status code; ``what`` names the operation."""
    cls, text = _STATUS.get(status, (KernelError, f"unknown status {status}"))
    raise cls(f"{what}: {text}")
