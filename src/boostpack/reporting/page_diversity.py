"""The dedup, diversity and cluster-agent sections of the HTML report (see ``page``)."""

from __future__ import annotations

from html import escape
from typing import Any

from boostpack.reporting import charts
from boostpack.reporting.html import fmt_int, fmt_num, table

# (label, path into one sample's metrics) of the diversity table, in display order.
LEXICAL = [("distinct-1", ("lexical", "distinct_1")), ("distinct-2", ("lexical", "distinct_2")),
           ("distinct-3", ("lexical", "distinct_3")), ("distinct-4", ("lexical", "distinct_4")),
           ("compression ratio", ("lexical", "compression_ratio")),
           ("Heaps beta", ("lexical", "growth", "heaps_beta")),
           ("vocabulary", ("lexical", "vocabulary"))]
EMBEDDING = [("Vendi score", ("embedding", "vendi")), ("DCScore", ("embedding", "dcscore")),
             ("DCScore / n", ("embedding", "dcscore_per_sample")),
             ("cluster surrogate C²/K", ("embedding", "cluster_surrogate", "score")),
             ("cluster surrogate C/K", ("embedding", "cluster_surrogate", "clusters_per_sample"))]
CATEGORY_METRICS = ["distinct-2", "compression ratio", "near-dup rate t=0.5",
                    "cluster entropy t=0.5", "Vendi score"]


def _get(metrics: dict[str, Any] | None, path: tuple[str, ...]) -> Any:
    cur: Any = metrics
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def _fmt(v: Any) -> str:
    return fmt_num(v, 4)


def _rows_for(thresholds: list[float]) -> list[tuple[str, tuple[str, ...]]]:
    rows = list(LEXICAL)
    for t in thresholds:
        rows.append((f"near-dup rate t={t:g}", ("neardup", f"t={t:g}", "duplicate_rate")))
        rows.append((f"cluster entropy t={t:g}", ("neardup", f"t={t:g}", "entropy_norm")))
    return rows + EMBEDDING


def dedup_section(report: dict[str, Any]) -> str:
    parts = []
    for inp in report["inputs"]:
        d = inp.get("dedup")
        if not d:
            continue
        label = escape(inp["label"])
        p = d["params"]
        parts.append(f"<h3>{label}</h3><p class=note>{fmt_int(d['input'])} records → "
                     f"{fmt_int(d['kept'])} kept, {fmt_int(d['removed'])} removed, "
                     f"{fmt_int(d['quarantined'])} quarantined ({escape(str(p['shingle']))} "
                     f"{p['ngram']}-grams, threshold {p['threshold']}, keep {p['keep']}).</p>")
        reasons = d["reasons"]
        cats = list(d["by_category"])[:15]
        plots = [charts.bar_chart(list(reasons), [("removed", [float(v) for v in reasons.values()])],
                                  "removals by reason", fmt=lambda v: f"{v:,.0f}")]
        if cats:
            plots.append(charts.bar_chart(
                cats, [("share removed", [d["by_category"][c]["removed_share"] for c in cats])],
                "share of each discipline removed"))
        hist = {int(k): v for k, v in d["cluster_size_histogram"].items()}
        plots.append(charts.line_chart([("clusters", sorted((float(k), float(v)) for k, v in hist.items()))],
                                       "cluster sizes (1 = unique)", "cluster size",
                                       "clusters", log_y=True))
        parts.append(f'<div class="charts">{"".join(plots)}</div>')
        rows = [[escape(c), fmt_int(v["before"]), fmt_int(v["removed"]), f"{v['removed_share']:.1%}",
                 escape(", ".join(f"{k} {n:,}" for k, n in v["reasons"].items()))]
                for c, v in d["by_category"].items()]
        parts.append(table(["discipline", "before", "removed", "share", "reasons"], rows))
        parts.append(_largest(d["largest_clusters"]))
        parts.append(_contamination(d["contamination"]))
    if not parts:
        return ""
    return ('<h2 id="dedup">Dedup</h2><p class=note>What dedup removed: by reason, by '
            "discipline (which lost most), cluster sizes, the largest clusters with a few "
            "members, and contamination per reference file.</p>" + "".join(parts))


def _largest(clusters: list[dict[str, Any]]) -> str:
    if not clusters:
        return ""
    out = ["<h4>Largest clusters</h4>"]
    for c in clusters:
        members = "".join(
            f"<li><span class=muted>{escape(str(m['id']))} · {escape(m['reason'])} · "
            f"similarity {m['similarity']}</span><br>{escape(m['text'])}</li>" for m in c["members"])
        out.append(f"<details><summary>{c['size']} records · kept "
                   f"<code>{escape(c['kept_id'])}</code>: {escape(c['kept_text'][:90])}</summary>"
                   f"<ul>{members}</ul></details>")
    return "".join(out)


