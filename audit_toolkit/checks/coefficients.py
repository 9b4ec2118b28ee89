"""WRONG_COEFFICIENT: a recorded coefficient the rules do not give at ``month(as_of)``.

For the category, level and age (C3/C4: the cared-for person's); the money is summed month by
month against the expected coefficient.

Example:
    >>> raw = find_wrong_coefficients(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check
from audit_toolkit.checks.common import coef_text, coefs_text, months_text, vnd_text
from audit_toolkit.checks.entitlement_common import (
    assemble,
    drop_pairs,
    ineligible_counted,
    judged_months,
    line_facts,
    line_labels,
)
from audit_toolkit.checks.facts.money import expected_coefficients, line_dues
from audit_toolkit.findings import empty_raw
from audit_toolkit.messages import render, t

__all__ = ["find_wrong_coefficients"]


# ----------------------------------------------------------------------------------- WRONG_COEFFICIENT
def _nearest_lawful(recorded: np.ndarray, answer: pd.DataFrame) -> np.ndarray:
    """The coefficient the money is measured against, month by month.

    One expected value: that value. An allowed set (C1) or whole multiples of a unit (K4): the facts
    that decide (pregnancy, number of children) are not in the data, so only the certain part is
    counted: a recorded value above the highest lawful one is measured against the highest, one
    below the lowest against the lowest, one in between against itself (no amount). No rule: itself.
    """
    expected = answer["expected"].to_numpy(dtype="float64")
    lo = answer["allowed_lo"].to_numpy(dtype="float64")
    hi = answer["allowed_hi"].to_numpy(dtype="float64")
    unit = answer["per_child_unit"].to_numpy(dtype="float64")
    out = np.where(np.isnan(expected), recorded, expected)
    has_set = ~np.isnan(lo)
    out = np.where(has_set, np.clip(recorded, lo, hi), out)
    per_child = ~np.isnan(unit)
    out = np.where(per_child, np.maximum(recorded, unit), out)
    return out


def _lawful_text(expected: float, allowed: object, unit: float, lang: str) -> str:
    if not np.isnan(expected):
        return coef_text(expected, lang)
    if isinstance(allowed, tuple):
        return t(
            "entitlement.coef.one_of",
            lang,
            values=t("entitlement.coef.or", lang).join(coef_text(a, lang) for a in allowed),
        )
    if not np.isnan(unit):
        return t("entitlement.coef.per_child", lang, unit=coef_text(unit, lang))
    return ""


@check("WRONG_COEFFICIENT")
def find_wrong_coefficients(ctx: AuditContext) -> pd.DataFrame:
    """Recorded coefficients the rules do not give for the category, level and age at ``month(as_of)``.

    C3/C4 take the cared-for person's age (``cared_for_id``, looked up in the roster and registers);
    C1 accepts its allowed set; K4 any whole multiple of its unit (one per child). A line whose
    rules cannot judge it (no rule for the age or level) is left to INELIGIBLE / AGE_OUT.

    Amount: Σ over the line's payable months m of the period of (recorded − expected(m)) ×
    standard(m), with the expected coefficient taken month by month (a child who turned 4 counts
    from the birthday month). Months the stale checks or INELIGIBLE count as wholly overpaid are
    left out. For C1/K4 only the certain part is counted (see ``_nearest_lawful``).
    One finding per person and category.
    """
    lines = ctx.lines
    lang = ctx.lang
    recorded_all = lines["coefficient"].to_numpy(dtype="float64", na_value=np.nan)
    cand = np.flatnonzero(lines["active_asof"].to_numpy(dtype=bool) & ~np.isnan(recorded_all))
    if len(cand) == 0:
        return empty_raw()
    facts = line_facts(ctx)
    asof = ctx.asof_month
    age = pd.Series(np.floor((asof - facts.coef_birth_m[cand]) / 12), dtype="Float64")
    ok = ctx.rules.coefficient_ok(
        lines["category"].to_numpy()[cand],
        lines["disability_level"].astype("object").to_numpy()[cand],
        age,
        asof,
        recorded_all[cand],
    ).to_numpy(dtype=bool)
    bad = cand[~ok]
    if len(bad) == 0:
        return empty_raw()

    # Money, month by month.
    months = judged_months(ctx)
    months = months.loc[months["line_idx"].isin(bad)]
    months = drop_pairs(months, ineligible_counted(ctx))
    li = months["line_idx"].to_numpy(dtype=np.int64)
    mm = months["m"].to_numpy(dtype=np.int64)
    rules_m = expected_coefficients(ctx, li, mm)
    recorded = recorded_all[li]
    lawful = _nearest_lawful(recorded, rules_m)
    per_month = line_dues(ctx, li, mm, recorded - lawful)
    amount = pd.Series(np.nan_to_num(per_month), index=li).groupby(level=0).sum()

    sub = lines.iloc[bad]
    at_asof = expected_coefficients(ctx, bad, np.full(len(bad), asof, dtype=np.int64))
    texts: dict[tuple[float | None, object, float | None], str] = {}
    lawful_text = []
    for e, a, u in zip(
        at_asof["expected"].to_numpy(dtype="float64"),
        at_asof["allowed"].to_numpy(dtype=object),
        at_asof["per_child_unit"].to_numpy(dtype="float64"),
        strict=True,
    ):
        k = (None if np.isnan(e) else float(e), a, None if np.isnan(u) else float(u))
        if k not in texts:
            texts[k] = _lawful_text(e, a, u, lang)
        lawful_text.append(texts[k])
    cared = (ctx.rules.age_of(sub["category"]) == "cared_for").to_numpy()
    age_bad = np.floor((asof - facts.coef_birth_m[bad]) / 12)
    who = np.where(
        np.isnan(age_bad),
        "",
        np.where(cared, "entitlement.coef.age_cared_for", "entitlement.coef.age_self"),
    )
    notes = pd.Series(who, dtype="str") + "|" + pd.Series(np.nan_to_num(age_bad).astype(np.int64)).astype(str)
    note_of = {
        k: (t(k.split("|")[0], lang, age=int(k.split("|")[1])) if k[0] != "|" else "") for k in notes.unique()
    }
    age_note = notes.map(note_of).to_numpy()
    amounts = sub["line_idx"].map(amount).fillna(0.0).astype("float64")
    params = pd.DataFrame(
        {
            "name": line_labels(sub, lang),
            "category": sub["category"].astype(str),
            "recorded": coefs_text(sub["coefficient"], lang),
            "lawful": lawful_text,
            "age_note": age_note,
            "month": months_text(pd.Series(asof, index=sub.index)),
            "amount": vnd_text(amounts, lang),
        },
        index=sub.index,
    )
    detail = render("entitlement.wrong_coefficient", lang, params)
    per_line = pd.DataFrame({"line_idx": bad, "text": detail.to_numpy(), "amount": amounts.to_numpy()})
    return assemble(ctx, "WRONG_COEFFICIENT", per_line)
