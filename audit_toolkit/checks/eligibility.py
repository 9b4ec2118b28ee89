"""INELIGIBLE: a line active at ``as_of`` whose person does not meet its category.

A level the rules give nothing for (K6 ``mild``), under the category's minimum age, started before
reaching it, a child's line started at its age limit, K5c with a pension, K6 started before the
disability certificate; the HTXH part is ``transition.social_pension_ineligibility``.

Example:
    >>> raw = find_ineligible(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check
from audit_toolkit.checks.common import grouped_lists, months_text, vnd_text, vocab_text
from audit_toolkit.checks.entitlement_common import (
    assemble,
    finding_rows,
    flagged_ineligible,
    ineligibility,
    ineligible_counted,
    keep_pairs,
    line_facts,
    line_labels,
    received,
)
from audit_toolkit.checks.facts.money import due_coefficients, line_dues
from audit_toolkit.checks.transition import social_pension_ineligibility
from audit_toolkit.findings import empty_raw
from audit_toolkit.messages import render, t
from audit_toolkit.months import age_in_month

__all__ = ["find_ineligible"]


# ----------------------------------------------------------------------------------- INELIGIBLE
@check("INELIGIBLE")
def find_ineligible(ctx: AuditContext) -> pd.DataFrame:
    """Lines active at ``as_of`` whose person does not meet the category.

    Reasons: a disability level the rules pay nothing for (K6 ``mild``); under the category's
    minimum age at ``month(as_of)`` (K5c 80, K5a 60, …); active before the month that age was
    reached; a K1/K3/K7 (and K2) line started when the holder was already at its age limit; a K5c
    holder with a pension, social-insurance or social-pension record active in a month of the line
    in the period; a K6 line active before the month of the earliest severe or especially severe
    certificate (when certificates are given).

    Amount: for the months of the period in which the line was not due (not counting months the
    stale checks own: after death, move, age limit, end or during a suspension), the received
    payments tied to the line; without a payments table, the amounts due by the roster.
    One finding per person and category.
    """
    lines = ctx.lines
    flagged = flagged_ineligible(ctx)
    if len(flagged) == 0:
        return empty_raw()
    inel = ineligibility(ctx)
    facts = line_facts(ctx)
    lang = ctx.lang
    sub = lines.iloc[flagged]
    r = inel.reasons.iloc[flagged]
    label = line_labels(sub, lang)
    texts: list[pd.DataFrame] = []

    names = label.to_numpy(dtype=object)
    categories = sub["category"].astype(str).to_numpy(dtype=object)
    line_ids = sub["line_idx"].to_numpy()

    def add(mask: pd.Series, key: str, params: dict[str, pd.Series]) -> None:
        # The rows of the reason first, then one small frame of plain values (render's input).
        on = mask.fillna(False).to_numpy(dtype=bool)
        if not on.any():
            return
        values = {"name": names[on], "category": categories[on]}
        values.update({k: v.to_numpy(dtype=object)[on] for k, v in params.items()})
        frame = pd.DataFrame(values, dtype=object)
        texts.append(
            pd.DataFrame({"line_idx": line_ids[on], "text": render(key, lang, frame).to_numpy(dtype=object)})
        )

    idx = sub["line_idx"].to_numpy()
    level_text = vocab_text(sub["disability_level"], "entitlement.level", lang, default="")
    add(r["level"], "entitlement.ineligible.level", {"level": level_text})
    minage = pd.Series(facts.minage[idx], index=sub.index)
    minage_text = minage.map(lambda v: "" if pd.isna(v) else str(int(v)))
    add(
        r["under_age"],
        "entitlement.ineligible.under_age",
        {
            "age": sub["age_asof"].astype("string").fillna(""),
            "min_age": minage_text,
            "month": months_text(pd.Series(ctx.asof_month, index=sub.index)),
        },
    )
    # A line without a start month has been paid since before the period: name the period's first month.
    start_or_first = sub["start_m"].astype("float64").fillna(float(ctx.period_start))
    add(
        r["early"] & ~r["under_age"],
        "entitlement.ineligible.early",
        {
            "start": months_text(start_or_first),
            "min_age": minage_text,
            "reach": months_text(pd.Series(facts.minage_m[idx], index=sub.index)),
        },
    )
    limit = pd.Series(facts.limit[idx], index=sub.index)
    age_start = age_in_month(sub["birth_m"], sub["start_m"].fillna(0).astype("int64"))
    add(
        r["at_limit"],
        "entitlement.ineligible.at_limit",
        {
            "start": months_text(start_or_first),
            "age": age_start.astype("string").fillna(""),
            "limit": limit.map(lambda v: "" if pd.isna(v) else str(int(v))),
        },
    )
    if r["pension"].any() or r["sp_pension"].any():
        # The benefit the person already receives, named once for the K5c and the HTXH reason.
        benefit = inel.pension_rows.drop_duplicates("line_idx").set_index("line_idx")["benefit"]
        benefit_text = vocab_text(
            sub["line_idx"].map(benefit),
            "entitlement.benefit",
            lang,
            default=t("entitlement.benefit.pension", lang),
        )
        add(r["pension"], "entitlement.ineligible.pension", {"benefit": benefit_text})
    sp_rule = social_pension_ineligibility(ctx)["rule"]
    if isinstance(sp_rule, dict):
        sp_ages = {
            "age": sub["age_asof"].astype("string").fillna(""),
            "min_age": pd.Series(str(sp_rule["min_age"]), index=sub.index),
            "min_age_poor": pd.Series(str(sp_rule["min_age_poor"]), index=sub.index),
            "month": months_text(pd.Series(ctx.asof_month, index=sub.index)),
        }
        add(r["sp_under_age"], "entitlement.ineligible.sp_under_age", sp_ages)
        add(r["sp_not_poor"], "entitlement.ineligible.sp_not_poor", sp_ages)
        add(
            r["sp_early"],
            "entitlement.ineligible.sp_early",
            {
                **sp_ages,
                "start": months_text(sub["start_m"].astype("float64").fillna(float(ctx.period_start))),
            },
        )
    if r["sp_pension"].any():  # after the other HTXH reasons: the order of a line's sentences
        add(r["sp_pension"], "entitlement.ineligible.sp_pension", {"benefit": benefit_text})
    add(
        r["certificate"],
        "entitlement.ineligible.certificate",
        {
            "start": months_text(start_or_first),
            "cert": months_text(pd.Series(facts.cert_m[idx], index=sub.index)),
        },
    )
    joined = grouped_lists(pd.concat(texts, ignore_index=True), ["line_idx"], "text")
    reason_text = pd.Series(
        [" ".join(v) for v in joined["text"]], index=joined["line_idx"].to_numpy(), dtype="str"
    )

    # Money: the months counted, from payments when the ward gave them, else from the roster.
    counted = ineligible_counted(ctx)
    evidence: list[pd.DataFrame] = []
    if ctx.has("payments"):
        pay = keep_pairs(received(ctx), counted)
        amount = pay.groupby("line_idx")["amount"].sum()
        evidence.append(finding_rows(pay["line_idx"], "payments", pay["row"], pay["ref"]))
        amount_key = "entitlement.ineligible.amount_paid"
    else:
        li = counted["line_idx"].to_numpy(dtype=np.int64)
        mm = counted["m"].to_numpy(dtype=np.int64)
        coef = due_coefficients(ctx, li, mm)
        due = line_dues(ctx, li, mm, coef)
        roster = lines["monthly_amount"].to_numpy(dtype="float64", na_value=np.nan)[li]
        due = np.where(np.isnan(due), roster, due)
        amount = pd.Series(np.nan_to_num(due), index=li).groupby(level=0).sum()
        amount_key = "entitlement.ineligible.amount_due"
    amounts = sub["line_idx"].map(amount).fillna(0.0).astype("float64")
    money_text = render(amount_key, lang, pd.DataFrame({"amount": vnd_text(amounts, lang)}))
    detail: pd.Series = sub["line_idx"].map(reason_text).fillna("") + np.where(
        amounts.to_numpy() != 0, " " + money_text, ""
    )

    pens = inel.pension_rows.loc[
        inel.pension_rows["line_idx"].isin(idx[(r["pension"] | r["sp_pension"]).to_numpy()])
    ]
    evidence.append(finding_rows(pens["line_idx"], "pensions", pens["row"]))
    with_cert = r["certificate"].to_numpy() & ~np.isnan(facts.cert_row[idx])
    evidence.append(finding_rows(idx[with_cert], "disability_certificates", facts.cert_row[idx][with_cert]))
    per_line = pd.DataFrame({"line_idx": idx, "text": detail.to_numpy(), "amount": amounts.to_numpy()})
    return assemble(ctx, "INELIGIBLE", per_line, evidence)
