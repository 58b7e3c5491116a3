"""Reading inputs: the files an input path names, and each file as batches of canonical records.

JSONL (plain, ``.zst``, ``.gz``) is read by ``classify`` over ``streams``, Parquet by
``parquet``; ``classify`` documents what a ``Batch`` accounts for and the quarantine reasons.
This module is the entry point the stages use, and re-exports the names they need.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.ingestion.classify import Batch, read_jsonl
from boostpack.ingestion.options import FORMATS, ReadOptions
from boostpack.ingestion.parquet import read_parquet
from boostpack.ingestion.quarantine import QUARANTINE_DIR
from boostpack.ingestion.streams import iter_json_lines

__all__ = [
    "FORMATS",
    "SUPPORTED_SUFFIXES",
    "Batch",
    "ReadOptions",
    "expand_inputs",
    "iter_json_lines",
    "read_batches",
    "read_records",
]

# Files a directory input expands to. Any file named explicitly is read as JSONL.
# Plain ".json" is left out: it is as often one JSON document (a report, a manifest) as JSONL.
SUPPORTED_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.zst", ".ndjson.zst", ".jsonl.gz", ".ndjson.gz",
                      ".parquet")


def read_batches(path: str | os.PathLike[str],
                 options: ReadOptions = ReadOptions(),  # noqa: B008 (frozen, so shareable)
                 batch_lines: int = 8192, *, read_ahead: bool = False) -> Iterator[Batch]:
    """Stream one file as batches of up to ``batch_lines`` physical lines (Parquet: rows).

    ``read_ahead``: read and decompress JSONL on a background thread (up to 8 chunks ahead),
    for a caller whose own thread is the bottleneck and who has a core to spare; the batches
    are the same either way.
    """
    if batch_lines < 1:
        raise InvalidInput(f"batch_lines must be >= 1, got {batch_lines}")
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise InvalidInput(f"{name}: not a file")
    if name.lower().endswith(".parquet"):
        return read_parquet(name, options, batch_lines)
    return read_jsonl(name, options, batch_lines, read_ahead=read_ahead)


def expand_inputs(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    """Input paths with each directory replaced by its supported files (recursive, sorted).

    Skipped: directories named ``quarantine`` (a stage output's rejects are not records) or
    starting with ``.`` or ``_`` (side files, e.g. a batch requests file), and files starting
    with ``.`` (temp files of an atomic write).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[str] = []
    for p in paths:
        name = os.fspath(p)
        if os.path.isdir(name):
            found = []
            for root, dirs, files in os.walk(name):
                dirs[:] = [d for d in dirs if not d.startswith((".", "_")) and d != QUARANTINE_DIR]
                found += [os.path.join(root, f) for f in files
                          if not f.startswith(".") and f.lower().endswith(SUPPORTED_SUFFIXES)]
            out += sorted(found)
        elif os.path.exists(name):
            out.append(name)
        else:
            raise InvalidInput(f"{name}: no such file or directory")
    return out


def read_records(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                 options: ReadOptions = ReadOptions(),  # noqa: B008 (frozen, so shareable)
                 ) -> Iterator[dict[str, Any]]:
    """Every canonical record of ``paths`` (files or directories), in order; bad lines skipped
    (use ``read_batches`` to see them, or ``strict=True`` to fail on them)."""
    for path in expand_inputs(paths):
        for batch in read_batches(path, options):
            yield from batch.records
