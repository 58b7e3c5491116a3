"""What is in a set of record files (counts, field coverage, breakdowns, examples) or in a dedup
output directory (its report, the kept records, what was removed and why).

Streams the records once; memory is bounded by ``_MAX_KEYS`` distinct values per breakdown
(values past it are counted under ``"(other)"``), so a high-cardinality ``source`` cannot grow it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from boostpack.ingestion.readers import ReadOptions, expand_inputs, iter_json_lines, read_batches
from boostpack.runtime.console import Progress

_MAX_KEYS = 10_000
_TOP = 20  # values shown per breakdown
BREAKDOWNS = ("discipline", "difficulty", "source", "language", "generator", "synth_type", "grade")


class _Bounded:
    """A Counter that stops adding distinct keys past _MAX_KEYS."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, key: str) -> None:
        counts = self.counts
        if key in counts or len(counts) < _MAX_KEYS:
            counts[key] += 1
        else:
            counts["(other)"] += 1

    def top(self) -> dict[str, int]:
        return dict(sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP])


def _breakdown_key(name: str, value: Any) -> str:
    if name == "discipline" and isinstance(value, list):
        return " / ".join(map(str, value))
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def inspect_records(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                    examples: int = 3, options: ReadOptions | None = None,
                    progress: bool | None = None) -> dict[str, Any]:
    """Summary of the records in ``paths`` (files, directories or an ingest output directory).

    Keys: ``files``, ``records`` (``qa`` / ``text``), ``lines``/``quarantined``/``empty`` and
    ``by_reason`` as the reader saw them, ``field_coverage`` (share of records with each
    top-level field, 0-1), ``breakdowns`` (top values of discipline, difficulty, source, …; a
    discipline path also counted by its top level), mean ``chars`` per text field, ``examples``
    (the first records), and ``ingest_report`` when the directory holds one.
    """
    options = options or ReadOptions()
    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files = expand_inputs(given)
    fields: Counter[str] = Counter()
    breakdowns = {name: _Bounded() for name in BREAKDOWNS}
    top_discipline = _Bounded()
    chars: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    counts = Counter(records=0, qa=0, text=0, lines=0, quarantined=0, empty=0)
    shown: list[dict[str, Any]] = []
    with Progress("inspect", unit="lines", enabled=progress) as bar:
        for path in files:
            for batch in read_batches(path, options):
                bar.update(batch.lines_read, batch.bytes_read)
                counts["lines"] += batch.lines_read
                counts["quarantined"] += len(batch.quarantined)
                counts["empty"] += batch.empty
                by_reason.update(e.reason for e in batch.quarantined)
                for record in batch.records:
                    counts["records"] += 1
                    counts["qa" if "question" in record else "text"] += 1
                    fields.update(record.keys())
                    for name in ("question", "answer", "reasoning", "text"):
                        value = record.get(name)
                        if isinstance(value, str):
                            chars[name] += len(value)
                    for name, counter in breakdowns.items():
                        if name in record:
                            counter.add(_breakdown_key(name, record[name]))
                    discipline = record.get("discipline")
                    if isinstance(discipline, list) and discipline:
                        top_discipline.add(str(discipline[0]))
                    if len(shown) < examples:
                        shown.append(record)
    n = counts["records"]
    summary: dict[str, Any] = {
        "files": files,
        **counts,
        "by_reason": dict(sorted(by_reason.items())),
        "field_coverage": {k: round(v / n, 4) for k, v in sorted(fields.items(),
                                                                   key=lambda kv: (-kv[1], kv[0]))},
        "chars_mean": {k: round(v / fields[k], 1) for k, v in sorted(chars.items()) if fields[k]},
        "breakdowns": {name: c.top() for name, c in breakdowns.items() if c.counts},
        "examples": shown,
    }
    if top_discipline.counts:
        summary["breakdowns"]["discipline_top"] = top_discipline.top()
    report = _stage_report(given[0]) if len(given) == 1 else None
    if report is not None and "records" in report:  # an ingest output
        summary["ingest_report"] = {k: report.get(k) for k in
                                    ("lines", "records", "quarantined", "empty", "by_reason")}
    return summary


def _stage_report(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``report.json`` a stage wrote in ``directory``, if any."""
    path = Path(directory) / "report.json"
    if not path.is_file():
        return None
    try:
        report = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return None
    return report if isinstance(report, dict) else None


def is_dedup_output(directory: str | os.PathLike[str]) -> bool:
    """Whether ``directory`` is a finished dedup output (``kept/``, ``removed/``, its report)."""
    report = _stage_report(directory)
    return (report is not None and {"kept", "removed", "reasons"} <= report.keys()
            and (Path(directory) / "kept").is_dir())


_SIMILARITY_BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def inspect_dedup_output(directory: str | os.PathLike[str], examples: int = 3) -> dict[str, Any]:
    """Summary of a dedup output directory: ``report`` (its counts, rules and settings), ``kept``
    (``inspect_records`` of ``kept/``), ``removed`` (count per reason and per input file, the
    similarity histogram, the kept ids with the most removed copies, ``examples``)."""
    directory = Path(directory)
    report = _stage_report(directory) or {}
    reasons: Counter[str] = Counter()
    files, dup_of = _Bounded(), _Bounded()
    similarity = Counter({f"<{_SIMILARITY_BINS[0]}": 0, **{f">={b}": 0 for b in _SIMILARITY_BINS}})
    shown: list[dict[str, Any]] = []
    for path in expand_inputs(directory / "removed") if (directory / "removed").is_dir() else []:
        for line in iter_json_lines(path):
            reasons[str(line.get("reason"))] += 1
            files.add(str(line.get("file")))
            dup_of.add(str(line.get("dup_of")))
            sim = line.get("similarity")
            if isinstance(sim, (int, float)):
                similarity[next((f">={b}" for b in reversed(_SIMILARITY_BINS) if sim >= b),
                                f"<{_SIMILARITY_BINS[0]}")] += 1
            if len(shown) < examples:
                shown.append(line)
    return {
        "path": str(directory),
        "report": {k: report.get(k) for k in ("input", "kept", "removed", "quarantined", "empty",
                                              "empty_text", "reasons", "clusters", "pairs",
                                              "inputs", "against")},
        "params": {k: v for k, v in (report.get("params") or {}).items()
                   if k in ("fields", "threshold", "ngram", "shingle", "num_perm", "bands",
                            "rows", "digits", "keep", "keep_max", "decontam_ngram")},
        "kept": inspect_records([directory / "kept"], examples=examples),
        "removed": {"records": sum(reasons.values()), "by_reason": dict(sorted(reasons.items())),
                    "by_file": files.top(), "similarity": dict(similarity),
                    "most_removed_copies_of": dup_of.top(), "examples": shown},
    }
