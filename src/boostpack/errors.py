"""The exception hierarchy. Each class also inherits the builtin it refines, so callers can catch
either ``boostpack.InvalidInput`` or plain ``ValueError``. The compiled modules raise these
directly: C status codes become exceptions in one place, ``_status.pxi``."""

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


class OutputInUse(BoostpackError, RuntimeError):
    """Another boostpack run holds the output directory (``runtime.outdir``)."""


class KernelError(BoostpackError, RuntimeError):
    """A C kernel reported a failure that is not the caller's fault (allocation, overflow)."""
