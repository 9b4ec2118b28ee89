"""Stale status: people still listed or paid after the event that ended their entitlement.

Four checks (docs/check-semantics.md):

- ``DECEASED_ACTIVE``: a beneficiary matched to the death register, still active or paid after the
  month of death;
- ``MOVED_ACTIVE``: the same with a resident record ``moved_out`` and its move date;
- ``AGE_OUT``: a K1/K3/K2/K7 line past its age limit (limits from the rule tables);
- ``PAID_AFTER_END``: a received payment for a month on or after the line's ``end_month``, or while
  it was suspended.

The event month is the last payable month ("stop month"); only months of the audit period are
judged, for line activity as for payments. Everything is computed over whole frames: the only
per-row Python work is formatting the sentence of each finding.

Example:
    >>> raw = find_deceased_active(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check, match_people, sources_of
from audit_toolkit.findings import empty_raw, new_raw, sort_sources
from audit_toolkit.messages import fmt_vnd, render, t
from audit_toolkit.months import month_label, month_of

__all__ = [
    "find_age_outs",
    "find_deceased_active",
    "find_moved_active",
    "find_paid_after_end",
    "format_dates",
    "months_of",
    "person_label",
]

# Courtesy titles are for adults; children (AGE_OUT, young disabled people) are named without one.
_ADULT_AGE = 18


# -- shared helpers (also used by checks/missed.py) -------------------------------------------------
def person_label(full_name: pd.Series, sex: pd.Series, age: pd.Series, lang: str) -> pd.Series:
    """``"Bà Nguyễn Thị X"`` / ``"Ms Nguyễn Thị X"``: the name with a courtesy title for adults.

    Args:
        full_name: names (missing names give an empty label part).
        sex: ``"M"`` / ``"F"`` / missing (no title when missing).
        age: completed years (``Int64``; no title under 18 or when unknown).
        lang: report language.
    """
    adult = (pd.to_numeric(age, errors="coerce") >= _ADULT_AGE).fillna(False).to_numpy(dtype=bool)
    sex_arr = sex.astype("object").to_numpy()
    title = np.where(
        adult & (sex_arr == "M"),
        t("stale.title.male", lang),
        np.where(adult & (sex_arr == "F"), t("stale.title.female", lang), ""),
    )
    names = full_name.fillna("").astype(str).to_numpy()
    label = np.where(title == "", names, np.char.add(np.char.add(title.astype(str), " "), names.astype(str)))
    return pd.Series(label, index=full_name.index, dtype="str")


def format_dates(dates: pd.Series, year_only: pd.Series | None = None) -> pd.Series:
    """``dd/mm/yyyy`` (``yyyy`` where ``year_only``) for a datetime Series; ``""`` when missing."""
    text = dates.dt.strftime("%d/%m/%Y")
    if year_only is not None:
        yo = year_only.fillna(False).astype(bool)
        text = text.where(~yo, dates.dt.strftime("%Y"))
    return pd.Series(text.fillna("").astype(str), index=dates.index, dtype="str")


def months_of(dates: pd.Series) -> pd.Series:
    """Month numbers of a datetime Series (``Int64``, NA kept)."""
    return cast(pd.Series, month_of(dates))


def _month_labels(months: pd.Series) -> pd.Series:
    return pd.Series([month_label(int(m)) for m in months], index=months.index, dtype="str")


def _money(amounts: pd.Series, lang: str) -> pd.Series:
    return pd.Series([fmt_vnd(float(a), lang) for a in amounts], index=amounts.index, dtype="str")


def _received_in_period(ctx: AuditContext) -> pd.DataFrame:
    """Received payments for months of the audit period (empty frame when no payments table)."""
    if not ctx.has("payments"):
        return pd.DataFrame(
            {
                "pay_idx": pd.Series(dtype="int64"),
                "m": pd.Series(dtype="Int64"),
                "line_idx": pd.Series(dtype="Int64"),
                "person_key": pd.Series(dtype="str"),
                "amount": pd.Series(dtype="float64"),
                "source": pd.Series(dtype="str"),
            }
        )
    p = ctx.payments_linked
    inside = p["m"].notna() & (p["m"] >= ctx.period_start) & (p["m"] <= ctx.period_end)
    keep = (p["received"] & inside).fillna(False).astype(bool)
    out = p.loc[keep, ["pay_idx", "m", "line_idx", "person_key", "amount", "source"]].copy()
    out["amount"] = out["amount"].fillna(0.0).astype("float64")
    return out


def _join_sources(*frames: pd.DataFrame, key: list[str]) -> pd.Series:
    """Per group of ``key``: the sorted unique ``source`` values of all ``frames``."""
    parts = [f[[*key, "source"]] for f in frames if len(f)]
    if not parts:
        return pd.Series(dtype="object")
    allsrc = pd.concat(parts, ignore_index=True).drop_duplicates()
    return allsrc.groupby(key, sort=False)["source"].agg(sort_sources)


def _categories_text(lines: pd.DataFrame, key: list[str]) -> pd.Series:
    """Per group of ``key``: the line categories, sorted and joined (``"C1, K6"``)."""
    cats = (
        pd.DataFrame({k: lines[k] for k in key}).assign(_cat=lines["category"].astype(str)).drop_duplicates()
    )
    return cats.groupby(key, sort=False)["_cat"].agg(lambda s: ", ".join(sorted(s)))


def _after_stop(
    ctx: AuditContext,
    stops: pd.DataFrame,
    *,
    key: list[str],
    person_level: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Active line-months and received payments of the period after each line's stop month.

    Args:
        ctx: the audit context.
        stops: one row per line concerned: ``line_idx``, ``stop_m`` and the grouping ``key`` columns.
        key: the columns identifying one finding (``person_key`` [, ``category``]).
        person_level: payments count by person (deaths, moves: also payments that could not be
            tied to one line); otherwise only payments linked to the line count (AGE_OUT).

    Returns:
        ``(active, paid)``: line-months ``[line_idx, m, *key]`` and payments
        ``[pay_idx, m, amount, source, *key]`` for months after the stop month.
    """
    lm = ctx.line_months[["line_idx", "m"]].merge(stops[["line_idx", "stop_m", *key]], on="line_idx")
    active = lm.loc[lm["m"] > lm["stop_m"]]
    pay = _received_in_period(ctx)
    if person_level:
        per_person = stops.groupby(key, sort=False)["stop_m"].max().reset_index()
        paid = pay.drop(columns=["line_idx"]).merge(per_person, on=key)
    else:
        linked = pay.loc[pay["line_idx"].notna()].drop(columns=["person_key"])
        linked = linked.astype({"line_idx": "int64"})
        paid = linked.merge(stops[["line_idx", "stop_m", *key]], on="line_idx")
    paid = paid.loc[paid["m"].astype("int64") > paid["stop_m"].astype("int64")]
    return active.reset_index(drop=True), paid.reset_index(drop=True)


