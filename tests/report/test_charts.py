"""Charts reuse one Figure per kind: a reused Figure draws the same SVG as a new one."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

from audit_toolkit.report import charts


def _draw_all(scale: int) -> list[str | None]:
    rng = np.random.default_rng(scale)
    checks = [f"CHECK_{i}" for i in range(3 + 4 * scale)]
    counts = pd.Series(rng.integers(0, 9, len(checks)), index=checks)
    months = pd.Series(
        rng.integers(1, 90, 6 * scale) * 1e6, index=[f"{m:02d}/2022" for m in range(6 * scale)]
    )
    frame = pd.DataFrame({"records": [3, 20 * scale], "reported": [np.nan, 19.0]}, index=["K1", "K6"])
    return [
        charts.bar_chart(counts, title="Số phát hiện"),
        charts.signed_bars(
            counts * 1e6,
            -counts[::-1] * 2e5,
            title="t",
            over_label="Chi thừa",
            under_label="Chi thiếu",
            unit_label="triệu đồng",
        ),
        charts.grouped_bars(
            frame, title="t", series_labels={"records": "Hồ sơ", "reported": "Báo cáo"}, ylabel="Số người"
        ),
        charts.age_histogram(
            pd.Series(rng.integers(0, 60 + 20 * scale, 200)),
            title="t",
            thresholds=[16, 60, 80],
            threshold_label="{age} tuổi",
            xlabel="Tuổi",
            ylabel="Số người",
        ),
        charts.monthly_line(months, title="t", ylabel="triệu đồng"),
    ]


def test_a_reused_figure_draws_what_a_new_one_draws() -> None:
    charts.clear_canvases()
    fresh_small = _draw_all(1)
    charts.clear_canvases()
    fresh_large = _draw_all(3)
    # Reuse in both directions: after a larger chart, and after a smaller one.
    after_small = _draw_all(3)
    after_large = _draw_all(1)
    assert all(svg and "<svg" in svg for svg in fresh_small + fresh_large)
    assert after_small == fresh_large
    assert after_large == fresh_small


def test_text_stays_text_with_its_diacritics() -> None:
    svg = charts.bar_chart(pd.Series({"Chi thừa": 2}), title="Số phát hiện")
    assert svg is not None
    assert "Chi thừa" in svg


def test_pinned_empty_axis_labels_draw_what_automatic_placement_draws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Charts pin the position of axis labels they never set (matplotlib then skips measuring the
    # tick labels to place them); an empty label draws nothing, so the SVG must not change.
    charts.clear_canvases()
    pinned = _draw_all(2)
    monkeypatch.setattr(charts, "_unlabelled", lambda ax, *axes: None)
    charts.clear_canvases()
    automatic = _draw_all(2)
    charts.clear_canvases()
    assert pinned == automatic


def test_charts_drawn_inside_one_report_style_match_charts_drawn_alone() -> None:
    charts.clear_canvases()
    alone = _draw_all(1)
    charts.clear_canvases()
    with charts.report_style():
        together = _draw_all(1)
    assert together == alone
    import matplotlib

    # Leaving the style restores the user's settings (a notebook's own rcParams are untouched).
    assert matplotlib.rcParams["svg.fonttype"] != "none" or matplotlib.rcParams["font.size"] != 9


@pytest.mark.parametrize(
    ("horizontal", "edge", "lengths"),
    [
        (False, False, [3.0, 0.0, 7.5, 2.0]),
        (True, False, [3.0, 0.0, 7.5, 2.0]),
        (True, False, [-1.5, -4.0, 0.0, -0.2]),  # underpaid bars grow to the left of 0
        (False, True, [12.0, 4.0, 0.0, 9.0]),  # histogram bins start at their edge
    ],
)
def test_bars_draw_the_rectangles_and_limits_that_ax_bar_draws(
    horizontal: bool, edge: bool, lengths: list[float]
) -> None:
    from matplotlib.figure import Figure

    at = np.arange(len(lengths), dtype=float) * 5 if edge else np.arange(len(lengths), dtype=float)
    thickness = 5.0 if edge else 0.65
    reference = Figure().subplots()
    if horizontal:
        rects = reference.barh(at, lengths, height=thickness).patches
    else:
        rects = reference.bar(at, lengths, width=thickness, align="edge" if edge else "center").patches
    ours = Figure().subplots()
    charts._bars(ours, at, np.array(lengths), thickness, horizontal=horizontal, edge=edge)
    (collection,) = ours.collections
    drawn = [path.get_extents().extents for path in collection.get_paths()]
    # A bar's bbox keeps its sign (x1 < x0 for a bar growing left): compare the corners.
    expected = [(b.xmin, b.ymin, b.xmax, b.ymax) for b in (rect.get_bbox() for rect in rects)]
    np.testing.assert_allclose(np.sort(np.array(drawn), axis=0), np.sort(np.array(expected), axis=0))
    assert ours.get_xlim() == pytest.approx(reference.get_xlim())
    assert ours.get_ylim() == pytest.approx(reference.get_ylim())


def test_bars_label_is_the_series_legend_entry() -> None:
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    charts._bars(ax, np.arange(3), np.array([1.0, 2.0, 3.0]), 0.6, label="Chi thừa", color=charts.OVER)
    charts._bars(ax, np.arange(3), np.array([1.0, 0.5, 0.0]), 0.6)
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["Chi thừa"]
    assert len(handles) == 1


def test_charts_draw_through_the_measuring_canvas_what_savefig_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    # The charts' canvas shares text measurements between renderers; its files must be the ones
    # matplotlib's own SVG canvas writes, with the shared table empty and then warm.
    charts.clear_canvases()
    charts._MEASURED.clear()
    charts._HEIGHTS.clear()
    cold = _draw_all(2)
    warm = _draw_all(2)
    assert charts._MEASURED and charts._HEIGHTS  # measurements were kept
    monkeypatch.setattr(charts, "_measuring_canvas", lambda: lambda fig: None)  # matplotlib's canvas
    charts.clear_canvases()
    plain = _draw_all(2)
    charts.clear_canvases()
    assert cold == plain and warm == plain


def test_measurements_are_shared_between_renderers_and_follow_the_font_settings() -> None:
    import io

    import matplotlib
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    canvas = charts._measuring_canvas()(Figure())
    prop = FontProperties(family="sans-serif", size=9)

    def measure(cls: type) -> tuple[float, float, float]:
        renderer = cls(100, 100, io.StringIO()) if cls is RendererSVG else None
        if renderer is None:  # the measuring canvas's renderer, as print_svg makes it
            seen: list[object] = []
            canvas.figure.draw = lambda r: seen.append(r)
            canvas.print_svg(io.StringIO())
            renderer = seen[0]
        return tuple(renderer.get_text_width_height_descent("Số phát hiện", prop.copy(), False))

    charts._MEASURED.clear()
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        sans = measure(type(None))
        assert sans == measure(RendererSVG)
        assert len(charts._MEASURED) == 1
        assert measure(type(None)) == sans and len(charts._MEASURED) == 1  # a new renderer: from the table
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans Mono"]}):
        mono = measure(type(None))  # the same properties under another font: measured again
        assert mono == measure(RendererSVG) and mono != sans
        assert len(charts._MEASURED) == 2


def test_font_height_metrics_are_kept_per_font_and_settings_not_per_text() -> None:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family="sans-serif", size=9)
    charts._HEIGHTS.clear()
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        canvas = charts._measuring_canvas()(Figure())
        seen: list[Any] = []
        canvas.figure.draw = lambda r: seen.append(r)
        canvas.print_svg(io.StringIO())
        renderer = seen[0]
        nine = renderer._get_font_height_metrics(prop)
        assert nine == charts._height_metrics(prop) and None not in nine
        prop.set_size(18)  # a text's properties change: the nine-point entry stays the nine-point one
        eighteen = renderer._get_font_height_metrics(prop)
        assert eighteen == pytest.approx(tuple(2 * v for v in nine))
        assert renderer._get_font_height_metrics(FontProperties(family="sans-serif", size=9)) == nine
        assert len(charts._HEIGHTS) == 2
