"""Missed eligible people: residents the registers say qualify but who are on no list.

Three checks (docs/check-semantics.md):

- ``MISSED_ELDERLY``: a living resident, not moved away, old enough for a benefit without a pension
  at ``as_of`` (the rule in force: ``RuleSet.elderly_thresholds``), with no pension, social
  insurance or social-pension record active at ``as_of`` and no active line of any category;
- ``MISSED_DISABILITY``: a living resident whose latest disability certificate (issued by
  ``as_of``) is severe or especially severe and at least 30 days old, with no active K6 line;
- ``MISSED_CARE``: an active K6 line at level especially severe with no active C2/C3 care line for
  that person (by ``cared_for_id``, same household, or on the person's own record): a question.

People are matched across tables with :func:`match_people` (valid ID, else name key + birth date).
Amounts are 0: what a missed person is owed depends on the application the ward has yet to take.

Example:
    >>> raw = find_missed_elderly(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check, row_refs
from audit_toolkit.checks.common import (
    MATCH_COLUMNS,
    active_in_month,
    format_dates,
    isin_keys,
    match_candidates,
    months_of,
    person_label,
    render_rows,
    sources_by,
    usable_ids,
)
from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import t
from audit_toolkit.months import age_in_month, month_label
from audit_toolkit.rules import load_rules

__all__ = ["find_missed_care", "find_missed_disability", "find_missed_elderly"]

# CERTIFICATE_GRACE_DAYS (checks.md MISSED_DISABILITY: days a certificate gives the ward to open a K6 line)
# is a rule row (rules/data/constants.yml) the check reads from ctx.rules; the module name stays for code
# that imported it and reads the PACKAGED rules on first use.


def __getattr__(name: str) -> Any:
    if name == "CERTIFICATE_GRACE_DAYS":
        return load_rules().certificate_grace_days
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SEVERE_LEVELS = ("severe", "especially_severe")
_ESPECIALLY_SEVERE = "especially_severe"
#: Care lines for a person with an especially severe disability (NĐ 20/2021 Art 20(2)(c), (d)).
_DISABILITY_CARE = ("C2", "C3")
_DISABILITY_LINE = "K6"


#: Resident columns the checks read (selecting them first keeps 1M-row filters cheap).
_RESIDENT_COLS = [
    "_row",
    "national_id",
    "full_name",
    "name_key",
    "birth_date",
    "birth_date_year_only",
    "sex",
    "household_id",
    "residence_status",
    "moved_out_date",
    "poverty_status",
    "person_key",
]


def _living_residents(ctx: AuditContext, residents: pd.DataFrame) -> pd.DataFrame:
    """Residents living in the ward at as_of: not moved out and not dead by then.

    A move or a death dated after as_of does not count: the person was a living resident on the
    audit date (a move without a date counts, since we cannot tell when it happened).
    """
    moved_by_asof = (residents["residence_status"] == "moved_out") & ~(
        residents["moved_out_date"] > ctx.as_of
    )
    out = residents.loc[~moved_by_asof.fillna(False).astype(bool)]
    if ctx.has("deaths"):
        deaths = ctx.table("deaths").reset_index(drop=True)
        out = _without(out, deaths.loc[~(deaths["death_date"] > ctx.as_of).fillna(False).astype(bool)])
    return out


def _without(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``left`` matched to no record of ``right`` (same person by ID, or name + birth date)."""
    if left.empty or right.empty:
        return left
    # A usable ID the right side carries matches whatever the names say: those rows go first, and
    # the full matching runs on the others only (most people of a register share their ID).
    right_ids = right["national_id"].loc[usable_ids(right["national_id"])]
    by_id = usable_ids(left["national_id"]) & isin_keys(left["national_id"], right_ids)
    rest: pd.DataFrame = left.loc[~by_id]
    if rest.empty:
        return rest
    hit = match_candidates(rest, right)["left_idx"]
    out: pd.DataFrame = rest.loc[~rest.index.isin(hit)]
    return out


def _sources_by_person(frame: pd.DataFrame, table: str) -> dict[str, list[str]]:
    return sources_by(frame["person_key"], table, frame["_row"], row_refs(frame))


def _raw(
    check_id: str,
    people: pd.DataFrame,
    detail: pd.Series,
    sources: list[list[str]],
    category: pd.Series | str,
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "check_id": check_id,
            "person_key": people["person_key"].to_numpy(dtype=object),
            "national_id": people["national_id"]
            .astype("object")
            .where(people["national_id"].notna(), "")
            .to_numpy(),
            "full_name": people["full_name"]
            .astype("object")
            .where(people["full_name"].notna(), "")
            .to_numpy(),
            "sources": sources,
            "detail": detail.to_numpy(dtype=object),
            "amount_vnd": 0.0,
            "discriminator": "",
            "category": category.to_numpy() if isinstance(category, pd.Series) else category,
        }
    )
    return new_raw(out)