def _summarise(
    ctx: AuditContext,
    lines: pd.DataFrame,
    active: pd.DataFrame,
    paid: pd.DataFrame,
    *,
    key: list[str],
) -> pd.DataFrame:
    """One row per finding key: amount, paid months, last active month, still active at as_of."""
    flagged = pd.concat([active[key], paid[key]], ignore_index=True).drop_duplicates()
    if flagged.empty:
        return flagged
    out = flagged.set_index(key)
    paid_g = paid.groupby(key, sort=False)
    out["amount"] = paid_g["amount"].sum().reindex(out.index).fillna(0.0)
    out["n_months"] = paid_g["m"].nunique().reindex(out.index).fillna(0).astype("int64")
    out["first_paid"] = paid_g["m"].min().reindex(out.index)
    out["last_paid"] = paid_g["m"].max().reindex(out.index)
    act_g = active.groupby(key, sort=False)
    out["last_active"] = act_g["m"].max().reindex(out.index)
    out["active_asof"] = (out["last_active"] == ctx.asof_month).fillna(False).astype(bool)
    act_lines = lines.merge(active[["line_idx"]].drop_duplicates(), on="line_idx")
    out["active_categories"] = _categories_text(act_lines, key).reindex(out.index).fillna("")
    out["categories"] = _categories_text(lines, key).reindex(out.index).fillna("")
    return out.reset_index()


