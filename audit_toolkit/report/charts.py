"""Charts for the shared reports, as inline SVG text (no file, no network).

The charts are drawn straight as SVG elements, laid out as matplotlib lays out its figures (the
look they had when matplotlib drew them: the same sizes, margins, colours, ticks and labels), at
a fraction of the cost: matplotlib built and measured hundreds of artists per chart (≈ 60 ms per
chart, ≈ 0.3 s per ward, the largest part of writing a ward's reports). Only its tick locator
(``matplotlib.ticker.MaxNLocator``, light to import) is still used, so the ticks fall where they
did. Text stays text (the browser draws it with the page's system fonts, so Vietnamese diacritics
render as well as in the rest of the page); text widths, where the layout needs them (legends,
axis labels), come from the advance widths of DejaVu Sans, the first font asked for.

Each function takes plain frames/series and returns an SVG string, or ``None`` when there is
nothing to draw (the template then says so). The same data give the same text.

Example:
    >>> svg = bar_chart(pd.Series({"AGE_OUT": 3, "ID_INVALID": 5}), title="Findings")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit_toolkit.messages import fmt_month, t

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult

__all__ = [
    "age_histogram",
    "bar_chart",
    "grouped_bars",
    "monthly_line",
    "report_charts",
    "signed_bars",
]

SEVERITY_COLOURS = {"high": "#b42318", "medium": "#b54708", "low": "#475467"}
PRIMARY = "#1d4e89"
SECONDARY = "#98a2b3"
OVER = "#b42318"
UNDER = "#1570ef"

_FONT = "font-family: 'DejaVu Sans', 'Arial', 'Liberation Sans', sans-serif"
#: Tick labels and axis labels (pt = SVG user units: the figure is laid out at 72 units per inch).
_SIZE = 9.0
#: Bar values, legends and threshold labels.
_SMALL = 8.0
#: DejaVu Sans metrics, in em: ascent above the baseline and descent below it, as laid out.
_ASCENT = 0.759766
_DESCENT = 0.240741
#: Advance widths of DejaVu Sans for ASCII 32–126, in thousandths of an em.
_WIDTHS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636,
    636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775,
    752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390,
    337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip
_TICK = 3.5  # tick length
_PAD = 3.5  # between a tick and its label
_LABELPAD = 4.0  # between the tick labels and the axis label
_MINUS = "\N{MINUS SIGN}"


def text_width(text: str, size: float) -> float:
    """Width of ``text`` at ``size`` in DejaVu Sans (accented letters as their base letter)."""
    total = 0
    for ch in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D")):
        code = ord(ch)
        if 32 <= code <= 126:
            total += _WIDTHS[code - 32]
        elif not unicodedata.combining(ch):
            total += 600
    return total * size / 1000


def _ascent(text: str) -> float:
    """Height above the baseline of ``text``, in em: taller when a letter carries a mark above
    (Vietnamese ``ổ``, ``ệ``, ``Đ`` with a tone…), as matplotlib measures the glyphs it lays out."""
    marked = any(unicodedata.combining(ch) == 230 for ch in unicodedata.normalize("NFD", text))
    return _ASCENT + (0.095 if marked else 0.0)


def _num(value: float) -> str:
    """A coordinate as matplotlib writes it: up to six decimals, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _label_inches(labels: Sequence[str]) -> float:
    """Room for horizontal-bar labels at 9 pt (about 0.075 inch per character)."""
    return 0.25 + 0.075 * max((len(s) for s in labels), default=4)


def _hbar_height(n: int) -> float:
    return max(1.6, 0.32 * n + 0.9)


