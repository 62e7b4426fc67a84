"""Charts drawn on the server as inline SVG: no script, no data leaves the server.

Laid out for a phone first: each bar has its label on its own line above it, the drawing is 320 units
wide and scales to the page (CSS caps its width on large screens). Colours come from CSS classes
(``sla.css``), so the charts follow the page's theme and stay legible in high-contrast modes. Every
chart sits next to a table with the same numbers; the SVG carries a title for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

WIDTH = 320
LABEL_H = 16
BAR_H = 14
GAP = 10
FONT = 12
_ids = count(1)


def _markup(head: str, body: list[str], tail: str) -> Markup:
    # Every text that reaches the drawing went through escape(); the rest is numbers we formatted.
    return Markup(head + "".join(body) + tail)  # noqa: S704


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _open(title: str, height: float) -> tuple[str, str]:
    ident = f"chart-{next(_ids)}"
    head = (f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
            f'aria-labelledby="{ident}" xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">'
            f'<title id="{ident}">{escape(title)}</title>')
    return head, "</svg>"


CHAR_W = 7.0  # average advance of a 12-unit sans-serif character, generous so text stays inside
MAX_LABEL = int(WIDTH / CHAR_W) - 1


def _short(label: str, room: int = MAX_LABEL) -> str:
    """Labels do not wrap in SVG: long ones are cut with an ellipsis (the full text is in the table)."""
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def _legend_items(series: Sequence[tuple[str, str]]) -> list[tuple[str, str, float, float]]:
    """(key, label, x, y) of each legend entry, wrapped to the chart's width."""
    items, x, y = [], 0.0, 0.0
    for key, label in series:
        text = _short(label, MAX_LABEL - 3)
        width = 18 + CHAR_W * len(text)
        if x and x + width > WIDTH:
            x, y = 0.0, y + 16
        items.append((key, text, x, y))
        x += width + 6
    return items


def _legend(series: Sequence[tuple[str, str]], top: float) -> str:
    top += 2  # room for the ascenders of the first line
    return "".join(f'<rect class="c-{escape(key)}" x="{x:.0f}" y="{top + y:.0f}" width="10" height="10"/>'
                   f'<text x="{x + 14:.0f}" y="{top + y + 9:.0f}">{escape(text)}</text>'
                   for key, text, x, y in _legend_items(series))


def _legend_height(series: Sequence[tuple[str, str]]) -> float:
    items = _legend_items(series)
    return (items[-1][3] + 16 if items else 0) + 8


def stacked_bars(title: str, rows: Sequence[tuple[str, dict[str, int]]],
                 series: Sequence[tuple[str, str]], *, legend: bool = True) -> Markup:
    """One horizontal bar per row, split into ``series`` (key, label); the total is printed at its end."""
    if not rows:
        return Markup("")
    top = _legend_height(series) if legend else 0
    step = LABEL_H + BAR_H + GAP
    height = top + step * len(rows)
    biggest = max((sum(v.get(k, 0) for k, _ in series) for _, v in rows), default=0) or 1
    span = WIDTH - 40
    head, tail = _open(title, height)
    body = [_legend(series, 0) if legend else ""]
    for i, (label, values) in enumerate(rows):
        y = top + i * step
        body.append(f'<text x="0" y="{y + LABEL_H - 4:.0f}">{escape(_short(label))}<title>{escape(label)}</title>'
                    "</text>")
        x = 0.0
        for key, name in series:
            n = values.get(key, 0)
            if not n:
                continue
            w = span * n / biggest
            body.append(f'<rect class="c-{escape(key)}" x="{x:.1f}" y="{y + LABEL_H:.0f}" width="{w:.1f}" '
                        f'height="{BAR_H}"><title>{escape(name)}: {n}</title></rect>')
            x += w
        total = sum(values.get(k, 0) for k, _ in series)
        body.append(f'<text x="{x + 4:.1f}" y="{y + LABEL_H + BAR_H - 3:.0f}">{total}</text>')
    return _markup(head, body, tail)