@check("MISSED_ELDERLY")
def find_missed_elderly(ctx: AuditContext) -> pd.DataFrame:
    """Living residents old enough for a benefit without a pension who hold neither.

    Ages are completed years at the end of ``month(as_of)`` (birthday in that month counts; a
    year-only birth date is 1 January). Before 2025-07-01 the rule is ≥ 80; from then ≥ 75, or ≥ 70
    in a poor or near-poor household (values from the rule tables).
    """
    rule = ctx.rules.elderly_thresholds(ctx.as_of)
    res = ctx.table("residents").reset_index(drop=True)[_RESIDENT_COLS]
    age = age_in_month(months_of(res["birth_date"]), ctx.asof_month)
    by_age = (age >= rule["min_age"]).fillna(False).astype(bool)
    poor = res["poverty_status"].isin(list(rule["poor_statuses"])).fillna(False).astype(bool)
    by_poverty = pd.Series(False, index=res.index)
    if rule["min_age_poor"] is not None:
        by_poverty = (poor & (age >= rule["min_age_poor"])).fillna(False).astype(bool)
    keep = by_age | by_poverty
    # Assign arrays, not Series: a Series assigned to an empty frame would re-create its rows.
    cand = res.loc[keep].assign(
        age=age[keep].to_numpy(), poor_only=(by_poverty & ~by_age)[keep].to_numpy(dtype=bool)
    )
    cand = _living_residents(ctx, cand)
    pensions = ctx.table("pensions").reset_index(drop=True)
    start = pensions["start_month"].astype("Int64")
    end = pensions["end_month"].astype("Int64")
    m = ctx.asof_month
    pension_active = active_in_month(start, end, m)
    cand = _without(cand, pensions.loc[pension_active])
    lines = ctx.lines
    # Only a monthly allowance or a social pension of their own counts: a care-support (C) line
    # pays the person as a carer, not as an elder.
    # Only the columns person matching reads (the roster is wide: a filter copies every column).
    cand = _without(cand, lines.loc[lines["active_asof"] & (lines["kind"] != "C"), list(MATCH_COLUMNS)])
    if cand.empty:
        return empty_raw()
    sources = _sources_by_person(cand, "residents")
    people = cand.sort_index().drop_duplicates("person_key")
    lang = ctx.lang
    fields = pd.DataFrame(index=people.index)
    fields["who"] = person_label(people["full_name"], people["sex"], people["age"], lang)
    fields["birth"] = format_dates(people["birth_date"], people["birth_date_year_only"])
    fields["age"] = people["age"].astype(str)
    fields["asof_month"] = month_label(ctx.asof_month)
    scheme = str(rule["scheme"])
    fields["scheme"] = t(f"missed.scheme.{scheme}", lang)
    clauses = {
        s: t("missed.elderly.poverty_clause", lang, poverty=t(f"missed.poverty.{s}", lang))
        for s in rule["poor_statuses"]
    }
    clause = people["poverty_status"].astype("object").map(clauses).fillna("")
    fields["poverty"] = clause.where(people["poor_only"].to_numpy(dtype=bool), "")
    detail = render_rows("missed.elderly", lang, fields)
    return _raw("MISSED_ELDERLY", people, detail, [sources[k] for k in people["person_key"]], scheme)


