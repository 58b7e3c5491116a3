"""What a report input is, and its records: record files (or an ingest output), a dedup output,
or a packed dataset.

- packed dataset: a directory with ``manifest.json`` (``packed``);
- dedup output: a directory with ``report.json`` and ``kept/`` (its removed records are in
  ``removed/``, one JSON object per line with the original input line under ``record``);
- anything else: record files or directories (an ingest output directory reads as its
  ``records/``: its ``quarantine/`` is skipped).
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from boostpack.ingestion.formats import converter, detect_format
from boostpack.ingestion.readers import ReadOptions, expand_inputs, iter_json_lines
from boostpack.ingestion.records import RecordError
from boostpack.reporting.packed import is_packed

KINDS = ("records", "dedup", "packed")


@dataclass(frozen=True)
class ReportInput:
    path: str
    kind: str
    label: str


def classify(path: str | os.PathLike[str], label: str | None = None) -> ReportInput:
    """The kind of input ``path`` is (see the module docstring)."""
    p = Path(path)
    name = label or p.name or str(p)
    if p.is_dir() and is_packed(p):
        return ReportInput(str(p), "packed", name)
    if p.is_dir() and (p / "report.json").is_file() and (p / "kept").is_dir():
        return ReportInput(str(p), "dedup", name)
    return ReportInput(str(p), "records", name)


def read_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    value = orjson.loads(Path(path).read_bytes())
    return value if isinstance(value, dict) else {}


class RemovedReader:
    """The removed records of a dedup output as ``(entry, canonical record or None)``: the
    ``record`` of each line is the original input line, converted here as the readers
    would (format detected per object unless ``options.fmt`` says)."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self._converters: dict[str, Any] = {}
        self.unreadable = 0

    def canonical(self, obj: Any) -> dict[str, Any] | None:
        if not isinstance(obj, dict):
            return None
        fmt = self.options.fmt
        if fmt == "auto":
            fmt = detect_format(obj, self.options.mapping or {}) or "qa"
        conv = self._converters.get(fmt)
        if conv is None:
            conv = self._converters[fmt] = converter(fmt, self.options.mapping,
                                                     self.options.requests)
        try:
            return conv(obj)
        except RecordError:
            return None

    def entries(self, dedup_dir: str, dup_of: Container[str] | None = None
                ) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
        """Every removed line (or those whose ``dup_of`` is in ``dup_of``) with its record."""
        removed = Path(dedup_dir) / "removed"
        if not removed.is_dir():
            return
        for path in expand_inputs(removed):
            for entry in iter_json_lines(path):
                if dup_of is not None and entry.get("dup_of") not in dup_of:
                    continue
                record = self.canonical(entry.get("record"))
                if record is None and dup_of is None:
                    self.unreadable += 1
                yield entry, record