def bars(title: str, rows: Sequence[tuple[str, int, str]]) -> Markup:
    """Simple horizontal bars, one per row: (label, value, css key); the label says what the colour means."""
    series = [(key, label) for label, _value, key in rows]
    return stacked_bars(title, [(label, {key: value}) for label, value, key in rows], series, legend=False)


def columns(title: str, groups: Sequence[tuple[str, dict[str, int]]],
            series: Sequence[tuple[str, str]]) -> Markup:
    """Stacked columns, one per group (e.g. a year), split into ``series``; totals on top."""
    if not groups:
        return Markup("")
    top = _legend_height(series)
    plot_h = 140
    height = top + plot_h + 34
    biggest = max((sum(v.get(k, 0) for k, _ in series) for _, v in groups), default=0) or 1
    slot = WIDTH / len(groups)
    width = min(36.0, slot * 0.7)
    head, tail = _open(title, height)
    body = [_legend(series, 0)]
    base = top + 16 + plot_h
    body.append(f'<line class="axis" x1="0" x2="{WIDTH}" y1="{base:.0f}" y2="{base:.0f}"/>')
    for i, (label, values) in enumerate(groups):
        cx = slot * i + slot / 2
        y = base
        for key, name in series:
            n = values.get(key, 0)
            if not n:
                continue
            h = plot_h * n / biggest
            y -= h
            body.append(f'<rect class="c-{escape(key)}" x="{cx - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
                        f'height="{h:.1f}"><title>{escape(label)} · {escape(name)}: {n}</title></rect>')
        total = sum(values.get(k, 0) for k, _ in series)
        body.append(f'<text text-anchor="middle" x="{cx:.1f}" y="{y - 3:.1f}">{total}</text>')
        body.append(f'<text text-anchor="middle" x="{cx:.1f}" y="{base + 14:.0f}">{escape(label)}</text>')
    return _markup(head, body, tail)


def ranges(title: str, rows: Sequence[tuple[str, float | None, float | None, float | None]],
           labels: tuple[str, str, str]) -> Markup:
    """Per row: a bar to the median, a thinner bar to the 90th percentile, and a tick at the SLA target.

    ``labels`` names the three marks (median, p90, target) for the legend; values share one scale.
    """
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return Markup("")
    series = [("median", labels[0]), ("p90", labels[1]), ("target", labels[2])]
    top = _legend_height(series)
    step = LABEL_H + BAR_H + GAP
    height = top + step * len(rows)
    biggest = max(max(v or 0 for v in r[1:]) for r in rows) or 1
    span = WIDTH - 50
    head, tail = _open(title, height)
    body = [_legend(series, 0)]
    for i, (label, median, p90, target) in enumerate(rows):
        y = top + i * step
        body.append(f'<text x="0" y="{y + LABEL_H - 4:.0f}">{escape(_short(label))}<title>{escape(label)}</title>'
                    "</text>")
        if p90 is not None:
            body.append(f'<rect class="c-p90" x="0" y="{y + LABEL_H + 4:.0f}" width="{span * p90 / biggest:.1f}" '
                        f'height="{BAR_H - 8}"><title>{escape(labels[1])}: {_fmt(p90)}</title></rect>')
        body.append(f'<rect class="c-median" x="0" y="{y + LABEL_H:.0f}" width="{span * (median or 0) / biggest:.1f}" '
                    f'height="{BAR_H}"><title>{escape(labels[0])}: {_fmt(median or 0)}</title></rect>')
        if target is not None:
            tx = span * target / biggest
            body.append(f'<line class="c-target" x1="{tx:.1f}" x2="{tx:.1f}" y1="{y + LABEL_H - 2:.0f}" '
                        f'y2="{y + LABEL_H + BAR_H + 2:.0f}"><title>{escape(labels[2])}: {_fmt(target)}</title></line>')
        end = span * max(v or 0 for v in (median, p90, target)) / biggest
        body.append(f'<text x="{end + 4:.1f}" y="{y + LABEL_H + BAR_H - 3:.0f}">{_fmt(median or 0)}</text>')
    return _markup(head, body, tail)
