"""The finishing step: the tasks' outputs joined into one dataset, ``manifest.json`` last.

Task ``k``'s documents are numbered from 0 within it; their global numbers start after the
documents of tasks ``0..k-1``. So each task's token files are renamed into place as they are
(shards numbered in task order), each index is rewritten with the task's first document number
added to ``piece_doc``, the document tables are appended in task order, and the quarantine
parts are copied with line numbers made absolute (a range of a split file counts its lines
from 1). Everything but the token files is copied, not moved, so a join killed half way is
redone by the rerun from the same task files; a token file found already in place is kept.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from boostpack.errors import CorruptData
from boostpack.format.manifest import (
    INDEX_HEADER,
    build_manifest,
    index_nbytes,
    shard_name,
    write_manifest,
)
from boostpack.format.writer import DocumentTable, dtype_name, write_index
from boostpack.ingestion.quarantine import QuarantineWriter
from boostpack.packing.job import PackJob
from boostpack.packing.output import task_dir
from boostpack.packing.tasks import PackTask


def _move_tokens(src: Path, dst: Path, listed: dict[str, Any]) -> None:
    if src.exists():
        os.replace(src, dst)
    elif not (dst.exists() and dst.stat().st_size == listed["bytes"]):
        raise CorruptData(f"{src}: missing (damaged work directory; delete {dst.parent} and "
                          "pack again)")


def _rebased_index(src: Path, dst: Path, shard: dict[str, Any], doc_base: int
                   ) -> dict[str, Any]:
    """Write ``dst`` from the task's index ``src`` with ``doc_base`` added to ``piece_doc``."""
    s, p = int(shard["sequences"]), int(shard["pieces"])
    raw = np.fromfile(src, dtype=np.uint8)
    if raw.size != index_nbytes(s, p):
        raise CorruptData(f"{src}: {raw.size} bytes, expected {index_nbytes(s, p)}")
    o = INDEX_HEADER.size
    seq_ptr = raw[o:o + 8 * (s + 1)].view("<u8")
    o += 8 * (s + 1)
    start, length = raw[o:o + 4 * p].view("<u4"), raw[o + 4 * p:o + 8 * p].view("<u4")
    doc = raw[o + 8 * p:o + 16 * p].view("<u8") + np.uint64(doc_base)
    loss = raw[o + 16 * p:o + 20 * p].view("<u4")
    return write_index(dst, seq_ptr, start, length, doc, loss)


def _documents(table: DocumentTable, directory: Path, listed: dict[str, Any]) -> None:
    files = listed["files"]
    offsets = np.fromfile(directory / files["offsets"]["path"], dtype="<u8")
    ids = np.fromfile(directory / files["ids"]["path"], dtype=np.uint8)
    if len(offsets) != listed["count"] + 1 or int(offsets[-1]) != ids.size:
        raise CorruptData(f"{directory}: document table does not match its task's result")
    table.add(ids, np.diff(offsets))


def _quarantine(writer: QuarantineWriter, directory: Path, result: dict[str, Any],
                line_base: list[int]) -> None:
    """Copy the task's quarantine entries, ``line_base[i]`` added to those of piece ``i``."""
    entries = (line for part in result["quarantine"]
               for line in (directory / part).read_bytes().splitlines())
    for i, piece in enumerate(result["pieces"]):
        for _ in range(piece["quarantined"]):
            line = next(entries)
            if line_base[i]:
                entry = orjson.loads(line)
                entry["line"] += line_base[i]
                line = orjson.dumps(entry)
            writer.write(line)


def _sources(files: Sequence[str], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The manifest's ``sources``: per input file its size, checksum, records and documents."""
    sources = [{"path": os.path.abspath(p), "bytes": 0, "xxh3": "", "records": 0,
                "documents": [0, 0]} for p in files]
    for result in results:
        for piece in result["pieces"]:
            entry = sources[piece["source"]]
            entry["records"] += piece["records"]
            entry["documents"][1] += piece["documents"]
            if piece["xxh3"] is not None:
                entry["xxh3"] = piece["xxh3"]
    first = 0
    for path, entry in zip(files, sources, strict=True):
        entry["bytes"] = os.path.getsize(path)
        entry["documents"][0] = first
        first += entry["documents"][1]
    return sources


def join(out: Path, job: PackJob, tasks: list[PackTask], results: list[dict[str, Any]],
         files: Sequence[str], engine: str) -> dict[str, Any]:
    """Join the tasks' outputs in ``out`` and write the manifest (last); return it."""
    shards: list[dict[str, Any]] = []
    table = DocumentTable(out)
    quarantine = QuarantineWriter(out)
    lines_seen = [0] * len(files)  # lines of each file in the pieces joined so far
    doc_base = split = 0
    try:
        for task, result in zip(tasks, results, strict=True):
            directory = task_dir(out, task.index)
            for shard in result["shards"]:
                name = shard_name(len(shards))
                files_in = shard["files"]
                _move_tokens(directory / files_in["tokens"]["path"], out / f"{name}.tokens",
                             files_in["tokens"])
                index = _rebased_index(directory / files_in["index"]["path"],
                                       out / f"{name}.index", shard, doc_base)
                shards.append({**shard, "name": name, "files": {
                    "tokens": {**files_in["tokens"], "path": f"{name}.tokens"}, "index": index}})
            _documents(table, directory, result["documents"])
            line_base = []
            for piece in result["pieces"]:
                line_base.append(lines_seen[piece["source"]])
                lines_seen[piece["source"]] += piece["lines_read"]
            _quarantine(quarantine, directory, result, line_base)
            doc_base += int(result["documents"]["count"])
            split += int(result["split_documents"])
        quarantine.close()
        documents = table.commit()
    except BaseException:
        table.discard()
        quarantine.abort()
        raise
    pieces = [p for r in results for p in r["pieces"]]
    reasons: dict[str, int] = {}
    for r in results:
        for reason, n in r["quarantine_reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    manifest = build_manifest({
        **job.manifest_fields(engine),
        "sources": _sources(files, results),
        "totals": {"records": sum(p["records"] for p in pieces),
                   "empty_records": sum(p["empty_records"] for p in pieces),
                   "quarantined_records": sum(p["quarantined"] for p in pieces)},
        "quarantined_by_reason": dict(sorted(reasons.items())),
    }, seq_len=job.config.seq_len, dtype=dtype_name(job.dtype), sequences_per_shard=job.per_shard,
        shards=shards, documents=documents, split_documents=split)
    write_manifest(out, manifest)
    return manifest

