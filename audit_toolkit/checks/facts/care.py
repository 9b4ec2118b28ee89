"""Fact: per care line (C2, C3, C4), the person cared for and the month the line had to stop.

:func:`care_facts` finds the cared-for person (by ``cared_for_id`` on the roster, then in the
registers, else the household's one holder of the matching line) with their birth, death, move,
disability level and K6 line; :func:`care_quality_note` counts care lines whose person is not found.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, inner_join, match_people
from audit_toolkit.checks.common import first_positions, lookup_numbers
from audit_toolkit.checks.facts.cache import fact_cache
from audit_toolkit.checks.facts.people import dated_deaths
from audit_toolkit.months import month_of

__all__ = ["CARE_FOR_DISABLED", "CARE_FOR_TAKEN_IN", "care_facts", "care_quality_note"]

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
# Month number of numpy's month 0 (1970-01): datetime64[M] counts months from it.
_EPOCH_MONTH = cast(int, month_of(pd.Timestamp(0)))


def _first_positions(keys: pd.Series, ids: pd.Series) -> np.ndarray:
    """Per value of ``ids`` (a ``str`` Series): the position of the first row of ``keys`` carrying it
    (-1 where none or missing)."""
    # Positions on plain arrays (Arrow hashing of the few ids only): a million residents or a
    # ward's few lines, no frame is filtered or copied.
    return first_positions(keys.astype("str"), ids)


def _taken(column: pd.Series, at: np.ndarray) -> np.ndarray:
    """``column``'s values at positions ``at`` as an object array (NaN where ``at`` is -1)."""
    out: np.ndarray = column.array.take(at, allow_fill=True).to_numpy(dtype=object)
    return out


def _dates(column: pd.Series, at: np.ndarray) -> np.ndarray:
    """``column``'s dates at positions ``at`` (NaT where ``at`` is -1)."""
    values = column.to_numpy(dtype="datetime64[ns]")
    return np.where(
        at >= 0, values[np.maximum(at, 0)] if len(values) else np.datetime64("NaT"), np.datetime64("NaT")
    )


