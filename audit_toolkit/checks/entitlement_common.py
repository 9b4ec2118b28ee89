"""What the four entitlement checks share (internal; no ``@check`` here).

The checks themselves live one per module: ``eligibility.py`` (INELIGIBLE), ``coefficients.py``
(WRONG_COEFFICIENT), ``amounts.py`` (WRONG_AMOUNT) and ``unpaid.py`` (UNPAID_MONTHS). This module holds
their sentence helpers, the per-line entitlement facts (:func:`line_facts`: limit month, minimum age,
stop month, certificate month — from :mod:`audit_toolkit.checks.facts`), the judged months and
received money, the INELIGIBLE facts the other three leave out of their money, and the assembly of a
finding. Money is never counted twice across checks: months whose payment another check counts as
wholly overpaid are left out (see ``docs/check-semantics.md``).

Example:
    >>> months = judged_months(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, inner_join, match_people, row_refs
from audit_toolkit.checks.common import MATCH_COLUMNS, lookup_numbers, months_of, person_label, take_rows
from audit_toolkit.checks.facts import age_limits, coefficient_birth_months, stop_months
from audit_toolkit.checks.facts.cache import cached_fact, fact_cache
from audit_toolkit.checks.facts.money import expected_coefficients
from audit_toolkit.checks.transition import ended_line_months, social_pension_ineligibility
from audit_toolkit.findings import empty_raw, new_raw

__all__ = [
    "INF",
    "KEY",
    "TOLERANCE_VND",
    "assemble",
    "drop_pairs",
    "finding_rows",
    "flagged_ineligible",
    "ineligibility",
    "ineligible_counted",
    "judged_months",
    "keep_pairs",
    "line_facts",
    "line_labels",
    "received",
]

# Amounts are whole VND; a difference under one đồng is rounding, not a finding.
TOLERANCE_VND = 1.0
KEY = ["person_key", "category"]
INF = np.iinfo(np.int64).max


# ----------------------------------------------------------------------------------- formatting
def line_labels(lines: pd.DataFrame, lang: str) -> pd.Series:
    return person_label(lines["full_name"], lines["sex"], lines["age_asof"], lang)


# ----------------------------------------------------------------------------------- shared facts
@dataclass(frozen=True)
class _Facts:
    """Per-line facts the four checks share (arrays aligned with ``ctx.lines``, NaN = unknown)."""

    coef_birth_m: np.ndarray  # birth month of the person whose age sets the coefficient
    stop_m: np.ndarray  # last payable month (death, move, age limit); NaN = none
    limit_m: np.ndarray  # month the category's age limit is reached
    limit: np.ndarray  # that age limit
    minage: np.ndarray  # the category's minimum age
    minage_m: np.ndarray  # month that minimum age is reached
    cert_m: np.ndarray  # month of the earliest qualifying disability certificate
    cert_row: np.ndarray  # its row in disability_certificates (NaN when none)


def line_facts(ctx: AuditContext) -> _Facts:
    """Per line: the entitlement facts the four checks judge by (computed once per audit)."""
    return cached_fact(ctx, "entitlement:facts", _compute_facts)


def _compute_facts(ctx: AuditContext) -> _Facts:
    lines = ctx.lines
    rules = ctx.rules
    n = len(lines)
    birth_m = lines["birth_m"].to_numpy(dtype="float64", na_value=np.nan)

    # Whose age sets the coefficient: C3/C4 take the cared-for person's (one fact, as DUPLICATE_* price it).
    coef_birth_m = coefficient_birth_months(ctx)

    # Age limit with its continuation (K1 → K2 while studying): one fact, as AGE_OUT reads it.
    limits = age_limits(ctx)
    limit = limits["limit"].to_numpy(dtype="float64")
    limit_m = limits["limit_m"].to_numpy(dtype="float64")
    table = rules.age_limits

    # Minimum age of the category. A category that another one continues into (K2 from K1 at 16)
    # has a continuation age, not an entitlement age: a K2 line under 16 is a K1 child mislabelled
    # at the same coefficient, not an ineligible person.
    continuation = set(table["continues_as"].dropna().astype(str))
    cats = lines["category"].astype(str)
    minage = rules.min_age(cats).to_numpy(dtype="float64", na_value=np.nan)
    minage = np.where(cats.isin(continuation).to_numpy(), np.nan, minage)
    minage_m = birth_m + 12 * minage

    # Stop month: the person's death or move (one fact, as the stale checks read it), or the age limit.
    person_stop = lookup_numbers(lines["person_key"], stop_months(ctx)["stop_m"])
    stop_m = np.fmin(limit_m, person_stop)

    # Earliest certificate at a level the rules pay K6 for.
    cert_m = np.full(n, np.nan)
    cert_row = np.full(n, np.nan)
    if ctx.has("disability_certificates"):
        coefs = rules.tables["coefficients"]
        paid_levels = set(
            coefs.loc[
                coefs["category"].isin(rules.certificate_categories) & coefs["coefficient"].notna(),
                "disability_level",
            ]
            .dropna()
            .astype(str)
        )
        certs = ctx.table("disability_certificates").reset_index(drop=True)
        certs = certs.loc[certs["disability_level"].isin(paid_levels) & certs["issue_date"].notna()]
        want = np.flatnonzero(lines["category"].isin(rules.certificate_categories).to_numpy(dtype=bool))
        if len(certs) and len(want):
            pairs = match_people(take_rows(lines, want, MATCH_COLUMNS), certs)
            # The earliest certificate of each line (stable: the first pair on equal dates).
            right = certs.index.get_indexer(pd.Index(pairs["right_idx"]))
            left = pairs["left_idx"].to_numpy(dtype=np.int64)
            issue = certs["issue_date"].to_numpy()[right]
            order = np.argsort(issue, kind="stable")
            first = order[np.unique(left[order], return_index=True)[1]]
            idx = left[first]
            cert_m[idx] = months_of(pd.Series(issue[first])).to_numpy(dtype="float64", na_value=np.nan)
            cert_row[idx] = certs["_row"].to_numpy(dtype="float64")[right][first]

    return _Facts(
        coef_birth_m=coef_birth_m,
        stop_m=stop_m,
        limit_m=limit_m,
        limit=limit,
        minage=minage,
        minage_m=minage_m,
        cert_m=cert_m,
        cert_row=cert_row,
    )


def judged_months(ctx: AuditContext) -> pd.DataFrame:
    """Active, payable line-months of the period up to each line's stop month (``line_idx``, ``m``).

    Months after a death, a move or an age limit, on or after ``end_month`` and during a
    suspension are the stale checks' money; they are judged nowhere in this module.
    """
    lm = ctx.line_months
    lm = lm.loc[lm["payable"].to_numpy(dtype=bool), ["line_idx", "m"]]
    stop = line_facts(ctx).stop_m[lm["line_idx"].to_numpy()]
    keep = np.isnan(stop) | (lm["m"].to_numpy(dtype="float64") <= stop)
    judged: pd.DataFrame = lm.loc[keep].reset_index(drop=True)
    # Months of a category that had ended (K5c from 2025-07) are CATEGORY_ENDED's money.
    ended = ended_line_months(ctx)
    if len(ended):
        judged = drop_pairs(judged, ended[["line_idx", "m"]])
    return judged


def received(ctx: AuditContext, *, linked_only: bool = True) -> pd.DataFrame:
    """Received payments for months of the period: ``pay_idx, m, line_idx, amount, row``.

    ``linked_only``: only payments tied to one line (``line_idx`` int64); otherwise all, with
    ``line_idx`` as ``Int64`` and the payment's ``person_key``. Made once per audit (INELIGIBLE,
    WRONG_AMOUNT and UNPAID_MONTHS read it); each caller gets a shallow copy (copy on write: what a
    caller changes never reaches the shared frame).
    """
    frame: pd.DataFrame = cached_fact(
        ctx, f"entitlement:received:{linked_only}", lambda c: _received(c, linked_only)
    )
    return frame.copy(deep=False)


def _received(ctx: AuditContext, linked_only: bool) -> pd.DataFrame:
    p = ctx.payments_linked
    m = p["m"].to_numpy(dtype="float64", na_value=np.nan)
    keep = p["received"].to_numpy(dtype=bool) & (m >= ctx.period_start) & (m <= ctx.period_end)
    if linked_only:
        keep &= p["line_idx"].notna().to_numpy()
    out = pd.DataFrame(
        {
            "pay_idx": p["pay_idx"].to_numpy()[keep],
            "m": m[keep].astype(np.int64),
            "line_idx": p["line_idx"].to_numpy(dtype="float64", na_value=np.nan)[keep],
            "amount": np.nan_to_num(p["amount"].to_numpy(dtype="float64", na_value=np.nan)[keep]),
            "row": p["_row"].to_numpy(dtype=np.int64)[keep],
            # The month sheet of the row when payments came in several sheets (for the sources).
            "ref": row_refs(p).to_numpy(dtype=object)[keep],
        }
    )
    if linked_only:
        out["line_idx"] = out["line_idx"].astype(np.int64)
    else:
        out["person_key"] = p["person_key"].to_numpy(dtype=object)[keep]
    return out


# ----------------------------------------------------------------------------------- ineligibility
@dataclass(frozen=True)
class _Ineligibility:
    reasons: pd.DataFrame  # per line (index line_idx): one bool column per reason
    months: pd.DataFrame  # line_idx, m: line-months of the period in which the line was not due
    pension_rows: pd.DataFrame  # line_idx, benefit, row: pension records that disqualify


_REASONS = (
    "level",
    "under_age",
    "early",
    "at_limit",
    "pension",
    "certificate",
    "sp_under_age",
    "sp_not_poor",
    "sp_pension",
    "sp_early",
)


def ineligibility(ctx: AuditContext) -> _Ineligibility:
    """Per line: which INELIGIBLE reasons hold, and the months they cover (computed once per audit)."""
    return cached_fact(ctx, "entitlement:ineligibility", _compute_ineligibility)


def _compute_ineligibility(ctx: AuditContext) -> _Ineligibility:
    lines = ctx.lines
    facts = line_facts(ctx)
    n = len(lines)
    asof = ctx.asof_month
    start = lines["start_m"].to_numpy(dtype="float64", na_value=np.nan)
    lm = ctx.line_months[["line_idx", "m"]]
    li = lm["line_idx"].to_numpy()
    mm = lm["m"].to_numpy(dtype="float64")
    first_m = np.full(n, np.nan)
    np.fmin.at(first_m, li, mm)  # the first active month of each line (NaN: none)

    # A level the rules name but pay nothing for (K6 mild): a rule row matched, with no value.
    idx_all = np.arange(n, dtype=np.int64)
    at_asof = expected_coefficients(ctx, idx_all, np.full(n, asof, dtype=np.int64))
    no_value = (
        at_asof["ruled"].to_numpy(dtype=bool)
        & np.isnan(at_asof["expected"].to_numpy(dtype="float64"))
        & pd.isna(at_asof["allowed"]).to_numpy()
        & np.isnan(at_asof["per_child_unit"].to_numpy(dtype="float64"))
    )

    age_asof = lines["age_asof"].to_numpy(dtype="float64", na_value=np.nan)
    under_age = age_asof < facts.minage
    early = (start < facts.minage_m) | (first_m < facts.minage_m)
    at_limit = start >= facts.limit_m
    before_cert = (start < facts.cert_m) | (first_m < facts.cert_m)

    month_bad = no_value[li] | (mm < facts.minage_m[li]) | at_limit[li] | (mm < facts.cert_m[li])

    # Pension records active in a month the K5c line is active.
    pension = np.zeros(n, dtype=bool)
    pension_rows = pd.DataFrame(
        {
            "line_idx": pd.Series(dtype="int64"),
            "benefit": pd.Series(dtype="str"),
            "row": pd.Series(dtype="int64"),
        }
    )
    want = np.flatnonzero(lines["category"].isin(ctx.rules.no_pension_categories).to_numpy(dtype=bool))
    if ctx.has("pensions") and len(want) and len(ctx.table("pensions")):
        pens = ctx.table("pensions").reset_index(drop=True)
        pairs = match_people(take_rows(lines, want, MATCH_COLUMNS), pens)
        if len(pairs):
            # Line-months x matched pension records on plain arrays (the inner merge on line_idx).
            right = pairs["right_idx"].to_numpy(dtype=np.int64)
            p_start = pens["start_month"].to_numpy(dtype="float64", na_value=-np.inf)[right]
            p_end = pens["end_month"].to_numpy(dtype="float64", na_value=np.inf)[right]
            p_line = pairs["left_idx"].to_numpy(dtype=np.int64)  # lines are indexed by line_idx
            lj, pj = inner_join(li, p_line)
            hit = (mm[lj] >= p_start[pj]) & (mm[lj] < p_end[pj])
            lj, pj = lj[hit], pj[hit]
            pension[li[lj]] = True
            benefit = pens["benefit"].astype("object").to_numpy()[right][pj]
            row = pens["_row"].to_numpy(dtype=np.int64)[right][pj]
            who = np.stack(
                [li[lj], pd.factorize(benefit, use_na_sentinel=False)[0].astype(np.int64), row], axis=1
            )
            once = (
                np.sort(np.unique(who, axis=0, return_index=True)[1])
                if len(who)
                else np.zeros(0, dtype=np.int64)
            )
            pension_rows = pd.DataFrame(
                {"line_idx": li[lj][once], "benefit": pd.Series(benefit[once], dtype="str"), "row": row[once]}
            )
            month_bad[np.unique(lj)] = True
    # HTXH (checks.md v2): age, household poverty, a pension at or above the social-pension level.
    sp = social_pension_ineligibility(ctx)
    sp_months = cast(pd.DataFrame, sp["months"])
    if len(sp_months):
        month_bad |= pd.Series(_pair_key(lm)).isin(_pair_key(sp_months)).to_numpy()
    sp_rows = cast(pd.DataFrame, sp["pension_rows"])
    if len(sp_rows):
        pension_rows = pd.concat([pension_rows, sp_rows], ignore_index=True)

    reasons = pd.DataFrame(
        {
            "level": no_value,
            "under_age": under_age,
            "early": early,
            "at_limit": at_limit,
            "pension": pension,
            "certificate": before_cert,
            "sp_under_age": sp["under_age"],
            "sp_not_poor": sp["not_poor"],
            "sp_pension": sp["pension"],
            "sp_early": sp["early"],
        },
        index=lines.index,
    )
    months = lm.loc[month_bad, ["line_idx", "m"]].reset_index(drop=True)
    return _Ineligibility(reasons=reasons, months=months, pension_rows=pension_rows)


def flagged_ineligible(ctx: AuditContext) -> np.ndarray:
    """Line indices INELIGIBLE reports: active at as_of with at least one reason."""
    inel = ineligibility(ctx)
    flagged = inel.reasons.any(axis=1).to_numpy() & ctx.lines["active_asof"].to_numpy(dtype=bool)
    return np.flatnonzero(flagged)


def ineligible_counted(ctx: AuditContext) -> pd.DataFrame:
    """``line_idx, m`` of the months whose payment INELIGIBLE counts as wholly overpaid."""
    cache = fact_cache(ctx)
    if "entitlement:counted" not in cache:
        inel = ineligibility(ctx)
        months = inel.months.loc[inel.months["line_idx"].isin(flagged_ineligible(ctx))]
        cache["entitlement:counted"] = keep_pairs(months, judged_months(ctx))
    counted: pd.DataFrame = cache["entitlement:counted"]
    return counted


def _pair_key(frame: pd.DataFrame) -> np.ndarray:
    """One int64 per (line_idx, m): fast set operations on line-months."""
    key: np.ndarray = (frame["line_idx"].to_numpy(dtype=np.int64) << 20) + frame["m"].to_numpy(dtype=np.int64)
    return key


def drop_pairs(frame: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the (line_idx, m) pairs of ``pairs``."""
    if pairs.empty or frame.empty:
        return frame
    drop = pd.Series(_pair_key(frame)).isin(_pair_key(pairs)).to_numpy()
    return frame.loc[~drop].reset_index(drop=True)