@check("MISSED_DISABILITY")
def find_missed_disability(ctx: AuditContext) -> pd.DataFrame:
    """Living residents with a severe/especially severe certificate (≥ 30 days old) and no active K6.

    The certificate that counts is the latest issued on or before ``as_of``; when two share that
    date, the milder one counts (the finding must hold whichever is right).
    """
    certs = ctx.table("disability_certificates").reset_index(drop=True)
    certs = certs.loc[certs["issue_date"].notna() & (certs["issue_date"] <= ctx.as_of)]
    res = ctx.table("residents").reset_index(drop=True)[_RESIDENT_COLS]
    if res.empty or certs.empty:
        return empty_raw()
    pairs = match_candidates(res, certs)
    res = _living_residents(ctx, res.loc[pairs["left_idx"].unique()])
    pairs = pairs.loc[pairs["left_idx"].isin(res.index)]
    if pairs.empty:
        return empty_raw()
    pairs["person_key"] = res["person_key"].reindex(pairs["left_idx"]).to_numpy()
    pairs["issue_date"] = certs["issue_date"].reindex(pairs["right_idx"]).to_numpy()
    pairs["level"] = certs["disability_level"].reindex(pairs["right_idx"]).to_numpy()
    pairs["severe"] = pairs["level"].isin(_SEVERE_LEVELS).to_numpy(dtype=bool)
    # Latest certificate per person; on a tie of dates the non-severe one sorts last and wins.
    latest = pairs.sort_values(["issue_date", "severe"], ascending=[True, False], kind="stable")
    latest = latest.drop_duplicates("person_key", keep="last")
    deadline = ctx.as_of.normalize() - pd.Timedelta(days=ctx.rules.certificate_grace_days)
    latest = latest.loc[latest["severe"] & (latest["issue_date"] <= deadline)]
    if latest.empty:
        return empty_raw()
    lines = ctx.lines
    # Matched against only (the columns person matching reads: the roster is wide).
    k6 = lines.loc[lines["active_asof"] & (lines["category"] == _DISABILITY_LINE), list(MATCH_COLUMNS)]
    people = res.loc[isin_keys(res["person_key"], latest["person_key"])]
    if len(k6):
        by_person = people.loc[match_candidates(people, k6)["left_idx"].unique(), "person_key"]
        latest_certs = certs.loc[latest["right_idx"].unique()]
        by_cert = match_candidates(latest_certs, k6)["left_idx"].unique()
        # Covered: matched to an active K6 line as a resident or through the certificate (text keys
        # compared through Arrow, not a Python set built value by value).
        by_certificate = latest["person_key"].to_numpy(dtype=object)[
            latest["right_idx"].isin(by_cert).to_numpy()
        ]
        covered = np.concatenate([by_person.to_numpy(dtype=object), by_certificate])
        latest = latest.loc[~isin_keys(latest["person_key"], covered)]
        people = people.loc[isin_keys(people["person_key"], latest["person_key"])]
    if latest.empty:
        return empty_raw()
    cert_rows = certs["_row"].reindex(latest["right_idx"])
    evidence = pd.DataFrame(
        {
            "k": np.concatenate(
                [people["person_key"].to_numpy(dtype=object), latest["person_key"].to_numpy(dtype=object)]
            ),
            "t": ["residents"] * len(people) + ["disability_certificates"] * len(latest),
            "r": np.concatenate([people["_row"].to_numpy(dtype="int64"), cert_rows.to_numpy(dtype="int64")]),
        }
    )
    sources = sources_by(evidence["k"], evidence["t"], evidence["r"])
    people = people.sort_index().drop_duplicates("person_key")
    lang = ctx.lang
    latest = latest.set_index("person_key").reindex(people["person_key"])
    age = age_in_month(months_of(people["birth_date"]), ctx.asof_month)
    fields = pd.DataFrame(index=people.index)
    fields["who"] = person_label(people["full_name"], people["sex"], age, lang)
    fields["level"] = (
        latest["level"].map({lv: t(f"missed.level.{lv}", lang) for lv in _SEVERE_LEVELS}).to_numpy()
    )
    fields["issue_date"] = format_dates(pd.Series(latest["issue_date"].to_numpy(), index=people.index))
    fields["asof_month"] = month_label(ctx.asof_month)
    detail = render_rows("missed.disability", lang, fields)
    return _raw(
        "MISSED_DISABILITY", people, detail, [sources[k] for k in people["person_key"]], _DISABILITY_LINE
    )


@check("MISSED_CARE")
def find_missed_care(ctx: AuditContext) -> pd.DataFrame:
    """Active K6 especially-severe lines with no active C2/C3 care line for that person: a question.

    A care line counts when its ``cared_for_id`` is the person's ID; a care line without
    ``cared_for_id`` also counts when its holder is of the person's ``household_id`` or when it sits
    on the person's own record (same person key: wards often list the household's C2 support on the
    disabled person's row). People found in a supplied death register are left to
    ``DECEASED_ACTIVE``.
    """
    lines = ctx.lines
    k6 = lines.loc[
        lines["active_asof"]
        & (lines["category"] == _DISABILITY_LINE)
        & (lines["disability_level"] == _ESPECIALLY_SEVERE).fillna(False).astype(bool)
    ]
    if k6.empty:
        return empty_raw()
    care = lines.loc[lines["active_asof"] & lines["category"].isin(_DISABILITY_CARE)]
    # A care line designated for someone else (cared_for_id of another person) does not cover this one.
    cared_for = care["cared_for_id"]
    undesignated = care.loc[cared_for.isna()]
    covered = (
        isin_keys(k6["national_id"], cared_for)
        | isin_keys(k6["household_id"], undesignated["household_id"])
        | isin_keys(k6["person_key"], undesignated["person_key"])
    )
    # A person with several K6 lines is covered when any of them is.
    k6 = k6.loc[~isin_keys(k6["person_key"], k6.loc[covered, "person_key"])]
    if ctx.has("deaths") and len(k6):
        k6 = _without(k6, ctx.table("deaths").reset_index(drop=True))
    if k6.empty:
        return empty_raw()
    src = sources_by(k6["person_key"], "beneficiaries", k6["_row"], row_refs(k6))
    people = k6.sort_values("line_idx").drop_duplicates("person_key")
    fields = pd.DataFrame(index=people.index)
    fields["who"] = person_label(people["full_name"], people["sex"], people["age_asof"], ctx.lang)
    fields["asof_month"] = month_label(ctx.asof_month)
    detail = render_rows("missed.care", ctx.lang, fields)
    return _raw("MISSED_CARE", people, detail, [src[k] for k in people["person_key"]], _DISABILITY_LINE)
