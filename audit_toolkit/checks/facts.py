"""One home for the facts several checks share, computed once per audit and cached on the context.

- :func:`allocate_payments`: every payment row spread over the months it is FOR (data contract §1a,
  checks.md "Payment month"). ``AuditContext.payments_linked`` is its output, so every payment check
  (WRONG_AMOUNT, UNPAID_MONTHS, PAID_AFTER_END, DECEASED_ACTIVE, MOVED_ACTIVE, AGE_OUT, DUPLICATE_ID,
  CARED_FOR_GONE, CATEGORY_ENDED) reads the same month-allocated money.
- :func:`death_months` / :func:`move_months`: the month of the (latest) matched death or move per
  beneficiary ``person_key``, as the stale checks read the registers.
- :func:`care_facts`: per care line (C2, C3, C4), the person cared for with their birth, death, move,
  disability level and K6 line, and the stop month of the line with its cause.

Example:
    >>> facts = care_facts(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, match_people
from audit_toolkit.months import month_of

__all__ = [
    "CARE_FOR_DISABLED",
    "CARE_FOR_TAKEN_IN",
    "allocate_payments",
    "care_facts",
    "death_months",
    "move_months",
]

#: Care lines for a person with an especially severe disability (NĐ 20/2021 Art 20(2)(c), (d)).
CARE_FOR_DISABLED = ("C2", "C3")
#: Care line for a K1 child or a K5d elder taken in (NĐ 20/2021 Art 20(1)).
CARE_FOR_TAKEN_IN = ("C4",)
# The monthly line a cared-for person holds: K6 for C2/C3; K1 (child; K2 when studying) or K5d for C4.
_DISABILITY_LINE = "K6"
_TAKEN_IN_LINES = ("K1", "K2", "K5d")
# The child's line whose age limit ends C4 care for a child (C4 is care for a K1 child: Art 20(1)).
_CHILD_LINE = "K1"
_ESPECIALLY_SEVERE = "especially_severe"
_INF = float(np.inf)


def _cache(ctx: AuditContext) -> dict[str, Any]:
    cache: dict[str, Any] = ctx.extras.setdefault("_facts", {})
    return cache


# ------------------------------------------------------------------------------------ payments
def allocate_payments(ctx: AuditContext, linked: pd.DataFrame) -> pd.DataFrame:
    """Payment rows → one row per (payment row, month it is for), the money split over those months.

    A row's own ``amount`` covers ``for_from .. for_to`` (its month, unless the row is a catch-up
    lump); a separate ``arrears_amount`` covers ``extra_from .. extra_to``; a ``recovered_amount``
    (truy thu) is negative received money for ``recov_from .. recov_to`` (see
    :mod:`audit_toolkit.payment_months`). A lump is split equally over its months in units of the
    month's level (standard level, or social-pension level for HTXH lines): equal shares when the
    levels are equal, and a correct lump across a level change gives every month exactly its due.

    The result keeps every column of ``linked``; ``m`` is the month the money is for, ``amount`` the
    share, ``paid_m`` the row's own month, ``part`` (``own``/``arrears``/``recovered``), ``lump``
    (True for money that was not the month's own payment) and ``src_idx`` (the row's position in
    ``linked``); ``pay_idx`` is renumbered (0..n-1) and ``_row``/``source`` still name the source row.
    """
    p = linked.reset_index(drop=True)
    n = len(p)
    if not n or "for_from" not in p or not _has_lumps(p):
        # Every row pays its own month (the usual list): no copy of the frame, same columns.
        out = p
        out["paid_m"] = out["m"]
        out["part"] = "own"
        out["lump"] = False
        out["src_idx"] = np.arange(n, dtype=np.int64)
        return out
    m = p["m"].to_numpy(dtype="float64", na_value=np.nan)
    parts = []
    amount = p["amount"].to_numpy(dtype="float64", na_value=np.nan)
    specs = (
        ("own", "for_from", "for_to", amount, 1.0),
        ("arrears", "extra_from", "extra_to", _values(p, "arrears_amount"), 1.0),
        ("recovered", "recov_from", "recov_to", np.abs(_values(p, "recovered_amount")), -1.0),
    )
    for part, c_from, c_to, money, sign in specs:
        lo = p[c_from].to_numpy(dtype="float64", na_value=np.nan)
        hi = p[c_to].to_numpy(dtype="float64", na_value=np.nan)
        if part == "own":
            lo, hi = np.where(np.isnan(lo), m, lo), np.where(np.isnan(hi), m, hi)
            use = np.ones(n, dtype=bool)  # every row keeps its own amount (NaN stays NaN)
        else:
            use = ~np.isnan(lo) & ~np.isnan(hi) & ~np.isnan(money) & (money != 0)
        rows = np.flatnonzero(use)
        count = np.where(np.isnan(lo[rows]) | np.isnan(hi[rows]), 1, hi[rows] - lo[rows] + 1).astype(np.int64)
        src = np.repeat(rows, count)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        month = np.repeat(lo[rows], count) + offset
        parts.append(
            pd.DataFrame(
                {
                    "src_idx": src,
                    "m_for": month,
                    "money": np.repeat(money[rows], count) * sign,
                    "count": np.repeat(count, count),
                    "part": part,
                }
            )
        )
    alloc = pd.concat(parts, ignore_index=True)
    alloc["share"] = _shares(ctx, p, alloc)
    # In source-row order (own money, then the row's arrears, then its recovered money), so the frame
    # is as stable as the input: one take of the wide frame, not two.
    alloc = alloc.iloc[np.argsort(alloc["src_idx"].to_numpy(), kind="stable")].reset_index(drop=True)
    out = p.take(alloc["src_idx"].to_numpy()).reset_index(drop=True)
    out["paid_m"] = out["m"]
    month = alloc["m_for"].to_numpy(dtype="float64")
    unknown = np.isnan(month)
    out["m"] = pd.arrays.IntegerArray(np.where(unknown, 0, month).astype(np.int64), unknown)
    out["amount"] = alloc["share"].to_numpy(dtype="float64")
    out["part"] = alloc["part"].to_numpy(dtype=object)
    out["lump"] = ((alloc["count"] > 1) | (alloc["part"] != "own")).to_numpy(dtype=bool)
    out["src_idx"] = alloc["src_idx"].to_numpy(dtype=np.int64)
    out["pay_idx"] = np.arange(len(out), dtype=np.int64)
    return out


def _has_lumps(p: pd.DataFrame) -> bool:
    """Whether any row covers other months than its own (a catch-up lump or recovered money)."""
    m = p["m"].to_numpy(dtype="float64", na_value=np.nan)
    own_from = p["for_from"].to_numpy(dtype="float64", na_value=np.nan)
    own_to = p["for_to"].to_numpy(dtype="float64", na_value=np.nan)
    other = (own_from != m) | (own_to != m)
    other &= ~(np.isnan(own_from) & np.isnan(m))
    separate = p["extra_from"].notna().to_numpy() | p["recov_from"].notna().to_numpy()
    return bool(other.any() or separate.any())


def _values(p: pd.DataFrame, column: str) -> np.ndarray:
    if column not in p:
        return np.full(len(p), np.nan)
    values: np.ndarray = p[column].to_numpy(dtype="float64", na_value=np.nan)
    return values


def _shares(ctx: AuditContext, p: pd.DataFrame, alloc: pd.DataFrame) -> np.ndarray:
    """Each month's share of its lump: money × level(m) / Σ level over the lump's months.

    The level is the base level of the paid line's category (the payment's own category when the
    payment is tied to no line); where a level is unknown for any month of the lump, equal shares.
    """
    money = alloc["money"].to_numpy(dtype="float64")
    count = alloc["count"].to_numpy(dtype="float64")
    equal: np.ndarray = money / count
    multi = count > 1
    if not multi.any():
        return equal
    src = alloc["src_idx"].to_numpy(dtype=np.int64)
    sub = np.flatnonzero(multi)
    # Only the lump rows' categories are needed (reading a million text cells costs more than the split).
    rows, at = np.unique(src[sub], return_inverse=True)
    cats = (
        p["category"].take(rows).astype("object").to_numpy()
        if "category" in p
        else np.full(len(rows), None, dtype=object)
    )
    if "line_idx" in p:
        li = p["line_idx"].take(rows).to_numpy(dtype="float64", na_value=np.nan)
        line_cat = ctx.lines["category"].astype("object").to_numpy()
        has = ~np.isnan(li)
        cats = cats.copy()
        cats[has] = line_cat[li[has].astype(np.int64)]
    level = ctx.rules.base_level(
        pd.Series(cats[at], dtype=object),
        pd.Series(alloc["m_for"].to_numpy()[sub], dtype="float64"),
        ctx.ward.province_code,
    ).to_numpy(dtype="float64")
    lump_key = pd.factorize(pd.MultiIndex.from_arrays([src[sub], alloc["part"].to_numpy()[sub]]))[0]
    total = np.bincount(lump_key, weights=np.nan_to_num(level, nan=0.0))
    unknown = np.bincount(lump_key, weights=np.isnan(level).astype(float)) > 0
    weighted = (
        money[sub] * np.nan_to_num(level, nan=0.0) / np.where(total[lump_key] > 0, total[lump_key], 1.0)
    )
    ok = ~unknown[lump_key] & (total[lump_key] > 0)
    out: np.ndarray = equal.copy()
    out[sub] = np.where(ok, weighted, equal[sub])
    return out


# ------------------------------------------------------------------------------------ register events
def _event_month(ctx: AuditContext, register: pd.DataFrame, date_col: str) -> pd.Series:
    """``person_key`` (beneficiaries) → month of the latest matched register event (float)."""
    lines = ctx.lines
    if register.empty or lines.empty:
        return pd.Series(dtype="float64")
    pairs = match_people(lines, register)
    if pairs.empty:
        return pd.Series(dtype="float64")
    frame = pd.DataFrame(
        {
            "person_key": lines["person_key"].to_numpy()[pairs["left_idx"].to_numpy()],
            "event": register[date_col].reindex(pairs["right_idx"]).to_numpy(),
        }
    )
    latest = frame.groupby("person_key", sort=False)["event"].max()
    months = month_of(latest)
    return pd.Series(months, index=latest.index).astype("float64")


def death_months(ctx: AuditContext) -> pd.Series:
    """``person_key`` → month of death (the later of two matched death records); empty without deaths."""
    cache = _cache(ctx)
    if "death_months" not in cache:
        if ctx.has("deaths"):
            deaths = ctx.table("deaths").reset_index(drop=True)
            deaths = deaths.loc[deaths["death_date"].notna()]
            cache["death_months"] = _event_month(ctx, deaths, "death_date")
        else:
            cache["death_months"] = pd.Series(dtype="float64")
    result: pd.Series = cache["death_months"]
    return result


def moved_records(ctx: AuditContext) -> pd.DataFrame:
    """Resident records ``moved_out`` with a date, of beneficiaries, without a current record of the same person."""
    residents = ctx.table("residents").reset_index(drop=True)
    lines = ctx.lines
    moved = residents.loc[
        (residents["residence_status"] == "moved_out") & residents["moved_out_date"].notna()
    ]
    # Only moved records of beneficiaries matter; only their namesakes can be current records.
    moved = moved.loc[match_people(moved, lines)["left_idx"].unique()] if len(moved) else moved
    current = residents.loc[
        residents["residence_status"].isin(["permanent", "temporary"])
        & (
            residents["national_id"].isin(moved["national_id"].dropna())
            | residents["name_key"].isin(moved["name_key"].dropna())
        )
    ]
    if len(moved) and len(current):
        back = match_people(moved, current)["left_idx"].unique()
        moved = moved.loc[~moved.index.isin(back)]
    return moved


def move_months(ctx: AuditContext) -> pd.Series:
    """``person_key`` → month of the move away (residents ``moved_out`` with a date, not back)."""
    cache = _cache(ctx)
    if "move_months" not in cache:
        if ctx.has("residents") and "residence_status" in ctx.table("residents"):
            cache["move_months"] = _event_month(ctx, moved_records(ctx), "moved_out_date")
        else:
            cache["move_months"] = pd.Series(dtype="float64")
    result: pd.Series = cache["move_months"]
    return result


# ------------------------------------------------------------------------------------ care lines
_CF_COLS = ["national_id", "name_key", "birth_date", "birth_date_year_only"]


def _first_by_id(frame: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The first record of ``frame`` carrying each of ``ids`` (NaN rows where none), aligned with ``ids``."""
    have = frame.loc[frame["national_id"].notna()].drop_duplicates("national_id")
    codes, uniques = pd.factorize(pd.concat([ids.astype("object"), have["national_id"].astype("object")]))
    left, right = codes[: len(ids)], codes[len(ids) :]
    pos = np.full(len(uniques) + 1, -1, dtype=np.int64)
    pos[right] = np.arange(len(have))
    at = np.where(left < 0, -1, pos[np.where(left < 0, len(uniques), left)])
    out = have.reset_index(drop=True).reindex(at).reset_index(drop=True)
    out["found"] = at >= 0
    return out


