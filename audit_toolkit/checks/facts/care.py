"""Fact: per care line (C2, C3, C4), the person cared for and the month the line had to stop.

:func:`care_facts` finds the cared-for person (by ``cared_for_id`` on the roster, then in the
registers, else the household's one holder of the matching line) with their birth, death, move,
disability level and K6 line; :func:`care_quality_note` counts care lines whose person is not found.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, match_people
from audit_toolkit.checks.common import key_codes, lookup_numbers
from audit_toolkit.checks.facts.cache import fact_cache
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
_CF_COLS = ["national_id", "name_key", "birth_date", "birth_date_year_only"]


def _first_by_id(frame: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The first record of ``frame`` carrying each of ``ids`` (NaN rows where none), aligned with ``ids``."""
    # Positions on plain arrays (Arrow hashing), then one selection of the records found: a million
    # residents or a ward's few lines, the frame is filtered once.
    frame_codes, id_codes = key_codes(
        frame["national_id"].astype("str"), pd.Series(ids.to_numpy(dtype=object), dtype="str")
    )
    have = np.flatnonzero(frame_codes >= 0)
    first = np.full(int(max(frame_codes.max(initial=-1), id_codes.max(initial=-1))) + 2, -1, dtype=np.int64)
    first[frame_codes[have[::-1]]] = have[::-1]  # the first record of each ID wins
    at_frame = np.where(id_codes >= 0, first[id_codes], -1)
    rows = np.unique(at_frame[at_frame >= 0])
    at = np.where(at_frame >= 0, np.searchsorted(rows, at_frame), -1)
    out = frame.iloc[rows].reset_index(drop=True).reindex(at).reset_index(drop=True)
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
    cache = fact_cache(ctx)
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
