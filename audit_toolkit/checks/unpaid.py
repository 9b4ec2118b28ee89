"""UNPAID_MONTHS: months of the period in which an active, payable line received nothing.

The months owed are priced with :func:`audit_toolkit.checks.facts.money.line_dues`; months another
check counts as wholly overpaid are not owed.

Example:
    >>> raw = find_unpaid_months(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check
from audit_toolkit.checks.common import grouped_lists, vnd_text
from audit_toolkit.checks.entitlement_common import (
    assemble,
    drop_pairs,
    ineligibility,
    judged_months,
    line_labels,
)
from audit_toolkit.checks.facts.money import due_coefficients, line_dues
from audit_toolkit.findings import empty_raw
from audit_toolkit.messages import render, t
from audit_toolkit.months import month_label

__all__ = ["find_unpaid_months"]


# ----------------------------------------------------------------------------------- UNPAID_MONTHS
def _paid_months(ctx: AuditContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The months something was received for: ``line_idx, m`` of payments tied to a line, and
    ``person_key, m`` (distinct) of those tied only to a person; months of the period.

    The rows of :func:`~audit_toolkit.checks.entitlement_common.received` (``linked_only=False``),
    read as arrays: only the few person-only rows need their person key as text.
    """
    p = ctx.payments_linked
    # received()'s rows: received, for a month of the period.
    m = p["m"].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(
        p["received"].to_numpy(dtype=bool) & (m >= ctx.period_start) & (m <= ctx.period_end)
    )
    line = p["line_idx"].to_numpy(dtype="float64", na_value=np.nan)[rows]
    month = m[rows].astype(np.int64)
    linked = ~np.isnan(line)
    # A set for drop_pairs: repeated pairs change nothing, so they are left in.
    by_line = pd.DataFrame({"line_idx": line[linked].astype(np.int64), "m": month[linked]})
    loose_rows = rows[~linked]
    person = p["person_key"].take(loose_rows)
    known = person.notna().to_numpy()
    loose = pd.DataFrame(
        {"person_key": person.to_numpy(dtype=object)[known], "m": month[~linked][known]}
    ).drop_duplicates()
    return by_line, loose


@check("UNPAID_MONTHS")
def find_unpaid_months(ctx: AuditContext) -> pd.DataFrame:
    """Payable months of the period for which a line received nothing.

    A month is judged when the line is active and not suspended, at or after its start, not after
    the person's death, move or age limit, and not one in which the person was not entitled
    (INELIGIBLE's months). Only months the payment list covers are judged: from its first to its
    last month (a list that starts later or ends earlier than the period was not supplied for the
    other months; nobody is "unpaid" there). A payment tied to the person but not to one line (two
    lines, no category to tell them apart) counts as paying each of the person's lines for that
    month: we do not accuse a ward of non-payment we cannot show.

    Amount = − Σ due of the unpaid months. The detail says when 3 or more consecutive months are
    unpaid (Circular 02/2021: the line should have been suspended). One finding per person and
    category.
    """
    lines = ctx.lines
    lang = ctx.lang
    p = ctx.payments_linked
    listed = p["m"].dropna().astype("int64")
    if listed.empty:
        return empty_raw()
    first_m = max(ctx.period_start, int(listed.min()))
    last_m = min(ctx.period_end, int(listed.max()))
    judged = judged_months(ctx)
    judged = judged.loc[(judged["m"] >= first_m) & (judged["m"] <= last_m)]
    judged = drop_pairs(judged, ineligibility(ctx).months)
    if judged.empty:
        return empty_raw()

    by_line, loose = _paid_months(ctx)
    unpaid = drop_pairs(judged, by_line)
    if len(loose) and len(unpaid):
        people = lines["person_key"].to_numpy()[unpaid["line_idx"].to_numpy()]
        codes, _ = pd.factorize(np.concatenate([people, loose["person_key"].to_numpy(dtype=object)]))
        codes = codes.astype(np.int64)
        mine = (codes[: len(unpaid)] << 20) + unpaid["m"].to_numpy(dtype=np.int64)
        theirs = (codes[len(unpaid) :] << 20) + loose["m"].to_numpy(dtype=np.int64)
        unpaid = unpaid.loc[~pd.Series(mine).isin(theirs).to_numpy()].reset_index(drop=True)
    if unpaid.empty:
        return empty_raw()

    li = unpaid["line_idx"].to_numpy(dtype=np.int64)
    mm = unpaid["m"].to_numpy(dtype=np.int64)
    unpaid["due"] = np.nan_to_num(line_dues(ctx, li, mm, due_coefficients(ctx, li, mm)))
    unpaid = unpaid.sort_values(["line_idx", "m"], kind="stable").reset_index(drop=True)
    new_run = (unpaid["line_idx"] != unpaid["line_idx"].shift()) | (unpaid["m"] != unpaid["m"].shift() + 1)
    unpaid["run"] = new_run.cumsum()
    runs = unpaid.groupby("run", sort=False).agg(
        line_idx=("line_idx", "first"), first=("m", "min"), last=("m", "max"), n=("m", "size")
    )
    runs["text"] = [
        month_label(a)
        if a == b
        else t("entitlement.unpaid.range", lang, start=month_label(a), end=month_label(b))
        for a, b in zip(runs["first"], runs["last"], strict=True)
    ]
    longest = runs.sort_values(["n", "first"], ascending=[False, True], kind="stable").drop_duplicates(
        "line_idx"
    )
    longest = longest.set_index("line_idx")
    per = unpaid.groupby("line_idx", sort=True).agg(n=("m", "size"), due=("due", "sum"))
    run_lists = grouped_lists(runs, ["line_idx"], "text")
    per["months"] = pd.Series(
        [", ".join(v) for v in run_lists["text"]], index=run_lists["line_idx"].to_numpy()
    )
    per["run"] = longest["n"]
    per["run_text"] = longest["text"]
    per = per.reset_index()
    sub = lines.set_index("line_idx").loc[per["line_idx"]]
    amount = -per["due"].astype("float64")
    params = pd.DataFrame(
        {
            "name": line_labels(sub, lang).to_numpy(),
            "category": sub["category"].astype(str).to_numpy(),
            "n": per["n"].astype(int).to_numpy(),
            "months": per["months"].to_numpy(),
            "amount": vnd_text(amount, lang).to_numpy(),
        }
    )
    text = render("entitlement.unpaid", lang, params)
    long_run = (per["run"] >= ctx.rules.suspend_after_unpaid_months).to_numpy()
    if long_run.any():
        run_params = pd.DataFrame({"run": per["run"].astype(int), "months": per["run_text"]}).loc[long_run]
        text.loc[long_run] = text.loc[long_run] + " " + render("entitlement.unpaid.suspend", lang, run_params)
    per_line = pd.DataFrame(
        {"line_idx": per["line_idx"].to_numpy(), "text": text.to_numpy(), "amount": amount.to_numpy()}
    )
    return assemble(ctx, "UNPAID_MONTHS", per_line)