def _identity(lines: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Name, ID, sex and age of each finding key (first line in roster order)."""
    ident = lines.sort_values("line_idx").drop_duplicates(key)
    return ident[[*key, "full_name", "national_id", "sex", "age_asof"]]


def _stopped_people(
    ctx: AuditContext,
    register: pd.DataFrame,
    *,
    table: str,
    date_col: str,
    check_id: str,
    message: str,
) -> pd.DataFrame:
    """DECEASED_ACTIVE / MOVED_ACTIVE: beneficiaries matched to a dated register event."""
    lines = ctx.lines
    if register.empty or lines.empty:
        return empty_raw()
    pairs = match_people(lines, register)
    if pairs.empty:
        return empty_raw()
    pairs["person_key"] = lines["person_key"].to_numpy()[pairs["left_idx"].to_numpy()]
    pairs["event"] = register[date_col].reindex(pairs["right_idx"]).to_numpy()
    pairs["source"] = sources_of(table, register["_row"].reindex(pairs["right_idx"])).to_numpy()
    # Two register records for one person (a data error): the later date is the one we can least
    # dispute, so the overpayment we report is never larger than the register supports.
    event = pairs.groupby("person_key", sort=False)["event"].max()
    stop_m = months_of(event).astype("int64")
    matched = lines.loc[lines["person_key"].isin(stop_m.index)]
    stops = pd.DataFrame(
        {
            "line_idx": matched["line_idx"].to_numpy(),
            "person_key": matched["person_key"].to_numpy(),
            "stop_m": matched["person_key"].map(stop_m).to_numpy(dtype="int64"),
        }
    )
    key = ["person_key"]
    active, paid = _after_stop(ctx, stops, key=key, person_level=True)
    summary = _summarise(ctx, matched, active, paid, key=key)
    if summary.empty:
        return empty_raw()
    summary = summary.merge(_identity(matched, key), on=key, how="left")
    summary["event"] = summary["person_key"].map(event)
    reg_rows = pairs[["person_key", "source"]]
    line_rows = matched[["person_key", "source"]]
    sources = _join_sources(line_rows, paid, reg_rows, key=key)
    summary["sources"] = summary["person_key"].map(sources)
    return _render(ctx, summary, check_id=check_id, message=message, event=format_dates(summary["event"]))


def _render(
    ctx: AuditContext, summary: pd.DataFrame, *, check_id: str, message: str, event: pd.Series | None = None
) -> pd.DataFrame:
    """Detail sentences and the raw findings frame for a summary of flagged keys."""
    lang = ctx.lang
    fields = pd.DataFrame(index=summary.index)
    fields["who"] = person_label(summary["full_name"], summary["sex"], summary["age_asof"], lang)
    fields["event_date"] = event if event is not None else ""
    fields["amount"] = _money(summary["amount"], lang)
    fields["n_months"] = summary["n_months"].astype(str)
    fields["categories"] = summary["active_categories"].where(
        summary["active_categories"] != "", summary["categories"]
    )
    paid_any = summary["n_months"] > 0
    fields["first_month"] = _month_labels(summary["first_paid"].fillna(0))
    fields["last_month"] = _month_labels(summary["last_paid"].fillna(0))
    fields["last_active"] = _month_labels(summary["last_active"].fillna(0))
    fields["asof_month"] = month_label(ctx.asof_month)
    for col in ("limit", "limit_month", "birth", "stop_month"):
        if col in summary:
            fields[col] = summary[col].astype(str)
    if "hint" in summary:
        fields["hint"] = summary["hint"]
    detail = pd.Series("", index=summary.index, dtype="str")
    if paid_any.any():
        detail[paid_any] = render(f"{message}.paid", lang, fields.loc[paid_any])
    if (~paid_any).any():
        detail[~paid_any] = render(f"{message}.active", lang, fields.loc[~paid_any])
    listed = paid_any & summary["active_asof"]
    if listed.any():
        detail[listed] = detail[listed] + render(f"{message}.still_listed", lang, fields.loc[listed])
    out = pd.DataFrame(
        {
            "check_id": check_id,
            "person_key": summary["person_key"],
            "national_id": summary["national_id"].fillna("").astype(str),
            "full_name": summary["full_name"].fillna("").astype(str),
            "sources": summary["sources"],
            "detail": detail,
            "amount_vnd": summary["amount"].astype("float64"),
            "discriminator": summary["category"] if "category" in summary else "",
            "category": summary["category"] if "category" in summary else summary["categories"],
        }
    )
    return new_raw(out.reset_index(drop=True))


# -- checks --------------------------------------------------------------------------------------------
@check("DECEASED_ACTIVE")
def find_deceased_active(ctx: AuditContext) -> pd.DataFrame:
    """Beneficiaries in the death register still active, or paid, after the month of death.

    Matching: by valid ID, else name key + birth date (``match_people``). Amount: received payments
    for months of the period after the death month (also payments tied to the person only).
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
    )


