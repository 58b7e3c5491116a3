"""Records and tokens by category: the mix of a dataset.

Categories are the canonical metadata fields (``FIELDS``); ``discipline`` is a path
(``["STEM", "Physics", "Optics"]``) counted at every level of its hierarchy, and the top
level is crossed with ``difficulty``. A record without a field counts under ``(missing)``, so
every breakdown sums to the record total (and the token total): the report checks that.
Memory is bounded: past ``MAX_VALUES`` distinct values of a field, new values count under
``(other)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

FIELDS = ("discipline", "difficulty", "grade", "synth_type", "source", "language", "generator")
MISSING = "(missing)"
OTHER = "(other)"
UNKNOWN = "(unknown)"  # a packed document whose source record could not be found
MAX_VALUES = 10_000
_PATH_SEP = " / "


def category_value(field: str, value: Any) -> str:
    """The string a metadata value is counted under (a discipline path joined by `` / ``)."""
    if value is None or value == "" or value == []:
        return MISSING
    if field == "discipline" and isinstance(value, list):
        return _PATH_SEP.join(map(str, value))
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def top_discipline(record: dict[str, Any] | None) -> str:
    """The first level of a record's discipline (``(missing)`` without one)."""
    if record is None:
        return UNKNOWN
    value = record.get("discipline")
    if isinstance(value, list) and value:
        return str(value[0])
    return category_value("discipline", value)


class Tally:
    """Records and tokens per value, with at most ``MAX_VALUES`` distinct values."""

    __slots__ = ("records", "tokens")

    def __init__(self) -> None:
        self.records: dict[str, int] = {}
        self.tokens: dict[str, int] = {}

    def add(self, key: str, tokens: int) -> None:
        records = self.records
        if key not in records:
            if len(records) >= MAX_VALUES:
                key = OTHER
            records.setdefault(key, 0)
            self.tokens.setdefault(key, 0)
        records[key] += 1
        self.tokens[key] += tokens

    def to_dict(self, with_tokens: bool) -> dict[str, dict[str, int]]:
        """``{value: {"records": n[, "tokens": t]}}``, largest first (ties by value)."""
        order = sorted(self.records, key=lambda k: (-self.records[k], k))
        if with_tokens:
            return {k: {"records": self.records[k], "tokens": self.tokens[k]} for k in order}
        return {k: {"records": self.records[k]} for k in order}


class Mix:
    """Accumulates the mix of one dataset, one record at a time."""

    def __init__(self) -> None:
        self.fields = {name: Tally() for name in FIELDS}
        self.tree: dict[str, Any] = {}  # discipline hierarchy: name -> [records, tokens, children]
        self.cross = Tally()  # "top discipline\tdifficulty"

    def add(self, record: dict[str, Any] | None, tokens: int = 0) -> None:
        """Count ``record`` (None: a document whose metadata is unknown) with its tokens."""
        if record is None:
            for tally in self.fields.values():
                tally.add(UNKNOWN, tokens)
            self._add_path([UNKNOWN], tokens)
            self.cross.add(f"{UNKNOWN}\t{UNKNOWN}", tokens)
            return
        for name, tally in self.fields.items():
            tally.add(category_value(name, record.get(name)), tokens)
        discipline = record.get("discipline")
        path = ([str(p) for p in discipline] if isinstance(discipline, list) and discipline
                else [category_value("discipline", discipline)])
        self._add_path(path, tokens)
        difficulty = category_value("difficulty", record.get("difficulty"))
        self.cross.add(f"{path[0]}\t{difficulty}", tokens)

    def _add_path(self, path: Iterable[str], tokens: int) -> None:
        level = self.tree
        for name in path:
            node = level.get(name)
            if node is None:
                if len(level) >= MAX_VALUES:
                    name = OTHER
                node = level.setdefault(name, [0, 0, {}])
            node[0] += 1
            node[1] += tokens
            level = node[2]

    def to_dict(self, with_tokens: bool) -> dict[str, Any]:
        """``fields`` (per field), ``discipline_tree`` (nested list of nodes: name, records,
        [tokens,] children) and ``discipline_x_difficulty`` ({discipline: {difficulty:
        {"records", ["tokens"]}}})."""
        cross: dict[str, dict[str, Any]] = {}
        for key, counts in self.cross.to_dict(with_tokens).items():
            top, _, difficulty = key.partition("\t")
            cross.setdefault(top, {})[difficulty] = counts
        return {
            "fields": {name: t.to_dict(with_tokens) for name, t in self.fields.items()},
            "discipline_tree": _tree_nodes(self.tree, with_tokens),
            "discipline_x_difficulty": cross,
        }


def _tree_nodes(level: dict[str, Any], with_tokens: bool) -> list[dict[str, Any]]:
    nodes = []
    for name in sorted(level, key=lambda k: (-level[k][0], k)):
        records, tokens, children = level[name]
        node: dict[str, Any] = {"name": name, "records": records}
        if with_tokens:
            node["tokens"] = tokens
        if children:
            node["children"] = _tree_nodes(children, with_tokens)
        nodes.append(node)
    return nodes
