"""Picking canonical fields out of an input object: the aliases, dotted paths and field mapping
that every format converter shares (see ``formats`` for the formats themselves)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.ingestion.records import OPTIONAL_FIELDS, finish_record

# A format's converter: parsed object -> canonical record; raises RecordError for an object it
# cannot use.
Converter = Callable[[dict[str, Any]], dict[str, Any]]

QA_ALIASES: dict[str, tuple[str, ...]] = {
    "question": ("question", "prompt", "query", "problem", "input"),
    "answer": ("answer", "response", "output", "completion", "solution"),
}
OPTIONAL_ALIASES: dict[str, tuple[str, ...]] = {name: (name,) for name in OPTIONAL_FIELDS}
OPTIONAL_ALIASES["reasoning"] = ("reasoning", "reasoning_content", "thinking")
# alias -> (priority, canonical name): lets take_optional visit only the keys a record has.
OPTIONAL_BY_ALIAS: dict[str, tuple[int, str]] = {}
for _name, _aliases in OPTIONAL_ALIASES.items():
    for _alias in _aliases:
        OPTIONAL_BY_ALIAS[_alias] = (len(OPTIONAL_BY_ALIAS), _name)
OPTIONAL_ALIAS_KEYS = frozenset(OPTIONAL_BY_ALIAS)

MISSING = object()  # what get_path returns for an absent path (None is a value)

# The canonical fields a format can fill from an input field, hence what a mapping may name.
MAPPABLE_FIELDS = frozenset(("id", "question", "answer", "text", "messages", *OPTIONAL_FIELDS))


def check_mapping(mapping: Mapping[str, str] | None) -> None:
    """Reject a mapping that names a field no format fills (a typo would silently do nothing)."""
    for key, value in (mapping or {}).items():
        if key not in MAPPABLE_FIELDS:
            raise InvalidInput(f"unknown canonical field in mapping: {key!r} "
                               f"(one of {', '.join(sorted(MAPPABLE_FIELDS))})")
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"mapping for {key!r} must name an input field")


def get_path(obj: Any, path: str) -> Any:
    """``obj`` at a dotted path (``"meta.subject"``, ``"choices.0.text"``); ``MISSING`` if absent."""
    if "." not in path:
        return obj.get(path, MISSING) if isinstance(obj, dict) else MISSING
    for part in path.split("."):
        if isinstance(obj, dict):
            obj = obj.get(part, MISSING)
        elif isinstance(obj, list) and part.lstrip("-").isdigit() and -len(obj) <= int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return MISSING
        if obj is MISSING:
            return MISSING
    return obj


class Fields:
    """Collects canonical values from an input object and remembers which top-level keys it used."""

    __slots__ = ("consumed", "mapping", "obj", "values")

    def __init__(self, obj: dict[str, Any], mapping: Mapping[str, str]) -> None:
        self.obj, self.mapping = obj, mapping
        self.values: dict[str, Any] = {}
        self.consumed: set[str] = set()

    def take(self, name: str, aliases: tuple[str, ...]) -> bool:
        """Fill ``name`` from the mapping or the first alias present (even if null)."""
        source = self.mapping.get(name)
        if source is not None:
            value = get_path(self.obj, source)
            if value is MISSING:
                return False
            if "." not in source:
                self.consumed.add(source)
            self.values[name] = value
            return True
        obj = self.obj
        for alias in aliases:
            if alias in obj:
                self.consumed.add(alias)
                self.values[name] = obj[alias]
                return True
        return False

    def take_optional(self) -> None:
        if self.mapping:
            for name, aliases in OPTIONAL_ALIASES.items():
                if name not in self.values:
                    self.take(name, aliases)
            return
        # Most records carry few optional fields: intersect the key sets in C, then visit only
        # those, in alias priority order (so "reasoning" beats "reasoning_content").
        present = OPTIONAL_ALIAS_KEYS.intersection(self.obj)
        if not present:
            return
        values, obj = self.values, self.obj
        for _, name, alias in sorted((*OPTIONAL_BY_ALIAS[a], a) for a in present):
            if name not in values:
                values[name] = obj[alias]
                self.consumed.add(alias)

    def finish(self) -> dict[str, Any]:
        consumed = self.consumed
        extras = {k: v for k, v in self.obj.items() if k not in consumed}
        return finish_record(self.values, extras)