@check("MOVED_ACTIVE")
def find_moved_active(ctx: AuditContext) -> pd.DataFrame:
    """Beneficiaries whose resident record says moved out (with a date), still active or paid after.

    A person who also has a current (permanent or temporary) resident record is not reported: the
    register itself does not settle whether they left, and a finding is evidence against them.
    """
    residents = ctx.table("residents").reset_index(drop=True)
    moved = residents.loc[
        (residents["residence_status"] == "moved_out") & residents["moved_out_date"].notna()
    ]
    current = residents.loc[residents["residence_status"].isin(["permanent", "temporary"])]
    if len(moved) and len(current):
        back = match_people(moved, current)["left_idx"]
        moved = moved.loc[~moved.index.isin(back)]
    return _stopped_people(
        ctx,
        moved,
        table="residents",
        date_col="moved_out_date",
        check_id="MOVED_ACTIVE",
        message="stale.moved",
    )


@check("AGE_OUT")
def find_age_outs(ctx: AuditContext) -> pd.DataFrame:
    """Lines past their category's age limit still active, or paid, after the limit month.

    The limit month is the birthday month of the limit age (year-only birth dates: January). A K1
    line whose holder is studying continues to the limit of the category it continues as (K2).
    One finding per person and category.
    """
    lines = ctx.lines
    limits = _age_limits(ctx)
    cand = lines.loc[lines["category"].isin(limits["category"]) & lines["birth_m"].notna()]
    if cand.empty:
        return empty_raw()
    cand = cand.merge(limits, on="category", how="left")
    studying = cand["studying"].fillna(False).astype(bool)
    cand["continues"] = (
        cand["continues_limit"].notna() & studying & (cand["continues_when"] == "studying")
    ).astype(bool)
    cand["limit"] = cand["limit"].where(~cand["continues"], cand["continues_limit"]).astype("int64")
    cand["stop_m"] = cand["birth_m"].astype("int64") + 12 * cand["limit"]
    # A line that could continue while studying but is not marked so: say what would regularise it.
    may_continue = (
        cand["continues_limit"].notna() & ~cand["continues"] & (cand["age_asof"] < cand["continues_limit"])
    )
    may_continue = may_continue.fillna(False).astype(bool)
    hints = {
        c: t("stale.age_out.hint_studying", ctx.lang, next=c) for c in cand["continues_as"].dropna().unique()
    }
    cand["hint"] = cand["continues_as"].map(hints).where(may_continue, "").fillna("").astype(str)
    key = ["person_key", "category"]
    active, paid = _after_stop(ctx, cand[["line_idx", "stop_m", *key]], key=key, person_level=False)
    summary = _summarise(ctx, cand, active, paid, key=key)
    if summary.empty:
        return empty_raw()
    # Describe each finding by its first flagged line (one person rarely has two lines of a category).
    flagged = pd.concat([active[["line_idx", *key]], paid[["line_idx", *key]]], ignore_index=True)
    first = cand.merge(flagged[["line_idx"]].drop_duplicates(), on="line_idx").sort_values("line_idx")
    first = first.drop_duplicates(key)
    first["birth"] = format_dates(first["birth_date"], first["birth_date_year_only"])
    first["limit_month"] = _month_labels(first["stop_m"])
    # No courtesy title: these are children and young people.
    first["age_asof"] = pd.Series(pd.NA, index=first.index, dtype="Int64")
    cols = [*key, "full_name", "national_id", "sex", "age_asof", "limit", "limit_month", "birth", "hint"]
    summary = summary.merge(first[cols], on=key, how="left")
    sources = _join_sources(
        cand.loc[cand["line_idx"].isin(flagged["line_idx"]), [*key, "source"]], paid, key=key
    )
    summary["sources"] = _lookup(sources, summary, key)
    return _render(ctx, summary, check_id="AGE_OUT", message="stale.age_out")


