"""Process and reporting checks: ``LATE_DECISION`` and ``REPORT_MISMATCH``.

``LATE_DECISION`` counts Vietnamese working days from the application to the decision and compares
them with the legal deadline in force on the application date (both from the ``RuleSet``: no date,
day count or holiday lives in this module). ``REPORT_MISMATCH`` reconciles the ward's reported
counts with the roster: each category row with the distinct people holding an active line of that
category, the ``TOTAL`` row with the distinct people holding any active line, and the category
rows' sum with the ``TOTAL`` row.

Example:
    >>> raw = find_late_decisions(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check, sources_of
from audit_toolkit.checks.common import grouped_lists, person_label
from audit_toolkit.findings import empty_raw, new_raw, sort_sources
from audit_toolkit.messages import render
from audit_toolkit.months import month_of

__all__ = ["TOTAL", "find_late_decisions", "find_report_mismatches"]

#: The report table's code for its total row (docs/architecture.md, "category").
TOTAL = "TOTAL"


def _dates_text(values: pd.Series, lang: str) -> pd.Series:
    """``dd/mm/yyyy`` as ``messages.fmt_date`` writes it (both languages), vectorised."""
    text = pd.to_datetime(values).dt.strftime("%d/%m/%Y")
    return pd.Series(text.fillna("").to_numpy(), index=values.index, dtype="str")


@check("LATE_DECISION")
def find_late_decisions(ctx: AuditContext) -> pd.DataFrame:
    """Lines decided later than the legal number of working days after the application.

    Working days are counted in ``(application_date, decision_date]`` by
    ``ctx.rules.working_days_between`` (weekends and Vietnamese public holidays off); the deadline
    is ``ctx.rules.decision_deadline_days`` of the application date (it changed on 2025-07-01).
    Only lines with both dates are judged; a decision dated before its application is not "late"
    (it is a data error for the quality suite). One finding per person and line category.

    Args:
        ctx: the audit context.

    Returns:
        Raw findings (``RAW_COLUMNS``), amount 0.
    """
    lines = ctx.lines
    both = lines["application_date"].notna() & lines["decision_date"].notna()
    cand = lines.loc[both]
    if cand.empty:
        return empty_raw()
    app = cand["application_date"].reset_index(drop=True)
    dec = cand["decision_date"].reset_index(drop=True)
    worked = ctx.rules.working_days_between(app, dec).to_numpy(dtype="int64")
    # NA where no deadline rule covers the application (after NĐ 147/2025 ends, 2027-03-01): not judged.
    deadline = ctx.rules.decision_deadline_days(app).to_numpy(dtype="float64", na_value=np.nan)
    late = worked > deadline
    if not late.any():
        return empty_raw()
    hits = cand.loc[late].copy()
    hits["worked"] = worked[late]
    hits["deadline"] = deadline[late]
    # One finding per person and category: every line's row in the sources, the latest one in the text.
    hits = hits.sort_values(["person_key", "category", "worked"], ascending=[True, True, False])
    keys = ["person_key", "category"]
    by_row = hits.sort_values("_row", kind="stable")
    sources = grouped_lists(by_row, keys, "source").rename(columns={"source": "sources"})
    first = hits.drop_duplicates(keys).merge(sources, on=keys, how="left").reset_index(drop=True)
    params = pd.DataFrame(
        {
            "name": person_label(first["full_name"], first["sex"], first["age_asof"], ctx.lang),
            "category": first["category"].astype(str),
            "applied": _dates_text(first["application_date"], ctx.lang),
            "decided": _dates_text(first["decision_date"], ctx.lang),
            "days": first["worked"].astype(int),
            "deadline": first["deadline"].astype(int),
            "over": (first["worked"] - first["deadline"]).astype(int),
        }
    )
    return new_raw(
        pd.DataFrame(
            {
                "check_id": "LATE_DECISION",
                "person_key": first["person_key"].astype(str),
                "national_id": first["national_id"].fillna("").astype(str),
                "full_name": first["full_name"].fillna("").astype(str),
                "sources": first["sources"],
                "detail": render("process.late_decision", ctx.lang, params),
                "amount_vnd": 0.0,
                "discriminator": first["category"].astype(str),
                "category": first["category"].astype(str),
            }
        )
    )


def _people_active(ctx: AuditContext, months: np.ndarray) -> pd.DataFrame:
    """Distinct ``(m, category, person_key)`` with a line active in month ``m``, for each month asked."""
    lines = ctx.lines
    # Plain arrays (a report has one or two dates; each pandas selection costs more than the work).
    category = lines["category"].to_numpy(dtype=object)
    person = lines["person_key"].to_numpy(dtype=object)
    # Distinct (category, person) in roster order: one code per pair, missing values included.
    cat_codes = pd.factorize(category, use_na_sentinel=False)[0].astype(np.int64)
    person_codes = pd.factorize(person, use_na_sentinel=False)[0].astype(np.int64)
    pair = cat_codes * (int(person_codes.max(initial=0)) + 1) + person_codes
    parts_m, parts_at = [], []
    for m in np.unique(months):  # one pass per distinct report date: a report has one or two
        at = np.flatnonzero(ctx.active_in(lines, int(m)).to_numpy(dtype=bool))
        at = at[np.sort(np.unique(pair[at], return_index=True)[1])]
        parts_m.append(np.full(len(at), int(m), dtype=np.int64))
        parts_at.append(at)
    at = np.concatenate(parts_at) if parts_at else np.zeros(0, dtype=np.int64)
    return pd.DataFrame(
        {
            "m": np.concatenate(parts_m) if parts_m else np.zeros(0, dtype=np.int64),
            "category": pd.Series(category[at], dtype="str"),
            "person_key": pd.Series(person[at], dtype="str"),
        }
    )


def _report_rows(rep: pd.DataFrame) -> pd.DataFrame:
    """Report rows added up per ``(m, category)``, in order of first appearance: ``m, category,
    date`` (of the first row), ``reported`` (the sum) and ``sources`` (every row's, in order).

    ``groupby(sort=False).agg`` with a ``list`` aggregation, on plain arrays (a report has a few rows).
    """
    m = rep["m"].to_numpy(dtype=np.int64)
    cat_codes, _ = pd.factorize(rep["category"].to_numpy(dtype=object))
    group, _ = pd.factorize(m * (int(cat_codes.max(initial=0)) + 1) + cat_codes)
    _, first = np.unique(group, return_index=True)  # group numbers follow first appearance
    reported = np.zeros(len(first), dtype=np.int64)
    np.add.at(reported, group, rep["reported"].to_numpy(dtype=np.int64))
    order = np.argsort(group, kind="stable")
    cuts = np.flatnonzero(np.diff(group[order])) + 1
    sources = rep["source"].to_numpy(dtype=object)[order]
    return pd.DataFrame(
        {
            "m": m[first],
            "category": rep["category"].array.take(first),
            "date": rep["date"].array.take(first),
            "reported": reported,
            "sources": [part.tolist() for part in np.split(sources, cuts)],
        }
    )


def _with_counts(agg: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """``agg`` (one row per report month and category) with what the roster says, on plain arrays.

    Adds ``actual`` (distinct people with an active line of the category; of any category on the
    ``TOTAL`` row), ``overlap`` (people counted in several categories that month), ``cat_sum`` (the
    month's category rows added up), ``count_bad`` and ``sum_bad`` (a ``TOTAL`` row whose month has
    category rows that do not add up to it).
    """
    n_people = len(people)
    months = np.concatenate([people["m"].to_numpy(dtype=np.int64), agg["m"].to_numpy(dtype=np.int64)])
    m_codes, m_uniq = pd.factorize(months)
    n_m = len(m_uniq)
    cat_codes, cat_uniq = pd.factorize(
        np.concatenate([people["category"].to_numpy(dtype=object), agg["category"].to_numpy(dtype=object)])
    )
    pm, am = m_codes[:n_people], m_codes[n_people:]
    pcat, acat = cat_codes[:n_people], cat_codes[n_people:]
    width = len(cat_uniq) + 1
    # People per (month, category): the rows of ``people`` are distinct (month, category, person).
    per_cat = np.bincount((pm * width + pcat)[pcat >= 0], minlength=n_m * width)
    rows_with_cat = np.bincount(pm[pcat >= 0], minlength=n_m)
    # Distinct people per month (any category).
    person_codes, _ = pd.factorize(people["person_key"].to_numpy(dtype=object))
    known = person_codes >= 0
    pairs = np.unique(pm[known] * (int(person_codes.max(initial=0)) + 1) + person_codes[known])
    per_month = np.bincount(pairs // (int(person_codes.max(initial=0)) + 1), minlength=n_m)
    is_total = (agg["category"] == TOTAL).to_numpy(dtype=bool)
    actual = np.where(is_total, per_month[am], per_cat[am * width + acat])
    # A month without a categorised active line has no overlap figure (0), as a missing group.
    overlap = np.where(rows_with_cat[am] > 0, rows_with_cat[am] - per_month[am], 0)
    reported = agg["reported"].to_numpy(dtype=np.int64)
    cat_sum = np.zeros(n_m, dtype=np.int64)
    np.add.at(cat_sum, am[~is_total], reported[~is_total])
    cat_rows = np.bincount(am[~is_total], minlength=n_m)
    has_sum = is_total & (cat_rows[am] > 0)
    sums = np.where(has_sum, cat_sum[am], 0).astype(np.int64)
    # One frame built at once (each column added to a frame costs a copy of its column index).
    return pd.DataFrame(
        {
            **{c: agg[c] for c in agg.columns},
            "actual": actual.astype(np.int64),
            "overlap": overlap.astype(np.int64),
            "cat_sum": sums,
            "count_bad": reported != actual,
            "sum_bad": has_sum & (sums != reported),
        }
    )


@check("REPORT_MISMATCH")
def find_report_mismatches(ctx: AuditContext) -> pd.DataFrame:
    """Reported counts that differ from the roster, or category counts that do not add up to the total.

    Each report row is judged at the month of its own ``as_of`` when it gives one (the date the ward
    reported for: a report "as of 31/12" is not contradicted by a person who joined in January),
    else at ``month(as_of)`` of the audit. Rows of one category (a category split over several
    rows, e.g. two disability levels) are added up first. Three comparisons:

    * a category row vs the distinct people (``person_key``) with a line of that category active then;
    * the ``TOTAL`` row vs the distinct people with any active line;
    * the sum of the category rows vs the ``TOTAL`` row (reported on the ``TOTAL`` row's finding).

    One finding per mismatching row, ``person_key = "report:<category>"``, ``sources`` the row(s)
    of that category, amount 0.

    Args:
        ctx: the audit context.

    Returns:
        Raw findings (``RAW_COLUMNS``).
    """
    table = ctx.table("report")
    keep = (table["category"].notna() & table["reported_count"].notna()).to_numpy(dtype=bool)
    if not keep.any():
        return empty_raw()
    given = table["as_of"] if "as_of" in table else pd.Series(pd.NaT, index=table.index)
    dates = pd.Series(given.fillna(ctx.as_of).to_numpy(dtype="datetime64[ns]")[keep])
    rep = pd.DataFrame(
        {
            "date": dates,
            "m": cast(pd.Series, month_of(dates)).astype("int64").to_numpy(),
            "source": sources_of("report", table["_row"].loc[keep]).to_numpy(),
            "category": table["category"].loc[keep].astype(str).to_numpy(),
            "reported": table["reported_count"].loc[keep].astype("int64").to_numpy(),
        }
    )
    agg = _report_rows(rep)

    people = _people_active(ctx, agg["m"].to_numpy())
    agg = _with_counts(agg, people)
    is_total = (agg["category"] == TOTAL).to_numpy(dtype=bool)
    cats = agg.loc[~is_total]
    bad = agg.loc[agg["count_bad"] | agg["sum_bad"]].copy()
    if bad.empty:
        return empty_raw()

    lang = ctx.lang
    params = pd.DataFrame(
        {
            "category": bad["category"],
            "reported": bad["reported"].astype(int),
            "actual": bad["actual"].astype(int),
            "date": _dates_text(bad["date"], lang),
            "parts": bad["m"].map(_parts_text(cats)).fillna(""),
            "sum": bad["cat_sum"].astype(int),
            "total": bad["reported"].astype(int),
            "overlap": bad["overlap"].astype(int),
        },
        index=bad.index,
    )
    total_row = (bad["category"] == TOTAL).to_numpy()
    count_bad = bad["count_bad"].to_numpy(dtype=bool)
    sum_bad = bad["sum_bad"].to_numpy(dtype=bool)
    # The sum of rows exceeds the total by exactly the people the roster holds in two categories.
    explained = (
        sum_bad
        & (params["sum"] - params["total"] == params["overlap"]).to_numpy()
        & (params["overlap"] > 0).to_numpy()
    )
    detail = pd.Series("", index=bad.index, dtype="str")
    for key, mask in (
        ("process.report_category", count_bad & ~total_row),
        ("process.report_total", count_bad & total_row),
        ("process.report_sum", sum_bad),
        ("process.report_overlap", explained),
    ):
        if mask.any():
            detail.loc[mask] = (detail.loc[mask] + " " + render(key, lang, params.loc[mask])).str.strip()

    return new_raw(
        pd.DataFrame(
            {
                "check_id": "REPORT_MISMATCH",
                "person_key": "report:" + bad["category"],
                "national_id": "",
                "full_name": "",
                "sources": bad["sources"].map(sort_sources),
                "detail": detail,
                "amount_vnd": 0.0,
                "discriminator": "",
                "category": bad["category"],
                "evidence": [
                    {"reported": int(r), "actual": int(a), "category_sum": int(s) if sb else None}
                    for r, a, s, sb in zip(
                        bad["reported"], bad["actual"], bad["cat_sum"], sum_bad, strict=True
                    )
                ],
            }
        )
    )


def _parts_text(cats: pd.DataFrame) -> dict[int, str]:
    """``"94 + 26 + 2 + 3 + 26"`` per report month, in the report's row order."""
    return {
        int(str(m)): " + ".join(str(int(v)) for v in grp["reported"])
        for m, grp in cats.groupby("m", sort=False)
    }
