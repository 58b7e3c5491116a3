"""The report's only access to a packed dataset: per-document token counts and the metadata of
each document's source record.

The format keeps, per document, its source record id (``documents.ids``) and lists the source
files in the manifest (``sources[i]``: path, byte size, and the contiguous range of document
numbers ``documents: [first, count]`` the file produced, in file order). The token count of a
document is the sum of its pieces' lengths (BOS/EOS included), so the counts add up to the
manifest's ``totals.tokens`` exactly.

Metadata comes from joining documents to source records *on record ids, in order*: the
records of ``sources[i]`` are read again (with the read options the pack was given) and
walked alongside documents ``first .. first + count - 1``; a record whose id equals the next
document's id is that document, others (records that rendered to empty text and were not
packed) are skipped. The walk is streaming (no id index in memory) and exact even when ids
repeat. A document left without a record (the file is gone or was changed since packing) is
counted with unknown metadata, so tokens and documents still add up; the report says how many.

Everything that reads the packed format for the report is here, so a later format version
that stores per-document metadata beside the document table needs a change in this module
only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.format.manifest import MANIFEST
from boostpack.format.reader import ShardReader
from boostpack.ingestion.readers import ReadOptions, read_records


def is_packed(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a packed dataset directory (it holds ``manifest.json``)."""
    return (Path(path) / MANIFEST).is_file()


def document_tokens(reader: ShardReader) -> np.ndarray:
    """int64[D]: tokens of each document, summed over its pieces in every shard."""
    total = np.zeros(reader.num_documents, dtype=np.int64)
    for k in range(reader.num_shards):
        shard = reader.shard(k)
        if len(shard.piece_doc):
            total += np.bincount(shard.piece_doc.astype(np.int64),
                                 weights=shard.piece_length.astype(np.float64),
                                 minlength=reader.num_documents).astype(np.int64)
    return total


@dataclass
class JoinStats:
    """How the join went: documents matched to a record, and why others were not."""

    matched: int = 0
    unmatched: int = 0
    missing_files: list[str] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"matched": self.matched, "unmatched": self.unmatched,
                "missing_files": self.missing_files, "changed_files": self.changed_files}


class PackedInput:
    """A packed dataset opened for the report (reads the manifest and the document table)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.reader = ShardReader(path)
        self.manifest = self.reader.manifest
        self.tokens = document_tokens(self.reader)
        self.stats = JoinStats()

    @property
    def total_tokens(self) -> int:
        return int(self.manifest["totals"]["tokens"])

    def _ids(self, first: int, count: int) -> list[str]:
        return [self.reader.record_id(d) for d in range(first, first + count)]

    def documents(self, options: ReadOptions) -> Iterator[tuple[dict[str, Any] | None, int]]:
        """``(record or None, tokens)`` for every document, in document order."""
        self.stats = JoinStats()
        for source in self.manifest.get("sources", []):
            first, count = (int(x) for x in source.get("documents", (0, 0)))
            yield from self._join_source(source, first, count, options)

    def _join_source(self, source: dict[str, Any], first: int, count: int,
                     options: ReadOptions) -> Iterator[tuple[dict[str, Any] | None, int]]:
        path = str(source.get("path", ""))
        tokens = self.tokens
        if not count:
            return
        if not os.path.isfile(path):
            self.stats.missing_files.append(path)
            self.stats.unmatched += count
            for d in range(first, first + count):
                yield None, int(tokens[d])
            return
        if "bytes" in source and os.path.getsize(path) != int(source["bytes"]):
            self.stats.changed_files.append(path)
        ids = self._ids(first, count)
        j = 0
        for record in read_records(path, options):
            if j < count and record.get("id") == ids[j]:
                yield record, int(tokens[first + j])
                self.stats.matched += 1
                j += 1
                if j == count:
                    break
        self.stats.unmatched += count - j
        for d in range(first + j, first + count):
            yield None, int(tokens[d])

    def describe(self) -> dict[str, Any]:
        """What the report shows about the dataset itself."""
        m = self.manifest
        totals = m["totals"]
        slots = int(totals["sequences"]) * int(m["seq_len"])
        return {"seq_len": m["seq_len"], "template": m.get("template"),
                "strategy": m.get("strategy"), "documents": int(totals["documents"]),
                "sequences": int(totals["sequences"]), "tokens": int(totals["tokens"]),
                "packing_efficiency": int(totals["tokens"]) / slots if slots else None,
                "tokenizer": {k: m.get("tokenizer", {}).get(k)
                              for k in ("path", "sha256", "vocab_size")},
                "sources": [s.get("path") for s in m.get("sources", [])],
                "join": self.stats.to_dict()}