def _limits(lo: float, hi: float, margin: float, *, sticky_zero: bool = True) -> tuple[float, float]:
    """Autoscaled view limits of data from ``lo`` to ``hi`` (matplotlib's ``autoscale_view``).

    The range grows by ``margin`` of its span on each side, but never past zero when the data
    start or end there (bars stand on zero: their "sticky edge").
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi - lo <= 1e-14 * max(abs(lo), abs(hi), 1.0):
        # matplotlib's nonsingular: a flat range is widened around its value.
        pad = 0.001 * abs(lo) if lo else 0.001
        return lo - pad, hi + pad
    delta = (hi - lo) * margin
    tol = 1e-5 * max(abs(lo), abs(hi), hi - lo)
    new_lo, new_hi = lo - delta, hi + delta
    if sticky_zero and lo >= -tol:
        new_lo = max(new_lo, 0.0)
    if sticky_zero and hi <= tol:
        new_hi = min(new_hi, 0.0)
    return new_lo, new_hi


def _ticks(lo: float, hi: float, *, integer: bool, length: float, per_label: float) -> list[float]:
    """Tick values for a view from ``lo`` to ``hi`` (all the locator's ticks, some may lie outside).

    ``integer``: matplotlib's ``MaxNLocator(integer=True)``; else its ``AutoLocator``, whose
    number of intervals follows the axis ``length`` (``per_label`` points per label, at most 9).
    """
    from matplotlib.ticker import MaxNLocator

    if integer:
        locator = MaxNLocator(integer=True)
    else:
        nbins = int(min(9, max(1, math.floor(length / per_label))))
        locator = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
    return [float(v) for v in locator.tick_values(lo, hi)]


def _tick_labels(ticks: Sequence[float]) -> list[str]:
    """Tick labels as matplotlib's ``ScalarFormatter`` writes them: one number of decimals for all."""
    locs = np.asarray(ticks, dtype=float)
    loc_range = float(np.ptp(locs)) if len(locs) else 0.0
    if loc_range == 0:
        loc_range = float(np.max(np.abs(locs))) if len(locs) else 0.0
    if loc_range == 0:
        loc_range = 1.0
    oom = int(math.floor(math.log10(loc_range)))
    sigfigs = max(0, 3 - oom)
    thresh = 1e-3 * 10**oom
    while sigfigs >= 0:
        if np.abs(locs - np.round(locs, decimals=sigfigs)).max() < thresh:
            sigfigs -= 1
        else:
            break
    sigfigs += 1
    out = []
    for value in locs:
        value = 0.0 if abs(value) < 1e-8 else float(value)
        out.append((f"%1.{sigfigs}f" % value).replace("-", _MINUS))
    return out


def _visible(ticks: Sequence[float], lo: float, hi: float) -> list[int]:
    span = hi - lo
    return [i for i, v in enumerate(ticks) if lo - 1e-10 * span <= v <= hi + 1e-10 * span]


class _Chart:
    """One figure with one axes, drawn as SVG elements in matplotlib's order and geometry."""

    def __init__(
        self,
        width: float,
        height: float,
        *,
        left: float = 0.7,
        bottom: float = 0.45,
        top: float = 0.15,
    ) -> None:
        # Inches → points (72 per inch), as matplotlib's SVG backend writes a figure.
        self.w = width * 72
        self.h = height * 72
        self.x0 = min(left / width, 0.6) * self.w
        self.x1 = (1 - 0.25 / width) * self.w
        self.y1 = self.h - min(bottom / height, 0.6) * self.h  # bottom edge of the axes
        self.y0 = top * 72  # top edge of the axes
        self.xlim = (0.0, 1.0)
        self.ylim = (0.0, 1.0)
        self.body: list[str] = []  # inside the axes (clipped)
        self.over: list[str] = []  # axes decorations and texts (not clipped)

    def px(self, x: float) -> float:
        lo, hi = self.xlim
        return self.x0 + (x - lo) / (hi - lo) * (self.x1 - self.x0)

    def py(self, y: float) -> float:
        lo, hi = self.ylim
        return self.y1 - (y - lo) / (hi - lo) * (self.y1 - self.y0)

    def rect(self, x0: float, y0: float, x1: float, y1: float, style: str, *, clip: bool = True) -> None:
        """A rectangle between two corners in points."""
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
            return
        y0, y1 = min(y0, y1), max(y0, y1)  # the path starts at the bottom edge, as matplotlib's
        d = f"M {_num(x0)} {_num(y1)} L {_num(x1)} {_num(y1)} L {_num(x1)} {_num(y0)} L {_num(x0)} {_num(y0)} z"
        (self.body if clip else self.over).append(f'<path d="{d}" style="{style}"/>')

    def line(self, x0: float, y0: float, x1: float, y1: float, style: str, *, clip: bool = False) -> None:
        d = f"M {_num(x0)} {_num(y0)} L {_num(x1)} {_num(y1)}"
        (self.body if clip else self.over).append(f'<path d="{d}" style="{style}"/>')

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = _SIZE,
        anchor: str = "middle",
        rotate: float = 0,
        fill: str | None = None,
    ) -> None:
        """A text whose baseline starts (or is centred, or ends) at ``x, y``."""
        style = f"font-size: {_num(size)}px; {_FONT}; text-anchor: {anchor}" + (
            f"; fill: {fill}" if fill else ""
        )
        self.over.append(
            f'<text style="{style}" x="{_num(x)}" y="{_num(y)}" '
            f'transform="rotate({_num(-rotate) if rotate else "-0"} {_num(x)} {_num(y)})">{escape(text)}</text>'
        )

    # --------------------------------------------------------------------------------- axes

    def x_ticks(self, ticks: Sequence[float], labels: Sequence[str]) -> float:
        """Tick marks and labels under the axes; returns the labels' bottom edge."""
        top = self.y1 + _TICK + _PAD
        for value, label in zip(ticks, labels, strict=True):
            x = self.px(value)
            self.line(x, self.y1, x, self.y1 + _TICK, "stroke: #000000; stroke-width: 0.8")
            self.text(x, top + _ascent(label) * _SIZE, label)
        return top + (max((_ascent(s) for s in labels), default=_ASCENT) + _DESCENT) * _SIZE

    def x_ticks_slanted(self, ticks: Sequence[float], labels: Sequence[str]) -> None:
        """Tick labels turned 45°, their right end under the tick (``rotation=45, ha="right"``)."""
        top = self.y1 + _TICK + _PAD
        r = math.sqrt(0.5)
        for value, label in zip(ticks, labels, strict=True):
            x = self.px(value)
            self.line(x, self.y1, x, self.y1 + _TICK, "stroke: #000000; stroke-width: 0.8")
            w = text_width(label, _SIZE)
            sx = x - r * (w + _DESCENT * _SIZE)
            sy = top + r * (w + _ASCENT * _SIZE)
            self.over.append(
                f'<text style="font-size: {_num(_SIZE)}px; {_FONT}" '
                f'transform="translate({_num(sx)} {_num(sy)}) rotate(-45)">{escape(label)}</text>'
            )

    def y_ticks(self, ticks: Sequence[float], labels: Sequence[str]) -> float:
        """Tick marks and labels left of the axes; returns the labels' left edge."""
        x = self.x0 - _TICK - _PAD
        widest = 0.0
        for value, label in zip(ticks, labels, strict=True):
            y = self.py(value)
            self.line(self.x0, y, self.x0 - _TICK, y, "stroke: #000000; stroke-width: 0.8")
            self.text(x, y + _ASCENT * _SIZE / 2, label, anchor="end")
            widest = max(widest, text_width(label, _SIZE))
        return x - widest

    def auto_x(self, *, integer: bool) -> None:
        ticks = _ticks(*self.xlim, integer=integer, length=self.x1 - self.x0, per_label=_SIZE * 3)
        labels = _tick_labels(ticks)
        keep = _visible(ticks, *self.xlim)
        self.x_bottom = self.x_ticks([ticks[i] for i in keep], [labels[i] for i in keep])

    def auto_y(self, *, integer: bool) -> None:
        ticks = _ticks(*self.ylim, integer=integer, length=self.y1 - self.y0, per_label=_SIZE * 2)
        labels = _tick_labels(ticks)
        keep = _visible(ticks, *self.ylim)
        self.y_left = self.y_ticks([ticks[i] for i in keep], [labels[i] for i in keep])

    def xlabel(self, text: str) -> None:
        baseline = self.x_bottom + _LABELPAD + _ascent(text) * _SIZE
        self.text((self.x0 + self.x1) / 2, baseline, text)

    def ylabel(self, text: str) -> None:
        x = self.y_left - _LABELPAD - _DESCENT * _SIZE
        self.text(x, (self.y0 + self.y1) / 2, text, rotate=90)

    def spines(self) -> None:
        style = (
            "fill: none; stroke: #000000; stroke-width: 0.8; stroke-linejoin: miter; stroke-linecap: square"
        )
        self.line(self.x0, self.y1, self.x0, self.y0, style)
        self.line(self.x0, self.y1, self.x1, self.y1, style)

    def legend(self, entries: Sequence[tuple[str, str]]) -> None:
        """Legend above the axes, right-aligned (``loc="lower right", bbox_to_anchor=(1, 1)``)."""
        size = _SMALL
        handle, gap, spacing = 2.0 * size, 0.8 * size, 2.0 * size
        widths = [handle + gap + text_width(label, size) for _, label in entries]
        right = self.x1 - 0.5 * size - 0.4 * size
        x = right - sum(widths) - spacing * (len(entries) - 1)
        baseline = self.y0 - 0.5 * size - 0.4 * size - 0.240234 * size
        for (colour, label), width in zip(entries, widths, strict=True):
            self.rect(x, baseline - 0.7 * size, x + handle, baseline, f"fill: {colour}", clip=False)
            self.text(x + handle + gap, baseline, label, size=size, anchor="start")
            x += width + spacing

    def svg(self, label: str) -> str:
        """The chart as an ``<svg>`` element for inline use in HTML (sized by CSS, viewBox kept)."""
        body = "\n".join(self.body)
        clip = "c" + hashlib.sha1(f"{label}\n{body}".encode()).hexdigest()[:10]
        parts = [
            f'<svg role="img" class="chart-svg" aria-label="{escape(label)}" '
            f'viewBox="0 0 {_num(self.w)} {_num(self.h)}" version="1.1">',
            ' <defs>\n  <style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>\n </defs>',
            f'<path d="M 0 {_num(self.h)} L {_num(self.w)} {_num(self.h)} L {_num(self.w)} 0 L 0 0 z" '
            'style="fill: #ffffff"/>',
            f'<path d="M {_num(self.x0)} {_num(self.y1)} L {_num(self.x1)} {_num(self.y1)} '
            f'L {_num(self.x1)} {_num(self.y0)} L {_num(self.x0)} {_num(self.y0)} z" style="fill: #ffffff"/>',
            f'<g clip-path="url(#{clip})">',
            body,
            "</g>",
            *self.over,
            f'<defs><clipPath id="{clip}"><rect x="{_num(self.x0)}" y="{_num(self.y0)}" '
            f'width="{_num(self.x1 - self.x0)}" height="{_num(self.y1 - self.y0)}"/></clipPath></defs>',
            "</svg>",
        ]
        return "\n".join(parts)


