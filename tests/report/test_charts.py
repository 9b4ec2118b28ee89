"""The report's charts: SVG drawn directly, with matplotlib's ticks, labels and layout."""

from __future__ import annotations

import re

import pandas as pd

from audit_toolkit.report.charts import (
    age_histogram,
    bar_chart,
    grouped_bars,
    monthly_line,
    signed_bars,
    text_width,
)


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_bar_chart_ticks_and_values() -> None:
    svg = bar_chart(pd.Series({"AGE_OUT": 3, "ID_INVALID": 5}), title="Findings")
    assert svg is not None
    assert svg.startswith('<svg role="img" class="chart-svg" aria-label="Findings" viewBox="0 0 432 115.2"')
    # matplotlib's MaxNLocator(integer=True) on 0…5.6, then the bar labels and the values.
    assert _texts(svg) == ["0", "1", "2", "3", "4", "5", "AGE_OUT", "ID_INVALID", " 3", " 5"]
    assert bar_chart(pd.Series({"A": 0}), title="x") is None


def test_signed_bars_write_minus_signs_and_one_number_of_decimals() -> None:
    svg = signed_bars(
        pd.Series({"A": 1_500_000.0, "B": 0.0}),
        pd.Series({"A": 0.0, "B": 700_000.0}),
        title="Money",
        over_label="Overpaid",
        under_label="Underpaid",
        unit_label="million VND",
    )
    assert svg is not None
    ticks = _texts(svg)[: _texts(svg).index("A")]
    assert ticks == ["\N{MINUS SIGN}0.5", "0.0", "0.5", "1.0", "1.5"]
    assert {"million VND", "Overpaid", "Underpaid"} <= set(_texts(svg))


def test_same_data_same_text_and_ids_differ_between_charts() -> None:
    def draw(n: int) -> str | None:
        return grouped_bars(
            pd.DataFrame({"records": [n, 2.0], "reported": [1.0, float("nan")]}, index=["K1", "K6"]),
            title="Categories",
            series_labels={"records": "Records", "reported": "Reported"},
            ylabel="People",
        )

    one, again, other = draw(3), draw(3), draw(4)
    assert one is not None and one == again
    clip = re.findall(r'clipPath id="(\w+)"', one)
    assert clip and clip != re.findall(r'clipPath id="(\w+)"', other or "")
    assert "http" not in one.replace('version="1.1"', "")  # nothing that could leave the file


def test_age_histogram_marks_thresholds_and_month_labels_slant() -> None:
    svg = age_histogram(
        pd.Series([5, 17, 62, 81, 90]),
        title="Ages",
        thresholds=[16, 60, 80],
        threshold_label="{age} tuổi",
        xlabel="Tuổi",
        ylabel="Số người",
    )
    assert svg is not None and svg.count("stroke-dasharray") == 3
    assert [s for s in _texts(svg) if "tuổi" in s] == [" 16 tuổi", " 60 tuổi", " 80 tuổi"]
    months = monthly_line(pd.Series([1e6, 2e6], index=["01/2023", "02/2023"]), title="Paid", ylabel="m")
    assert months is not None and months.count("rotate(-45)") == 2


def test_text_width_reads_accented_letters_as_their_base_letter() -> None:
    assert text_width("Tuổi", 9) == text_width("Tuoi", 9)
    assert text_width("đồng", 8) == text_width("dong", 8)
    assert text_width("", 9) == 0


def test_ticks_are_matplotlibs() -> None:
    """The ported locator gives MaxNLocator's ticks (integer and AutoLocator flavours) on many ranges."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    from audit_toolkit.report.charts import _ticks

    rng = np.random.default_rng(7)
    spans = [(0.0, float(hi)) for hi in rng.random(150) * 10.0 ** rng.integers(-3, 9, 150)]
    spans += [(-float(a), float(b)) for a, b in rng.random((150, 2)) * 10.0 ** rng.integers(-2, 7, (150, 1))]
    spans += [(0.0, 0.0), (-0.35, 11.35), (0.0, 1.05), (1000.0, 1000.5)]
    for lo, hi in spans:
        for integer, length in ((True, 300.0), (False, 315.0), (False, 133.2), (False, 40.0)):
            if integer:
                expected = MaxNLocator(integer=True).tick_values(lo, hi)
            else:
                nbins = int(min(9, max(1, np.floor(length / 27.0))))
                expected = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
            got = _ticks(lo, hi, integer=integer, length=length, per_label=27.0)
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9 * max(1.0, abs(hi), abs(lo)))