def _months(dates: np.ndarray) -> np.ndarray:
    """Month numbers (``year * 12 + month - 1``, as :func:`month_of`) of datetimes; NaN for NaT."""
    months = dates.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH
    return np.where(np.isnat(dates), np.nan, months.astype("float64"))


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
    cache = fact_cache(ctx)
    if "care" in cache:
        cached: pd.DataFrame = cache["care"]
        return cached
    lines = ctx.lines
    # Plain arrays per column, one frame at the end: a ward has a few care lines, and each pandas
    # call on them (a selection, a merge, a column set on a slice) costs more than the work.
    care_at = np.flatnonzero(
        lines["category"].isin(CARE_FOR_DISABLED + CARE_FOR_TAKEN_IN).to_numpy(dtype=bool)
    )
    n = len(care_at)
    category = lines["category"].to_numpy(dtype=object)[care_at]
    ids = pd.Series(lines["cared_for_id"].to_numpy(dtype=object)[care_at], dtype="str")
    has_id = ids.notna().to_numpy(dtype=bool)
    disabled = np.isin(category, CARE_FOR_DISABLED)

    # Who: by cared_for_id on the roster, else in the registers; else the household's holder.
    rec = _first_positions(lines["national_id"], ids)
    found = (rec >= 0) & has_id
    national_id = np.where(has_id, ids.to_numpy(dtype=object), np.nan).astype(object)
    name_key = _taken(lines["name_key"], rec)
    birth_date = _dates(lines["birth_date"], rec)
    year_only = _taken(lines["birth_date_year_only"], rec)
    cared_key = _taken(lines["person_key"], rec)
    cared_name = _taken(lines["full_name"], rec)
    for table in ("residents", "deaths", "disability_certificates", "pensions"):
        if not ctx.has(table) or not has_id.any():
            continue
        reg = ctx.table(table)
        at = _first_positions(reg["national_id"], ids)
        new = (at >= 0) & has_id & ~found
        if new.any():
            if "name_key" in reg:
                name_key[new] = _taken(reg["name_key"], at[new])
            if "birth_date" in reg:
                birth_date[new] = _dates(reg["birth_date"], at[new])
            if "birth_date_year_only" in reg:
                year_only[new] = _taken(reg["birth_date_year_only"], at[new])
            if "full_name" in reg:
                cared_name[new] = _taken(reg["full_name"], at[new])
        found |= new
    via = np.where(found, "id", "").astype(object)
    no_id = np.flatnonzero(~has_id)
    if len(no_id):
        sub = pd.DataFrame(
            {c: lines[c].array.take(care_at[no_id]) for c in ("line_idx", "household_id", "person_key")},
            index=np.arange(len(no_id)),
        )
        holder = np.full(len(no_id), -1, dtype=np.int64)
        for cats, mask in (((_DISABILITY_LINE,), disabled[no_id]), (_TAKEN_IN_LINES, ~disabled[no_id])):
            if mask.any():
                holder[mask] = _household_holder(lines, sub.loc[mask], cats)
        ok = holder >= 0
        at, h = no_id[ok], holder[ok]
        national_id[at] = _taken(lines["national_id"], h)
        name_key[at] = _taken(lines["name_key"], h)
        birth_date[at] = _dates(lines["birth_date"], h)
        year_only[at] = _taken(lines["birth_date_year_only"], h)
        cared_key[at] = _taken(lines["person_key"], h)
        cared_name[at] = _taken(lines["full_name"], h)
        found[at] = True
        via[at] = "household"
    year_only = pd.Series(year_only, dtype=object).fillna(False).to_numpy(dtype=bool)
    missing_key = pd.isna(cared_key)
    cared_key[missing_key] = "id:" + pd.Series(national_id[missing_key], dtype=object).fillna("").to_numpy(
        dtype=object
    )
    birth_m = _months(birth_date)

    # Death and move of the person cared for.
    death_m = np.full(n, np.nan)
    move_m = np.full(n, np.nan)
    look = pd.DataFrame(
        {
            "national_id": pd.Series(national_id[found], dtype="str"),
            "name_key": pd.Series(name_key[found], dtype="str"),
            "birth_date": birth_date[found],
            "birth_date_year_only": year_only[found],
        }
    )
    look.index = np.flatnonzero(found)
    if ctx.has("deaths") and len(look):
        death_m = _event_by_row(look, dated_deaths(ctx), "death_date", n)
    if ctx.has("residents") and len(look):
        move_m = _event_by_row(look, _moved_of(ctx, look), "moved_out_date", n)

    # C4 for a child: the child's line (K1) ends at its age limit; an elder (K5d age) has none.
    limit = ctx.rules.age_limit(_CHILD_LINE)
    elder_age = ctx.rules.min_age("K5d")
    age_asof = np.floor((ctx.asof_month - birth_m) / 12)
    child = ~disabled & ~np.isnan(age_asof)
    if elder_age is not None:
        child &= age_asof < elder_age
    age_stop_m = np.where(child & (limit is not None), birth_m + 12 * (limit or 0), np.nan)

    # C2/C3: the cared-for person's especially severe K6 line ended, or a later certificate says another level.
    level_stop_m = np.full(n, np.nan)
    level_cert_row = np.full(n, np.nan)
    k6 = np.flatnonzero((lines["category"] == _DISABILITY_LINE).to_numpy(dtype=bool))
    dis = np.flatnonzero(disabled & found)
    if len(dis) and len(k6):
        both = np.concatenate([cared_key[dis], lines["person_key"].to_numpy(dtype=object)[k6]])
        codes = pd.factorize(both)[0]
        di, ki = inner_join(codes[: len(dis)], codes[len(dis) :])
        severe = (lines["disability_level"].to_numpy(dtype=object)[k6[ki]] == _ESPECIALLY_SEVERE).astype(bool)
        ends = lines["end_m"].to_numpy(dtype="float64", na_value=np.inf)[k6[ki]] - 1
        held = np.full(len(dis), np.nan)
        np.fmax.at(held, di, np.where(severe, ends, np.nan))  # NaN when no especially severe K6 line
        ok = np.isfinite(held)
        level_stop_m[dis[ok]] = held[ok]
    if len(dis) and ctx.has("disability_certificates"):
        certs = ctx.table("disability_certificates").reset_index(drop=True)
        certs = certs.loc[certs["issue_date"].notna() & (certs["issue_date"] <= ctx.as_of)]
        pairs = match_people(look.loc[dis], certs) if len(certs) else None
        if pairs is not None and len(pairs):
            left = pairs["left_idx"].to_numpy(dtype=np.int64)
            right = certs.index.get_indexer(pd.Index(pairs["right_idx"]))
            issue = certs["issue_date"].to_numpy(dtype="datetime64[ns]")[right]
            level = certs["disability_level"].to_numpy(dtype=object)[right]
            row = certs["_row"].to_numpy(dtype="float64")[right]
            severe = (level == _ESPECIALLY_SEVERE).astype(bool)
            # Latest certificate; on a tie of dates the one that is not especially severe wins
            # (stable order: issue date, then severe first; the last of each person counts).
            order = np.lexsort((~severe, issue.view(np.int64)))
            last = order[::-1][np.unique(left[order][::-1], return_index=True)[1]]
            other = last[~severe[last] & ~pd.isna(level[last])]
            at = left[other]
            level_stop_m[at] = np.fmin(level_stop_m[at], _months(issue[other]))
            level_cert_row[at] = row[other]

    stops = np.stack([death_m, move_m, age_stop_m, level_stop_m], axis=1)
    stop = np.fmin.reduce(stops, axis=1)
    causes = np.array(["death", "move", "age", "level"], dtype=object)
    first = np.argmax(np.where(np.isnan(stops), np.inf, stops) == stop[:, None], axis=1)
    frame = pd.DataFrame(
        {
            "line_idx": lines["line_idx"].to_numpy()[care_at],
            "national_id": pd.Series(national_id, dtype="str"),
            "name_key": pd.Series(name_key, dtype="str"),
            "birth_date": pd.Series(birth_date, dtype="datetime64[ns]"),
            "birth_date_year_only": year_only,
            "cared_key": pd.Series(cared_key, dtype="str"),
            "cared_name": pd.Series(cared_name, dtype="str"),
            "found": found,
            "via": pd.Series(via, dtype="str"),
            "birth_m": birth_m,
            "death_m": death_m,
            "move_m": move_m,
            "age_stop_m": age_stop_m,
            "level_stop_m": level_stop_m,
            "level_cert_row": level_cert_row,
            "stop_m": stop,
            "cause": pd.Series(np.where(np.isnan(stop), "", causes[first]), dtype="str"),
        }
    )
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
    left = pairs["left_idx"].to_numpy(dtype=np.int64)
    event = register[date_col].to_numpy(dtype="datetime64[ns]")[
        register.index.get_indexer(pd.Index(pairs["right_idx"]))
    ]
    latest = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]").view(np.int64)
    np.maximum.at(latest, left, event.view(np.int64))  # NaT is the smallest value: ignored
    hit = np.unique(left)
    out[hit] = _months(latest.view("datetime64[ns]")[hit])
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


