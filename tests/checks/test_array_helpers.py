"""The array helpers the checks share (common.take_rows, stopped.evidence_by_key / with_identity /
summarise, facts.register_pairs): same answers as the frame operations they replace, passing and
failing records.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_toolkit.checks.base import AuditContext
from audit_toolkit.checks.common import MATCH_COLUMNS, first_positions, sources_by, take_rows
from audit_toolkit.checks.facts.people import dated_deaths, register_pairs
from audit_toolkit.checks.stopped import evidence_by_key, evidence_sources, summarise, with_identity
from tests.factories import context, person, ward


# ---------------------------------------------------------------------------------------- take_rows
def test_take_rows_keeps_labels_dtypes_and_skips_absent_columns() -> None:
    frame = pd.DataFrame(
        {
            "national_id": pd.Series(["001", None, "003"], dtype="str"),
            "age": pd.Series([70, None, 81], dtype="Int64"),
            "other": [1.0, 2.0, 3.0],
        }
    )
    out = take_rows(frame, np.array([2, 0]), ["national_id", "age", "name_key"])
    assert list(out.columns) == ["national_id", "age"]  # name_key is not in the frame: skipped
    assert out.index.tolist() == [2, 0]
    assert out["national_id"].tolist() == ["003", "001"]
    assert out["age"].dtype == "Int64"
    assert out["national_id"].dtype == frame["national_id"].dtype


def test_take_rows_of_no_rows_is_empty_with_the_columns() -> None:
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in MATCH_COLUMNS})
    out = take_rows(frame, np.zeros(0, dtype=np.int64), MATCH_COLUMNS)
    assert out.empty
    assert list(out.columns) == list(MATCH_COLUMNS)


# ---------------------------------------------------------------------------------- evidence_by_key
def test_evidence_by_key_sorts_by_table_row_and_reference_without_duplicates() -> None:
    keys = np.array(["b", "a", "a", "a", "b", "a"], dtype=object)
    tables = ["payments", "payments", "beneficiaries", "payments", "payments", "payments"]
    rows = np.array([12, 30, 4, 9, 12, 9])
    refs = np.array([None, "T3-2023!30", None, None, None, None], dtype=object)
    parts = [(keys[i : i + 1], tables[i], rows[i : i + 1], refs[i : i + 1]) for i in range(len(keys))]
    out = evidence_by_key(parts)
    # Row 9 twice for "a": once; a sheet reference replaces the bare row number.
    assert out == {"a": ["beneficiaries:4", "payments:9", "payments:T3-2023!30"], "b": ["payments:12"]}


def test_evidence_by_key_agrees_with_sources_by() -> None:
    rng = np.random.default_rng(7)
    n = 200
    keys = rng.choice(np.array(["p1", "p2", "p3", "p4"], dtype=object), n)
    tables = rng.choice(np.array(["payments", "deaths", "beneficiaries"], dtype=object), n)
    rows = rng.integers(2, 40, n)
    refs = rng.choice(np.array([None, "T1!3", "T2!3", "T10!3"], dtype=object), n)
    parts = [(keys[i : i + 1], str(tables[i]), rows[i : i + 1], refs[i : i + 1]) for i in range(n)]
    expected = sources_by(pd.Series(keys), pd.Series(tables), pd.Series(rows), pd.Series(refs))
    assert evidence_by_key(parts) == expected


def test_evidence_sources_without_refs_and_empty() -> None:
    frame = pd.DataFrame({"fk": ["x", "x"], "_row": [5, 3]})
    assert evidence_sources((frame, "beneficiaries")) == {"x": ["beneficiaries:3", "beneficiaries:5"]}
    assert evidence_sources((frame.iloc[:0], "beneficiaries")) == {}


# ------------------------------------------------------------------------------ identity and summary
def _lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line_idx": [4, 1, 2],
            "fk": pd.Series(["p\x1fK6", "p\x1fK6", "q\x1fC2"], dtype=object),
            "category": ["K6", "K6", "C2"],
            "person_key": ["p", "p", "q"],
            "full_name": ["P four", "P one", "Q"],
            "national_id": pd.Series(["1", None, "2"], dtype="str"),
            "sex": ["F", "F", "M"],
            "age_asof": pd.Series([80, 80, 40], dtype="Int64"),
        }
    )


def test_with_identity_takes_each_keys_first_line_in_roster_order() -> None:
    summary = pd.DataFrame({"fk": ["q\x1fC2", "p\x1fK6", "r\x1fK1"]})
    out = with_identity(summary, _lines())
    assert out["full_name"].tolist()[:2] == ["Q", "P one"]  # line 1 comes before line 4
    assert pd.isna(out["national_id"].iloc[1])
    assert out["full_name"].isna().iloc[2]  # a key without a line: missing, as a left merge gives
    assert out["age_asof"].dtype == "Int64"


def test_summarise_per_key_amount_months_and_categories() -> None:
    ctx = cast(AuditContext, SimpleNamespace(asof_month=24277))
    active = pd.DataFrame({"line_idx": [1, 1], "m": [24276, 24277], "fk": ["p\x1fK6", "p\x1fK6"]})
    paid = pd.DataFrame(
        {
            "m": [24270, 24270, 24275],
            "amount": [100.5, 0.25, 200.0],
            "fk": ["q\x1fC2", "q\x1fC2", "q\x1fC2"],
            "line_idx": [2, 2, 2],
        }
    )
    out = summarise(ctx, _lines(), active, paid).set_index("fk")
    assert out.index.tolist() == ["p\x1fK6", "q\x1fC2"]  # order of first appearance
    assert out.loc["q\x1fC2", "amount"] == 300.75
    assert out.loc["q\x1fC2", "n_months"] == 2  # 24270 twice counts once
    assert (out.loc["q\x1fC2", "first_paid"], out.loc["q\x1fC2", "last_paid"]) == (24270, 24275)
    assert out.loc["p\x1fK6", "amount"] == 0.0 and np.isnan(out.loc["p\x1fK6", "first_paid"])
    assert bool(out.loc["p\x1fK6", "active_asof"]) and not bool(out.loc["q\x1fC2", "active_asof"])
    assert out.loc["p\x1fK6", "active_categories"] == "K6"
    assert out.loc["q\x1fC2", "active_categories"] == ""  # line 2 is not active after its stop
    assert out.loc["q\x1fC2", "categories"] == "C2"


def test_summarise_of_nothing_flagged_is_empty() -> None:
    ctx = cast(AuditContext, SimpleNamespace(asof_month=24277))
    none = pd.DataFrame({"line_idx": pd.Series(dtype="int64"), "m": pd.Series(dtype="int64"), "fk": []})
    paid = none.assign(amount=pd.Series(dtype="float64"))
    assert summarise(ctx, _lines(), none, paid).empty


# ---------------------------------------------------------------------------------- register_pairs
def _death(line: dict[str, Any], date: str | None) -> dict[str, Any]:
    return {"national_id": line["national_id"], "full_name": line["full_name"], "death_date": date}


def test_register_pairs_are_matched_once_per_register_frame() -> None:
    dead, alive = person(category="K5c"), person(category="K5c")
    ctx = context(ward(beneficiaries=[dead, alive], deaths=[_death(dead, "2022-05-01"), _death(alive, None)]))
    deaths = dated_deaths(ctx)
    assert len(deaths) == 1  # an undated death record is not a death
    pairs = register_pairs(ctx, deaths)
    assert register_pairs(ctx, dated_deaths(ctx)) is pairs  # the same frame: the same pairs
    assert pairs["left_idx"].tolist() == [0]
    # Another frame (all records, the undated one too) is matched on its own.
    every = ctx.table("deaths")
    assert register_pairs(ctx, every) is not pairs
    assert sorted(register_pairs(ctx, every)["left_idx"].tolist()) == [0, 1]


# ---------------------------------------------------------------------------------- first_positions
def _first_positions_by_hand(keys: list[Any], ids: list[Any]) -> list[int]:
    out = []
    for value in ids:
        hit = -1
        if value is not None:
            for i, key in enumerate(keys):
                if key is not None and key == value:
                    hit = i
                    break
        out.append(hit)
    return out


def test_first_positions_first_row_wins_and_missing_matches_nothing() -> None:
    keys = ["001", None, "002", "001", "003", None]
    ids = ["001", "004", None, "003", "001", "002"]
    want = [0, -1, -1, 4, 0, 2]
    assert _first_positions_by_hand(keys, ids) == want
    for dtype in ("str", "object"):
        got = first_positions(pd.Series(keys, dtype=dtype), pd.Series(ids, dtype=dtype))
        assert got.tolist() == want


def test_first_positions_of_nothing() -> None:
    empty = pd.Series([], dtype="str")
    assert first_positions(empty, pd.Series(["001"], dtype="str")).tolist() == [-1]
    assert first_positions(pd.Series(["001"], dtype="str"), empty).tolist() == []
    assert first_positions(pd.Series([None, None], dtype="str"), pd.Series([None], dtype="str")).tolist() == [
        -1
    ]


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "dd", ""])), max_size=12),
    ids=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "dd", "e", ""])), max_size=8),
)
def test_first_positions_is_the_first_row_by_hand(keys: list[Any], ids: list[Any]) -> None:
    got = first_positions(pd.Series(keys, dtype="str"), pd.Series(ids, dtype="str"))
    assert got.tolist() == _first_positions_by_hand(keys, ids)
