"""WRONG_AMOUNT: a roster ``monthly_amount`` or a received payment that differs from the due amount.

Due amount: level × coefficient of its month (:mod:`audit_toolkit.checks.facts.money`), e.g. the
2024-07 raise not applied.

Example:
    >>> raw = find_wrong_amounts(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check
from audit_toolkit.checks.common import coefs_text, grouped_lists, months_text, vnd_text
from audit_toolkit.checks.entitlement_common import (
    TOLERANCE_VND,
    assemble,
    drop_pairs,
    finding_rows,
    ineligible_counted,
    judged_months,
    keep_pairs,
    line_labels,
    received,
)
from audit_toolkit.checks.facts.money import due_coefficients, line_dues
from audit_toolkit.findings import empty_raw
from audit_toolkit.messages import render

__all__ = ["find_wrong_amounts"]


def _payment_mismatches(ctx: AuditContext) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Per line, the received payments (summed per month) that differ from the due amount:
    ``(part, evidence)`` for :func:`find_wrong_amounts`, or None when none differ."""
    lang = ctx.lang
    pay = received(ctx)
    judged = drop_pairs(judged_months(ctx), ineligible_counted(ctx))
    pay = keep_pairs(pay, judged)
    if not len(pay):
        return None
    per = pay.groupby(["line_idx", "m"], sort=True).agg(paid=("amount", "sum")).reset_index()
    li = per["line_idx"].to_numpy(dtype=np.int64)
    mm = per["m"].to_numpy(dtype=np.int64)
    per["due"] = line_dues(ctx, li, mm, due_coefficients(ctx, li, mm))
    per = per.loc[per["due"].notna() & ((per["paid"] - per["due"]).abs() >= TOLERANCE_VND)]
    if not len(per):
        return None
    per["diff"] = per["paid"] - per["due"]
    by_line = per.groupby("line_idx", sort=False).agg(
        n=("m", "size"), amount=("diff", "sum"), first_m=("m", "min")
    )
    first = per.drop_duplicates("line_idx").set_index("line_idx")
    by_line["paid"] = first["paid"]
    by_line["due"] = first["due"]
    by_line = by_line.reset_index()
    params = pd.DataFrame(
        {
            "n": by_line["n"].astype(int),
            "month": months_text(by_line["first_m"]),
            "paid": vnd_text(by_line["paid"], lang),
            "due": vnd_text(by_line["due"], lang),
            "amount": vnd_text(by_line["amount"], lang),
        }
    )
    part = pd.DataFrame(
        {
            "line_idx": by_line["line_idx"].to_numpy(),
            "order": 1,
            "text": render("entitlement.wrong_amount.payments", lang, params).to_numpy(),
            "amount": by_line["amount"].to_numpy(dtype="float64"),
        }
    )
    bad_pay = keep_pairs(pay, per)
    return part, finding_rows(bad_pay["line_idx"], "payments", bad_pay["row"], bad_pay["ref"])


# ----------------------------------------------------------------------------------- WRONG_AMOUNT
@check("WRONG_AMOUNT")
def find_wrong_amounts(ctx: AuditContext) -> pd.DataFrame:
    """Roster amounts and received payments that differ from standard level × coefficient.

    Roster: a line active at ``as_of`` whose ``monthly_amount`` differs from the amount due in
    ``month(as_of)`` (amount 0: nothing is paid by the roster figure itself). Payments: the
    received payments tied to a line, added up per line and month (two instalments of one month are
    one payment; a month paid twice is overpaid), against the amount due in that month; judged only
    for the line's payable months up to its stop month, and not for months INELIGIBLE counts.
    Due = standard level (social-pension level for HTXH) of the month × the recorded coefficient,
    else the one the rules give. Amount = Σ (paid − due) over the mismatching months.
    One finding per person and category.
    """
    lines = ctx.lines
    lang = ctx.lang
    asof = ctx.asof_month
    parts: list[pd.DataFrame] = []
    evidence: list[pd.DataFrame] = []

    # Roster figure at month(as_of).
    roster = lines["monthly_amount"].to_numpy(dtype="float64", na_value=np.nan)
    cand = np.flatnonzero(lines["active_asof"].to_numpy(dtype=bool) & ~np.isnan(roster))
    if len(cand):
        mm = np.full(len(cand), asof, dtype=np.int64)
        coef = due_coefficients(ctx, cand, mm)
        due = line_dues(ctx, cand, mm, coef)
        level = line_dues(ctx, cand, mm, np.ones(len(cand)))
        bad = ~np.isnan(due) & (np.abs(roster[cand] - due) >= TOLERANCE_VND)
        if bad.any():
            sub = lines.iloc[cand[bad]]
            params = pd.DataFrame(
                {
                    "recorded": vnd_text(pd.Series(roster[cand][bad], index=sub.index), lang),
                    "level": vnd_text(pd.Series(level[bad], index=sub.index), lang),
                    "coef": coefs_text(pd.Series(coef[bad], index=sub.index), lang),
                    "due": vnd_text(pd.Series(due[bad], index=sub.index), lang),
                    "month": months_text(pd.Series(asof, index=sub.index)),
                },
                index=sub.index,
            )
            parts.append(
                pd.DataFrame(
                    {
                        "line_idx": cand[bad],
                        "order": 0,
                        "text": render("entitlement.wrong_amount.roster", lang, params).to_numpy(),
                        "amount": 0.0,
                    }
                )
            )

    # Payments, per line and month.
    if ctx.has("payments"):
        mismatches = _payment_mismatches(ctx)
        if mismatches is not None:
            parts.append(mismatches[0])
            evidence.append(mismatches[1])
    if not parts:
        return empty_raw()
    found = pd.concat(parts, ignore_index=True).sort_values(["line_idx", "order"], kind="stable")
    per_line = grouped_lists(found, ["line_idx"], "text")
    per_line["text"] = [" ".join(v) for v in per_line["text"]]
    amounts = found.groupby("line_idx", sort=False)["amount"].sum()
    per_line["amount"] = amounts.reindex(per_line["line_idx"].to_numpy()).to_numpy()
    sub = lines.set_index("line_idx").loc[per_line["line_idx"]]
    prefix = render(
        "entitlement.prefix",
        lang,
        pd.DataFrame(
            {"name": line_labels(sub, lang).to_numpy(), "category": sub["category"].astype(str).to_numpy()}
        ),
    )
    per_line["text"] = prefix.to_numpy() + per_line["text"]
    return assemble(ctx, "WRONG_AMOUNT", per_line, evidence)
