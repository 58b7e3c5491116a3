"""Formatting helpers shared by the report's HTML sections: numbers as people read them, and
tables from already-escaped cells."""

from __future__ import annotations

from typing import Any


def fmt_int(v: Any) -> str:
    return "–" if v is None else f"{v:,}"


def fmt_num(v: Any, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.{digits}g}" if abs(v) < 1000 else f"{v:,.0f}"


def table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table from already-escaped cell strings."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
