"""The report as one self-contained HTML page: inline CSS and inline SVG (``charts``), no
script, nothing fetched, so it opens offline and can be mailed as one file. It shows the
numbers of the JSON report; the JSON stays the machine-readable form.
"""

from __future__ import annotations

from html import escape
from typing import Any

from boostpack.reporting import charts
from boostpack.reporting.html import fmt_int, fmt_num, table
from boostpack.reporting.mix import FIELDS
from boostpack.reporting.page_diversity import agent_section, dedup_section, diversity_section

TOP_VALUES = 12  # values per field shown in the mix charts
TOP_TREE = 40  # discipline-tree rows shown
TREE_DEPTH = 2  # levels of the discipline tree shown (the JSON has them all)
ORDINAL = frozenset(("difficulty", "grade"))  # fields shown in value order, not by size

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;
color:#222;padding:0 16px;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:2px solid #4e79a7;padding-bottom:3px;
margin-top:2em}h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:#f3f5f8}
td.l{text-align:left}.muted{color:#777}.note{color:#555;font-size:13px;max-width:900px}
.charts{display:flex;flex-wrap:wrap;gap:18px}svg.chart{background:#fff;max-width:100%;height:auto}
nav a{margin-right:14px}details{margin:.4em 0}code{background:#f3f3f3;padding:0 3px}
"""


def _summary(report: dict[str, Any]) -> str:
    rows = []
    for c in report["columns"]:
        inp = report["inputs"][c["input"]]
        rows.append([escape(c["name"]), escape(inp["kind"]), fmt_int(c["records"]),
                     fmt_int(c["tokens"]), fmt_int(c["unknown_metadata"]),
                     f'<span class="muted">{escape(inp["path"])}</span>'])
    out = [table(["column", "input kind", "records", "tokens", "unknown metadata", "path"], rows)]
    for inp in report["inputs"]:
        if "ingest" in inp:
            g = inp["ingest"]
            out.append(f'<p class="note">{escape(inp["label"])}: ingest read {fmt_int(g["lines"])} '
                       f'lines: {fmt_int(g["records"])} records, {fmt_int(g["quarantined"])} '
                       f'quarantined, {fmt_int(g["empty"])} empty.</p>')
        if "packed" in inp:
            p = inp["packed"]
            j = p["join"]
            out.append(
                f'<p class="note">{escape(inp["label"])}: {fmt_int(p["documents"])} documents in '
                f'{fmt_int(p["sequences"])} sequences of {p["seq_len"]} ({p["strategy"]}, template '
                f'{escape(str(p["template"]))}), packing efficiency {p["packing_efficiency"]:.2%}. '
                f'Metadata joined from the source files on record ids: {fmt_int(j["matched"])} '
                f'matched, {fmt_int(j["unmatched"])} unknown.</p>')
    params = report["params"]
    tok = (f'tokens counted with <code>{escape(params["tokenizer"])}</code> (template '
           f'{escape(params["template"])})' if params["tokenizer"] else
           "tokens from packed datasets only (give a tokenizer to count record inputs)")
    out.append(f'<p class="note">{tok}.</p>')
    return "".join(out)


def _field_counts(column: dict[str, Any], field: str) -> dict[str, dict[str, int]]:
    """A field's counts; discipline by its top level (the table shows the hierarchy)."""
    if field == "discipline":
        return {n["name"]: n for n in column["mix"]["discipline_tree"]}
    return column["mix"]["fields"][field]


def _ranked_values(columns: list[dict[str, Any]], field: str) -> list[str]:
    totals: dict[str, float] = {}
    for c in columns:
        n = c["records"] or 1
        for value, counts in _field_counts(c, field).items():
            totals[value] = totals.get(value, 0) + counts["records"] / n
    top = sorted(totals, key=lambda v: (-totals[v], v))[:TOP_VALUES]
    return sorted(top, key=_natural_order) if field in ORDINAL else top


def _field_chart(columns: list[dict[str, Any]], field: str, unit: str) -> str:
    values = _ranked_values(columns, field)
    series = []
    for c in columns:
        total = c[unit]
        if not total:
            continue
        counts = _field_counts(c, field)
        series.append((c["name"], [counts.get(v, {}).get(unit, 0) / total for v in values]))
    if not series:
        return ""
    return charts.bar_chart(values, series, f"{field}: share of {unit}")


def _tree_rows(nodes: list[dict[str, Any]], columns: list[dict[str, Any]], depth: int,
               path: str, index: list[dict[str, dict[str, Any]]], out: list[list[str]]) -> None:
    for node in nodes:
        if len(out) >= TOP_TREE:
            return
        key = f"{path}/{node['name']}"
        cells = [("&nbsp;" * 4 * depth) + escape(node["name"])]
        for i, c in enumerate(columns):
            hit = index[i].get(key)
            n = hit["records"] if hit else 0
            share = n / c["records"] if c["records"] else 0
            cell = f"{n:,} <span class=muted>({share:.1%})</span>"
            if c["tokens"]:
                cell += f"<br>{(hit or {}).get('tokens', 0):,} tok"
            cells.append(cell)
        out.append(cells)
        if depth + 1 < TREE_DEPTH:
            _tree_rows(node.get("children", []), columns, depth + 1, key, index, out)


def _flatten(nodes: list[dict[str, Any]], path: str, into: dict[str, dict[str, Any]]) -> None:
    for node in nodes:
        key = f"{path}/{node['name']}"
        into[key] = node
        _flatten(node.get("children", []), key, into)


def _mix(report: dict[str, Any]) -> str:
    columns = report["columns"]
    out = ['<h2 id="mix">Mix</h2><p class="note">Share of records (and of tokens where known) '
           "per value of each metadata field; <code>(missing)</code>: records without the field, "
           "<code>(unknown)</code>: packed documents whose source record was not found.</p>"]
    # Discipline as a hierarchy, largest first, across every column.
    index: list[dict[str, dict[str, Any]]] = []
    for c in columns:
        flat: dict[str, dict[str, Any]] = {}
        _flatten(c["mix"]["discipline_tree"], "", flat)
        index.append(flat)
    widest = max(columns, key=lambda c: c["records"])
    rows: list[list[str]] = []
    _tree_rows(widest["mix"]["discipline_tree"], columns, 0, "", index, rows)
    out.append(f"<h3>Discipline hierarchy</h3><p class=note>The first {TREE_DEPTH} levels; the "
               "JSON report has the whole tree.</p>")
    out.append(table(["discipline", *(escape(c["name"]) for c in columns)], rows))
    for field in FIELDS:
        charts_html = [_field_chart(columns, field, "records")]
        if any(c["tokens"] for c in columns):
            charts_html.append(_field_chart(columns, field, "tokens"))
        out.append(f'<h3>{escape(field)}</h3><div class="charts">{"".join(charts_html)}</div>')
    out.append("<h3>Discipline × difficulty (share of records)</h3><div class=charts>")
    for c in columns:
        cross = c["mix"]["discipline_x_difficulty"]
        rows_d = sorted(cross, key=lambda d: -sum(v["records"] for v in cross[d].values()))[:TOP_VALUES]
        cols_d = sorted({k for d in rows_d for k in cross[d]}, key=_natural_order)
        n = c["records"] or 1
        grid = [[cross[d].get(k, {}).get("records", 0) / n for k in cols_d] for d in rows_d]
        if rows_d:
            out.append(charts.heatmap(rows_d, cols_d, grid, c["name"]))
    out.append("</div>")
    return "".join(out)


def _natural_order(value: str) -> tuple[int, float, str]:
    """Numbers (also inside labels like "grade 10") in numeric order, then other labels."""
    digits = "".join(ch for ch in value if ch.isdigit() or ch == ".")
    try:
        return (0, float(digits), value)
    except ValueError:
        return (1, 0.0, value)


def _lengths(report: dict[str, Any]) -> str:
    columns = report["columns"]
    names = sorted({k for c in columns for k in c["lengths"]})
    out = ['<h2 id="lengths">Lengths</h2><p class="note">Characters per field (tokens per '
           "document where known), as the share of records in log-spaced bins (4 per doubling); "
           "quantiles read from the bins.</p>"]
    stats_rows = []
    plots = []
    for name in names:
        series = []
        for c in columns:
            h = c["lengths"].get(name)
            if not h or not h["n"]:
                continue
            series.append((c["name"], [(max(b[1], 1.0), b[2] / h["n"]) for b in h["bins"]]))
            stats_rows.append([escape(name), escape(c["name"]), fmt_int(h["n"]), fmt_num(h["mean"]),
                               fmt_num(h["p50"]), fmt_num(h["p90"]), fmt_num(h["p99"]),
                               fmt_int(h["max"])])
        plots.append(charts.line_chart(series, name.replace("_", " "), "length (upper bin edge)",
                                       "share of records", step=True))
    out.append(f'<div class="charts">{"".join(plots)}</div>')
    out.append(table(["length", "column", "n", "mean", "p50", "p90", "p99", "max"], stats_rows))
    return "".join(out)


def render_page(report: dict[str, Any]) -> str:
    """The whole HTML document."""
    sections = [("summary", "Inputs", _summary(report)), ("", "", _mix(report)),
                ("", "", _lengths(report)), ("", "", dedup_section(report)),
                ("", "", diversity_section(report)), ("", "", agent_section(report))]
    nav = ('<nav><a href="#summary">inputs</a><a href="#mix">mix</a><a href="#lengths">lengths</a>'
           '<a href="#dedup">dedup</a><a href="#diversity">diversity</a>'
           + ('<a href="#agent">cluster-agent</a>' if "cluster_agent" in report else "") + "</nav>")
    body = []
    for anchor, title, html in sections:
        if anchor:
            body.append(f'<h2 id="{anchor}">{title}</h2>')
        body.append(html)
    names = ", ".join(c["name"] for c in report["columns"])
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width,initial-scale=1">'
            f"<title>boostpack report: {escape(names)}</title><style>{_CSS}</style></head><body>"
            f"<h1>boostpack data report</h1><p class=muted>{escape(names)} · boostpack "
            f"{escape(report['boostpack_version'])} · the same numbers are in the JSON report</p>"
            f"{nav}{''.join(body)}</body></html>\n")