def _household_holder(lines: pd.DataFrame, care: pd.DataFrame, categories: tuple[str, ...]) -> np.ndarray:
    """Per care line without ``cared_for_id``: the line index of the one person of its household
    (or its own record) holding a line of ``categories``; -1 when none or several people do."""
    holders = lines.loc[lines["category"].isin(categories)]
    out = np.full(len(care), -1, dtype=np.int64)
    if holders.empty:
        return out
    parts = []
    for key in ("household_id", "person_key"):
        c = care.loc[care[key].notna(), ["line_idx", key]].rename(columns={"line_idx": "care_idx"})
        h = pd.DataFrame(
            {
                "line_idx": holders["line_idx"].to_numpy(),
                "holder": holders["person_key"].to_numpy(dtype=object),
                key: holders[key].to_numpy(dtype=object),
            }
        )
        h = h.loc[h[key].notna()]
        parts.append(c.merge(h, on=key)[["care_idx", "line_idx", "holder"]])
    pairs = pd.concat(parts, ignore_index=True).sort_values(["care_idx", "line_idx"])
    people = pairs.groupby("care_idx")["holder"].nunique()
    unique = people.index[people == 1]
    first = pairs.loc[pairs["care_idx"].isin(unique)].drop_duplicates("care_idx")
    pos = pd.Series(np.arange(len(care)), index=care["line_idx"].to_numpy())
    out[pos.reindex(first["care_idx"]).to_numpy()] = first["line_idx"].to_numpy(dtype=np.int64)
    return out


