"""Field-visit sample: reproducible, stratified, always including people with a high-severity finding."""

from __future__ import annotations

import pandas as pd
import pytest

from audit_toolkit.findings import FINDING_COLUMNS
from audit_toolkit.sampling import SAMPLE_COLUMNS, allocate, field_visit_sample
from tests.factories import context, person, ward


def _lines(sizes: dict[str, int], *, ended: int = 0) -> pd.DataFrame:
    """Roster lines: ``sizes[category]`` active people each, plus ``ended`` people whose line ended."""
    people = []
    for cat, count in sizes.items():
        for i in range(count):
            people.append(
                person(
                    full_name=f"Người {cat} {i:03d}", birth_date=f"19{40 + i % 50:02d}-01-01", category=cat
                )
            )
    for i in range(ended):
        people.append(
            person(
                full_name=f"Đã thôi {i:03d}",
                category="K5c",
                status="ended",
                end_month="2021-01",
                birth_date="1930",
            )
        )
    return context(ward(beneficiaries=people)).lines


def _findings(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Findings with (person_key, severity, check_id)."""
    frame = pd.DataFrame(
        [
            {
                "person_key": k,
                "severity": s,
                "check_id": c,
                "national_id": "",
                "full_name": "X",
                "source": "x:1",
            }
            for k, s, c in rows
        ],
        columns=FINDING_COLUMNS,
    )
    return frame


NO_FINDINGS = pd.DataFrame(columns=FINDING_COLUMNS)


def test_same_seed_same_sample_and_row_order_does_not_matter() -> None:
    lines = _lines({"K5c": 30, "K6": 20, "K1": 5})
    first = field_visit_sample(lines, NO_FINDINGS, n=8, seed=3)
    again = field_visit_sample(lines, NO_FINDINGS, n=8, seed=3)
    shuffled = field_visit_sample(lines.sample(frac=1, random_state=1), NO_FINDINGS, n=8, seed=3)
    other = field_visit_sample(lines, NO_FINDINGS, n=8, seed=4)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, shuffled)
    assert set(first["person_key"]) != set(other["person_key"])
    assert list(first.columns) == SAMPLE_COLUMNS


def test_stratified_proportionally_with_every_category() -> None:
    lines = _lines({"K5c": 30, "K6": 20, "K1": 5, "K4": 1})
    sample = field_visit_sample(lines, NO_FINDINGS, n=10, seed=0)
    assert len(sample) == 10
    assert sample["category"].value_counts().to_dict() == {"K5c": 5, "K6": 3, "K1": 1, "K4": 1}
    assert (sample["reason"] == "random").all()


def test_only_active_people_are_drawn() -> None:
    lines = _lines({"K6": 3}, ended=20)
    sample = field_visit_sample(lines, NO_FINDINGS, n=10, seed=0)
    # Three active people: the 20 whose line ended before as-of are never drawn.
    assert len(sample) == 3
    assert not sample["full_name"].str.startswith("Đã thôi").any()


def test_high_severity_people_always_included_on_top_of_n() -> None:
    lines = _lines({"K5c": 30, "K6": 20}, ended=1)
    keys = lines.set_index("full_name")["person_key"]
    high = [keys["Người K5c 001"], keys["Người K6 002"], keys["Đã thôi 000"]]
    findings = _findings(
        [
            (high[0], "high", "DECEASED_ACTIVE"),
            (high[0], "high", "PAID_AFTER_END"),
            (high[1], "high", "AGE_OUT"),
            (
                high[2],
                "high",
                "PAID_AFTER_END",
            ),  # not active at as-of, but paid after the end: visited anyway
            (keys["Người K6 005"], "medium", "WRONG_AMOUNT"),  # medium: not forced in
        ]
    )
    sample = field_visit_sample(lines, findings, n=0, seed=0)
    assert sorted(sample["person_key"]) == sorted(high)  # all three, although n = 0
    assert (sample["reason"] == "high_finding").all()
    checks = sample.set_index("person_key")["checks"]
    assert checks[high[0]] == "DECEASED_ACTIVE, PAID_AFTER_END"
    # The n random visits come on top, drawn among the others: nobody twice.
    bigger = field_visit_sample(lines, findings, n=10, seed=0)
    assert len(bigger) == 13 and bigger["person_key"].is_unique
    assert set(high) <= set(bigger["person_key"])
    assert list(bigger["reason"]).count("high_finding") == 3


def test_high_finding_outside_the_roster_uses_the_finding() -> None:
    lines = _lines({"K5c": 3})
    findings = _findings(
        [("nb:ai do|1950", "high", "DECEASED_ACTIVE"), ("row:beneficiaries:9", "high", "UNREADABLE_ROW")]
    )
    findings.loc[1, "full_name"] = ""  # an unreadable row without a name: nobody to visit
    sample = field_visit_sample(lines, findings, n=0, seed=0)
    assert sample["person_key"].tolist() == ["nb:ai do|1950"]
    assert sample["full_name"].tolist() == ["X"]


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        ({"K1": 2, "K5c": 10, "K6": 8}, 5, {"K1": 1, "K5c": 2, "K6": 2}),  # proportional, one at least
        (
            {"K1": 2, "K5c": 10, "K6": 8},
            2,
            {"K1": 0, "K5c": 1, "K6": 1},
        ),  # fewer draws than strata: largest first
        (
            {"K1": 2, "K5c": 10, "K6": 8},
            50,
            {"K1": 2, "K5c": 10, "K6": 8},
        ),  # more draws than people: everyone
        ({"K1": 1, "K5c": 99}, 10, {"K1": 1, "K5c": 9}),  # a tiny stratum still gets its visit
        ({"K5c": 5}, 0, {"K5c": 0}),  # nothing to draw
    ],
)
def test_allocate(sizes: dict[str, int], n: int, expected: dict[str, int]) -> None:
    assert allocate(pd.Series(sizes), n).to_dict() == expected


def test_empty_roster_gives_an_empty_sample() -> None:
    sample = field_visit_sample(_lines({}), NO_FINDINGS, n=10, seed=0)
    assert sample.empty and list(sample.columns) == SAMPLE_COLUMNS


def test_a_person_is_their_first_allowance_line_with_every_distinct_source() -> None:
    from audit_toolkit.sampling import _people

    lines = pd.DataFrame(
        {
            "person_key": pd.Series(["b", "a", "b", "b", "a", "b"], dtype="str"),
            "kind": pd.Series(["C", "K", "K", "HTXH", "K", "K"], dtype="str"),
            "category": pd.Series(["C1", "K1", "K6", "HTXH", "K1", "K6"], dtype="str"),
            "full_name": pd.Series(
                ["B carer", "A", "B first", "B pension", "A again", "B later"], dtype="str"
            ),
            "source": pd.Series(["s:1", "s:2", "s:3", "s:4", "s:2", "s:6"], dtype="str"),
        }
    )
    people = _people(lines)
    assert people.index.tolist() == ["a", "b"]  # by key
    # b: the first K line (before HTXH, then C), whatever the listing order.
    assert people["full_name"].tolist() == ["A", "B first"]
    assert people["category"].tolist() == ["K1", "K6"]
    # Every distinct source, in that same order (K lines as listed, then HTXH, then C).
    assert people["source"].tolist() == ["s:2", "s:3;s:6;s:4;s:1"]
    shuffled = _people(lines.iloc[[5, 3, 1, 0, 4, 2]].reset_index(drop=True))
    assert shuffled.loc["a", "full_name"] == "A" and shuffled.loc["b", "source"] == "s:6;s:3;s:4;s:1"
