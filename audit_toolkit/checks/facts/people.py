"""Facts: the month a beneficiary died or moved away (matched in the registers).

:func:`death_months` / :func:`move_months` give, per beneficiary ``person_key``, the month of the
(latest) matched death or move; :func:`stop_months` the earlier of the two with its cause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, match_people
from audit_toolkit.checks.common import MATCH_COLUMNS, isin_keys, take_rows
from audit_toolkit.checks.facts.cache import fact_cache
from audit_toolkit.months import month_of

__all__ = ["dated_deaths", "death_months", "move_months", "moved_records", "register_pairs", "stop_months"]


def _event_month(ctx: AuditContext, register: pd.DataFrame, date_col: str) -> pd.Series:
    """``person_key`` (beneficiaries) → month of the latest matched register event (float)."""
    lines = ctx.lines
    if register.empty or lines.empty:
        return pd.Series(dtype="float64")
    pairs = register_pairs(ctx, register)
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


def register_pairs(ctx: AuditContext, register: pd.DataFrame) -> pd.DataFrame:
    """``match_people(ctx.lines, register)``, once per context and register frame.

    The month of a death or move (:func:`death_months`, :func:`move_months`) and the checks that
    report it (DECEASED_ACTIVE, MOVED_ACTIVE) match the same roster to the same shared register
    frame (:func:`dated_deaths`, :func:`moved_records`); the pairs are read, never changed.
    """
    # Keyed by the frame's identity; the frame is kept with its pairs, so no other frame takes its id.
    known: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = ctx.memo("register_pairs", lambda c: {})
    if id(register) not in known:
        known[id(register)] = (register, match_people(ctx.lines, register))
    return known[id(register)][1]


def dated_deaths(ctx: AuditContext) -> pd.DataFrame:
    """The death records with a death date (labels 0..n-1 of the table as loaded, then filtered).

    Made once per context: DECEASED_ACTIVE, :func:`death_months` and the care facts read it; none
    changes it.
    """
    deaths: pd.DataFrame = ctx.memo("dated_deaths", _dated_deaths)
    return deaths


def _dated_deaths(ctx: AuditContext) -> pd.DataFrame:
    deaths = ctx.table("deaths").reset_index(drop=True)
    return deaths.loc[deaths["death_date"].notna()]


def death_months(ctx: AuditContext) -> pd.Series:
    """``person_key`` → month of death (the later of two matched death records); empty without deaths."""
    cache = fact_cache(ctx)
    if "death_months" not in cache:
        if ctx.has("deaths"):
            cache["death_months"] = _event_month(ctx, dated_deaths(ctx), "death_date")
        else:
            cache["death_months"] = pd.Series(dtype="float64")
    result: pd.Series = cache["death_months"]
    return result


def moved_records(ctx: AuditContext) -> pd.DataFrame:
    """Resident records ``moved_out`` with a date, of beneficiaries, without a current record of the same person.

    Made once per context (MOVED_ACTIVE and :func:`move_months` read it; neither changes it).
    """
    moved: pd.DataFrame = ctx.memo("moved_records", _moved_records)
    return moved


def _moved_records(ctx: AuditContext) -> pd.DataFrame:
    residents = ctx.table("residents").reset_index(drop=True)
    lines = ctx.lines
    # Positions throughout, the wide table taken once at the end (each selection of it copies
    # every column); matching reads only its four columns.
    moved = np.flatnonzero(
        ((residents["residence_status"] == "moved_out") & residents["moved_out_date"].notna()).to_numpy(
            dtype=bool
        )
    )
    # Only moved records of beneficiaries matter (in the order they match); only their namesakes
    # can be current records.
    if len(moved):
        pairs = match_people(take_rows(residents, moved, MATCH_COLUMNS), lines)
        moved = pd.unique(pairs["left_idx"].to_numpy(dtype=np.int64))
    current = np.flatnonzero(
        residents["residence_status"].isin(["permanent", "temporary"]).to_numpy(dtype=bool)
        & (
            isin_keys(residents["national_id"], residents["national_id"].iloc[moved])
            | isin_keys(residents["name_key"], residents["name_key"].iloc[moved])
        )
    )
    if len(moved) and len(current):
        back = match_people(
            take_rows(residents, moved, MATCH_COLUMNS), take_rows(residents, current, MATCH_COLUMNS)
        )
        moved = moved[~np.isin(moved, back["left_idx"].to_numpy(dtype=np.int64))]
    return residents.iloc[moved]


def move_months(ctx: AuditContext) -> pd.Series:
    """``person_key`` → month of the move away (residents ``moved_out`` with a date, not back)."""
    cache = fact_cache(ctx)
    if "move_months" not in cache:
        if ctx.has("residents") and "residence_status" in ctx.table("residents"):
            cache["move_months"] = _event_month(ctx, moved_records(ctx), "moved_out_date")
        else:
            cache["move_months"] = pd.Series(dtype="float64")
    result: pd.Series = cache["move_months"]
    return result


def stop_months(ctx: AuditContext) -> pd.DataFrame:
    """Per beneficiary ``person_key`` with a matched death or move: the month their lines had to stop.

    Columns: ``death_m``, ``move_m`` (NaN = none matched), ``stop_m`` (the earlier of the two) and
    ``cause`` (``death`` or ``move``; a death and a move in the same month is ``death``). A person
    with neither is absent. The age limit of a line is a line fact: see
    :func:`audit_toolkit.checks.facts.limits.age_limits`.
    """
    cache = fact_cache(ctx)
    if "stop_months" not in cache:
        death, move = death_months(ctx), move_months(ctx)
        keys = death.index.union(move.index) if len(move) else death.index
        frame = pd.DataFrame(
            {
                "death_m": death.reindex(keys).to_numpy(dtype="float64"),
                "move_m": move.reindex(keys).to_numpy(dtype="float64"),
            },
            index=keys,
        )
        frame["stop_m"] = np.fmin(frame["death_m"].to_numpy(), frame["move_m"].to_numpy())
        died_first = frame["death_m"].to_numpy() <= np.where(frame["move_m"].isna(), np.inf, frame["move_m"])
        frame["cause"] = np.where(died_first, "death", "move")
        cache["stop_months"] = frame
    result: pd.DataFrame = cache["stop_months"]
    return result
