"""match_people: the pairs, their order, and the same pairs as the plain pandas merges it replaced."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_toolkit.checks.base import match_people
from audit_toolkit.checks.common import key_positions, match_candidates
from audit_toolkit.messages import render, render_rows


def _people(rows: list[tuple[str | None, str | None, str | None, bool]], start: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "national_id": pd.Series([r[0] for r in rows], dtype="str"),
            "name_key": pd.Series([r[1] for r in rows], dtype="str"),
            "birth_date": pd.to_datetime(pd.Series([r[2] for r in rows], dtype="object")),
            "birth_date_year_only": [r[3] for r in rows],
        }
    )
    frame.index = pd.RangeIndex(start, start + len(rows))
    return frame


A, B = "006080001234", "006080001235"


@pytest.mark.parametrize(
    ("left", "right", "pairs"),
    [
        # same valid ID: a pair, whatever the names say
        ([(A, "le a", "1950-01-01", False)], [(A, "tran b", "1960-01-01", False)], [(0, 10)]),
        # two valid, different IDs: two people even with the same name and birth date
        ([(A, "le a", "1950-01-01", False)], [(B, "le a", "1950-01-01", False)], []),
        # a 12-digit ID and an old 9-digit CMND: different documents, so name + birth date decide
        ([(A, "le a", "1950-01-01", False)], [("095123456", "le a", "1950-01-01", False)], [(0, 10)]),
        # one side lacks a usable ID: name + full birth date
        ([("123", "le a", "1950-03-05", False)], [(B, "le a", "1950-03-05", False)], [(0, 10)]),
        # same name, other birth date: no pair
        ([(None, "le a", "1950-03-05", False)], [(None, "le a", "1950-03-06", False)], []),
        # year-only birth date on one side matches on the year
        ([(None, "le a", "1950-01-01", True)], [(None, "le a", "1950-07-09", False)], [(0, 10)]),
        # ... but not another year
        ([(None, "le a", "1950-01-01", True)], [(None, "le a", "1951-07-09", False)], []),
        # no name or no birth date: never a name match
        ([(None, None, "1950-01-01", False)], [(None, None, "1950-01-01", False)], []),
        # ID pairs first in left then right order, then name pairs; a pair found both ways once
        (
            [(A, "le a", "1950-01-01", False), (None, "tran b", "1960-01-01", False), (A, "x", None, False)],
            [(None, "tran b", "1960-01-01", False), (A, "le a", "1950-01-01", False), (A, "y", None, False)],
            [(0, 11), (0, 12), (2, 11), (2, 12), (1, 10)],
        ),
    ],
)
def test_match_people_pairs(left: list, right: list, pairs: list[tuple[int, int]]) -> None:
    got = match_people(_people(left, 0), _people(right, 10))
    assert list(got.columns) == ["left_idx", "right_idx"]
    assert list(zip(got["left_idx"], got["right_idx"], strict=True)) == pairs


def test_match_people_by_id_only_when_right_has_no_birth_dates() -> None:
    right = _people([(A, "le a", "1950-01-01", False), (None, "le a", "1950-01-01", False)], 10)
    got = match_people(_people([(A, "le a", "1950-01-01", False)], 0), right[["national_id"]])
    assert got.to_numpy().tolist() == [[0, 10]]


def _reference(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """The merge-based implementation match_people replaced (kept here as the oracle)."""
    lf = pd.DataFrame({"left_idx": left.index, "national_id": left["national_id"]})
    rf = pd.DataFrame({"right_idx": right.index, "national_id": right["national_id"]})
    valid_l = lf["national_id"].str.fullmatch(r"\d{12}|\d{9}").fillna(False).astype(bool)
    valid_r = rf["national_id"].str.fullmatch(r"\d{12}|\d{9}").fillna(False).astype(bool)
    by_id = lf.loc[valid_l].merge(rf.loc[valid_r], on="national_id")[["left_idx", "right_idx"]]

    def name_frame(df: pd.DataFrame, idx_name: str) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                idx_name: df.index,
                "name_key": df["name_key"],
                "year": df["birth_date"].dt.year,
                "date": df["birth_date"],
                "yo": df["birth_date_year_only"].astype(bool),
            }
        )
        return out.loc[out["name_key"].notna() & out["date"].notna()]

    pairs = name_frame(left, "left_idx").merge(
        name_frame(right, "right_idx"), on=["name_key", "year"], suffixes=("_l", "_r")
    )
    pairs = pairs.loc[
        (pairs["date_l"] == pairs["date_r"]) | pairs["yo_l"] | pairs["yo_r"], ["left_idx", "right_idx"]
    ]
    lid = left["national_id"].reindex(pairs["left_idx"]).to_numpy()
    rid = right["national_id"].reindex(pairs["right_idx"]).to_numpy()
    lvalid = valid_l.set_axis(lf["left_idx"]).reindex(pairs["left_idx"]).to_numpy()
    rvalid = valid_r.set_axis(rf["right_idx"]).reindex(pairs["right_idx"]).to_numpy()
    # A 12-digit ID and a 9-digit CMND are different documents: only same-kind IDs tell two people apart.
    same_kind = (
        pd.Series(lid).astype(str).str.len().to_numpy() == pd.Series(rid).astype(str).str.len().to_numpy()
    )
    pairs = pairs.loc[~(lvalid & rvalid & same_kind) | (lid == rid)]
    return pd.concat([by_id, pairs], ignore_index=True).drop_duplicates().reset_index(drop=True)


_ROW = st.tuples(
    st.sampled_from([A, B, "123456789", "12345", None]),
    st.sampled_from(["le a", "tran b", None]),
    st.sampled_from(["1950-01-01", "1950-03-05", "1950-03-06", "1951-01-01", None]),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ROW, max_size=12), st.lists(_ROW, max_size=12))
def test_match_people_equals_the_merge_reference(left: list, right: list) -> None:
    lf, rf = _people(left, 0), _people(right, 100)
    pd.testing.assert_frame_equal(match_people(lf, rf), _reference(lf, rf), check_dtype=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ROW, max_size=30), st.lists(_ROW, max_size=6))
def test_candidate_matching_equals_the_merge_reference(left: list, right: list) -> None:
    """The candidate filters (ID, or name with birth date / year) keep every pair, both ways round,
    also when one side is much larger (the filter of a million-row register)."""
    lf, rf = _people(left, 0), _people(right, 100)
    expected, swapped = _reference(lf, rf), _reference(rf, lf)
    # Both name filters: the name alone (small lists) and name with birth date (large registers).
    for rows in (0, 10**9):
        with patch("audit_toolkit.checks.base._BIRTH_FILTER_ROWS", rows):
            pd.testing.assert_frame_equal(match_candidates(lf, rf), expected, check_dtype=False)
            pd.testing.assert_frame_equal(match_people(lf, rf), expected, check_dtype=False)
            pd.testing.assert_frame_equal(match_candidates(rf, lf), swapped, check_dtype=False)


def test_candidate_matching_keeps_a_year_only_namesake_and_drops_other_dates() -> None:
    """On a large register a common name alone keeps no row: the birth date (or year, when year-only)
    must agree too; the pairs stay those of the name rule."""
    big = _people(
        [
            (None, "le a", "1950-03-05", False),  # same name, same date: pairs
            (None, "le a", "1950-03-06", False),  # same name, other date: no pair
            (None, "le a", "1950-01-01", True),  # year-only 1950: pairs on the year
            (None, "le a", "1951-01-01", True),  # year-only, other year: no pair
            (A, "x", None, False),  # same ID: pairs
            (None, "tran b", "1950-03-05", False),  # other name: no pair
        ],
        0,
    )
    small = _people([(A, "le a", "1950-03-05", False)], 100)
    with patch("audit_toolkit.checks.base._BIRTH_FILTER_ROWS", 0):
        got = match_candidates(big, small)
    assert sorted(zip(got["left_idx"], got["right_idx"], strict=True)) == [(0, 100), (2, 100), (4, 100)]


@pytest.mark.parametrize("func", [render, render_rows])
def test_render_formats_each_row_and_names_a_missing_field(func: object) -> None:
    rows = pd.DataFrame({"path": pd.Series(["a", np.nan], dtype="str"), "unused": [1, 2]})
    assert func("cli.done", "en", rows).tolist() == ["Results written to a", "Results written to nan"]  # type: ignore[operator]
    with pytest.raises(KeyError):
        func("cli.done", "en", rows.drop(columns="path"))  # type: ignore[operator]


def test_key_positions_finds_each_value_among_the_keys() -> None:
    values = pd.Series(["b", None, "z", "a", "b"], dtype="str")
    keys = pd.Series(["a", "b", "c"], dtype="str")
    assert key_positions(values, keys).tolist() == [1, -1, -1, 0, 1]
    assert key_positions(values.iloc[:0], keys).tolist() == []
