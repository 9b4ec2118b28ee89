"""``CATEGORY_ENDED``: lines of a category a later law ended, still active or paid.

NĐ 176/2025 moved the holders of K5b and K5c lines to the social pension (HTXH) from 2025-07: the
K5b/K5c line is not payable for months from then (the rule rows ``category_ends`` of
social_pension.yml, with citation and confidence). Money: what was paid on the old line for those
months minus what the replacing scheme (HTXH: the social-pension level of each month, national or
the province's) would have paid; 0 where the levels are equal, negative where the person lost money
by not being moved.

Months are judged only while the line is active and up to the person's death or move: payments after
``end_month``, in a suspension, or after a death or a move are the stale checks' money.

Example:
    >>> raw = find_category_ended(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check, row_refs
from audit_toolkit.checks.common import (
    MATCH_COLUMNS,
    isin_keys,
    lookup_numbers,
    person_label,
    render_rows,
    take_rows,
)
from audit_toolkit.checks.facts import death_months, move_months
from audit_toolkit.checks.facts.money import due_coefficients, line_dues
from audit_toolkit.checks.stopped import SEP, evidence_sources
from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import fmt_vnd, t
from audit_toolkit.months import month_label

__all__ = ["ended_line_months", "find_category_ended"]


def _person_stop(ctx: AuditContext, person_key: pd.Series) -> np.ndarray:
    """Last payable month of each person (death or move; +inf when neither is known)."""
    stop = np.full(len(person_key), np.inf)
    for events in (death_months(ctx), move_months(ctx) if ctx.has("residents") else pd.Series(dtype=float)):
        if len(events):
            m = lookup_numbers(person_key, events)
            stop = np.fmin(stop, np.where(np.isnan(m), np.inf, m))
    return stop


def ended_line_months(ctx: AuditContext) -> pd.DataFrame:
    """``line_idx, m`` of the active line-months of the period whose category had ended by ``m``
    (up to the person's death or move month). Cached on the context; other checks leave these
    months to CATEGORY_ENDED."""
    cache = ctx.extras.setdefault("_facts", {})
    if "ended_months" not in cache:
        lines = ctx.lines
        ends = ctx.rules.category_end_month(lines["category"]).to_numpy(dtype="float64")
        lm = ctx.line_months[["line_idx", "m", "payable"]]
        if np.isnan(ends).all():  # no line of an ended category: nothing to read in the registers
            cache["ended_months"] = lm.iloc[:0].reset_index(drop=True)
            return cast(pd.DataFrame, cache["ended_months"])
        li = lm["line_idx"].to_numpy(dtype=np.int64)
        mm = lm["m"].to_numpy(dtype="float64")
        stop = _person_stop(ctx, lines["person_key"])
        keep = ~np.isnan(ends[li]) & (mm >= ends[li]) & (mm <= stop[li])
        cache["ended_months"] = lm.loc[keep].reset_index(drop=True)
    result: pd.DataFrame = cache["ended_months"]
    return result


@check("CATEGORY_ENDED")
def find_category_ended(ctx: AuditContext) -> pd.DataFrame:
    """K5b/K5c (any ended category) lines active, or paid, for months from the category's end.

    Amount: Σ over those months of (received on the line − the replacing scheme's level); without
    a payments table, (amount due on the line − that level). One finding per person and category.
    """
    lines = ctx.lines
    months = ended_line_months(ctx)
    if months.empty:
        return empty_raw()
    ended = ctx.rules.category_ends.set_index("category")
    li = months["line_idx"].to_numpy(dtype=np.int64)
    mm = months["m"].to_numpy(dtype=np.int64)
    cats = lines["category"].astype("object").to_numpy()[li]
    new_cat = pd.Series(cats).map(ended["replaced_by"]).to_numpy(dtype=object)
    level = ctx.rules.base_level(pd.Series(new_cat), pd.Series(mm), ctx.ward.province_code).to_numpy()
    months = months.assign(level=np.nan_to_num(level))
    pays = pd.DataFrame(
        {"line_idx": pd.Series(dtype="int64"), "m": pd.Series(dtype="int64"), "_row": [], "_ref": []}
    )
    if ctx.has("payments"):
        p = ctx.payments_linked
        ok = p["received"].to_numpy(dtype=bool) & p["line_idx"].notna().to_numpy() & p["m"].notna().to_numpy()
        got = p.loc[ok, ["line_idx", "m", "amount", "_row"]].astype({"line_idx": "int64", "m": "int64"})
        got["_ref"] = row_refs(p).to_numpy(dtype=object)[ok]  # the month sheet, for the sources
        got = got.merge(months[["line_idx", "m"]], on=["line_idx", "m"])
        pays = got
        paid = got.groupby(["line_idx", "m"], as_index=False)["amount"].sum()
        months = months.merge(paid, on=["line_idx", "m"], how="left")
        months["paid"] = months["amount"].fillna(0.0)
        # Unpaid months cost nothing: the difference counts only for months paid on the old line.
        months["diff"] = np.where(months["amount"].notna(), months["paid"] - months["level"], 0.0)
        # A payment in a suspended month is PAID_AFTER_END's money.
        months["diff"] = np.where(months["payable"].to_numpy(dtype=bool), months["diff"], 0.0)
    else:
        due = line_dues(ctx, li, mm, due_coefficients(ctx, li, mm))
        payable = months["payable"].to_numpy(dtype=bool)
        months["paid"] = np.where(payable, np.nan_to_num(due), 0.0)
        months["diff"] = np.where(payable, months["paid"] - months["level"], 0.0)
    per = months.groupby("line_idx", sort=True).agg(
        first=("m", "min"),
        last=("m", "max"),
        n=("m", "size"),
        paid=("paid", "sum"),
        due=("level", "sum"),
        amount=("diff", "sum"),
    )
    per = per.reset_index()
    sub = lines.iloc[per["line_idx"].to_numpy()]
    # One finding per person and category: lines of one person and category add up.
    per["key"] = (sub["person_key"].astype(str) + SEP + sub["category"].astype(str)).to_numpy()
    groups = per.groupby("key", sort=False).agg(
        line_idx=("line_idx", "first"),
        first=("first", "min"),
        last=("last", "max"),
        n=("n", "sum"),
        paid=("paid", "sum"),
        due=("due", "sum"),
        amount=("amount", "sum"),
    )
    groups = groups.reset_index()
    head = lines.iloc[groups["line_idx"].to_numpy()]
    lang = ctx.lang
    category = head["category"].astype(str).to_numpy()
    replaced = pd.Series(category).map(ended["replaced_by"]).fillna("").astype(str).to_numpy()
    basis = pd.Series(category).map(ended["legal_basis"]).fillna("").astype(str).to_numpy()
    end_m = ctx.rules.category_end_month(pd.Series(category)).to_numpy(dtype="float64")
    fields = pd.DataFrame(
        {
            "who": person_label(head["full_name"], head["sex"], head["age_asof"], lang).to_numpy(),
            "category": category,
            "end_month": [month_label(int(m)) for m in end_m],
            "basis": basis,
            "replaced_by": [t(f"transition.scheme.{r}", lang) if r else "" for r in replaced],
            "n_months": groups["n"].astype(int).astype(str).to_numpy(),
            "first_month": [month_label(int(m)) for m in groups["first"]],
            "last_month": [month_label(int(m)) for m in groups["last"]],
            "paid": [fmt_vnd(float(v), lang) for v in groups["paid"]],
            "due": [fmt_vnd(float(v), lang) for v in groups["due"]],
            "amount": [fmt_vnd(float(v), lang) for v in groups["amount"]],
        }
    )
    detail = render_rows("transition.ended", lang, fields)
    money_key = "transition.ended.paid" if ctx.has("payments") else "transition.ended.roster"
    detail = detail + render_rows(money_key, lang, fields)
    # Already on the new scheme: the old line only needs ending.
    new_lines = lines.loc[lines["active_asof"] & lines["category"].isin(set(replaced))]
    has_new = isin_keys(head["person_key"], new_lines["person_key"])
    if has_new.any():
        detail[has_new] = detail[has_new] + render_rows("transition.ended.has_new", lang, fields.loc[has_new])
    flagged = lines.iloc[months["line_idx"].unique()]
    flagged = flagged.assign(fk=(flagged["person_key"].astype(str) + SEP + flagged["category"].astype(str)))
    pays = pays.assign(
        fk=lines["person_key"].astype(str).to_numpy()[pays["line_idx"].to_numpy(dtype=np.int64)]
    )
    pays["fk"] = (
        pays["fk"] + SEP + lines["category"].astype(str).to_numpy()[pays["line_idx"].to_numpy(dtype=np.int64)]
    )
    sources = evidence_sources((flagged, "beneficiaries"), (pays, "payments"))
    out = pd.DataFrame(
        {
            "check_id": "CATEGORY_ENDED",
            "person_key": head["person_key"].astype(str).to_numpy(),
            "national_id": head["national_id"]
            .astype("object")
            .where(head["national_id"].notna(), "")
            .to_numpy(),
            "full_name": head["full_name"].astype("object").where(head["full_name"].notna(), "").to_numpy(),
            "sources": [sources[k] for k in groups["key"]],
            "detail": detail.astype("str").to_numpy(),
            "amount_vnd": groups["amount"].astype("float64").to_numpy(),
            "discriminator": category,
            "category": category,
        }
    )
    return new_raw(out)


# ----------------------------------------------------------------------------------- INELIGIBLE (HTXH)
_POOR_STATUSES = ("poor", "near_poor")
_NOT_POOR = "none"
#: Benefits that disqualify from the social pension when at or above its level (a social-pension
#: record in the pensions register is the benefit itself, not a disqualification).
_DISQUALIFYING_BENEFITS = ("pension", "social_insurance")


def _social_pension_rule(ctx: AuditContext, scheme: str) -> dict[str, object] | None:
    """The eligibility row of ``scheme`` in force at ``as_of`` (else its first row)."""
    frame = ctx.rules.tables["social_pension_eligibility"]
    rows = frame.loc[frame["scheme"] == scheme]
    if rows.empty:
        return None
    start = rows["valid_from"].fillna(pd.Timestamp.min)
    end = rows["valid_to"].fillna(pd.Timestamp.max)
    hit = rows.loc[(start <= ctx.as_of) & (ctx.as_of < end)]
    row = (hit if len(hit) else rows.sort_values("valid_from")).iloc[0]
    poor = row["min_age_poor"]
    return {
        "min_age": int(row["min_age"]),
        "min_age_poor": int(row["min_age"]) if pd.isna(poor) else int(poor),
        "legal_basis": row["legal_basis"],
    }


def social_pension_ineligibility(ctx: AuditContext) -> dict[str, object]:
    """INELIGIBLE's social-pension reasons for HTXH lines, computed once per audit (see :func:`_sp_ineligibility`)."""
    cache = ctx.extras.setdefault("_facts", {})
    if "social_pension" not in cache:
        cache["social_pension"] = _sp_ineligibility(ctx)
    result: dict[str, object] = cache["social_pension"]
    return result


def _sp_ineligibility(ctx: AuditContext) -> dict[str, object]:
    """INELIGIBLE's social-pension reasons for HTXH lines (checks.md v2).

    Returns ``{"under_age", "not_poor", "pension", "early"}`` boolean arrays over ``ctx.lines`` (the
    reason at ``as_of``; a pension: in any active month of the period; early: a month of the period
    before the person reached the age, though they have reached it by ``as_of``), ``"months"`` (``line_idx, m`` of the
    period's line-months not due), ``"pension_rows"`` (``line_idx, benefit, row``) and ``"rule"``.

    Readings: under the poor-household age (70) is ineligible; from it to the general age (75) only
    with evidence of a household that is neither poor nor near-poor (a resident record saying so;
    an empty or missing poverty status is unknown, never "outside"); a pension or monthly
    social-insurance benefit active in the month with a known amount at or above that month's
    social-pension level (one below the level, or of unknown amount, does not disqualify).
    """
    lines = ctx.lines
    n = len(lines)
    none = np.zeros(n, dtype=bool)
    empty_rows = pd.DataFrame(
        {
            "line_idx": pd.Series(dtype="int64"),
            "benefit": pd.Series(dtype="str"),
            "row": pd.Series(dtype="int64"),
        }
    )
    out: dict[str, object] = {
        "under_age": none,
        "not_poor": none.copy(),
        "early": none.copy(),
        "pension": none.copy(),
        "months": pd.DataFrame({"line_idx": pd.Series(dtype="int64"), "m": pd.Series(dtype="int64")}),
        "pension_rows": empty_rows,
        "rule": None,
    }
    is_htxh = (lines["category"] == "HTXH").to_numpy(dtype=bool)
    # Only the columns person matching reads, and line_idx (the roster is wide).
    htxh = take_rows(lines, np.flatnonzero(is_htxh), [*MATCH_COLUMNS, "line_idx"])
    rule = _social_pension_rule(ctx, "HTXH")
    if htxh.empty or rule is None:
        return out
    out["rule"] = rule
    min_age, min_poor = int(str(rule["min_age"])), int(str(rule["min_age_poor"]))
    age_asof = lines["age_asof"].to_numpy(dtype="float64", na_value=np.nan)

    not_poor = np.zeros(n, dtype=bool)
    if ctx.has("residents") and len(ctx.table("residents")):
        res = ctx.table("residents").reset_index(drop=True)
        from audit_toolkit.checks.common import match_candidates

        pairs = match_candidates(htxh, res)
        if len(pairs):
            own = pd.DataFrame(
                {
                    "line_idx": htxh["line_idx"].reindex(pairs["left_idx"]).to_numpy(),
                    "res_idx": pairs["right_idx"].to_numpy(),
                }
            )
            # Poverty is a household's: the person's own records and every record of their household.
            homes = pd.DataFrame(
                {
                    "line_idx": own["line_idx"].to_numpy(),
                    "household_id": res["household_id"].astype("object").reindex(own["res_idx"]).to_numpy(),
                }
            ).dropna()
            members = res.loc[res["household_id"].notna(), ["household_id"]].astype("object").reset_index()
            household = homes.merge(members, on="household_id")[["line_idx", "index"]]
            both = pd.concat([own, household.rename(columns={"index": "res_idx"})], ignore_index=True)
            at = both["res_idx"].to_numpy(dtype=np.int64)
            status = pd.Series(res["poverty_status"].astype("object").to_numpy()[at])
            # Written but mapped to no value ("không", "không nghèo", "bình thường"): neither poor nor
            # near-poor. An empty cell is unknown.
            written = (
                res["poverty_status_raw"].notna().to_numpy(dtype=bool)[at]
                if "poverty_status_raw" in res
                else np.zeros(len(at), dtype=bool)
            )
            frame = pd.DataFrame(
                {
                    "line_idx": both["line_idx"].to_numpy(),
                    "poor": status.isin(_POOR_STATUSES).to_numpy(dtype=bool),
                    "none": (
                        (status == _NOT_POOR).fillna(False).to_numpy(dtype=bool)
                        | (status.isna().to_numpy() & written)
                    ),
                }
            )
            agg = frame.groupby("line_idx").agg(poor=("poor", "any"), none=("none", "any"))
            known = agg.index[agg["none"] & ~agg["poor"]].to_numpy(dtype=np.int64)
            not_poor[known] = True

    lm = ctx.line_months
    lm = lm.loc[is_htxh[lm["line_idx"].to_numpy()]]
    age_m = lm["age"].to_numpy(dtype="float64", na_value=np.nan)
    li = lm["line_idx"].to_numpy(dtype=np.int64)
    bad = (age_m < min_poor) | ((age_m < min_age) & not_poor[li])

    pension = np.zeros(n, dtype=bool)
    if ctx.has("pensions") and len(ctx.table("pensions")):
        pens = ctx.table("pensions").reset_index(drop=True)
        from audit_toolkit.checks.base import match_people

        pairs = match_people(htxh, pens)
        if len(pairs):
            pairs["line_idx"] = htxh["line_idx"].reindex(pairs["left_idx"]).to_numpy()
            pairs["p_start"] = (
                pens["start_month"].reindex(pairs["right_idx"]).to_numpy(dtype="float64", na_value=-np.inf)
            )
            pairs["p_end"] = (
                pens["end_month"].reindex(pairs["right_idx"]).to_numpy(dtype="float64", na_value=np.inf)
            )
            pairs["p_amount"] = (
                pens["monthly_amount"].reindex(pairs["right_idx"]).to_numpy(dtype="float64", na_value=np.nan)
            )
            pairs["benefit"] = pens["benefit"].reindex(pairs["right_idx"]).astype("object").to_numpy()
            pairs["row"] = pens["_row"].reindex(pairs["right_idx"]).to_numpy(dtype=np.int64)
            counts = (
                pd.Series(pairs["benefit"]).isin(_DISQUALIFYING_BENEFITS) | pd.Series(pairs["benefit"]).isna()
            )
            pairs = pairs.loc[counts.to_numpy(dtype=bool)]
            both = lm[["line_idx", "m"]].reset_index().merge(pairs, on="line_idx")
            level = ctx.rules.social_pension_level(both["m"], ctx.ward.province_code).to_numpy(
                dtype="float64"
            )
            hit = ((both["m"] >= both["p_start"]) & (both["m"] < both["p_end"])).to_numpy(dtype=bool) & (
                both["p_amount"].to_numpy(dtype="float64") >= level
            )
            both = both.loc[hit]
            pension[both["line_idx"].unique()] = True
            out["pension_rows"] = (
                both[["line_idx", "benefit", "row"]].drop_duplicates().reset_index(drop=True)
            )
            flag = np.zeros(len(lm), dtype=bool)
            flag[lm.index.get_indexer(both["index"].unique())] = True
            bad |= flag
    # Paid as HTXH for months before the person reached the age (70 poor, else 75), though old enough now.
    early = np.zeros(n, dtype=bool)
    age_bad = (age_m < min_poor) | ((age_m < min_age) & not_poor[li])
    early[np.unique(li[age_bad])] = True
    under_age = is_htxh & (age_asof < min_poor)
    not_poor_now = is_htxh & (age_asof >= min_poor) & (age_asof < min_age) & not_poor
    out["under_age"] = under_age
    out["not_poor"] = not_poor_now
    out["pension"] = pension
    out["early"] = early & ~under_age & ~not_poor_now
    out["months"] = lm.loc[bad, ["line_idx", "m"]].reset_index(drop=True)
    return out
