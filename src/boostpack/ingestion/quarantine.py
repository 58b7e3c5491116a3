"""Quarantine: the input lines that did not become records, with where they were and why.

Every stage writes them the same way: ``quarantine/part-NNNNN.jsonl``, one JSON object per line
(``file``, ``line``, ``offset``, ``reason``, ``raw``; ``detail`` and ``raw_base64`` when present).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from boostpack.ingestion.parts import PartWriter

QUARANTINE_DIR = "quarantine"
# Quarantine files are read by people and tools, so they stay plain JSON lines.
_QUARANTINE_PART_BYTES = 256 << 20


@dataclass(slots=True)
class QuarantineEntry:
    """A line that did not become a record.

    ``raw`` is the line decoded with ``surrogateescape``, so ``raw.encode("utf-8",
    "surrogateescape")`` gives back the exact bytes even for invalid UTF-8. ``offset`` is the
    line's byte offset in the decompressed stream (-1 for a Parquet or Arrow row); ``detail`` a longer
    human message when there is one (e.g. the Batch API's error message).
    """

    file: str
    line: int
    offset: int
    reason: str
    raw: str
    detail: str = ""

    def to_json(self) -> bytes:
        """One quarantine JSON line (no newline); invalid UTF-8 also gets ``raw_base64``."""
        entry: dict[str, Any] = {"file": self.file, "line": self.line, "offset": self.offset,
                                 "reason": self.reason}
        if self.detail:
            entry["detail"] = self.detail
        try:
            self.raw.encode("utf-8")
            entry["raw"] = self.raw
        except UnicodeEncodeError:
            data = self.raw.encode("utf-8", "surrogateescape")
            entry["raw"] = data.decode("utf-8", "replace")
            entry["raw_base64"] = base64.b64encode(data).decode("ascii")
        return orjson.dumps(entry)


class QuarantineWriter(PartWriter):
    """Writes quarantine entries to ``quarantine/part-NNNNN.jsonl`` under a stage's output."""

    def __init__(self, output_dir: Path, part_bytes: int = _QUARANTINE_PART_BYTES) -> None:
        super().__init__(output_dir / QUARANTINE_DIR, ".jsonl", part_bytes, compress=False)
