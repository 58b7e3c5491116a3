"""Inline SVG charts for the HTML report, written here so the page needs nothing from outside
(no script, no CDN, no font): grouped horizontal bars, a heatmap, histograms as step lines,
line charts on log axes. Each returns one ``<svg class="chart">`` element as a string; every
mark carries a ``<title>`` so hovering shows the exact number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
WIDTH = 520
LABEL_W = 160
ROW_H = 14
FONT = 11
Series = tuple[str, Sequence[float | None]]


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'font-size="{FONT}" font-family="sans-serif"><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>'
            f"{escape(s)}</text>")


def _clip(label: str, n: int = 30) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def legend(names: Sequence[str], x: float, y: float) -> list[str]:
    """One row of colored swatches with the series names."""
    out = []
    for i, name in enumerate(names):
        out.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{color(i)}"/>')
        out.append(_text(x + 14, y, _clip(name, 40)))
        x += 24 + 6.5 * min(len(name), 40)
    return out


def bar_chart(categories: Sequence[str], series: Sequence[Series], title: str,
              fmt: Callable[[float], str] = lambda v: f"{v:.1%}") -> str:
    """Horizontal bars: one group per category, one bar per series (a value or None)."""
    k = max(len(series), 1)
    group_h = ROW_H * k + 6
    top = 34 if len(series) > 1 else 20
    height = top + group_h * len(categories) + 10
    vmax = max((v for _, vals in series for v in vals if v is not None), default=0) or 1
    plot_w = WIDTH - LABEL_W - 70
    body = [_text(0, 13, title, extra=' font-weight="bold"')]
    if len(series) > 1:
        body += legend([name for name, _ in series], 0, 28)
    for c, cat in enumerate(categories):
        y0 = top + c * group_h
        body.append(_text(LABEL_W - 6, y0 + group_h / 2 + 2, _clip(cat), "end"))
        for s, (name, vals) in enumerate(series):
            v = vals[c]
            y = y0 + s * ROW_H
            if v is None:
                body.append(_text(LABEL_W + 2, y + ROW_H - 3, "n/a", extra=' fill="#888"'))
                continue
            w = max(plot_w * v / vmax, 0.5)
            body.append(f'<rect x="{LABEL_W}" y="{y:.1f}" width="{w:.1f}" height="{ROW_H - 2}" '
                        f'fill="{color(s)}"><title>{escape(f"{name} / {cat}: {fmt(v)}")}</title></rect>')
            body.append(_text(LABEL_W + w + 3, y + ROW_H - 3, fmt(v)))
    return _svg(WIDTH, height, body, title)


def heatmap(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float]],
            title: str, fmt: Callable[[float], str] = lambda v: f"{v:.1%}") -> str:
    """A grid of cells shaded by value (0 white .. max dark), the value written inside."""
    cell_w = max(min((WIDTH - LABEL_W) / max(len(cols), 1), 80), 34)
    cell_h = 18
    width = LABEL_W + cell_w * len(cols) + 10
    height = 36 + cell_h * len(rows) + 6
    vmax = max((v for row in values for v in row), default=0) or 1
    body = [_text(0, 13, title, extra=' font-weight="bold"')]
    for j, col in enumerate(cols):
        body.append(_text(LABEL_W + (j + 0.5) * cell_w, 30, _clip(col, 10), "middle"))
    for i, row in enumerate(rows):
        y = 36 + i * cell_h
        body.append(_text(LABEL_W - 6, y + cell_h - 5, _clip(row), "end"))
        for j, v in enumerate(values[i]):
            a = v / vmax
            shade = f"rgb({round(255 - 200 * a)},{round(255 - 150 * a)},{round(255 - 60 * a)})"
            x = LABEL_W + j * cell_w
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w - 1:.1f}" '
                        f'height="{cell_h - 1}" fill="{shade}"><title>'
                        f'{escape(f"{row} x {cols[j]}: {fmt(v)}")}</title></rect>')
            if v:
                ink = "#fff" if a > 0.6 else "#222"
                body.append(_text(x + cell_w / 2, y + cell_h - 5, fmt(v), "middle",
                                  f' fill="{ink}" font-size="9"'))
    return _svg(width, height, body, title)


def _log_ticks(lo: float, hi: float) -> list[float]:
    start, stop = math.floor(math.log10(max(lo, 1e-9))), math.ceil(math.log10(max(hi, 1e-9)))
    return [10.0 ** e for e in range(start, stop + 1)]


def _axes(x0: float, y0: float, w: float, h: float, xt: list[tuple[float, str]],
          yt: list[tuple[float, str]]) -> list[str]:
    out = [f'<path d="M{x0},{y0}V{y0 + h}H{x0 + w}" fill="none" stroke="#999"/>']
    for x, label in xt:
        out.append(_text(x, y0 + h + 13, label, "middle", ' fill="#555"'))
    for y, label in yt:
        out.append(_text(x0 - 4, y + 3, label, "end", ' fill="#555"'))
    return out


def line_chart(series: Sequence[tuple[str, Sequence[tuple[float, float]]]], title: str,
               xlabel: str, ylabel: str, log_x: bool = True, log_y: bool = False,
               step: bool = False) -> str:
    """Lines through (x, y) points, one per series; log x (and y) axes with decade ticks.
    ``step``: draw each point as a horizontal segment to the next x (histograms)."""
    pts = [(x, y) for _, s in series for x, y in s if x > 0 and (y > 0 or not log_y)]
    height, x0, y0, w, h = 246, 56, 54, WIDTH - 80, 150
    body = [_text(0, 13, title, extra=' font-weight="bold"')]
    body += legend([name for name, _ in series], 0, 28)
    if not pts:
        body.append(_text(x0, y0 + 20, "no data", extra=' fill="#888"'))
        return _svg(WIDTH, height, body, title)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    xlo, xhi = min(xs), max(xs) * (1.2 if step else 1.0)
    ylo, yhi = (min(ys), max(ys)) if log_y else (0.0, max(ys) or 1.0)

    def fx(x: float) -> float:
        if log_x:
            span = math.log(xhi / xlo) or 1.0
            return x0 + w * math.log(x / xlo) / span
        return x0 + w * (x - xlo) / ((xhi - xlo) or 1.0)

    def fy(y: float) -> float:
        if log_y:
            span = math.log(yhi / ylo) or 1.0
            return y0 + h - h * math.log(max(y, ylo) / ylo) / span
        return y0 + h - h * (y - ylo) / ((yhi - ylo) or 1.0)

    xt = [(fx(t), f"{t:g}") for t in (_log_ticks(xlo, xhi) if log_x else [xlo, xhi])
          if xlo <= t <= xhi]
    yt = [(fy(t), f"{t:g}") for t in (_log_ticks(ylo, yhi) if log_y else [0, yhi / 2, yhi])
          if ylo <= t <= yhi]
    yt = [(y, label if log_y else f"{float(label):.3g}") for y, label in yt]
    body += _axes(x0, y0, w, h, xt, yt)
    body.append(_text(x0 + w, y0 + h + 26, xlabel, "end", ' fill="#555"'))
    body.append(_text(x0 - 50, y0 - 12, ylabel, "start", ' fill="#555"'))
    for i, (name, s) in enumerate(series):
        p = [(x, y) for x, y in s if x > 0 and (y > 0 or not log_y)]
        if not p:
            continue
        d = []
        for k, (x, y) in enumerate(p):
            d.append(f"{'M' if k == 0 else 'L'}{fx(x):.1f},{fy(y):.1f}")
            if step:
                nx = p[k + 1][0] if k + 1 < len(p) else x * 1.19
                d.append(f"H{fx(min(nx, xhi)):.1f}")
        body.append(f'<path d="{"".join(d)}" fill="none" stroke="{color(i)}" stroke-width="1.8">'
                    f"<title>{escape(name)}</title></path>")
    return _svg(WIDTH, height, body, title)


def small_multiples(metrics: Sequence[tuple[str, Sequence[float | None]]], names: Sequence[str],
                    title: str) -> str:
    """One small bar panel per metric, one bar per column (e.g. before/after dedup)."""
    per_row, panel_w, panel_h = 4, WIDTH / 4, 96
    rows = math.ceil(len(metrics) / per_row) or 1
    height = 40 + rows * (panel_h + 14)
    body = [_text(0, 13, title, extra=' font-weight="bold"')]
    body += legend(names, 0, 28)
    for m, (label, vals) in enumerate(metrics):
        px, py = (m % per_row) * panel_w, 40 + (m // per_row) * (panel_h + 14)
        body.append(_text(px + 4, py + 10, _clip(label, 26), extra=' fill="#333"'))
        present = [v for v in vals if v is not None]
        vmax = max(present, default=0) or 1
        bw = (panel_w - 20) / max(len(vals), 1)
        for i, v in enumerate(vals):
            x = px + 8 + i * bw
            if v is None:
                body.append(_text(x + bw / 2, py + panel_h - 4, "n/a", "middle", ' fill="#888"'))
                continue
            bh = max((panel_h - 34) * v / vmax, 0.5)
            y = py + panel_h - 14 - bh
            body.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" '
                        f'fill="{color(i)}"><title>{escape(f"{names[i]}: {v:.4g}")}</title></rect>')
            body.append(_text(x + bw / 2, y - 2, f"{v:.3g}", "middle", ' font-size="9"'))
    return _svg(WIDTH, height, body, title)
