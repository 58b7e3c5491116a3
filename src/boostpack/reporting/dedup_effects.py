"""What a dedup run did, from its output directory: removals by reason and by category, the
cluster-size histogram, the largest clusters with a few members, contamination per
reference file.

It reads what ``dedup`` writes: ``report.json`` (counts, ``clusters.size_histogram``, the
reference files under ``against.files``) and the ``removed/`` lines (``reason``, ``dup_of``:
the id of the record kept in the removed one's place, or of the reference it matched;
``similarity``; ``record``: the original line). A cluster is a kept record with the records
removed as its ``exact``/``near`` duplicates. Cluster sizes are counted in one pass over
``removed/``; a second pass picks up a few members of the largest clusters only (so memory
does not grow with members of the others), and their kept side is picked up while the report
streams ``kept/``. Contaminated removals are mapped to the
reference file holding their ``dup_of`` id by reading the reference files again when they
are still there.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from boostpack.ingestion.readers import ReadOptions, read_records
from boostpack.reporting.mix import top_discipline

LARGEST = 10  # clusters shown
MEMBERS = 4  # removed members shown per cluster
SNIPPET = 160  # characters of each member shown


def snippet(record: dict[str, Any] | None) -> str:
    """The first ``SNIPPET`` characters of a record's question (or text), one line."""
    if record is None:
        return ""
    text = record.get("question") or record.get("text") or ""
    text = " ".join(str(text).split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


class DedupEffects:
    """Accumulates the removed records of one dedup output, then the kept ones."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report
        self.reasons: Counter[str] = Counter()
        self.removed_by: dict[str, Counter[str]] = {}  # category -> reason counts
        self.before_by: Counter[str] = Counter()  # category -> records before dedup
        self.cluster_removed: Counter[str] = Counter()  # kept id -> removed duplicates
        self.members: dict[str, list[dict[str, Any]]] = {}
        self.contaminated: Counter[str] = Counter()  # reference id -> removed inputs
        self.kept_of: dict[str, str] = {}
        self._largest: set[str] = set()

    def add_removed(self, entry: dict[str, Any], record: dict[str, Any] | None) -> None:
        reason = str(entry.get("reason"))
        dup_of = str(entry.get("dup_of"))
        category = top_discipline(record)
        self.reasons[reason] += 1
        self.removed_by.setdefault(category, Counter())[reason] += 1
        self.before_by[category] += 1
        if reason == "contaminated":
            self.contaminated[dup_of] += 1
            return
        self.cluster_removed[dup_of] += 1

    def largest(self) -> set[str]:
        """Call after the last removed record: the kept ids of the largest clusters."""
        top = sorted(self.cluster_removed.items(), key=lambda kv: (-kv[1], kv[0]))[:LARGEST]
        self._largest = {k for k, _ in top}
        return self._largest

    def add_member(self, entry: dict[str, Any], record: dict[str, Any] | None) -> None:
        """Second pass: a removed record of one of the ``largest()`` clusters."""
        members = self.members.setdefault(str(entry.get("dup_of")), [])
        if len(members) < MEMBERS:
            members.append({"id": (record or {}).get("id"), "reason": entry.get("reason"),
                            "similarity": entry.get("similarity"), "text": snippet(record)})

    def add_kept(self, record: dict[str, Any]) -> None:
        self.before_by[top_discipline(record)] += 1
        rid = record.get("id")
        if rid in self._largest:
            self.kept_of[rid] = snippet(record)

    def to_dict(self, options: ReadOptions) -> dict[str, Any]:
        r = self.report
        clusters = sorted(self._largest, key=lambda k: (-self.cluster_removed[k], k))
        by_category = {
            cat: {"before": self.before_by[cat], "removed": sum(c.values()),
                  "removed_share": sum(c.values()) / self.before_by[cat], "reasons": dict(c)}
            for cat, c in sorted(self.removed_by.items(),
                                 key=lambda kv: (-sum(kv[1].values()), kv[0]))}
        return {
            "input": r.get("input"), "kept": r.get("kept"), "removed": r.get("removed"),
            "quarantined": r.get("quarantined"),
            "reasons": {**{k: 0 for k in ("exact", "near", "contaminated")}, **r.get("reasons", {})},
            "removed_lines_by_reason": dict(self.reasons),
            "by_category": by_category,
            "cluster_size_histogram": r.get("clusters", {}).get("size_histogram", {}),
            "duplicate_clusters": r.get("clusters", {}).get("duplicate_clusters"),
            "params": {k: r.get("params", {}).get(k)
                       for k in ("shingle", "ngram", "threshold", "num_perm", "fields", "keep")},
            "largest_clusters": [
                {"kept_id": k, "kept_text": self.kept_of.get(k, ""),
                 "size": 1 + self.cluster_removed[k], "members": self.members.get(k, [])}
                for k in clusters],
            "contamination": self._contamination(options),
        }

    def _contamination(self, options: ReadOptions) -> dict[str, Any]:
        """Removed inputs per reference file (ids looked up in the files when present)."""
        files = list(self.report.get("against", {}).get("files", []))
        total = sum(self.contaminated.values())
        out: dict[str, Any] = {"references": files, "total": total,
                               "by_ngram": self.report.get("contaminated_by_ngram", 0),
                               "by_file": {}}
        if not total:
            return out
        left = Counter(self.contaminated)
        for path in files:
            if not os.path.isfile(path):
                continue
            found = 0
            for record in read_records(path, options):
                n = left.pop(record.get("id"), 0)
                found += n
            if found:
                out["by_file"][path] = found
        if left:
            out["by_file"]["(reference not found)"] = sum(left.values())
        return out
