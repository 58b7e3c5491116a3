"""Loud checks: settings and results that almost always mean something went wrong.

A mistyped field (``--fields question,answr``) silently dedups on the question alone; one
cluster swallowing a large share of the input usually means a template or a prefix made
distinct items look alike. Neither stops the run: ``warnings`` says them on stderr and in
``report.json``, which also lists the largest clusters with a sample of their members, so the
user can look.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.store import IdStore
from boostpack.deduplication.workdir import WorkDir

# A compared field held by fewer QA records than this share is probably mistyped.
FIELD_COVERAGE_MIN = 0.5
# One cluster holding at least this share of the input records (and LARGE_CLUSTER_MIN of them)
# is worth a look.
LARGE_CLUSTER_SHARE, LARGE_CLUSTER_MIN = 0.01, 50
EXCERPT_CHARS = 200


def field_coverage(results: Sequence[dict[str, Any]], fields: Sequence[str]) -> dict[str, float]:
    """The share of QA records (inputs) holding each compared field; {} without QA records."""
    qa = sum(r["qa"] for r in results)
    if not qa:
        return {}
    return {f: round(sum(r["fields"].get(f, 0) for r in results) / qa, 4) for f in fields}


def warnings(report: dict[str, Any], config: DedupConfig) -> list[str]:
    """What ``report.json`` says that the user should hear about."""
    out = []
    records = report["input"] - report["quarantined"]
    if records and report["empty_text"] == records:
        out.append(f"no record has any text in fields {', '.join(config.fields)}; nothing was "
                   "compared (check --fields)")
    for name, share in report["field_coverage"].items():
        if share < FIELD_COVERAGE_MIN:
            out.append(f"field {name!r} is missing from {1 - share:.0%} of the QA records; "
                       "they were compared without it (check --fields)")
    for c in report["largest_clusters"][:1]:
        if c["size"] >= max(LARGE_CLUSTER_MIN, LARGE_CLUSTER_SHARE * records):
            out.append(f"one cluster holds {c['size']:,} records ({c['size'] / records:.1%} of the "
                       f"input), kept {c['kept']['id']!r}: a shared template or prefix may be "
                       "making distinct items look alike (see largest_clusters in report.json)")
    return out


def sample_docs(clusters: dict[str, Any]) -> tuple[int, ...]:
    """The documents of the largest clusters whose text the write phase excerpts."""
    docs = {c["kept"] for c in clusters["largest_clusters"]}
    docs.update(d for c in clusters["largest_clusters"] for d in c["members"])
    return tuple(sorted(docs))


def excerpt(line: bytes, fields: Sequence[str]) -> str:
    """The start of a record's compared text, from its input line (the line itself when its
    fields are not at top level, e.g. read through a mapping)."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        obj = None
    if isinstance(obj, dict):
        parts = [obj[f] for f in fields if isinstance(obj.get(f), str)] or (
            [obj["text"]] if isinstance(obj.get("text"), str) else [])
        if parts:
            return "\n".join(parts)[:EXCERPT_CHARS]
    return line[: 4 * EXCERPT_CHARS].decode("utf-8", "replace")[:EXCERPT_CHARS]


def cluster_samples(clusters: dict[str, Any], written: Sequence[dict[str, Any]], work: WorkDir,
                    results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``largest_clusters`` for the report: size, and the kept and sampled members' ids and
    text excerpts (which the write tasks took from the input lines)."""
    texts: dict[int, str] = {}
    for w in written:
        texts.update((int(doc), text) for doc, text in w.get("samples", {}).items())
    offsets = [0]
    for r in results:
        offsets.append(offsets[-1] + r["n"])
    docs = sample_docs(clusters)
    ids = IdStore(work, offsets)
    try:
        names = dict(zip(docs, (orjson.loads(i) for i in ids.json_many(np.array(docs, np.uint32))),
                         strict=True)) if docs else {}
    finally:
        ids.close()

    def member(doc: int) -> dict[str, Any]:
        return {"id": names[doc], "text": texts.get(doc, "")}

    return [{"size": c["size"], "kept": member(c["kept"]), "members": [member(d) for d in c["members"]]}
            for c in clusters["largest_clusters"]]
