"""Charts for the shared reports, as inline SVG text (no file, no network).

matplotlib is imported lazily (reports are optional for library users) and used through
``matplotlib.figure.Figure`` only: no pyplot, so no global backend state is touched in a user's
notebook, and rendering is headless (the SVG canvas, like Agg, needs no display). Text stays text
in the SVG (``svg.fonttype = none``): the browser draws it with the page's system fonts, so
Vietnamese diacritics render as well as in the rest of the page, and the figure stays small.

Each function takes plain frames/series and returns an SVG string, or ``None`` when there is
nothing to draw (the template then says so).

Example:
    >>> svg = bar_chart(pd.Series({"AGE_OUT": 3, "ID_INVALID": 5}), title="Findings")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit_toolkit.messages import fmt_month, t

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from audit_toolkit.audit import AuditResult

__all__ = [
    "age_histogram",
    "bar_chart",
    "clear_canvases",
    "grouped_bars",
    "monthly_line",
    "report_charts",
    "report_style",
    "signed_bars",
    "svg_of",
]

SEVERITY_COLOURS = {"high": "#b42318", "medium": "#b54708", "low": "#475467"}
PRIMARY = "#1d4e89"
SECONDARY = "#98a2b3"
OVER = "#b42318"
UNDER = "#1570ef"

#: Reused Figures, one per chart kind and thread (see :func:`_canvas`).
_LOCAL = threading.local()
#: matplotlib's default Axes margins (rcParams ``axes.xmargin``/``axes.ymargin``), restored on reuse.
_DEFAULT_MARGINS = (0.05, 0.05)

_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "audit-toolkit",  # stable element ids: the same data gives the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Liberation Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}


def _canvas(
    kind: str, width: float, height: float, *, left: float = 0.7, bottom: float = 0.45
) -> tuple[Figure, Axes]:
    """The Axes of chart ``kind``, emptied and sized, with fixed margins in inches.

    Building a Figure and its Axes (spines, axis objects, tick artists) costs more than drawing the
    chart, so each chart kind keeps one Figure per thread and reuses it: the data artists, the
    legend and the labels of the previous chart are removed, limits and autoscaling are reset, and
    every builder sets the rest (ticks, locators, margins) on each call. The SVG is the same as
    from a new Figure (a test compares them). A layout engine is not used: it costs more than
    the drawing.
    """
    canvases: dict[str, tuple[Figure, Axes]] = _LOCAL.__dict__.setdefault("canvases", {})
    if kind in canvases:
        fig, ax = canvases[kind]
        _empty(ax)
    else:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width, height))
        _measuring_canvas()(fig)  # becomes fig.canvas: savefig(format="svg") draws through it
        ax = fig.subplots()
        canvases[kind] = (fig, ax)
    fig.set_size_inches(width, height)
    fig.subplots_adjust(
        left=min(left / width, 0.6),
        right=1 - 0.25 / width,
        bottom=min(bottom / height, 0.6),
        top=1 - 0.15 / height,
    )
    return fig, ax


#: Text extents measured by :func:`_measuring_canvas`'s renderers, shared by all of them; emptied
#: when it grows past :data:`_MEASURED_MAX` entries (a ward's charts measure ≈ 70 strings).
_MEASURED: dict[tuple[Any, ...], tuple[float, float, float]] = {}
_MEASURED_MAX = 20_000
#: The settings a string's measured extent depends on besides its font properties.
_MEASURE_RC = (
    "font.family",
    "font.sans-serif",
    "font.serif",
    "font.monospace",
    "font.cursive",
    "font.fantasy",
    "text.hinting",
    "text.hinting_factor",
    "text.kerning_factor",
    "text.usetex",
    "mathtext.fontset",
)


@functools.cache
def _measuring_canvas() -> type:
    """An SVG canvas whose renderers share their text measurements (the same SVG, drawn sooner).

    matplotlib caches the extent of each string per *renderer*, and ``savefig`` makes a new one
    for every file: each chart of every ward measured its tick labels again with FreeType
    (≈ 10 ms of a ward's ≈ 80 ms of charts). An SVG renderer's measurement depends only on the
    string, its font properties and the font settings (it lays text out at 72 dpi whatever the
    figure's), so these renderers keep them in one table (:data:`_MEASURED`), keyed by those.
    They also answer matplotlib's question for a font's ascent, descent and line gap (the renderer
    hook ``_get_font_height_metrics``, which ``Text`` asks before reading the font's tables twice
    per text) from one table per font and settings (:data:`_HEIGHTS`).
    The canvas draws exactly as ``FigureCanvasSVG.print_svg`` does (a test compares the files).
    """
    import codecs

    import matplotlib
    from matplotlib import cbook
    from matplotlib.backends import backend_mixed, backend_svg

    # matplotlib's backends are untyped: used through ``Any``.
    rc: Any = matplotlib.rcParams
    mixed_renderer: Any = backend_mixed.MixedModeRenderer
    RendererSVG: Any = backend_svg.RendererSVG
    FigureCanvasSVG: Any = backend_svg.FigureCanvasSVG

    class MeasuringRendererSVG(RendererSVG):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._settings = tuple(_hashable(rc[k]) for k in _MEASURE_RC)

        def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any) -> Any:
            # ``prop`` is matplotlib's own copy (its cache's key), never changed afterwards.
            key = (s, prop, ismath, self._settings)
            found = _MEASURED.get(key)
            if found is None:
                found = super().get_text_width_height_descent(s, prop, ismath)
                if len(_MEASURED) >= _MEASURED_MAX:
                    _MEASURED.clear()
                _MEASURED[key] = found
            return found

        def _get_font_height_metrics(self, prop: Any) -> Any:
            # Text._get_layout asks its renderer for a font's ascent, descent and line gap before
            # it reads them from the font's tables itself: the same values (its computation, at
            # the 72 dpi of an SVG canvas), read once per font and settings instead of twice per
            # text drawn. None: none of those tables, and matplotlib measures as it would.
            # ``prop`` is the text's own, which may change later: stored as a copy.
            found = _HEIGHTS.get((prop, self._settings))
            if found is None:
                found = _height_metrics(prop)
                if len(_HEIGHTS) >= _MEASURED_MAX:
                    _HEIGHTS.clear()
                _HEIGHTS[(prop.copy(), self._settings)] = found
            return found

    class MeasuringCanvasSVG(FigureCanvasSVG):  # type: ignore[misc,valid-type]
        def print_svg(
            self, filename: Any, *, bbox_inches_restore: Any = None, metadata: Any = None, **applied: Any
        ) -> None:
            # FigureCanvasSVG.print_svg (matplotlib 3.11), with the renderer above. ``applied``:
            # what print_figure has set on the figure already (dpi, face and edge colours,
            # orientation); it drops them for its own canvases' print methods, not for this one.
            fh: Any
            with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
                if not cbook.file_requires_unicode(fh):
                    fh = codecs.getwriter("utf-8")(fh)
                dpi = self.figure.dpi
                self.figure.dpi = 72
                width, height = self.figure.get_size_inches()
                w, h = width * 72, height * 72
                renderer = mixed_renderer(
                    self.figure,
                    width,
                    height,
                    dpi,
                    MeasuringRendererSVG(w, h, fh, image_dpi=dpi, metadata=metadata),
                    bbox_inches_restore=bbox_inches_restore,
                )
                self.figure.draw(renderer)
                renderer.finalize()

    return MeasuringCanvasSVG


#: Font height metrics (:func:`_height_metrics`) of the measuring renderers, as :data:`_MEASURED`.
_HEIGHTS: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}


def _height_metrics(prop: Any) -> tuple[Any, Any, Any]:
    """``(ascent, descent, line gap)`` of the font of ``prop`` on a 72 dpi canvas, as
    ``matplotlib.text.Text._get_layout`` (3.11) reads them from its OS/2 or hhea table; ``(None,
    None, None)`` when it has neither (matplotlib then measures the text instead)."""
    from matplotlib.font_manager import fontManager, get_font

    font: Any = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, linegap_key, ascent_key, descent_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        fontsize = prop.get_size_in_points()
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * fontsize * 72 / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[linegap_key] * scale
    return None, None, None


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _empty(ax: Axes) -> None:
    """Remove what a chart builder added to ``ax`` and reset its limits, as on a new Axes."""
    for artist in [*ax.patches, *ax.lines, *ax.texts, *ax.collections]:
        artist.remove()
    ax.containers.clear()
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.margins(*_DEFAULT_MARGINS)
    ax.relim()
    ax.set_autoscale_on(True)


def clear_canvases() -> None:
    """Drop this thread's reused chart figures (the next chart of each kind builds a new one)."""
    _LOCAL.__dict__.pop("canvases", None)


def _label_inches(labels: Sequence[str]) -> float:
    """Room for horizontal-bar labels at 9 pt (about 0.075 inch per character)."""
    return 0.25 + 0.075 * max((len(s) for s in labels), default=4)


def svg_of(fig: Figure, label: str = "") -> str:
    """The figure as an ``<svg>`` element for inline use in HTML.

    The XML prolog, DOCTYPE, metadata and namespace declarations (URLs that would look like
    external references) are removed: an inline ``<svg>`` in HTML needs none of them.
    """
    buffer = io.StringIO()
    with report_style():
        fig.savefig(
            buffer, format="svg", metadata={"Creator": None, "Date": None, "Format": None, "Type": None}
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = text.replace("xlink:href", "href")
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # Let CSS size the chart: keep the viewBox, drop the fixed size.
    text = re.sub(r'(<svg[^>]*?)\s+width="[^"]*"\s+height="[^"]*"', r"\1", text, count=1)
    from html import escape

    return text.replace("<svg", f'<svg role="img" class="chart-svg" aria-label="{escape(label)}"', 1)


@contextlib.contextmanager
def report_style() -> Iterator[None]:
    """The report's rc settings (:data:`_RC`) for what runs inside; nested uses cost nothing.

    ``matplotlib.rc_context`` copies and restores every rcParam (≈ 0.2 ms): a ward's five charts
    enter it once (:func:`report_charts`) instead of twice per chart (builder and ``savefig``).
    """
    if getattr(_LOCAL, "styled", False):
        yield
        return
    import matplotlib

    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        _LOCAL.styled = True
        try:
            yield
        finally:
            _LOCAL.styled = False


def _styled(func: Any) -> Any:
    """Run a chart builder under the report's rc settings."""

    def wrapper(*args: Any, **kwargs: Any) -> str | None:
        with report_style():
            result: str | None = func(*args, **kwargs)
            return result

    wrapper.__doc__ = func.__doc__
    wrapper.__name__ = func.__name__
    return wrapper


def _hbar_height(n: int) -> float:
    return max(1.6, 0.32 * n + 0.9)


def _unlabelled(ax: Axes, *axes: str) -> None:
    """Say that ``axes`` (``"x"``, ``"y"``) of this chart never get an axis label.

    matplotlib places an axis label from the tick labels' extents, measuring every tick label
    again at each draw (≈ 1.5 ms an axis), even when the label is empty and draws nothing. Pinning
    the empty label's position skips that; the SVG is the same, as an empty label is not drawn.
    """
    if "x" in axes:
        ax.xaxis.set_label_coords(0.5, 0.0)
    if "y" in axes:
        ax.yaxis.set_label_coords(0.0, 0.5)


def _bars(
    ax: Axes,
    at: np.ndarray,
    lengths: np.ndarray,
    thickness: float,
    *,
    horizontal: bool = False,
    edge: bool = False,
    color: str | Sequence[str] = PRIMARY,
    edgecolor: str = "none",
    linewidth: float = 0.0,
    label: str | None = None,
) -> None:
    """Bars from 0 to ``lengths`` at positions ``at`` (centred on them, or starting there with
    ``edge``), drawn as one ``PolyCollection``, as ``ax.bar``/``ax.barh`` would draw them.

    ``ax.bar`` adds one Rectangle artist per bar, and each costs ≈ 0.3 ms to add (data limits) and
    to draw: a ward's five charts have ≈ 45 bars, ≈ 12 of their ≈ 90 ms. One collection per series
    draws the same rectangles (a test compares them with ``ax.bar``'s), with the same autoscaling:
    0 is a sticky edge, as for bars, and its label is the series' legend entry.
    """
    from matplotlib.collections import PolyCollection

    at = np.asarray(at, dtype=float)
    lengths = np.asarray(lengths, dtype=float)
    low = at if edge else at - thickness / 2
    high = low + thickness
    zero = np.zeros_like(lengths)
    corners = np.stack(
        [np.column_stack(pair) for pair in ((low, zero), (low, lengths), (high, lengths), (high, zero))],
        axis=1,
    )
    if horizontal:
        corners = corners[:, :, ::-1]
    bars = PolyCollection(
        list(corners),
        facecolors=color,
        edgecolors=edgecolor,
        linewidths=linewidth,
        label=label if label is not None else "_nolegend_",
    )
    (bars.sticky_edges.x if horizontal else bars.sticky_edges.y).append(0.0)
    ax.add_collection(bars)


def _plain_int_axis(ax: Axes, axis: str = "x") -> None:
    from matplotlib.ticker import MaxNLocator

    locator = MaxNLocator(integer=True)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(locator)


@_styled
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
    fig, ax = _canvas("bar_chart", 6.0, _hbar_height(len(values)), left=_label_inches(names), bottom=0.35)
    _unlabelled(ax, "x", "y")
    y = np.arange(len(values))[::-1]
    _bars(
        ax,
        y,
        values.to_numpy(dtype=float),
        0.65,
        horizontal=True,
        color=list(colours) if colours else PRIMARY,
    )
    ax.set_yticks(y, names)
    for yi, v in zip(y, values.to_numpy(), strict=True):
        if v:
            ax.text(v, yi, f" {int(v)}", va="center", fontsize=8)
    _plain_int_axis(ax)
    ax.margins(x=0.12)
    return svg_of(fig, title)


@_styled
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
    height = _hbar_height(len(frame)) + 0.3
    fig, ax = _canvas("signed_bars", 6.0, height, left=_label_inches(labels), bottom=0.6)
    _unlabelled(ax, "y")
    fig.subplots_adjust(top=1 - 0.4 / height)  # room for the legend above the bars
    y = np.arange(len(frame))[::-1]
    _bars(ax, y, frame["over"].to_numpy() / 1e6, 0.65, horizontal=True, color=OVER, label=over_label)
    _bars(
        ax, y, -frame["under"].abs().to_numpy() / 1e6, 0.65, horizontal=True, color=UNDER, label=under_label
    )
    ax.axvline(0, color="#344054", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel(unit_label)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False, fontsize=8)
    ax.margins(x=0.1)
    return svg_of(fig, title)


@_styled
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
    fig, ax = _canvas("grouped_bars", 6.0, 2.8)
    _unlabelled(ax, "x")
    fig.subplots_adjust(top=1 - 0.35 / 2.8)
    x = np.arange(len(frame))
    width = 0.8 / len(cols)
    palette = [PRIMARY, SECONDARY, OVER]
    for i, col in enumerate(cols):
        vals = frame[col].to_numpy(dtype=float)
        _bars(
            ax,
            x + (i - (len(cols) - 1) / 2) * width,
            vals,
            width,
            color=palette[i % 3],
            label=series_labels[col],
        )
    ax.set_xticks(x, [str(k) for k in frame.index])
    ax.set_ylabel(ylabel)
    _plain_int_axis(ax, "y")
    if len(cols) > 1:
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(cols), frameon=False, fontsize=8)
    return svg_of(fig, title)


@_styled
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
    fig, ax = _canvas("age_histogram", 6.0, 2.8)
    _bars(ax, edges[:-1], counts, 5, edge=True, color=PRIMARY, edgecolor="white", linewidth=0.6)
    top_y = ax.get_ylim()[1]  # the lines below do not move it: read (autoscale) once
    for age in thresholds:
        ax.axvline(age, color=OVER, linestyle="--", linewidth=1)
        ax.text(
            age,
            top_y,
            " " + threshold_label.format(age=age),
            color=OVER,
            va="top",
            fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85},
        )
    ax.set_xlim(0, top)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _plain_int_axis(ax, "y")
    return svg_of(fig, title)


@_styled
def monthly_line(amounts: pd.Series, *, title: str, ylabel: str) -> str | None:
    """Amount per month (index = ``mm/yyyy`` labels, in order), in millions of VND."""
    if amounts.empty:
        return None
    fig, ax = _canvas("monthly_line", 6.0, 2.8, bottom=0.8)
    _unlabelled(ax, "x")
    x = np.arange(len(amounts))
    vals = amounts.to_numpy(dtype=float) / 1e6
    _bars(ax, x, vals, 0.7)
    step = max(1, len(amounts) // 12)
    ax.set_xticks(x[::step], [str(k) for k in amounts.index[::step]], rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    return svg_of(fig, title)


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
    # Drawn once per audit (a notebook shows them, then writes the report with the same charts):
    # cached with the audit, as its roster summary is, for these very findings and language.
    key = (id(result.findings), len(result.findings), result.lang)
    cached = result.context.extras.get(_CACHE_KEY)
    if cached is not None and cached[0] == key:
        return dict(cached[1])
    with report_style():  # once for the five charts
        out = _report_charts(result, overview, by_category)
    result.context.extras[_CACHE_KEY] = (key, dict(out))
    return out


#: Key of the charts drawn for an audit in its context's ``extras``.
_CACHE_KEY = "report_charts"


def _report_charts(
    result: AuditResult, overview: list[dict[str, Any]], by_category: pd.DataFrame
) -> dict[str, Any]:
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
