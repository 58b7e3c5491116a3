"""Reference files (``against``): what each one indexed and removed, and the checks that keep
decontamination from silently doing nothing.

A reference file whose records all fail to read (a wrong ``against_map``, a format boostpack
does not detect) or whose records have no text to compare indexes nothing, and every input
would pass as clean. So after the references are signed, a file that indexed no document, or
whose lines were mostly unreadable (more than ``UNREADABLE_SHARE`` of its records quarantined),
stops the run with an error naming it. Reference records are never quarantined for lacking an
answer: they are read with ``answer_optional`` (question-only benchmark sets).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boostpack.errors import InvalidInput

UNREADABLE_SHARE = 0.5


def per_file(results: Sequence[dict[str, Any]], file_of: Sequence[int],
             ref_files: Sequence[str]) -> list[dict[str, Any]]:
    """Per reference file: ``file``, ``records``, ``quarantined``, ``indexed`` (documents with
    something to compare), summed over its sign tasks (the first results, in file order)."""
    stats = [{"file": f, "records": 0, "quarantined": 0, "indexed": 0,
              "quarantine_reasons": {}} for f in ref_files]
    for r, i in zip(results, file_of, strict=False):
        if not r["ref"]:
            break
        s = stats[i]
        s["records"] += r["n"]
        s["quarantined"] += r["quarantined"]
        s["indexed"] += r["signed"]
        for reason, count in r.get("reasons", {}).items():
            s["quarantine_reasons"][reason] = s["quarantine_reasons"].get(reason, 0) + count
    return stats


def check_indexed(stats: Sequence[dict[str, Any]]) -> None:
    """``InvalidInput`` for the first reference file that indexed nothing or was mostly
    unreadable."""
    for s in stats:
        lines = s["records"] + s["quarantined"]
        reasons = sorted(s["quarantine_reasons"].items(), key=lambda kv: (-kv[1], kv[0]))
        why = f" (quarantined: {', '.join(f'{r} {c:,}' for r, c in reasons[:3])})" if reasons else ""
        if s["indexed"] == 0:
            raise InvalidInput(
                f"{s['file']}: reference file indexed no document ({s['records']:,} records of "
                f"{lines:,} lines{why}); check its format and --against-map")
        if s["quarantined"] > UNREADABLE_SHARE * lines:
            raise InvalidInput(
                f"{s['file']}: {s['quarantined']:,} of {lines:,} reference lines unreadable{why}; "
                "check its format and --against-map")


def add_removed(stats: list[dict[str, Any]], per_task: Sequence[int], file_of: Sequence[int]) -> None:
    """Add ``removed`` to each file's stats: inputs removed as contaminated by its documents,
    from the counts per reference sign task (``per_task``)."""
    for s in stats:
        s["removed"] = 0
    for count, i in zip(per_task, file_of, strict=False):
        stats[i]["removed"] += int(count)