def keep_pairs(frame: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """``frame`` restricted to the (line_idx, m) pairs of ``pairs``."""
    if frame.empty:
        return frame
    keep = pd.Series(_pair_key(frame)).isin(_pair_key(pairs)).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


# ----------------------------------------------------------------------------------- assembling
def _line_groups(ctx: AuditContext) -> np.ndarray:
    """Integer code of each line's (person, category): the unit of one finding (cached)."""
    cache = fact_cache(ctx)
    if "entitlement:groups" not in cache:
        lines = ctx.lines
        codes, _ = pd.factorize(pd.MultiIndex.from_arrays([lines["person_key"], lines["category"]]))
        cache["entitlement:groups"] = codes.astype(np.int64)
    groups: np.ndarray = cache["entitlement:groups"]
    return groups


def finding_rows(
    line_idx: np.ndarray | pd.Series,
    table: str,
    row: np.ndarray | pd.Series,
    ref: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Evidence rows ``line_idx, table, row, ref`` (a payment or register row tied to a line).

    ``ref``: the sheet-qualified reference of each row (:func:`row_refs`), None where the row number
    alone names it.
    """
    n = len(line_idx)
    return pd.DataFrame(
        {
            "line_idx": np.asarray(line_idx, dtype=np.int64),
            "table": table,
            "row": np.asarray(row, dtype=np.int64),
            "ref": np.full(n, None, dtype=object) if ref is None else np.asarray(ref, dtype=object),
        }
    )


def assemble(
    ctx: AuditContext,
    check_id: str,
    per_line: pd.DataFrame,
    evidence: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One raw finding per (person, category) from per-line rows ``line_idx, text, amount``.

    ``evidence`` (frames of :func:`finding_rows`) adds payment and register rows to the lines' own rows.
    Texts of one group are joined once each, in line order; amounts are summed.
    """
    if per_line.empty:
        return empty_raw()
    lines = ctx.lines
    groups = _line_groups(ctx)
    idx = per_line["line_idx"].to_numpy(dtype=np.int64)
    order = np.argsort(idx, kind="stable")
    line_idx = idx[order]
    # Plain arrays, groups numbered in order of first appearance (what the merges on ``g`` kept).
    g = groups[line_idx]
    codes, group_ids = pd.factorize(g)
    first_line = line_idx[np.unique(codes, return_index=True)[1]]
    # Texts of one group: each distinct text once, in line order, joined by spaces.
    text = per_line["text"].to_numpy(dtype=object)[order]
    text_codes = pd.factorize(text, use_na_sentinel=False)[0].astype(np.int64)
    kept = np.sort(np.unique(codes * (int(text_codes.max(initial=0)) + 1) + text_codes, return_index=True)[1])
    kept = kept[np.argsort(codes[kept], kind="stable")]
    cuts = np.flatnonzero(np.diff(codes[kept])) + 1
    kept_text = text[kept].tolist()
    bounds = np.r_[0, cuts, len(kept)].tolist()
    detail = [" ".join(kept_text[s:e]) for s, e in zip(bounds[:-1], bounds[1:], strict=True)]
    # Sums as pandas adds them (compensated, in row order): amounts are compared to the last dong.
    amount = pd.Series(per_line["amount"].to_numpy(dtype="float64")[order]).groupby(codes).sum().to_numpy()
    frames = [
        finding_rows(
            lines["line_idx"].to_numpy()[idx],
            "beneficiaries",
            lines["_row"].to_numpy()[idx],
            row_refs(lines).to_numpy(dtype=object)[idx],
        )
    ]
    frames += [f for f in (evidence or []) if len(f)]
    sources = _grouped_sources(pd.concat(frames, ignore_index=True), groups)
    at = pd.Index(sources["g"].to_numpy(dtype=np.int64)).get_indexer(np.asarray(group_ids, dtype=np.int64))
    source_lists = sources["sources"].to_numpy(dtype=object)[at]
    out_idx = first_line
    category = lines["category"].to_numpy(dtype=object)[out_idx]
    return new_raw(
        pd.DataFrame(
            {
                "check_id": check_id,
                "person_key": pd.Series(lines["person_key"].to_numpy(dtype=object)[out_idx], dtype="str"),
                "national_id": pd.Series(
                    lines["national_id"].to_numpy(dtype=object)[out_idx], dtype="str"
                ).fillna(""),
                "full_name": pd.Series(
                    lines["full_name"].to_numpy(dtype=object)[out_idx], dtype="str"
                ).fillna(""),
                "sources": pd.Series(source_lists, dtype=object),
                "detail": pd.Series(detail, dtype="str"),
                "amount_vnd": amount.astype("float64"),
                "discriminator": pd.Series(category, dtype="str"),
                "category": pd.Series(category, dtype="str"),
            }
        )
    )


def _grouped_sources(evidence: pd.DataFrame, groups: np.ndarray) -> pd.DataFrame:
    """``g, sources``: per finding group, its unique ``table:row`` strings by table then row number.

    The order of ``findings.sort_sources``, from one integer sort (no string parsing, no Python
    call per group): the key packs group, table rank (alphabetical) and row number. Rows of a table
    read from several sheets (a non-null ``ref``) name their sheet (``payments:T3-2023!12``): then
    one frame sort by group, table, row and reference.
    """
    tables = np.array(sorted(evidence["table"].unique()), dtype=object)
    rank = np.searchsorted(tables, evidence["table"].to_numpy(dtype=object)).astype(np.int64)
    g = groups[evidence["line_idx"].to_numpy(dtype=np.int64)]
    row = evidence["row"].to_numpy(dtype=np.int64)
    refs = evidence["ref"] if "ref" in evidence else None
    if refs is not None and refs.notna().any():
        frame = pd.DataFrame({"g": g, "t": rank, "r": row, "x": refs.astype("object").fillna("").to_numpy()})
        frame = frame.drop_duplicates().sort_values(["g", "t", "r", "x"], kind="stable")
        x = frame["x"].to_numpy(dtype=object)
        where = np.where(x != "", x, frame["r"].astype(str).to_numpy(dtype=object))
        g_sorted = frame["g"].to_numpy(dtype=np.int64)
        text = pd.Series(tables[frame["t"].to_numpy()] + ":" + where, dtype="object")
    else:
        key = np.unique((g << 40) | (rank << 32) | row)
        g_sorted = key >> 40
        text = (
            pd.Series(tables[(key >> 32) & 0xFF], dtype="str") + ":" + pd.Series(key & 0xFFFFFFFF).astype(str)
        )
    cuts = np.flatnonzero(np.diff(g_sorted)) + 1
    return pd.DataFrame(
        {
            "g": g_sorted[np.r_[0, cuts]] if len(g_sorted) else np.zeros(0, dtype=np.int64),
            "sources": [part.tolist() for part in np.split(text.to_numpy(dtype=object), cuts)]
            if len(g_sorted)
            else [],
        }
    )