def care_facts(ctx: AuditContext) -> pd.DataFrame:
    """Per care line (C2, C3, C4): the person cared for and the month the line had to stop.

    The cared-for person is the line's ``cared_for_id``; without one, the one person of the line's
    household (or of the line's own record) holding a K6 line (C2/C3) or a K1/K2/K5d line (C4):
    several such people is ambiguous and resolves nothing. Columns: ``line_idx``, ``found``
    (the person was found on the roster or a register), ``via`` (``id``/``household``/``""``),
    ``cared_key`` (their ``person_key`` on the roster, else ``id:<cared_for_id>``), ``cared_name``,
    ``birth_m``, ``death_m``, ``move_m``, ``age_stop_m`` (C4 for a child: the month the child reached
    the K1 age limit), ``level_stop_m`` (C2/C3: last month of an especially severe K6 line, or the
    month of a later certificate at another level), ``level_cert_row``, ``stop_m`` (the earliest of
    them; NaN = none) and ``cause`` (``death``/``move``/``age``/``level``/``""``).
    """
    cache = _cache(ctx)
    if "care" in cache:
        cached: pd.DataFrame = cache["care"]
        return cached
    lines = ctx.lines
    care = lines.loc[lines["category"].isin(CARE_FOR_DISABLED + CARE_FOR_TAKEN_IN)].reset_index(drop=True)
    ids = care["cared_for_id"].astype("object")
    has_id = ids.notna().to_numpy(dtype=bool)
    disabled = care["category"].isin(CARE_FOR_DISABLED).to_numpy(dtype=bool)

    # Who: by cared_for_id on the roster, else in the registers; else the household's holder.
    rec = _first_by_id(lines[["line_idx", "person_key", "full_name", *_CF_COLS]], ids)
    on_roster = rec["found"].to_numpy(dtype=bool) & has_id
    frame = pd.DataFrame(
        {
            "line_idx": care["line_idx"].to_numpy(),
            "national_id": ids.where(has_id).to_numpy(dtype=object),
            "name_key": rec["name_key"].to_numpy(dtype=object),
            "birth_date": pd.to_datetime(rec["birth_date"]).to_numpy(),
            "birth_date_year_only": rec["birth_date_year_only"].fillna(False).to_numpy(dtype=bool),
            "cared_key": rec["person_key"].to_numpy(dtype=object),
            "cared_name": rec["full_name"].to_numpy(dtype=object),
        }
    )
    found = on_roster.copy()
    for table in ("residents", "deaths", "disability_certificates", "pensions"):
        if not ctx.has(table) or not has_id.any():
            continue
        reg = ctx.table(table)
        cols = [c for c in [*_CF_COLS, "full_name"] if c in reg]
        hit = _first_by_id(reg[cols], ids)
        new = hit["found"].to_numpy(dtype=bool) & has_id & ~found
        for col in ("name_key", "birth_date", "birth_date_year_only", "full_name"):
            if col in hit and new.any():
                target = "cared_name" if col == "full_name" else col
                frame.loc[new, target] = hit.loc[new, col].to_numpy()
        found |= new
    via = np.where(found, "id", "")
    no_id = np.flatnonzero(~has_id)
    if len(no_id):
        sub = care.iloc[no_id]
        holder = np.full(len(no_id), -1, dtype=np.int64)
        for cats, mask in (((_DISABILITY_LINE,), disabled[no_id]), (_TAKEN_IN_LINES, ~disabled[no_id])):
            if mask.any():
                holder[mask] = _household_holder(lines, sub.loc[mask], cats)
        ok = holder >= 0
        at = no_id[ok]
        h = lines.iloc[holder[ok]]
        for col in ("national_id", "name_key", "birth_date", "birth_date_year_only"):
            frame.loc[at, col] = h[col].to_numpy()
        frame.loc[at, "cared_key"] = h["person_key"].to_numpy(dtype=object)
        frame.loc[at, "cared_name"] = h["full_name"].to_numpy(dtype=object)
        found[at] = True
        via[at] = "household"
    frame["found"] = found
    frame["via"] = via
    frame["birth_date"] = pd.to_datetime(frame["birth_date"]).astype("datetime64[ns]")
    frame["birth_date_year_only"] = frame["birth_date_year_only"].fillna(False).astype(bool)
    frame["cared_key"] = frame["cared_key"].where(
        frame["cared_key"].notna(), "id:" + frame["national_id"].astype("object").fillna("")
    )
    birth_m = month_of(frame["birth_date"])
    frame["birth_m"] = pd.Series(birth_m, index=frame.index).astype("float64")
    look = frame.loc[found, ["national_id", "name_key", "birth_date", "birth_date_year_only"]]

    # Death and move of the person cared for.
    frame["death_m"] = np.nan
    frame["move_m"] = np.nan
    if ctx.has("deaths") and len(look):
        deaths = ctx.table("deaths").reset_index(drop=True)
        deaths = deaths.loc[deaths["death_date"].notna()]
        frame["death_m"] = _event_by_row(look, deaths, "death_date", len(frame))
    if ctx.has("residents") and len(look):
        frame["move_m"] = _event_by_row(look, _moved_of(ctx, look), "moved_out_date", len(frame))

    # C4 for a child: the child's line (K1) ends at its age limit; an elder (K5d age) has none.
    limit = ctx.rules.age_limit(_CHILD_LINE)
    elder_age = ctx.rules.min_age("K5d")
    age_asof = np.floor((ctx.asof_month - frame["birth_m"].to_numpy()) / 12)
    child = ~disabled & ~np.isnan(age_asof)
    if elder_age is not None:
        child &= age_asof < elder_age
    frame["age_stop_m"] = np.where(child & (limit is not None), frame["birth_m"] + 12 * (limit or 0), np.nan)

    # C2/C3: the cared-for person's especially severe K6 line ended, or a later certificate says another level.
    frame["level_stop_m"] = np.nan
    frame["level_cert_row"] = np.nan
    k6 = lines.loc[lines["category"] == _DISABILITY_LINE]
    dis = frame.loc[disabled & found]
    if len(dis) and len(k6):
        pairs = dis[["line_idx", "cared_key"]].merge(
            k6[["person_key", "disability_level", "end_m", "start_m"]],
            left_on="cared_key",
            right_on="person_key",
        )
        severe = pairs["disability_level"] == _ESPECIALLY_SEVERE
        ends = pairs["end_m"].astype("float64").fillna(_INF) - 1
        pairs = pairs.assign(last=np.where(severe.fillna(False), ends, np.nan))
        held = pairs.groupby("line_idx")["last"].max()  # NaN when no especially severe K6 line at all
        held = held[held.notna() & np.isfinite(held)]
        pos = pd.Series(frame.index, index=frame["line_idx"].to_numpy())
        frame.loc[pos.reindex(held.index).to_numpy(), "level_stop_m"] = held.to_numpy(dtype="float64")
    if len(dis) and ctx.has("disability_certificates"):
        certs = ctx.table("disability_certificates").reset_index(drop=True)
        certs = certs.loc[certs["issue_date"].notna() & (certs["issue_date"] <= ctx.as_of)]
        sub = dis[["national_id", "name_key", "birth_date", "birth_date_year_only"]]
        pairs = match_people(sub, certs) if len(certs) else pd.DataFrame(columns=["left_idx", "right_idx"])
        if len(pairs):
            pairs["issue"] = certs["issue_date"].reindex(pairs["right_idx"]).to_numpy()
            pairs["level"] = certs["disability_level"].reindex(pairs["right_idx"]).to_numpy()
            pairs["row"] = certs["_row"].reindex(pairs["right_idx"]).to_numpy(dtype="float64")
            # Latest certificate; on a tie of dates the one that is not especially severe wins.
            pairs["severe"] = (pairs["level"] == _ESPECIALLY_SEVERE).to_numpy(dtype=bool)
            latest = pairs.sort_values(["issue", "severe"], ascending=[True, False], kind="stable")
            latest = latest.drop_duplicates("left_idx", keep="last")
            other = latest.loc[~latest["severe"] & latest["level"].notna()]
            at = other["left_idx"].to_numpy()
            cert_m = pd.Series(month_of(other["issue"]), index=other.index).astype("float64").to_numpy()
            frame.loc[at, "level_stop_m"] = np.fmin(
                frame.loc[at, "level_stop_m"].to_numpy(dtype="float64"), cert_m
            )
            frame.loc[at, "level_cert_row"] = other["row"].to_numpy()

    stops = frame[["death_m", "move_m", "age_stop_m", "level_stop_m"]].to_numpy(dtype="float64")
    stop = np.fmin.reduce(stops, axis=1)
    causes = np.array(["death", "move", "age", "level"], dtype=object)
    first = np.argmax(np.where(np.isnan(stops), np.inf, stops) == stop[:, None], axis=1)
    frame["stop_m"] = stop
    frame["cause"] = np.where(np.isnan(stop), "", causes[first])
    cache["care"] = frame
    return frame


