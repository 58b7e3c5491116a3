"""Reading inputs: the files an input path names, and each file as batches of canonical records.

JSONL (plain, ``.zst``, ``.gz``) is read by ``classify`` over ``streams``, Parquet and Arrow by
``tables``; ``classify`` documents what a ``Batch`` accounts for and the quarantine reasons.
This module is the entry point the stages use, and re-exports the names they need.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.ingestion.classify import Batch, ClassifyRuns, classify_runs, read_jsonl
from boostpack.ingestion.options import FORMATS, ReadOptions
from boostpack.ingestion.quarantine import QUARANTINE_DIR
from boostpack.ingestion.saved_datasets import saved_dataset_files
from boostpack.ingestion.streams import iter_json_lines
from boostpack.ingestion.tables import is_table, read_table

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

# Files a directory input expands to. Any file named explicitly is read as JSONL unless its name
# says Parquet or Arrow. Plain ".json" is left out: it is as often one JSON document (a report, a
# manifest) as JSONL.
SUPPORTED_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.zst", ".ndjson.zst", ".jsonl.gz", ".ndjson.gz",
                      ".parquet", ".arrow")
_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def read_batches(path: str | os.PathLike[str],
                 options: ReadOptions = ReadOptions(),  # noqa: B008 (frozen, so shareable)
                 batch_lines: int = 8192, *, read_ahead: bool = False,
                 classify: ClassifyRuns = classify_runs) -> Iterator[Batch]:
    """Stream one file as batches of up to ``batch_lines`` physical lines (tables: rows).

    ``read_ahead``: read and decompress JSONL on a background thread (up to 8 chunks ahead),
    for a caller whose own thread is the bottleneck and who has a core to spare; the batches
    are the same either way. ``classify``: what classifies JSONL lines (``classify.ClassifyRuns``).
    """
    if batch_lines < 1:
        raise InvalidInput(f"batch_lines must be >= 1, got {batch_lines}")
    name = checked_file(os.fspath(path))
    if is_table(name):
        return read_table(name, options, batch_lines)
    return read_jsonl(name, options, batch_lines, read_ahead=read_ahead, classify=classify)


def checked_file(name: str) -> str:
    """``name`` when it is a regular file (symbolic links followed); otherwise InvalidInput
    saying what it is. Every stage reads an input more than once (to plan parts, to write
    outputs), which a FIFO or a device cannot give: opening one would wait forever."""
    try:
        mode = os.stat(name).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidInput(f"{name}: symbolic link loop") from None
        if exc.errno == errno.ENOENT and os.path.islink(name):
            raise InvalidInput(f"{name}: broken symbolic link (to {os.readlink(name)})") from None
        if exc.errno == errno.ENOENT:
            raise InvalidInput(f"{name}: no such file or directory") from None
        raise InvalidInput(f"{name}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return name
    kind = next((what for test, what in _FILE_KINDS if test(mode)),
                "a directory" if stat.S_ISDIR(mode) else "not a regular file")
    raise InvalidInput(f"{name}: {kind}, not a regular file: inputs are read more than once, "
                       "so write it to a file first")


def _directory_files(name: str) -> list[str]:
    """The supported files under a directory (recursive, sorted), or a saved dataset's files."""
    saved = saved_dataset_files(name)
    if saved is not None:
        return saved
    found = []
    for root, dirs, files in os.walk(name):
        if {"kept", "removed"} <= set(dirs) and os.path.isfile(os.path.join(root, "report.json")):
            dirs[:] = ["kept"]  # a dedup output: its records are the kept ones
        dirs[:] = [d for d in dirs if not d.startswith((".", "_")) and d != QUARANTINE_DIR]
        found += [checked_file(os.path.join(root, f)) for f in files
                  if not f.startswith(".") and f.lower().endswith(SUPPORTED_SUFFIXES)]
    return sorted(found)


def expand_inputs(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    """Input paths with each directory replaced by its supported files (recursive, sorted);
    every stage expands its inputs here, so each input is checked here once.

    A saved Hugging Face dataset (``save_to_disk``) gives its Arrow files in the dataset's
    order; a dedup output its ``kept/`` files. Skipped: directories named ``quarantine`` (a
    stage output's rejects are not records) or starting with ``.`` or ``_`` (side files, e.g.
    a batch requests file), and files starting with ``.`` (temp files of an atomic write).
    Anything but a regular file or directory (a FIFO, a device, a symbolic link loop or a
    broken link) is an InvalidInput naming it.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[str] = []
    for p in paths:
        name = os.fspath(p)
        out += _directory_files(name) if os.path.isdir(name) else [checked_file(name)]
    return out


def read_records(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                 options: ReadOptions = ReadOptions(),  # noqa: B008 (frozen, so shareable)
                 ) -> Iterator[dict[str, Any]]:
    """Every canonical record of ``paths`` (files or directories), in order; bad lines skipped
    (use ``read_batches`` to see them, or ``strict=True`` to fail on them)."""
    for path in expand_inputs(paths):
        for batch in read_batches(path, options):
            yield from batch.records
