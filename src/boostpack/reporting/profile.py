"""``Profile``: everything the report counts about one dataset (one column of the report), fed
one record at a time: records and tokens, the mix, length histograms, diversity samples.

A record input is one column; a dedup output is two (before = kept + removed, after = kept);
a packed dataset is one column whose tokens come from its document lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from boostpack.reporting.lengths import LengthHistogram
from boostpack.reporting.mix import MISSING, UNKNOWN, Mix, category_value, top_discipline
from boostpack.reporting.sampling import Sampler

LENGTH_FIELDS = ("question", "answer", "reasoning", "text")
DEFAULT_TEXT_FIELDS = ("question", "answer")


def record_text(record: dict[str, Any], fields: Sequence[str] = DEFAULT_TEXT_FIELDS) -> str:
    """The text whose diversity is measured: the named fields joined by newlines; a plain-text
    record gives its ``text`` (the rule dedup uses for its dedup text)."""
    parts = [record[f] for f in fields if isinstance(record.get(f), str) and record[f]]
    if not parts and isinstance(record.get("text"), str):
        return record["text"]
    return "\n".join(parts)


def diversity_category(record: dict[str, Any] | None, by: str) -> str:
    """The category a record's text is sampled under (``by``: a metadata field)."""
    if by == "discipline":
        return top_discipline(record)
    if record is None:
        return UNKNOWN
    return category_value(by, record.get(by))


@dataclass
class Profile:
    """One column of the report. ``with_tokens``: tokens are known for every record."""

    name: str
    kind: str
    sampler: Sampler
    with_tokens: bool = False
    diversity_by: str = "discipline"
    text_fields: Sequence[str] = DEFAULT_TEXT_FIELDS
    records: int = 0
    tokens: int = 0
    unknown: int = 0  # packed documents whose source record was not found
    mix: Mix = field(default_factory=Mix)
    lengths: dict[str, LengthHistogram] = field(default_factory=dict)

    def add(self, record: dict[str, Any] | None, tokens: int = 0) -> None:
        """Count one record (None: a packed document without metadata) and its tokens."""
        self.records += 1
        self.tokens += tokens
        self.mix.add(record, tokens)
        if self.with_tokens:
            self._length("tokens").add(tokens)
        if record is None:
            self.unknown += 1
            return
        for name in LENGTH_FIELDS:
            value = record.get(name)
            if isinstance(value, str):
                self._length(f"{name}_chars").add(len(value))
        text = record_text(record, self.text_fields)
        if text:
            self.sampler.offer(text, diversity_category(record, self.diversity_by),
                               str(record.get("id", "")))

    def _length(self, name: str) -> LengthHistogram:
        hist = self.lengths.get(name)
        if hist is None:
            hist = self.lengths[name] = LengthHistogram()
        return hist

    def check_totals(self) -> None:
        """Every breakdown sums to the record total (and to the token total when known); a
        failure is a bug in the report, never in the data, so it raises."""
        mix = self.mix.to_dict(self.with_tokens)
        for name, values in mix["fields"].items():
            if sum(v["records"] for v in values.values()) != self.records:
                raise AssertionError(f"report: {self.name}: {name} records do not add up")
            if self.with_tokens and sum(v["tokens"] for v in values.values()) != self.tokens:
                raise AssertionError(f"report: {self.name}: {name} tokens do not add up")
        tree_records = sum(node["records"] for node in mix["discipline_tree"])
        if tree_records != self.records:
            raise AssertionError(f"report: {self.name}: discipline tree does not add up")

    def summary(self) -> dict[str, Any]:
        """The counted part of the column's JSON (diversity is added by the caller)."""
        self.check_totals()
        return {
            "name": self.name,
            "kind": self.kind,
            "records": self.records,
            "tokens": self.tokens if self.with_tokens else None,
            "unknown_metadata": self.unknown,
            "mix": self.mix.to_dict(self.with_tokens),
            "lengths": {k: v.to_dict() for k, v in sorted(self.lengths.items())},
            "missing_label": MISSING,
        }
