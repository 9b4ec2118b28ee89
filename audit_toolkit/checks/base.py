"""What a check is, and the derived frames that checks share.

A check is data (``CheckSpec``: id, severity, family, required tables, legal basis) plus one
function ``(AuditContext) -> raw findings``. Checks never raise for a finding. The context computes
the frames that several checks need once, lazily: ``lines`` (the roster with month numbers and
flags), ``line_months`` (one row per line and active month of the period), ``payments_linked``
(payments with the line and person they pay), and person matching against register tables.

Example:
    >>> @check("AGE_OUT")
    ... def find_age_outs(ctx: AuditContext) -> pd.DataFrame: ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from audit_toolkit.months import age_in_month, month_of

if TYPE_CHECKING:
    from audit_toolkit.io import WardData
    from audit_toolkit.rules import RuleSet

__all__ = [
    "AuditContext",
    "CheckFunc",
    "CheckSpec",
    "IMPLEMENTATIONS",
    "catalogue",
    "check",
    "match_people",
    "sources_of",
]

CheckFunc = Callable[["AuditContext"], pd.DataFrame]

#: check_id → function, filled by the ``@check`` decorator in the family modules.
IMPLEMENTATIONS: dict[str, CheckFunc] = {}

#: Categories that are care-support lines (stack with a monthly allowance line).
CARE_CATEGORIES = frozenset({"C1", "C2", "C3", "C4"})


@dataclass(frozen=True)
class CheckSpec:
    """One entry of the check catalogue."""

    check_id: str
    severity: str
    family: str
    requires: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    batch: bool = False

    @property
    def func(self) -> CheckFunc | None:
        """The implementation, or ``None`` when the check is not implemented."""
        return IMPLEMENTATIONS.get(self.check_id)


def check(check_id: str) -> Callable[[CheckFunc], CheckFunc]:
    """Register ``func`` as the implementation of ``check_id`` (an id of the catalogue)."""

    def register(func: CheckFunc) -> CheckFunc:
        if check_id in IMPLEMENTATIONS:
            raise ValueError(f"Check {check_id} is implemented twice")
        IMPLEMENTATIONS[check_id] = func
        return func

    return register


def catalogue() -> list[CheckSpec]:
    """The catalogue in report order, from ``checks/catalogue.yml``."""
    text = resources.files("audit_toolkit.checks").joinpath("catalogue.yml").read_text(encoding="utf-8")
    specs = []
    for row in yaml.safe_load(text):
        specs.append(
            CheckSpec(
                check_id=row["check_id"],
                severity=row["severity"],
                family=row["family"],
                requires=tuple(row.get("requires", ())),
                columns={k: tuple(v) for k, v in (row.get("columns") or {}).items()},
                batch=bool(row.get("batch", False)),
            )
        )
    return specs


def sources_of(table: str, rows: pd.Series) -> pd.Series:
    """``"table:row"`` strings for a Series of 1-based row numbers."""
    return table + ":" + rows.astype("int64").astype(str)


@dataclass
class AuditContext:
    """Everything a check may read. Build it with :func:`audit_toolkit.audit.run_audit`."""

    ward: WardData
    rules: RuleSet
    as_of: pd.Timestamp
    period_start: int
    period_end: int
    lang: str = "vi"
    #: Filled by the runner after the GX suites ran: failing rows per table (for checks that reuse them).
    extras: dict[str, Any] = field(default_factory=dict)

    # -- tables -------------------------------------------------------------------------------
    def has(self, table: str) -> bool:
        """Whether the ward supplied ``table``."""
        return table in self.ward.tables

    def table(self, name: str) -> pd.DataFrame:
        """A supplied table (``KeyError`` if absent: a check declares what it requires)."""
        return self.ward.tables[name]

    def has_values(self, table: str, column: str) -> bool:
        """Whether ``table`` is supplied and ``column`` holds at least one value."""
        return (
            self.has(table) and column in self.table(table) and bool(self.table(table)[column].notna().any())
        )

    @property
    def asof_month(self) -> int:
        """``month(as_of)``, the month at which roster state is judged."""
        return self.period_end

    @property
    def months(self) -> np.ndarray:
        """The period's month numbers."""
        return np.arange(self.period_start, self.period_end + 1, dtype=np.int64)

    # -- derived frames -----------------------------------------------------------------------
    @cached_property
    def lines(self) -> pd.DataFrame:
        """The beneficiaries table with derived columns (index = ``line_idx``).

        Adds ``line_idx``, ``start_m`` / ``end_m`` (``Int64``; NA = open), ``undated_end`` (status
        ended without an end month: never active), ``susp_m`` (first month not payable because of a
        suspension, NA when not suspended), ``birth_m``, ``age_asof``, ``active_asof``, ``kind``
        (``K`` / ``C`` / ``HTXH``), and ``source`` (``beneficiaries:row``).
        """
        b = self.table("beneficiaries").copy()
        b = b.reset_index(drop=True)
        b["line_idx"] = np.arange(len(b), dtype=np.int64)
        b["start_m"] = b["start_month"].astype("Int64")
        b["end_m"] = b["end_month"].astype("Int64")
        b["undated_end"] = (b["status"] == "ended") & b["end_m"].isna()
        suspended = b["status"] == "suspended"
        b["susp_m"] = pd.Series(pd.NA, index=b.index, dtype="Int64")
        b.loc[suspended, "susp_m"] = b.loc[suspended, "end_m"].fillna(self.asof_month)
        b["birth_m"] = month_of(b["birth_date"])
        b["age_asof"] = age_in_month(b["birth_m"], self.asof_month)
        b["active_asof"] = self.active_in(b, self.asof_month)
        b["kind"] = np.where(
            b["category"].isin(CARE_CATEGORIES), "C", np.where(b["category"] == "HTXH", "HTXH", "K")
        )
        b["source"] = sources_of("beneficiaries", b["_row"])
        return b

    @staticmethod
    def active_in(lines: pd.DataFrame, m: int | pd.Series) -> pd.Series:
        """Whether each line is active in month ``m`` (checks.md "Active line")."""
        started = lines["start_m"].isna() | (lines["start_m"] <= m)
        not_ended = lines["end_m"].isna() | (lines["end_m"] > m)
        return (started & not_ended & ~lines["undated_end"]).fillna(False).astype(bool)

    @cached_property
    def line_months(self) -> pd.DataFrame:
        """One row per (line, month of the period) in which the line is active.

        Columns: ``line_idx``, ``m``, ``payable`` (active and not suspended), ``age`` (age in ``m``).
        Built with ``np.repeat`` over the period: proportional to lines × months, no Python loop.
        """
        lines = self.lines
        months = self.months
        n, k = len(lines), len(months)
        idx = np.repeat(lines["line_idx"].to_numpy(), k)
        mm = np.tile(months, n)
        frame = pd.DataFrame({"line_idx": idx, "m": mm})
        start = np.repeat(lines["start_m"].fillna(-1).to_numpy(dtype=np.int64), k)
        end = np.repeat(lines["end_m"].fillna(np.iinfo(np.int64).max).to_numpy(dtype=np.int64), k)
        undated = np.repeat(lines["undated_end"].to_numpy(dtype=bool), k)
        active = (start <= mm) & (mm < end) & ~undated
        susp = np.repeat(lines["susp_m"].fillna(np.iinfo(np.int64).max).to_numpy(dtype=np.int64), k)
        frame["payable"] = mm < susp
        frame = frame.loc[active].reset_index(drop=True)
        birth = lines["birth_m"].to_numpy(dtype="float64", na_value=np.nan)[frame["line_idx"].to_numpy()]
        frame["age"] = pd.Series(np.floor((frame["m"].to_numpy() - birth) / 12), dtype="Float64").astype(
            "Int64"
        )
        return frame

    @cached_property
    def payments_linked(self) -> pd.DataFrame:
        """Payments with the line and the person they pay (see docs/check-semantics.md).

        Adds ``pay_idx``, ``m`` (month paid for), ``received`` (``paid`` is not False),
        ``line_idx`` (``Int64``; NA when the line is ambiguous or unknown), ``person_key`` (the
        beneficiary's key when the payment can be tied to a person, else the payment's own key) and
        ``source`` (``payments:row``).
        """
        p = self.table("payments").copy().reset_index(drop=True)
        p["pay_idx"] = np.arange(len(p), dtype=np.int64)
        p["m"] = p["month"].astype("Int64")
        p["received"] = p["paid"].fillna(True).astype(bool)
        p["source"] = sources_of("payments", p["_row"])
        p["line_idx"] = pd.Series(pd.NA, index=p.index, dtype="Int64")
        lines = self.lines

        def link(left_mask: pd.Series, keys: list[str], right: pd.DataFrame) -> None:
            unique = right.drop_duplicates(keys, keep=False)[keys + ["line_idx"]]
            left = p.loc[left_mask & p["line_idx"].isna(), ["pay_idx", *keys]]
            merged = left.merge(unique, on=keys, how="inner")
            p.loc[merged["pay_idx"].to_numpy(), "line_idx"] = merged["line_idx"].to_numpy()

        has_rid = p["record_id"].notna()
        if has_rid.any() and lines["record_id"].notna().any():
            link(has_rid, ["record_id"], lines.loc[lines["record_id"].notna()])
        has_id = p["national_id"].notna()
        with_id = lines.loc[lines["national_id"].notna()]
        if "category" in p and p["category"].notna().any():
            link(has_id & p["category"].notna(), ["national_id", "category"], with_id)
        link(has_id, ["national_id"], with_id)
        # Person: the linked line's person, else any beneficiary carrying the same ID.
        by_line = p["line_idx"].map(lines["person_key"])
        id_to_person = with_id.drop_duplicates("national_id").set_index("national_id")["person_key"]
        by_id = p["national_id"].map(id_to_person)
        p["person_key"] = by_line.fillna(by_id).fillna(p.get("person_key"))
        return p

    # -- helpers ------------------------------------------------------------------------------
    def due_amount(self, line_idx: pd.Series, m: pd.Series, coefficient: pd.Series) -> pd.Series:
        """Due VND: standard level of ``m`` × ``coefficient`` (social-pension level for HTXH lines)."""
        province = self.ward.province_code
        kind = self.lines["kind"].to_numpy()[line_idx.to_numpy(dtype=np.int64)]
        standard = self.rules.standard_level(m, province).to_numpy(dtype="float64")
        if (kind == "HTXH").any():
            pension = self.rules.social_pension_level(m, province).to_numpy(dtype="float64")
            standard = np.where(kind == "HTXH", pension, standard)
        return pd.Series(standard * coefficient.to_numpy(dtype="float64"), index=m.index)


