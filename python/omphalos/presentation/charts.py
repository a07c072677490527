"""The run report's inline SVG charts, laid out as small data classes (no chart library).

Each function here computes a chart's geometry; the macros of ``templates/charts.html.j2``
(``hbar``, ``histogram``, ``heat``) draw it. Coordinates are written with one decimal, so the
bytes are stable.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from omphalos.presentation.templating import money_short

__all__ = [
    "STATUS_CLASS",
    "Bar",
    "HBarChart",
    "Heatmap",
    "Histogram",
    "Segment",
    "hbar_chart",
    "heatmap",
    "score_histogram",
]

STATUS_CLASS = {"MATCH": "s-match", "REVIEW": "s-review", "NO_MATCH": "s-nomatch"}


@dataclasses.dataclass(frozen=True)
class Segment:
    value: float
    css: str
    tip: str


@dataclasses.dataclass(frozen=True)
class Bar:
    label: str
    segments: tuple[Segment, ...]
    note: str
    tip: str = ""


@dataclasses.dataclass(frozen=True)
class Rect:
    """A bar segment: its class, left edge and width (the row gives y and height)."""

    css: str
    x: float
    w: float
    tip: str


@dataclasses.dataclass(frozen=True)
class HBarRow:
    y: int
    label: str
    tip: str
    rects: tuple[Rect, ...]
    note: str


@dataclasses.dataclass(frozen=True)
class HBarChart:
    """Horizontal (stacked) bars with labels on the left and a note on the right."""

    label: str
    axis: str
    width: int
    height: int
    top: int
    axis_y: int
    label_w: int
    bar_w: int
    row_h: int
    ticks: tuple[tuple[float, str], ...]
    rows: tuple[HBarRow, ...]


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def hbar_chart(
    bars: Sequence[Bar],
    *,
    label: str,
    axis: str,
    tick_format: Any = None,
    label_w: int = 300,
    bar_w: int = 420,
    note_w: int = 200,
    row_h: int = 22,
    scale_max: float | None = None,
) -> HBarChart:
    """Lay out horizontal bars: segments stacked left to right on one scale."""
    top = 6
    total_max = scale_max or max((sum(s.value for s in b.segments) for b in bars), default=0.0)
    total_max = total_max or 1.0
    fmt = tick_format or (lambda v: f"{v:,.0f}")
    rows = []
    for i, b in enumerate(bars):
        x = float(label_w)
        rects = []
        for s in b.segments:
            w = bar_w * s.value / total_max
            if w <= 0:
                continue
            rects.append(Rect(s.css, x, w, s.tip))
            x += w
        rows.append(
            HBarRow(
                y=top + i * row_h,
                label=_clip(b.label, max(8, (label_w - 12) // 7)),
                tip=b.tip or b.label,
                rects=tuple(rects),
                note=b.note,
            )
        )
    return HBarChart(
        label=label,
        axis=axis,
        width=label_w + bar_w + note_w,
        height=top + len(bars) * row_h + 34,
        top=top,
        axis_y=top + len(bars) * row_h + 2,
        label_w=label_w,
        bar_w=bar_w,
        row_h=row_h,
        ticks=tuple((label_w + bar_w * i / 4, str(fmt(total_max * i / 4))) for i in range(5)),
        rows=tuple(rows),
    )


def _nice_ticks(maximum: int, count: int = 4) -> list[int]:
    if maximum <= 0:
        return [0]
    raw = maximum / count
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return list(range(0, maximum + 1, int(step)))


@dataclasses.dataclass(frozen=True)
class HistogramBin:
    x: int
    tip: str
    #: (css class, top y, height) from the bottom of the stack up
    rects: tuple[tuple[str, float, float], ...]
    #: the score under the bin every 0.05, else ""
    tick: str


@dataclasses.dataclass(frozen=True)
class Histogram:
    """Stacked histogram of candidate scores with the thresholds drawn as vertical lines."""

    width: int
    height: int
    left: int
    right: int
    top: int
    plot_h: int
    bin_w: int
    n: int
    ticks: tuple[tuple[float, int], ...]
    bins: tuple[HistogramBin, ...]
    #: (x, label, css class)
    thresholds: tuple[tuple[float, str, str], ...]


def score_histogram(
    bins: Mapping[int, Mapping[str, int]],
    *,
    lo: int,
    thresholds: Sequence[tuple[Decimal, str, str]],
) -> Histogram:
    """Candidate scores in bins of 0.01 from ``lo``/100 to 1.00, square-root count scale, with
    each threshold drawn as a labelled vertical line."""
    hi = 100
    n = hi - lo + 1
    left, right, top, bottom = 56, 16, 30, 48
    bin_w = max(8, min(26, 780 // max(n, 1)))
    plot_h = 240
    totals = {b: sum(v.values()) for b, v in bins.items()}
    peak = max(totals.values(), default=0)

    def y_of(count: float) -> float:
        return top + plot_h - (plot_h * math.sqrt(count / peak) if peak else 0.0)

    laid = []
    for i in range(n):
        b = lo + i
        counts = bins.get(b, {})
        tip_parts = [f"{s} {counts[s]:,}" for s in ("MATCH", "REVIEW", "NO_MATCH") if counts.get(s)]
        rects = []
        base = 0
        for s in ("NO_MATCH", "REVIEW", "MATCH"):
            c = counts.get(s, 0)
            if not c:
                continue
            y1, y0 = y_of(base + c), y_of(base)
            rects.append((STATUS_CLASS[s], y1, max(y0 - y1, 0.8)))
            base += c
        laid.append(
            HistogramBin(
                x=left + i * bin_w,
                tip=f"score {b / 100:.2f} to {(b + 1) / 100:.2f}: "
                + (", ".join(tip_parts) or "none"),
                rects=tuple(rects),
                tick=f"{b / 100:.2f}" if b % 5 == 0 else "",
            )
        )
    return Histogram(
        width=left + n * bin_w + right,
        height=top + plot_h + bottom,
        left=left,
        right=right,
        top=top,
        plot_h=plot_h,
        bin_w=bin_w,
        n=n,
        ticks=tuple((y_of(t), t) for t in _nice_ticks(peak)),
        bins=tuple(laid),
        thresholds=tuple(
            (left + (float(value) * 100 - lo) * bin_w, f"{name} {value}", css)
            for value, name, css in thresholds
        ),
    )


@dataclasses.dataclass(frozen=True)
class HeatCell:
    x: int
    #: None for an empty cell
    opacity: float | None
    tip: str
    text: str
    dark: bool


@dataclasses.dataclass(frozen=True)
class Heatmap:
    """A grid of flagged value, rows x columns, shaded by the square root of the value."""

    label: str
    width: int
    height: int
    left: int
    top: int
    cell_w: int
    cell_h: int
    cols: tuple[str, ...]
    #: (row label, its cells)
    rows: tuple[tuple[str, tuple[HeatCell, ...]], ...]


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    cells: Mapping[tuple[str, str], tuple[Decimal, int]],
    *,
    label: str,
    col_label: Any = None,
) -> Heatmap:
    """Lay out a grid of value by row and column (empty cells drawn blank)."""
    cell_w, cell_h, left, top = 54, 24, 70, 40
    peak = max((float(v) for v, _ in cells.values()), default=0.0) or 1.0
    name = col_label or (lambda c: c)
    laid_rows = []
    for r in rows:
        laid = []
        for j, c in enumerate(cols):
            x = left + j * cell_w
            value, count = cells.get((r, c), (Decimal(0), 0))
            if not count:
                laid.append(HeatCell(x, None, "", "", False))
                continue
            level = math.sqrt(float(value) / peak)
            laid.append(
                HeatCell(
                    x,
                    0.12 + 0.88 * level,
                    f"{r} / {name(c)}: {money_short(value)} in {count:,} shipment(s)",
                    money_short(value).replace("$", ""),
                    level > 0.55,
                )
            )
        laid_rows.append((r, tuple(laid)))
    return Heatmap(
        label=label,
        width=left + len(cols) * cell_w + 10,
        height=top + len(rows) * cell_h + 10,
        left=left,
        top=top,
        cell_w=cell_w,
        cell_h=cell_h,
        cols=tuple(str(name(c)) for c in cols),
        rows=tuple(laid_rows),
    )