def _contamination(c: dict[str, Any]) -> str:
    if not c["references"]:
        return "<p class=note>No reference sets (no <code>--against</code>).</p>"
    rows = [[escape(path), fmt_int(n)] for path, n in c["by_file"].items()]
    return (f"<h4>Contamination</h4><p class=note>{fmt_int(c['total'])} inputs removed as "
            f"contaminated ({fmt_int(c['by_ngram'])} by n-gram overlap).</p>"
            + table(["reference file", "inputs removed"], rows))


def diversity_section(report: dict[str, Any]) -> str:
    columns = report["columns"]
    params = report["params"]
    names = [c["name"] for c in columns]
    out = ['<h2 id="diversity">Diversity</h2><p class=note>Measured on uniform samples of the '
           "same size in every column, so values compare across columns (not across sizes). "
           "Higher distinct-n, Heaps beta, entropy, Vendi score and DCScore mean more diverse; "
           "higher compression ratio and near-dup rate mean more repetitive. See the JSON "
           "report's documentation for definitions.</p>"]
    rows_def = _rows_for(params["thresholds"])
    for size in params["sizes"]:
        samples = [c["diversity"]["overall"].get(str(size)) for c in columns]
        if not any(samples):
            continue
        rows = [[escape(label)] + [_fmt(_get(s, path)) for s in samples] for label, path in rows_def
                if any(_get(s, path) is not None for s in samples)]
        out.append(f"<h3>Samples of {size:,}</h3>")
        out.append(table(["metric"] + [escape(n) for n in names], rows))
        metrics = [(label, [_get(s, path) for s in samples]) for label, path in rows_def
                   if label != "vocabulary" and any(_get(s, path) is not None for s in samples)]
        plots = [charts.small_multiples(metrics, names, f"diversity per column, samples of {size:,}")]
        growth = [(c["name"], [tuple(p) for p in _get(s, ("lexical", "growth", "points")) or []])
                  for c, s in zip(columns, samples, strict=True) if s]
        plots.append(charts.line_chart(growth, "vocabulary growth", "words read",
                                       "distinct words", log_y=True))
        out.append(f'<div class="charts">{"".join(plots)}</div>')
    out.append(_categories(report))
    return "".join(out)


def _categories(report: dict[str, Any]) -> str:
    size = str(report["params"]["sizes"][0])
    by = report["params"]["diversity_by"]
    defs = dict(_rows_for(report["params"]["thresholds"]))
    out = [f"<h3>Per {escape(by)}, samples of {int(size):,}</h3>"]
    for c in report["columns"]:
        cats = c["diversity"]["by_category"]
        rows = []
        for value, sizes in cats.items():
            s = sizes.get(size)
            if s:
                rows.append([escape(value)] + [_fmt(_get(s, defs[m])) for m in CATEGORY_METRICS])
        if rows:
            out.append(f"<p><b>{escape(c['name'])}</b></p>")
            out.append(table([escape(by), *CATEGORY_METRICS], rows))
    return "".join(out) if len(out) > 1 else ""


def agent_section(report: dict[str, Any]) -> str:
    a = report.get("cluster_agent")
    if not a:
        return ""
    cfg, est, use = a["config"], a["estimate"], a["usage"]
    rows = [[escape(c["name"]), fmt_int(c["rounds"]), fmt_int(c["completed"]),
             fmt_int(c["malformed"]), fmt_int(c["skipped"]), _fmt(c["score"]),
             _fmt(c["mean_clusters"])] for c in a["columns"]]
    crit = a["criteria"]
    return ('<h2 id="agent">LLM cluster-agent</h2><p class=note>Chen et al. 2024 (arXiv '
            f"2410.15226): model <code>{escape(str(cfg['model']))}</code>, K={cfg['k']}, "
            f"N={cfg['n']}, J={cfg['j']}, M={cfg['m']}. Estimated {fmt_int(est['calls'])} calls, "
            f"~{fmt_int(est['prompt_tokens'])} prompt tokens; made {fmt_int(use['calls'])} calls "
            f"({fmt_int(use['cached'])} from the cache), {fmt_int(use['prompt_tokens'])} prompt "
            f"and {fmt_int(use['completion_tokens'])} completion tokens"
            + (f"; stopped: {escape(a['stopped'])}" if a.get("stopped") else "") + ".</p>"
            + table(["column", "rounds", "clustered", "malformed", "skipped", "score C²/K",
                     "mean clusters"], rows)
            + f"<details><summary>clustering criteria</summary><p><b>metadata</b>: "
            f"{escape(str(crit.get('metadata')))}</p><p><b>metric</b>: "
            f"{escape(str(crit.get('metric')))}</p></details>")
