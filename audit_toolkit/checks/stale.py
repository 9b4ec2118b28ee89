"""Stale status: people still listed or paid after the event that ended their entitlement.

Four checks (docs/check-semantics.md):

- ``DECEASED_ACTIVE``: a beneficiary matched to the death register, still active or paid after the
  month of death;
- ``MOVED_ACTIVE``: the same with a resident record ``moved_out`` and its move date;
- ``AGE_OUT``: a K1/K3/K2/K7 line past its age limit (limits from the rule tables);
- ``PAID_AFTER_END``: a received payment for a month on or after the line's ``end_month``, or while
  it was suspended.

The event month is the last payable month ("stop month"); only months of the audit period are
judged, for line activity as for payments. Everything is computed over whole frames (merges,
groupby with built-in aggregations, sorts); the only per-row Python work is formatting the
sentence of each finding. Helpers shared with the other families live in ``checks/common.py``.

Example:
    >>> raw = find_deceased_active(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check
from audit_toolkit.checks.common import (
    format_dates,
    isin_keys,
    take_rows,
)
from audit_toolkit.checks.facts import age_limits, death_months, move_months, moved_records
from audit_toolkit.checks.facts.people import dated_deaths, register_pairs
from audit_toolkit.checks.stopped import (
    IDENTITY_COLUMNS,
    SEP,
    after_stop,
    evidence_by_key,
    finding_key,
    month_labels,
    received_in_period,
    render_findings,
    summarise,
    with_identity,
)
from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import t

__all__ = [
    "find_age_outs",
    "find_deceased_active",
    "find_moved_active",
    "find_paid_after_end",
]


# -- person-level: deaths and moves -----------------------------------------------------------------
def _stopped_people(
    ctx: AuditContext,
    register: pd.DataFrame,
    *,
    table: str,
    date_col: str,
    check_id: str,
    message: str,
    months: pd.Series,
) -> pd.DataFrame:
    """DECEASED_ACTIVE / MOVED_ACTIVE: beneficiaries matched to a dated register event.

    ``months`` is the stop month per ``person_key`` (:func:`death_months` / :func:`move_months`);
    the matched records here are the evidence and the date the finding shows.
    """
    lines = ctx.lines
    if register.empty or lines.empty:
        return empty_raw()
    pairs = register_pairs(ctx, register)
    if pairs.empty:
        return empty_raw()
    # Plain arrays of the pairs (lines are indexed by line_idx; the register by its own labels).
    left = pairs["left_idx"].to_numpy(dtype=np.int64)
    right = register.index.get_indexer(pd.Index(pairs["right_idx"]))
    person = lines["person_key"].to_numpy(dtype=object)
    pair_fk = person[left]
    event = register[date_col].to_numpy()[right]
    # Matched on equal IDs, or only on name + birth date (which namesakes can share): the detail
    # tells the officer to verify the latter before acting on it.
    lid = lines["national_id"].to_numpy(dtype=object)[left]
    rid = register["national_id"].to_numpy(dtype=object)[right]
    by_id = pd.notna(lid) & pd.notna(rid) & (lid == rid)
    # Two register records for one person (a data error): the later date is the one we can least
    # dispute, so the overpayment we report is never larger than the register supports.
    codes, keys = pd.factorize(pair_fk)
    ok = codes >= 0
    latest = pd.Series(event[ok]).groupby(codes[ok]).max()
    event_of = latest.to_numpy()
    id_of = np.zeros(len(keys), dtype=bool)
    np.logical_or.at(id_of, codes[ok], by_id[ok])
    keys = np.asarray(keys, dtype=object)
    stop_of = months.reindex(pd.Index(keys, dtype=object)).astype("int64").to_numpy()
    at = np.flatnonzero(isin_keys(lines["person_key"], pd.Series(keys, dtype=object)))
    key_at = pd.Index(keys, dtype=object).get_indexer(person[at])
    matched = _rows(lines, at, ["line_idx", "person_key", "category", "_row", "_ref", *IDENTITY_COLUMNS])
    matched["fk"] = pd.Series(person[at], dtype=object)
    stops = pd.DataFrame(
        {
            "line_idx": matched["line_idx"].to_numpy(),
            "person_key": pd.Series(person[at], dtype=object),
            "fk": pd.Series(person[at], dtype=object),
            "stop_m": stop_of[key_at],
        }
    )
    active, paid = after_stop(ctx, stops, person_level=True)
    summary = summarise(ctx, matched, active, paid)
    if summary.empty:
        return empty_raw()
    summary = with_identity(summary, matched)
    found = pd.Index(keys, dtype=object).get_indexer(summary["fk"].to_numpy(dtype=object))
    summary["event_date"] = format_dates(pd.Series(event_of[found]))
    summary["by_name"] = ~id_of[found]
    refs = register["_ref"].to_numpy(dtype=object)[right] if "_ref" in register else None
    sources = evidence_by_key(
        [
            (
                matched["fk"].to_numpy(dtype=object),
                "beneficiaries",
                matched["_row"].to_numpy(),
                _refs(matched),
            ),
            (paid["fk"].to_numpy(dtype=object), "payments", paid["_row"].to_numpy(), _refs(paid)),
            (pair_fk, table, register["_row"].to_numpy(dtype=np.int64)[right], refs),
        ]
    )
    summary["sources"] = [sources[k] for k in summary["fk"]]
    return render_findings(ctx, summary, check_id=check_id, message=message)


def _rows(frame: pd.DataFrame, at: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """:func:`take_rows` labelled 0..len(at)-1 (the frames here are built by position)."""
    return take_rows(frame, at, columns).reset_index(drop=True)


def _refs(frame: pd.DataFrame) -> np.ndarray | None:
    """The sheet reference of each row (``_ref``) when the frame has them."""
    return frame["_ref"].to_numpy(dtype=object) if "_ref" in frame else None


def _at(values: np.ndarray | None, at: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[at]


@check("DECEASED_ACTIVE")
def find_deceased_active(ctx: AuditContext) -> pd.DataFrame:
    """Beneficiaries in the death register still active, or paid, after the month of death.

    Matching: by valid ID, else name key + birth date (``match_people``). Amount: received payments
    for months of the period after the death month (also payments tied to the person only).
    One finding per person; sources: the person's lines, the payments after death, the death record(s).
    """
    return _stopped_people(
        ctx,
        dated_deaths(ctx),
        table="deaths",
        date_col="death_date",
        check_id="DECEASED_ACTIVE",
        message="stale.deceased",
        months=death_months(ctx),
    )


@check("MOVED_ACTIVE")
def find_moved_active(ctx: AuditContext) -> pd.DataFrame:
    """Beneficiaries whose resident record says moved out (with a date), still active or paid after.

    A person who also has a current (permanent or temporary) resident record is not reported: the
    register itself does not settle whether they left, and a finding is evidence against them.
    """
    # The moved records that count (a beneficiary's, not back) are one fact with the stop month.
    moved = moved_records(ctx)
    return _stopped_people(
        ctx,
        moved,
        table="residents",
        date_col="moved_out_date",
        check_id="MOVED_ACTIVE",
        message="stale.moved",
        months=move_months(ctx),
    )


# -- line-level: age limits and ended lines ---------------------------------------------------------
@check("AGE_OUT")
def find_age_outs(ctx: AuditContext) -> pd.DataFrame:
    """Lines past their category's age limit still active, or paid, after the limit month.

    The limit month is the birthday month of the limit age (year-only birth dates: January). A K1
    line whose holder is studying continues to the limit of the category it continues as (K2).
    Only payments tied to the line count. One finding per person and category.
    """
    lines = ctx.lines
    # The limit with its continuation while studying is one fact (checks/facts/limits.py).
    limits = age_limits(ctx)
    has = (limits["limit"].notna() & lines["birth_m"].notna()).to_numpy(dtype=bool)
    at = np.flatnonzero(has)
    if not len(at):
        return empty_raw()
    cand = _rows(
        lines,
        at,
        [
            "line_idx",
            "category",
            "birth_m",
            "birth_date",
            "birth_date_year_only",
            "_row",
            "_ref",
            *IDENTITY_COLUMNS,
        ],
    )
    limit = limits["limit"].to_numpy(dtype="float64")[at].astype("int64")
    cand["stop_m"] = cand["birth_m"].to_numpy(dtype=np.int64) + 12 * limit
    cand["fk"] = finding_key(cand, ["person_key", "category"])
    active, paid = after_stop(ctx, cand, person_level=False)
    summary = summarise(ctx, cand, active, paid)
    if summary.empty:
        return empty_raw()
    # Describe each finding by its first flagged line (one person rarely has two lines of a category).
    line_idx = cand["line_idx"].to_numpy(dtype=np.int64)
    flagged = np.flatnonzero(
        np.isin(line_idx, np.concatenate([active["line_idx"].to_numpy(), paid["line_idx"].to_numpy()]))
    )
    fk = cand["fk"].to_numpy(dtype=object)
    _, first_of = np.unique(pd.factorize(fk[flagged])[0], return_index=True)
    first = flagged[np.sort(first_of)]  # cand is in roster order: the first line of each key
    # A line that could continue while studying, not marked so, and young enough: say how to regularise.
    continues_limit = limits["continues_limit"].to_numpy(dtype="float64")[at][first]
    age = cand["age_asof"].to_numpy(dtype="float64", na_value=np.nan)[first]
    may_continue = ~np.isnan(continues_limit) & ~limits["continues"].to_numpy(dtype=bool)[at][first]
    may_continue &= age < continues_limit
    continues_as = limits["continues_as"].to_numpy(dtype=object)[at][first]
    hint = np.array(
        [
            t("stale.age_out.hint_studying", ctx.lang, next=c) if ok and not pd.isna(c) else ""
            for c, ok in zip(continues_as.tolist(), may_continue.tolist(), strict=True)
        ],
        dtype=object,
    )
    first_rows = cand.iloc[first]
    info = pd.DataFrame(
        {
            "limit": limit[first],
            "limit_month": month_labels(first_rows["stop_m"]).to_numpy(),
            "birth": format_dates(first_rows["birth_date"], first_rows["birth_date_year_only"]).to_numpy(),
            "hint": hint,
        }
    )
    summary = with_identity(summary, cand.iloc[flagged])
    found = pd.Index(fk[first], dtype=object).get_indexer(summary["fk"].to_numpy(dtype=object))
    for col in info.columns:
        summary[col] = info[col].to_numpy()[found]
    # No courtesy title: these are children and young people.
    summary["age_asof"] = pd.NA
    sources = evidence_by_key(
        [
            (fk[flagged], "beneficiaries", cand["_row"].to_numpy()[flagged], _at(_refs(cand), flagged)),
            (paid["fk"].to_numpy(dtype=object), "payments", paid["_row"].to_numpy(), _refs(paid)),
        ]
    )
    summary["sources"] = [sources[k] for k in summary["fk"]]
    category = summary["fk"].str.split(SEP).str[-1]
    return render_findings(ctx, summary, check_id="AGE_OUT", message="stale.age_out", discriminator=category)


@check("PAID_AFTER_END")
def find_paid_after_end(ctx: AuditContext) -> pd.DataFrame:
    """Received payments for months on or after a line's ``end_month``, or while it was suspended.

    Only payments tied to one line count. A line ended without an end month cannot be dated and is
    left to the data-quality suite. One finding per person and line category.
    """
    lines = ctx.lines
    pay = received_in_period(ctx)
    pay_line = pay["line_idx"].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(~np.isnan(pay_line))
    li = pay_line[rows].astype(np.int64)  # line_idx is the roster position
    m = pay["m"].to_numpy(dtype=np.int64)[rows]
    end = lines["end_m"].to_numpy(dtype="float64", na_value=np.nan)[li]
    susp = lines["susp_m"].to_numpy(dtype="float64", na_value=np.nan)[li]
    after_end = m >= end  # NaN (open, not suspended) compares False
    in_susp = m >= susp
    keep = after_end | in_susp
    if not keep.any():
        return empty_raw()
    stop = np.where(after_end, end, susp)[keep].astype(np.int64)
    rows, li = rows[keep], li[keep]
    line_fk = finding_key(lines, ["person_key", "category"]).to_numpy(dtype=object)
    suspended = (lines["status"] == "suspended").to_numpy(dtype=bool)[li]
    paid = pd.DataFrame(
        {
            "m": m[keep],
            "amount": pay["amount"].to_numpy(dtype="float64")[rows],
            "_row": pay["_row"].to_numpy(dtype=np.int64)[rows],
            "_ref": pd.Series(pay["_ref"].to_numpy(dtype=object)[rows], dtype=object),
            "line_idx": li,
            "fk": pd.Series(line_fk[li], dtype=object),
        }
    )
    at = np.unique(li)
    flagged = _rows(lines, at, ["line_idx", "category", "_row", "_ref", *IDENTITY_COLUMNS])
    flagged["fk"] = pd.Series(line_fk[at], dtype=object)
    no_active = pd.DataFrame({"line_idx": pd.Series(dtype="int64"), "m": pd.Series(dtype="int64"), "fk": []})
    summary = with_identity(summarise(ctx, flagged, no_active, paid), flagged)
    # Per finding: the first stop month, and whether every payment fell in a suspension.
    codes, keys = pd.factorize(paid["fk"].to_numpy(dtype=object))
    first_stop = np.full(len(keys), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_stop, codes, stop)
    all_suspended = np.ones(len(keys), dtype=bool)
    np.logical_and.at(all_suspended, codes, suspended)
    found = pd.Index(np.asarray(keys, dtype=object), dtype=object).get_indexer(
        summary["fk"].to_numpy(dtype=object)
    )
    summary["stop"] = first_stop[found]
    summary["suspended"] = all_suspended[found]
    summary["stop_month"] = month_labels(summary["stop"])
    sources = evidence_by_key(
        [
            (line_fk[at], "beneficiaries", flagged["_row"].to_numpy(), _refs(flagged)),
            (paid["fk"].to_numpy(dtype=object), "payments", paid["_row"].to_numpy(), _refs(paid)),
        ]
    )
    summary["sources"] = [sources[k] for k in summary["fk"]]
    out = []
    for flag, message in ((True, "stale.paid_after_end.suspended"), (False, "stale.paid_after_end.ended")):
        part = summary.loc[summary["suspended"] == flag]
        if len(part):
            category = part["fk"].str.split(SEP).str[-1]
            out.append(
                render_findings(ctx, part, check_id="PAID_AFTER_END", message=message, discriminator=category)
            )
    return new_raw(pd.concat(out, ignore_index=True))
