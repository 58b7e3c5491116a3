"""boostpack: turn LLM-synthesized QA into training-ready token shards (ingest, dedup, pack, load).

The public API is re-exported here and imported lazily, so ``import boostpack`` stays cheap and
the CLI starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from boostpack._version import __version__
from boostpack.errors import (
    BoostpackError,
    ClusterError,
    CorruptData,
    InvalidInput,
    KernelError,
    OutputInUse,
)

_LAZY = {
    "ingest": "boostpack.ingestion.pipeline",
    "read_records": "boostpack.ingestion.readers",
    "MinHasher": "boostpack.deduplication.minhash",
    "dedup": "boostpack.deduplication.pipeline",
    "DedupConfig": "boostpack.deduplication.config",
    "pack": "boostpack.packing.pipeline",
    "PackConfig": "boostpack.packing.config",
    "verify": "boostpack.format.verify",
    "report": "boostpack.reporting.build",
    "PackedDataset": "boostpack.loading.dataset",
    "collate": "boostpack.loading.dataset",
    "ShuffledSampler": "boostpack.loading.sampler",
    "Mixture": "boostpack.loading.mixture",
}

__all__ = [
    "BoostpackError",
    "ClusterError",
    "CorruptData",
    "InvalidInput",
    "KernelError",
    "OutputInUse",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'boostpack' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