def _lookup(grouped: pd.Series, summary: pd.DataFrame, key: list[str]) -> list[list[str]]:
    """Values of a Series grouped by ``key`` for each row of ``summary`` (few rows: findings)."""
    if len(key) == 1:
        return [grouped.get(k, []) for k in summary[key[0]]]
    return [grouped.get(tuple(k), []) for k in summary[key].itertuples(index=False)]


def _age_limits(ctx: AuditContext) -> pd.DataFrame:
    """``category, limit, continues_when, continues_limit`` from the rule tables."""
    table = ctx.rules.age_limits
    frame = pd.DataFrame(
        {
            "category": table["category"].astype(str),
            "limit": table["age"].astype("int64"),
            "continues_as": table["continues_as"] if "continues_as" in table else None,
            "continues_when": table["continues_when"] if "continues_when" in table else None,
        }
    )
    by_cat = frame.set_index("category")["limit"]
    frame["continues_limit"] = frame["continues_as"].map(by_cat).astype("Int64")
    return frame


@check("PAID_AFTER_END")
def find_paid_after_end(ctx: AuditContext) -> pd.DataFrame:
    """Received payments for months on or after a line's ``end_month``, or while it was suspended.

    Only payments tied to one line count. A line ended without an end month cannot be dated and is
    left to the data-quality suite. One finding per person and line category.
    """
    lines = ctx.lines
    pay = _received_in_period(ctx)
    pay = pay.loc[pay["line_idx"].notna()].astype({"line_idx": "int64"}).drop(columns=["person_key"])
    cols = ["line_idx", "person_key", "category", "end_m", "susp_m", "status"]
    pay = pay.merge(lines[cols], on="line_idx")
    m = pay["m"].astype("int64")
    after_end = (pay["end_m"].notna() & (m >= pay["end_m"])).fillna(False).astype(bool)
    in_susp = (pay["susp_m"].notna() & (m >= pay["susp_m"])).fillna(False).astype(bool)
    pay["stop"] = pay["end_m"].where(after_end, pay["susp_m"])
    paid = pay.loc[after_end | in_susp].astype({"stop": "int64"}).reset_index(drop=True)
    if paid.empty:
        return empty_raw()
    key = ["person_key", "category"]
    flagged_lines = lines.loc[lines["line_idx"].isin(paid["line_idx"])]
    no_active = pd.DataFrame({"line_idx": pd.Series(dtype="int64"), "m": pd.Series(dtype="int64")})
    for k in key:
        no_active[k] = pd.Series(dtype="str")
    summary = _summarise(ctx, flagged_lines, no_active, paid, key=key)
    summary = summary.merge(_identity(flagged_lines, key), on=key, how="left")
    paid["suspended"] = (paid["status"] == "suspended").to_numpy(dtype=bool)
    per_key = paid.groupby(key, sort=False).agg(stop=("stop", "min"), suspended=("suspended", "all"))
    summary = summary.merge(per_key.reset_index(), on=key, how="left")
    summary["stop_month"] = _month_labels(summary["stop"])
    sources = _join_sources(flagged_lines[[*key, "source"]], paid, key=key)
    summary["sources"] = _lookup(sources, summary, key)
    out = []
    for flag, message in ((True, "stale.paid_after_end.suspended"), (False, "stale.paid_after_end.ended")):
        part = summary.loc[summary["suspended"] == flag]
        if len(part):
            out.append(_render(ctx, part, check_id="PAID_AFTER_END", message=message))
    return new_raw(pd.concat(out, ignore_index=True))
