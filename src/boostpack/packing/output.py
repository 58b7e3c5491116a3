"""Where a pack run's documents go: the packer and the shard writer, fed in document order, the
quarantine, and the counts and source descriptions the manifest records; plus what the output
directory holds and the summary ``pack`` returns.

A run writes into a directory claimed for it (``runtime.outdir``: empty, or its own unfinished
output cleared); ``manifest.json`` comes last, so a killed run never leaves a directory that
loads as a dataset, and rerunning restarts it cleanly.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from boostpack.format.manifest import DOC_IDS, DOC_OFFSETS, MANIFEST, file_xxh3
from boostpack.format.writer import ShardWriter
from boostpack.ingestion.quarantine import QUARANTINE_DIR, QuarantineWriter
from boostpack.packing.job import PackJob
from boostpack.packing.packer import PackedBlock, Packer
from boostpack.runtime.outdir import StageOutput

# What a pack run writes into its output directory (its spool directory is a temp name).
OUTPUT = StageOutput("pack", finished=MANIFEST,
                     names=(MANIFEST, DOC_OFFSETS, DOC_IDS, "shard-*.tokens", "shard-*.index",
                            QUARANTINE_DIR))

# Counts a run keeps besides the writer's totals; the first three go into the manifest.
_COUNTS = ("records", "empty_records", "quarantined_records", "input_bytes")


def source_entry(path: str) -> dict[str, Any]:
    """The manifest's description of input file ``path`` (its ``records`` counted from 0)."""
    return {"path": os.path.abspath(path), "bytes": os.path.getsize(path),
            "xxh3": file_xxh3(path), "records": 0}


class PackOutput:
    """Packer + shard writer + the counts that end up in the manifest, fed in document order
    (from one thread at a time)."""

    def __init__(self, out: Path, job: PackJob) -> None:
        self.out = out
        self.job = job
        cfg = job.config
        self.packer = Packer(cfg.seq_len, cfg.strategy, pad_id=job.pad, dtype=job.dtype,
                             window=cfg.window)
        self.writer = ShardWriter(out, seq_len=cfg.seq_len, dtype=job.dtype,
                                  sequences_per_shard=job.per_shard)
        self.counts = dict.fromkeys(_COUNTS, 0)
        # Lines pack cannot read go where ingest and dedup put theirs, so none is lost unseen.
        self.quarantine = QuarantineWriter(out)
        self.quarantine_reasons: Counter[str] = Counter()
        self.sources: list[dict[str, Any]] = []
        self.source_documents: dict[int, int] = {}
        self.split_documents = 0
        self.engine: str | None = None

    def add_quarantined(self, lines: Iterable[bytes]) -> None:
        """Write quarantine entries (JSON lines, as ``QuarantineEntry.to_json``) in input order."""
        for line in lines:
            self.quarantine_reasons[orjson.loads(line)["reason"]] += 1
            self.quarantine.write(line)

    def abort(self) -> None:
        """Drop the open temp files after an error (nothing half-written stays)."""
        self.writer.abort()
        self.quarantine.abort()

    def add(self, flat: np.ndarray, offsets: np.ndarray, ids: list[str], source: int) -> None:
        """Pack documents ``flat[offsets[d]:offsets[d+1]]`` (each ≥ 1 token) of input
        ``source`` with their record ids."""
        self.writer.add_documents(ids)
        self._pack(flat, offsets, source)

    def add_encoded(self, flat: np.ndarray, offsets: np.ndarray, id_bytes: Any,
                    id_lengths: np.ndarray, source: int) -> None:
        """``add`` with the record ids UTF-8 encoded and concatenated (``id_lengths`` bytes
        each), as spooled by a worker."""
        self.writer.add_encoded_documents(id_bytes, id_lengths)
        self._pack(flat, offsets, source)

    def _pack(self, flat: np.ndarray, offsets: np.ndarray, source: int) -> None:
        self.source_documents[source] = self.source_documents.get(source, 0) + len(offsets) - 1
        self._write(self.packer.add(flat, offsets))

    def _write(self, blocks: Iterator[PackedBlock]) -> None:
        for b in blocks:
            self.writer.write(b.tokens, b.seq_ptr, b.start, b.length, b.doc)
            self.split_documents += b.split_documents

    def finish(self) -> dict[str, Any]:
        """Flush the packer and write the manifest (last); return it."""
        self._write(self.packer.finish())
        self.quarantine.close()
        first = 0
        for i, source in enumerate(self.sources):  # documents are numbered in input order
            count = self.source_documents.get(i, 0)
            source["documents"] = [first, count]
            first += count
        return self.writer.finish({
            **self.job.manifest_fields(self.engine),
            "sources": self.sources,
            "totals": {k: self.counts[k] for k in _COUNTS[:3]},
            "quarantined_by_reason": dict(sorted(self.quarantine_reasons.items())),
        }, split_documents=self.split_documents)

    def summary(self, manifest: dict[str, Any], seconds: float) -> dict[str, Any]:
        """What ``pack`` returns: the manifest's totals, packing efficiency and throughput."""
        totals = manifest["totals"]
        slots = totals["sequences"] * manifest["seq_len"]
        input_bytes = self.counts["input_bytes"]
        return {
            "output": str(self.out),
            "engine": self.engine,
            "strategy": manifest["strategy"],
            "seq_len": manifest["seq_len"],
            "records": totals["records"],
            "empty_records": totals["empty_records"],
            "quarantined_records": totals["quarantined_records"],
            "quarantined_by_reason": manifest.get("quarantined_by_reason", {}),
            "documents": totals["documents"],
            "tokens": totals["tokens"],
            "sequences": totals["sequences"],
            "padding_tokens": totals["padding_tokens"],
            "packing_efficiency": totals["tokens"] / slots if slots else 0.0,
            "split_documents": totals["split_documents"],
            "shards": len(manifest["shards"]),
            "input_bytes": input_bytes,
            "seconds": seconds,
            "mb_per_s": input_bytes / 1e6 / seconds if seconds else 0.0,
            "tokens_per_s": totals["tokens"] / seconds if seconds else 0.0,
        }