def match_people(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Pairs ``(left_idx, right_idx)`` of records that are the same person.

    By valid ``national_id`` (12 digits, or a 9-digit CMND) when both carry one; otherwise by
    ``name_key`` + full birth date, where a year-only birth date on either side matches on the year.
    Both frames need ``national_id``, ``name_key``, ``birth_date`` and ``birth_date_year_only``
    (``right`` may lack the birth columns: then only IDs are used).
    """
    lf = pd.DataFrame({"left_idx": left.index, "national_id": left["national_id"]})
    rf = pd.DataFrame({"right_idx": right.index, "national_id": right["national_id"]})
    valid_l = lf["national_id"].str.fullmatch(r"\d{12}|\d{9}").fillna(False).astype(bool)
    valid_r = rf["national_id"].str.fullmatch(r"\d{12}|\d{9}").fillna(False).astype(bool)
    by_id = lf.loc[valid_l].merge(rf.loc[valid_r], on="national_id")[["left_idx", "right_idx"]]
    if not {"name_key", "birth_date"}.issubset(right.columns):
        return by_id.reset_index(drop=True)

    def name_frame(df: pd.DataFrame, idx_name: str, usable: pd.Series) -> pd.DataFrame:
        yo = df.get("birth_date_year_only", pd.Series(False, index=df.index)).fillna(False).astype(bool)
        out = pd.DataFrame(
            {
                idx_name: df.index,
                "name_key": df["name_key"],
                "year": df["birth_date"].dt.year,
                "date": df["birth_date"],
                "yo": yo,
            }
        )
        return out.loc[
            usable.to_numpy() & out["name_key"].notna().to_numpy() & out["date"].notna().to_numpy()
        ]

    # Name matching only where one side lacks a usable ID (two valid, different IDs are two people).
    nl = name_frame(left, "left_idx", pd.Series(True, index=left.index))
    nr = name_frame(right, "right_idx", pd.Series(True, index=right.index))
    pairs = nl.merge(nr, on=["name_key", "year"], suffixes=("_l", "_r"))
    same_date = (pairs["date_l"] == pairs["date_r"]) | pairs["yo_l"] | pairs["yo_r"]
    pairs = pairs.loc[same_date, ["left_idx", "right_idx"]]
    lid = left["national_id"].reindex(pairs["left_idx"]).to_numpy()
    rid = right["national_id"].reindex(pairs["right_idx"]).to_numpy()
    lvalid = valid_l.set_axis(lf["left_idx"]).reindex(pairs["left_idx"]).to_numpy()
    rvalid = valid_r.set_axis(rf["right_idx"]).reindex(pairs["right_idx"]).to_numpy()
    keep = ~(lvalid & rvalid) | (lid == rid)
    pairs = pairs.loc[keep]
    out = pd.concat([by_id, pairs], ignore_index=True).drop_duplicates()
    return out.reset_index(drop=True)