def bar_chart(
    values: pd.Series,
    *,
    title: str,
    colours: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str | None:
    """Horizontal bars of counts (index = label), first item on top.

    Args:
        values: counts per label (zeros are drawn as empty bars, so every label shows).
        title: chart title.
        colours: one colour per bar (default: the primary colour).
        labels: display text per index value.
    """
    if values.empty or not (values > 0).any():
        return None
    names = [labels.get(str(k), str(k)) if labels else str(k) for k in values.index]
    n = len(values)
    chart = _Chart(6.0, _hbar_height(n), left=_label_inches(names), bottom=0.35)
    vals = values.to_numpy(dtype=float)
    fills = list(colours) if colours else [PRIMARY] * n
    chart.xlim = _limits(min(0.0, float(np.nanmin(vals))), max(0.0, float(np.nanmax(vals))), 0.12)
    chart.ylim = _limits(-0.325, n - 1 + 0.325, 0.05, sticky_zero=False)
    ys = np.arange(n)[::-1]
    for yi, v, colour in zip(ys, vals, fills, strict=True):
        chart.rect(chart.px(0), chart.py(yi - 0.325), chart.px(v), chart.py(yi + 0.325), f"fill: {colour}")
    chart.auto_x(integer=True)
    chart.y_ticks(list(ys), names)
    chart.spines()
    for yi, v in zip(ys, vals, strict=True):
        if v:
            chart.text(
                chart.px(v), chart.py(yi) + 0.259766 * _SMALL, f" {int(v)}", size=_SMALL, anchor="start"
            )
    return chart.svg(title)


def signed_bars(
    over: pd.Series,
    under: pd.Series,
    *,
    title: str,
    over_label: str,
    under_label: str,
    unit_label: str,
) -> str | None:
    """Money at stake per label: overpaid to the right, underpaid to the left, in millions of VND."""
    frame = pd.DataFrame({"over": over, "under": under}).fillna(0)
    frame = frame.loc[(frame["over"] != 0) | (frame["under"] != 0)]
    if frame.empty:
        return None
    labels = [str(k) for k in frame.index]
    n = len(frame)
    chart = _Chart(6.0, _hbar_height(n) + 0.3, left=_label_inches(labels), bottom=0.6, top=0.4)
    right = frame["over"].to_numpy(dtype=float) / 1e6
    left = -frame["under"].abs().to_numpy(dtype=float) / 1e6
    chart.xlim = _limits(min(0.0, float(left.min()), float(right.min())), max(0.0, float(right.max())), 0.1)
    chart.ylim = _limits(-0.325, n - 1 + 0.325, 0.05, sticky_zero=False)
    ys = np.arange(n)[::-1]
    for yi, v in zip(ys, right, strict=True):
        chart.rect(chart.px(0), chart.py(yi - 0.325), chart.px(v), chart.py(yi + 0.325), f"fill: {OVER}")
    for yi, v in zip(ys, left, strict=True):
        chart.rect(chart.px(0), chart.py(yi - 0.325), chart.px(v), chart.py(yi + 0.325), f"fill: {UNDER}")
    zero = chart.px(0)
    chart.line(
        zero,
        chart.y1,
        zero,
        chart.y0,
        "fill: none; stroke: #344054; stroke-width: 0.8; stroke-linecap: square",
    )
    chart.auto_x(integer=False)
    chart.y_ticks(list(ys), labels)
    chart.xlabel(unit_label)
    chart.spines()
    chart.legend([(OVER, over_label), (UNDER, under_label)])
    return chart.svg(title)


def grouped_bars(
    frame: pd.DataFrame,
    *,
    title: str,
    series_labels: Mapping[str, str],
    ylabel: str,
) -> str | None:
    """Vertical bars, one group per index value, one bar per column (NaN = no bar)."""
    if frame.empty or not frame.fillna(0).to_numpy().any():
        return None
    cols = list(frame.columns)
    n = len(frame)
    chart = _Chart(6.0, 2.8, top=0.35)
    width = 0.8 / len(cols)
    values = frame.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    palette = [PRIMARY, SECONDARY, OVER]
    bars = []  # (left, right, height, colour) of each bar drawn: a NaN is no bar, and takes no room
    for i in range(len(cols)):
        for x, v in enumerate(values[:, i]):
            if math.isfinite(v):
                centre = x + (i - (len(cols) - 1) / 2) * width
                bars.append((centre - width / 2, centre + width / 2, float(v), palette[i % 3]))
    chart.xlim = _limits(min(b[0] for b in bars), max(b[1] for b in bars), 0.05, sticky_zero=False)
    chart.ylim = _limits(min(0.0, float(finite.min())), max(0.0, float(finite.max())), 0.05)
    for lo, hi, v, colour in bars:
        chart.rect(chart.px(lo), chart.py(0), chart.px(hi), chart.py(v), f"fill: {colour}")
    chart.x_bottom = chart.x_ticks(list(range(n)), [str(k) for k in frame.index])
    chart.auto_y(integer=True)
    chart.ylabel(ylabel)
    chart.spines()
    if len(cols) > 1:
        chart.legend([(palette[i % 3], series_labels[c]) for i, c in enumerate(cols)])
    return chart.svg(title)


def age_histogram(
    ages: pd.Series,
    *,
    title: str,
    thresholds: Sequence[int],
    threshold_label: str,
    xlabel: str,
    ylabel: str,
) -> str | None:
    """Histogram of ages (5-year bins) with vertical lines at the legal thresholds."""
    ages = pd.to_numeric(ages, errors="coerce").dropna()
    if ages.empty:
        return None
    top = max(int(ages.max()) + 5, max(thresholds) + 10)
    bins = np.arange(0, top + 5, 5)
    counts, edges = np.histogram(ages.to_numpy(dtype=float), bins=bins)
    chart = _Chart(6.0, 2.8)
    chart.xlim = (0.0, float(top))
    chart.ylim = _limits(0.0, float(counts.max()), 0.05)
    style = f"fill: {PRIMARY}; stroke: #ffffff; stroke-width: 0.6; stroke-linejoin: miter"
    for x, c in zip(edges[:-1], counts, strict=True):
        chart.rect(chart.px(x), chart.py(0), chart.px(x + 5), chart.py(c), style)
    for age in thresholds:
        x = chart.px(age)
        chart.line(
            x,
            chart.y1,
            x,
            chart.y0,
            f"fill: none; stroke-dasharray: 3.7,1.6; stroke-dashoffset: 0; stroke: {OVER}",
            clip=True,
        )
    chart.auto_x(integer=False)
    chart.xlabel(xlabel)
    chart.auto_y(integer=True)
    chart.ylabel(ylabel)
    chart.spines()
    for age in thresholds:
        # A label at the top of each line, on a white box so the bars do not cross it.
        text = " " + threshold_label.format(age=age)
        x = chart.px(age)
        baseline = chart.y0 + _ascent(text) * _SMALL
        pad = 0.96
        chart.over.append(
            f'<path d="M {_num(x - pad)} {_num(baseline + 0.240234 * _SMALL + pad)} '
            f"L {_num(x + text_width(text, _SMALL) + pad)} {_num(baseline + 0.240234 * _SMALL + pad)} "
            f"L {_num(x + text_width(text, _SMALL) + pad)} {_num(chart.y0 - pad)} "
            f'L {_num(x - pad)} {_num(chart.y0 - pad)} z" style="fill: #ffffff; opacity: 0.85"/>'
        )
        chart.text(x, baseline, text, size=_SMALL, anchor="start", fill=OVER)
    return chart.svg(title)


def monthly_line(amounts: pd.Series, *, title: str, ylabel: str) -> str | None:
    """Amount per month (index = ``mm/yyyy`` labels, in order), in millions of VND."""
    if amounts.empty:
        return None
    n = len(amounts)
    chart = _Chart(6.0, 2.8, bottom=0.8)
    vals = amounts.to_numpy(dtype=float) / 1e6
    chart.xlim = _limits(-0.35, n - 1 + 0.35, 0.05, sticky_zero=False)
    lo, hi = _limits(min(0.0, float(np.nanmin(vals))), max(0.0, float(np.nanmax(vals))), 0.05)
    chart.ylim = (0.0, hi if hi > 0 else 1.0)
    for x, v in enumerate(vals):
        chart.rect(chart.px(x - 0.35), chart.py(0), chart.px(x + 0.35), chart.py(v), f"fill: {PRIMARY}")
    step = max(1, n // 12)
    shown = list(range(0, n, step))
    chart.x_ticks_slanted(shown, [str(amounts.index[i]) for i in shown])
    chart.auto_y(integer=False)
    chart.ylabel(ylabel)
    chart.spines()
    return chart.svg(title)


def report_charts(
    result: AuditResult, overview: list[dict[str, Any]], by_category: pd.DataFrame
) -> dict[str, Any]:
    """Every chart of the one-ward report, as SVG text (``None`` where there is nothing to draw).

    Args:
        result: the ward's audit (its findings overview and roster summary are drawn).
        overview: :func:`audit_toolkit.report.html.check_overview` of ``result``.
        by_category: :func:`audit_toolkit.report.html.active_by_category` of ``result``.

    Returns:
        ``findings_by_check``, ``money_by_check``, ``by_category``, ``age``, ``paid_by_month``
        (SVG or ``None``) and ``has_payments`` (whether the ward gave a payments table).
    """
    from audit_toolkit.roster import roster_summary

    lang = result.lang

    def tr(key: str) -> str:
        return t(key, lang)

    ran = [r for r in overview if r["run"] and r["count"]]
    counts = pd.Series({r["check_id"]: r["count"] for r in ran}, dtype="int64")
    colours = [SEVERITY_COLOURS.get(r["severity"], PRIMARY) for r in ran]
    out: dict[str, Any] = {
        "findings_by_check": bar_chart(counts, title=tr("report.charts.findings_by_check"), colours=colours),
        "money_by_check": signed_bars(
            pd.Series({r["check_id"]: r["overpaid"] for r in ran}, dtype="float64"),
            pd.Series({r["check_id"]: r["underpaid"] for r in ran}, dtype="float64"),
            title=tr("report.charts.money_by_check"),
            over_label=tr("report.charts.overpaid"),
            under_label=tr("report.charts.underpaid"),
            unit_label=tr("report.charts.million"),
        ),
    }
    cats = by_category.drop(index="TOTAL")
    series = {"records": tr("report.charts.records"), "reported": tr("report.charts.reported")}
    frame = cats[["records", "reported"]] if cats["reported"].notna().any() else cats[["records"]]
    out["by_category"] = grouped_bars(
        frame,
        title=tr("report.charts.by_category"),
        series_labels=series,
        ylabel=tr("report.charts.people_axis"),
    )
    roster = roster_summary(result)
    active = roster.active.drop_duplicates("person_key")
    out["age"] = age_histogram(
        active["age_asof"],
        title=tr("report.charts.age"),
        thresholds=result.context.rules.chart_age_marks(result.as_of),
        threshold_label=tr("report.charts.threshold"),
        xlabel=tr("report.charts.age_axis"),
        ylabel=tr("report.charts.people_axis"),
    )
    out["has_payments"] = "payments" in result.ward.tables
    out["paid_by_month"] = None
    if roster.paid_by_month is not None:
        per_month = roster.paid_by_month.copy()
        per_month.index = [fmt_month(m, lang) for m in per_month.index]
        if per_month.any():
            out["paid_by_month"] = monthly_line(
                per_month, title=tr("report.charts.paid_by_month"), ylabel=tr("report.charts.million")
            )
    return out
