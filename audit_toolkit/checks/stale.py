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

import pandas as pd

from audit_toolkit.checks.base import AuditContext, check, match_people, row_refs
from audit_toolkit.checks.common import (
    format_dates,
    isin_keys,
)
from audit_toolkit.checks.facts import age_limits, death_months, move_months, moved_records
from audit_toolkit.checks.stopped import (
    SEP,
    after_stop,
    evidence_sources,
    finding_key,
    identity_columns,
    month_labels,
    received_in_period,
    render_findings,
    summarise,
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
    pairs = match_people(lines, register)
    if pairs.empty:
        return empty_raw()
    pairs["fk"] = lines["person_key"].to_numpy(dtype=object)[pairs["left_idx"].to_numpy()]
    pairs["event"] = register[date_col].reindex(pairs["right_idx"]).to_numpy()
    pairs["_row"] = register["_row"].reindex(pairs["right_idx"]).to_numpy()
    pairs["_ref"] = row_refs(register).reindex(pairs["right_idx"]).to_numpy()
    # Matched on equal IDs, or only on name + birth date (which namesakes can share): the detail
    # tells the officer to verify the latter before acting on it.
    lid = lines["national_id"].astype("object").to_numpy()[pairs["left_idx"].to_numpy()]
    rid = register["national_id"].astype("object").reindex(pairs["right_idx"]).to_numpy()
    pairs["by_id"] = pd.notna(lid) & pd.notna(rid) & (lid == rid)
    # Two register records for one person (a data error): the later date is the one we can least
    # dispute, so the overpayment we report is never larger than the register supports.
    event = pairs.groupby("fk", sort=False)["event"].max()
    stop_m = months.reindex(event.index).astype("int64")
    matched = lines.loc[isin_keys(lines["person_key"], stop_m.index)]
    matched = matched.assign(fk=matched["person_key"].to_numpy(dtype=object))
    stops = pd.DataFrame(
        {
            "line_idx": matched["line_idx"].to_numpy(),
            "person_key": matched["person_key"].to_numpy(dtype=object),
            "fk": matched["fk"].to_numpy(),
            "stop_m": matched["person_key"].map(stop_m).to_numpy(dtype="int64"),
        }
    )
    active, paid = after_stop(ctx, stops, person_level=True)
    summary = summarise(ctx, matched, active, paid)
    if summary.empty:
        return empty_raw()
    summary = summary.merge(identity_columns(matched), on="fk", how="left")
    summary["event_date"] = format_dates(summary["fk"].map(event))
    by_id = pairs.groupby("fk", sort=False)["by_id"].any()
    summary["by_name"] = ~summary["fk"].map(by_id).fillna(False).astype(bool)
    sources = evidence_sources((matched, "beneficiaries"), (paid, "payments"), (pairs, table))
    summary["sources"] = [sources[k] for k in summary["fk"]]
    return render_findings(ctx, summary, check_id=check_id, message=message)


@check("DECEASED_ACTIVE")
def find_deceased_active(ctx: AuditContext) -> pd.DataFrame:
    """Beneficiaries in the death register still active, or paid, after the month of death.

    Matching: by valid ID, else name key + birth date (``match_people``). Amount: received payments
    for months of the period after the death month (also payments tied to the person only).
    One finding per person; sources: the person's lines, the payments after death, the death record(s).
    """
    deaths = ctx.table("deaths").reset_index(drop=True)
    deaths = deaths.loc[deaths["death_date"].notna()]
    return _stopped_people(
        ctx,
        deaths,
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
    mine = limits.loc[has]
    cand = (
        lines.loc[has]
        .assign(
            limit=mine["limit"],
            continues_as=mine["continues_as"],
            continues_limit=mine["continues_limit"].astype("Int64"),
            continues=mine["continues"],
        )
        .reset_index(drop=True)
    )
    if cand.empty:
        return empty_raw()
    cand["limit"] = cand["limit"].astype("int64")
    cand["stop_m"] = cand["birth_m"].astype("int64") + 12 * cand["limit"]
    cand["fk"] = finding_key(cand, ["person_key", "category"])
    active, paid = after_stop(ctx, cand[["line_idx", "stop_m", "fk"]], person_level=False)
    summary = summarise(ctx, cand, active, paid)
    if summary.empty:
        return empty_raw()
    # Describe each finding by its first flagged line (one person rarely has two lines of a category).
    flagged_idx = pd.concat([active["line_idx"], paid["line_idx"]]).unique()
    first = cand.loc[cand["line_idx"].isin(flagged_idx)].sort_values("line_idx").drop_duplicates("fk")
    # A line that could continue while studying, not marked so, and young enough: say how to regularise.
    may_continue = (
        (
            first["continues_limit"].notna()
            & ~first["continues"]
            & (first["age_asof"] < first["continues_limit"])
        )
        .fillna(False)
        .astype(bool)
    )
    hints = {
        c: t("stale.age_out.hint_studying", ctx.lang, next=c) for c in first["continues_as"].dropna().unique()
    }
    info = pd.DataFrame(
        {
            "fk": first["fk"].to_numpy(),
            "limit": first["limit"].to_numpy(),
            "limit_month": month_labels(first["stop_m"]).to_numpy(),
            "birth": format_dates(first["birth_date"], first["birth_date_year_only"]).to_numpy(),
            "hint": first["continues_as"]
            .map(hints)
            .where(may_continue, "")
            .fillna("")
            .astype(str)
            .to_numpy(),
        }
    )
    summary = summary.merge(identity_columns(first), on="fk", how="left").merge(info, on="fk", how="left")
    # No courtesy title: these are children and young people.
    summary["age_asof"] = pd.NA
    sources = evidence_sources(
        (cand.loc[cand["line_idx"].isin(flagged_idx)], "beneficiaries"), (paid, "payments")
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
    pay = pay.loc[pay["line_idx"].notna()].astype({"line_idx": "int64"}).drop(columns=["person_key"])
    pay = pay.merge(lines[["line_idx", "person_key", "category", "end_m", "susp_m", "status"]], on="line_idx")
    m = pay["m"]
    after_end = (pay["end_m"].notna() & (m >= pay["end_m"])).fillna(False).astype(bool)
    in_susp = (pay["susp_m"].notna() & (m >= pay["susp_m"])).fillna(False).astype(bool)
    pay["stop"] = pay["end_m"].where(after_end, pay["susp_m"])
    paid = pay.loc[after_end | in_susp].astype({"stop": "int64"}).reset_index(drop=True)
    if paid.empty:
        return empty_raw()
    paid["fk"] = finding_key(paid, ["person_key", "category"])
    paid["suspended"] = (paid["status"] == "suspended").to_numpy(dtype=bool)
    flagged = lines.loc[lines["line_idx"].isin(paid["line_idx"])]
    flagged = flagged.assign(fk=finding_key(flagged, ["person_key", "category"]))
    no_active = pd.DataFrame({"line_idx": pd.Series(dtype="int64"), "m": pd.Series(dtype="int64"), "fk": []})
    summary = summarise(ctx, flagged, no_active, paid)
    per_key = paid.groupby("fk", sort=False).agg(stop=("stop", "min"), suspended=("suspended", "all"))
    summary = summary.merge(identity_columns(flagged), on="fk", how="left").merge(
        per_key.reset_index(), on="fk"
    )
    summary["stop_month"] = month_labels(summary["stop"])
    sources = evidence_sources((flagged, "beneficiaries"), (paid, "payments"))
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