def _event_by_row(who: pd.DataFrame, register: pd.DataFrame, date_col: str, n: int) -> np.ndarray:
    """Per row of the full care frame (``who`` is a subset by index): month of the latest matched event."""
    out = np.full(n, np.nan)
    if register.empty or who.empty:
        return out
    pairs = match_people(who, register)
    if pairs.empty:
        return out
    event = pd.Series(
        register[date_col].reindex(pairs["right_idx"]).to_numpy(), index=pairs["left_idx"].to_numpy()
    )
    latest = event.groupby(level=0).max()
    out[latest.index.to_numpy(dtype=np.int64)] = pd.Series(month_of(latest), index=latest.index).astype(
        "float64"
    )
    return out


def _moved_of(ctx: AuditContext, who: pd.DataFrame) -> pd.DataFrame:
    """Moved-out resident records (with a date) of the people in ``who``, without a current record."""
    residents = ctx.table("residents").reset_index(drop=True)
    moved = residents.loc[
        (residents["residence_status"] == "moved_out") & residents["moved_out_date"].notna()
    ]
    if moved.empty:
        return moved
    moved = moved.loc[match_people(moved, who)["left_idx"].unique()]
    current = residents.loc[residents["residence_status"].isin(["permanent", "temporary"])]
    if len(moved) and len(current):
        back = match_people(moved, current)["left_idx"].unique()
        moved = moved.loc[~moved.index.isin(back)]
    return moved


def care_quality_note(ctx: AuditContext) -> dict[str, Any] | None:
    """A data-quality appendix row for care lines whose person cared for cannot be found.

    Such a line is not a CARED_FOR_GONE finding (nothing shows the person is gone), but the ward
    cannot show who it pays for either: the appendix counts them. ``None`` when every care line's
    person was found (or there are no care lines). Keys are the GX summary columns.
    """
    facts = care_facts(ctx)
    if facts.empty:
        return None
    missing = int((~facts["found"]).sum())
    if not missing:
        return None
    from audit_toolkit.messages import t

    return {
        "table": "beneficiaries",
        "expectation": "cared_for_person_found",
        "column": "cared_for_id",
        "description": t("care.quality.not_found", ctx.lang),
        "check_id": None,
        "evaluated": len(facts),
        "unexpected": missing,
        "success": False,
        "note": None,
    }
