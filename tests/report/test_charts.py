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