# ------------------------------------------------------------------------------------ whose age
def _birth_months_by_id(ctx: AuditContext, wanted: pd.Series) -> pd.Series:
    """``national_id`` → birth month for the ``wanted`` IDs, from the roster first, then the registers."""
    wanted = pd.Series(wanted.dropna().unique(), dtype="str")
    parts = []
    for table in ("beneficiaries", "residents", "disability_certificates", "deaths"):
        if ctx.has(table) and {"national_id", "birth_date"}.issubset(ctx.table(table).columns):
            frame = ctx.table(table)
            ok = frame["national_id"].isin(wanted) & frame["birth_date"].notna()
            parts.append(
                pd.DataFrame(
                    {"id": frame.loc[ok, "national_id"], "birth_m": month_of(frame.loc[ok, "birth_date"])}
                )
            )
    if not parts:
        return pd.Series(dtype="Int64")
    both = pd.concat(parts, ignore_index=True).drop_duplicates("id")
    return both.set_index("id")["birth_m"]


def coefficient_birth_months(ctx: AuditContext) -> np.ndarray:
    """Per line of ``ctx.lines``: the birth month of the person whose age sets the coefficient.

    The holder's own birth month, except on lines whose category takes the cared-for person's age
    (C3, C4 in ``coefficients.yml``): there the birth month of the person named by ``cared_for_id``,
    looked up on the roster, then in residents, disability certificates and deaths (the first record
    with a birth date; NaN when none). DUPLICATE_*, WRONG_COEFFICIENT and WRONG_AMOUNT price a care
    line with this one age, so their due amounts agree.
    """
    cache = fact_cache(ctx)
    if "coefficient_birth_m" not in cache:
        lines = ctx.lines
        birth_m = lines["birth_m"].to_numpy(dtype="float64", na_value=np.nan)
        cared = (ctx.rules.age_of(lines["category"]) == "cared_for").to_numpy(dtype=bool)
        out = birth_m.copy()
        if cared.any():
            by_id = _birth_months_by_id(ctx, lines.loc[cared, "cared_for_id"])
            other = lookup_numbers(lines["cared_for_id"], by_id)
            out = np.where(cared, other, birth_m)
        cache["coefficient_birth_m"] = out
    result: np.ndarray = cache["coefficient_birth_m"]
    return result
