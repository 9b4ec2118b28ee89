"""Entitlement checks: is the person entitled to the line, at the right coefficient and amount, and paid?

Four checks (docs/check-semantics.md):

- ``INELIGIBLE``: a line active at ``as_of`` whose person does not meet its category (a level the
  rules give nothing for, such as K6 ``mild``; under the category's minimum age; started before
  reaching it; a child's line started at its age limit; K5c with a pension; K6 started before the
  disability certificate);
- ``WRONG_COEFFICIENT``: a recorded coefficient the rules do not give for the category, level and
  age at ``month(as_of)``; the money is summed month by month against the expected coefficient;
- ``WRONG_AMOUNT``: a roster ``monthly_amount`` or a received payment that differs from
  standard level × coefficient of its month (e.g. the 2024-07 raise not applied);
- ``UNPAID_MONTHS``: months of the period in which an active, payable line received nothing.

Rates, coefficients, ages and dates all come from the ``RuleSet``. Money is never counted twice
across checks: months whose payment another check counts as wholly overpaid (after a death, a
move, an age limit, ``end_month``, during a suspension, or in a month INELIGIBLE counts) are left
out of WRONG_COEFFICIENT and WRONG_AMOUNT, and are not "owed" for UNPAID_MONTHS. Everything is
computed over whole frames; the only per-row Python work formats the sentence of each finding.

Example:
    >>> raw = find_wrong_coefficients(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check, match_people, row_refs
from audit_toolkit.checks.common import grouped_lists, months_of, person_label
from audit_toolkit.checks.facts import age_limits, coefficient_birth_months, stop_months
from audit_toolkit.checks.facts.money import due_coefficients, expected_coefficients, line_dues
from audit_toolkit.checks.transition import ended_line_months, social_pension_ineligibility
from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import catalogue, fmt_vnd, t
from audit_toolkit.months import age_in_month, month_label
from audit_toolkit.rules import load_rules

__all__ = [
    "find_ineligible",
    "find_unpaid_months",
    "find_wrong_amounts",
    "find_wrong_coefficients",
]

# SUSPEND_AFTER_UNPAID_MONTHS (TT 02/2021 Art. 2(3)(a)), NO_PENSION_CATEGORIES (NĐ 20/2021 Art. 5(5)(c))
# and CERTIFICATE_CATEGORIES (NĐ 20/2021 Art. 8(1)(đ)) are rule rows with citations
# (rules/data/constants.yml); the checks read them from ctx.rules. The module names stay for code that
# imported them: they read the PACKAGED rules on first use (no rule loading at import).
_COMPAT = {
    "SUSPEND_AFTER_UNPAID_MONTHS": "suspend_after_unpaid_months",
    "NO_PENSION_CATEGORIES": "no_pension_categories",
    "CERTIFICATE_CATEGORIES": "certificate_categories",
}


def __getattr__(name: str) -> Any:
    if name in _COMPAT:
        return getattr(load_rules(), _COMPAT[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Amounts are whole VND; a difference under one đồng is rounding, not a finding.
_TOLERANCE_VND = 1.0
_KEY = ["person_key", "category"]
_INF = np.iinfo(np.int64).max


# ----------------------------------------------------------------------------------- formatting
def _per_value(values: pd.Series, fmt: Callable[[float], str]) -> pd.Series:
    """``fmt`` applied once per distinct value (findings share few months and amounts)."""
    numbers = pd.Series(values).astype("float64")
    uniq = numbers.dropna().unique()
    table = {float(u): fmt(float(u)) for u in uniq}
    return pd.Series(numbers.map(table).fillna("").to_numpy(), index=values.index, dtype="str")


def _money(values: pd.Series, lang: str) -> pd.Series:
    return _per_value(values, lambda v: fmt_vnd(v, lang))


def _months_text(values: pd.Series) -> pd.Series:
    return _per_value(values, lambda v: month_label(int(v)))


def _coef_text(value: float, lang: str) -> str:
    text = f"{value:.1f}" if abs(value * 10 - round(value * 10)) < 1e-9 else f"{value:.2f}"
    return text.replace(".", ",") if lang == "vi" else text


def _coefs_text(values: pd.Series, lang: str) -> pd.Series:
    return _per_value(values, lambda v: _coef_text(v, lang))


def _render(key: str, lang: str, rows: pd.DataFrame) -> pd.Series:
    """``messages.render`` without building a dict per row (tens of thousands of findings at province scale)."""
    template = catalogue(lang).get(key) or catalogue("en").get(key, key)
    columns = list(rows.columns)
    values = [rows[c].to_numpy(dtype=object) for c in columns]
    text = [template.format_map(dict(zip(columns, row, strict=True))) for row in zip(*values, strict=True)]
    return pd.Series(text, index=rows.index, dtype="str")


def _vocab_text(values: pd.Series, prefix: str, lang: str, *, default: str) -> pd.Series:
    """The message ``<prefix>.<value>`` of each vocabulary value (``default`` when missing)."""
    text = {v: t(f"{prefix}.{v}", lang) for v in values.dropna().unique()}
    return pd.Series(values.map(text).fillna(default).to_numpy(), index=values.index, dtype="str")


def _labels(lines: pd.DataFrame, lang: str) -> pd.Series:
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


def _facts(ctx: AuditContext) -> _Facts:
    cache = ctx.extras.setdefault("_entitlement", {})
    if "facts" not in cache:
        cache["facts"] = _compute_facts(ctx)
    facts: _Facts = cache["facts"]
    return facts


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
    person_stop = lines["person_key"].map(stop_months(ctx)["stop_m"])
    stop_m = np.fmin(limit_m, person_stop.to_numpy(dtype="float64", na_value=np.nan))

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
        want = lines.loc[lines["category"].isin(rules.certificate_categories)]
        if len(certs) and len(want):
            pairs = match_people(want, certs)
            pairs["issue"] = certs["issue_date"].reindex(pairs["right_idx"]).to_numpy()
            pairs["row"] = certs["_row"].reindex(pairs["right_idx"]).to_numpy(dtype="float64")
            first = pairs.sort_values("issue", kind="stable").drop_duplicates("left_idx")
            idx = first["left_idx"].to_numpy(dtype=np.int64)
            cert_m[idx] = months_of(first["issue"]).to_numpy(dtype="float64", na_value=np.nan)
            cert_row[idx] = first["row"].to_numpy(dtype="float64")

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


def _judged_months(ctx: AuditContext) -> pd.DataFrame:
    """Active, payable line-months of the period up to each line's stop month (``line_idx``, ``m``).

    Months after a death, a move or an age limit, on or after ``end_month`` and during a
    suspension are the stale checks' money; they are judged nowhere in this module.
    """
    lm = ctx.line_months
    lm = lm.loc[lm["payable"].to_numpy(dtype=bool), ["line_idx", "m"]]
    stop = _facts(ctx).stop_m[lm["line_idx"].to_numpy()]
    keep = np.isnan(stop) | (lm["m"].to_numpy(dtype="float64") <= stop)
    judged: pd.DataFrame = lm.loc[keep].reset_index(drop=True)
    # Months of a category that had ended (K5c from 2025-07) are CATEGORY_ENDED's money.
    ended = ended_line_months(ctx)
    if len(ended):
        judged = _drop_pairs(judged, ended[["line_idx", "m"]])
    return judged


def _received(ctx: AuditContext, *, linked_only: bool = True) -> pd.DataFrame:
    """Received payments for months of the period: ``pay_idx, m, line_idx, amount, row``.

    ``linked_only``: only payments tied to one line (``line_idx`` int64); otherwise all, with
    ``line_idx`` as ``Int64`` and the payment's ``person_key``.
    """
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


def _ineligibility(ctx: AuditContext) -> _Ineligibility:
    cache = ctx.extras.setdefault("_entitlement", {})
    if "ineligibility" not in cache:
        cache["ineligibility"] = _compute_ineligibility(ctx)
    result: _Ineligibility = cache["ineligibility"]
    return result


def _compute_ineligibility(ctx: AuditContext) -> _Ineligibility:
    lines = ctx.lines
    facts = _facts(ctx)
    n = len(lines)
    asof = ctx.asof_month
    start = lines["start_m"].to_numpy(dtype="float64", na_value=np.nan)
    lm = ctx.line_months[["line_idx", "m"]]
    li = lm["line_idx"].to_numpy()
    mm = lm["m"].to_numpy(dtype="float64")
    first_m = np.full(n, np.nan)
    if len(lm):
        firsts = lm.groupby("line_idx")["m"].min()
        first_m[firsts.index.to_numpy()] = firsts.to_numpy(dtype="float64")

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
    want = lines.loc[lines["category"].isin(ctx.rules.no_pension_categories)]
    if ctx.has("pensions") and len(want) and len(ctx.table("pensions")):
        pens = ctx.table("pensions").reset_index(drop=True)
        pairs = match_people(want, pens)
        if len(pairs):
            pairs["p_start"] = (
                pens["start_month"].reindex(pairs["right_idx"]).to_numpy(dtype="float64", na_value=-np.inf)
            )
            pairs["p_end"] = (
                pens["end_month"].reindex(pairs["right_idx"]).to_numpy(dtype="float64", na_value=np.inf)
            )
            pairs["benefit"] = pens["benefit"].reindex(pairs["right_idx"]).astype("object").to_numpy()
            pairs["row"] = pens["_row"].reindex(pairs["right_idx"]).to_numpy(dtype=np.int64)
            pairs["line_idx"] = want["line_idx"].reindex(pairs["left_idx"]).to_numpy()
            both = lm.merge(pairs[["line_idx", "p_start", "p_end", "row", "benefit"]], on="line_idx")
            hit = (both["m"] >= both["p_start"]) & (both["m"] < both["p_end"])
            both = both.loc[hit]
            pension[both["line_idx"].unique()] = True
            pension_rows = both[["line_idx", "benefit", "row"]].drop_duplicates().reset_index(drop=True)
            bad_pairs = both[["line_idx", "m"]].drop_duplicates()
            month_bad |= pd.Series(_pair_key(lm)).isin(_pair_key(bad_pairs)).to_numpy()

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


def _flagged_ineligible(ctx: AuditContext) -> np.ndarray:
    """Line indices INELIGIBLE reports: active at as_of with at least one reason."""
    inel = _ineligibility(ctx)
    flagged = inel.reasons.any(axis=1).to_numpy() & ctx.lines["active_asof"].to_numpy(dtype=bool)
    return np.flatnonzero(flagged)


def _ineligible_counted(ctx: AuditContext) -> pd.DataFrame:
    """``line_idx, m`` of the months whose payment INELIGIBLE counts as wholly overpaid."""
    cache = ctx.extras.setdefault("_entitlement", {})
    if "counted" not in cache:
        inel = _ineligibility(ctx)
        months = inel.months.loc[inel.months["line_idx"].isin(_flagged_ineligible(ctx))]
        cache["counted"] = _keep_pairs(months, _judged_months(ctx))
    counted: pd.DataFrame = cache["counted"]
    return counted


def _pair_key(frame: pd.DataFrame) -> np.ndarray:
    """One int64 per (line_idx, m): fast set operations on line-months."""
    key: np.ndarray = (frame["line_idx"].to_numpy(dtype=np.int64) << 20) + frame["m"].to_numpy(dtype=np.int64)
    return key


def _drop_pairs(frame: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the (line_idx, m) pairs of ``pairs``."""
    if pairs.empty or frame.empty:
        return frame
    drop = pd.Series(_pair_key(frame)).isin(_pair_key(pairs)).to_numpy()
    return frame.loc[~drop].reset_index(drop=True)


def _keep_pairs(frame: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """``frame`` restricted to the (line_idx, m) pairs of ``pairs``."""
    if frame.empty:
        return frame
    keep = pd.Series(_pair_key(frame)).isin(_pair_key(pairs)).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


# ----------------------------------------------------------------------------------- assembling
def _line_groups(ctx: AuditContext) -> np.ndarray:
    """Integer code of each line's (person, category): the unit of one finding (cached)."""
    cache = ctx.extras.setdefault("_entitlement", {})
    if "groups" not in cache:
        lines = ctx.lines
        codes, _ = pd.factorize(pd.MultiIndex.from_arrays([lines["person_key"], lines["category"]]))
        cache["groups"] = codes.astype(np.int64)
    groups: np.ndarray = cache["groups"]
    return groups


def _rows(
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


def _assemble(
    ctx: AuditContext,
    check_id: str,
    per_line: pd.DataFrame,
    evidence: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One raw finding per (person, category) from per-line rows ``line_idx, text, amount``.

    ``evidence`` (frames of :func:`_rows`) adds payment and register rows to the lines' own rows.
    Texts of one group are joined once each, in line order; amounts are summed.
    """
    if per_line.empty:
        return empty_raw()
    lines = ctx.lines
    groups = _line_groups(ctx)
    idx = per_line["line_idx"].to_numpy(dtype=np.int64)
    order = np.argsort(idx, kind="stable")
    rows = pd.DataFrame(
        {
            "g": groups[idx[order]],
            "line_idx": idx[order],
            "text": per_line["text"].to_numpy(dtype=object)[order],
            "amount": per_line["amount"].to_numpy(dtype="float64")[order],
        }
    )
    texts = grouped_lists(rows.drop_duplicates(["g", "text"]), ["g"], "text")
    texts["detail"] = [" ".join(v) for v in texts.pop("text")]
    amounts = rows.groupby("g", sort=False)["amount"].sum().rename("amount").reset_index()
    first = rows.drop_duplicates("g")[["g", "line_idx"]]
    frames = [
        _rows(
            lines["line_idx"].to_numpy()[idx],
            "beneficiaries",
            lines["_row"].to_numpy()[idx],
            row_refs(lines).to_numpy(dtype=object)[idx],
        )
    ]
    frames += [f for f in (evidence or []) if len(f)]
    sources = _grouped_sources(pd.concat(frames, ignore_index=True), groups)
    out = first.merge(amounts, on="g").merge(texts, on="g").merge(sources, on="g")
    out_idx = out["line_idx"].to_numpy(dtype=np.int64)
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
                "sources": out["sources"],
                "detail": out["detail"].astype(str),
                "amount_vnd": out["amount"].astype("float64"),
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


# ----------------------------------------------------------------------------------- INELIGIBLE
@check("INELIGIBLE")
def find_ineligible(ctx: AuditContext) -> pd.DataFrame:
    """Lines active at ``as_of`` whose person does not meet the category.

    Reasons: a disability level the rules pay nothing for (K6 ``mild``); under the category's
    minimum age at ``month(as_of)`` (K5c 80, K5a 60, …); active before the month that age was
    reached; a K1/K3/K7 (and K2) line started when the holder was already at its age limit; a K5c
    holder with a pension, social-insurance or social-pension record active in a month of the line
    in the period; a K6 line active before the month of the earliest severe or especially severe
    certificate (when certificates are given).

    Amount: for the months of the period in which the line was not due (not counting months the
    stale checks own: after death, move, age limit, end or during a suspension), the received
    payments tied to the line; without a payments table, the amounts due by the roster.
    One finding per person and category.
    """
    lines = ctx.lines
    flagged = _flagged_ineligible(ctx)
    if len(flagged) == 0:
        return empty_raw()
    inel = _ineligibility(ctx)
    facts = _facts(ctx)
    lang = ctx.lang
    sub = lines.iloc[flagged]
    r = inel.reasons.iloc[flagged]
    label = _labels(sub, lang)
    texts: list[pd.DataFrame] = []

    def add(mask: pd.Series, key: str, params: dict[str, pd.Series]) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        frame = pd.DataFrame({"name": label, "category": sub["category"].astype(str), **params}).loc[mask]
        texts.append(pd.DataFrame({"line_idx": sub.loc[mask, "line_idx"], "text": _render(key, lang, frame)}))

    idx = sub["line_idx"].to_numpy()
    level_text = _vocab_text(sub["disability_level"], "entitlement.level", lang, default="")
    add(r["level"], "entitlement.ineligible.level", {"level": level_text})
    minage = pd.Series(facts.minage[idx], index=sub.index)
    minage_text = minage.map(lambda v: "" if pd.isna(v) else str(int(v)))
    add(
        r["under_age"],
        "entitlement.ineligible.under_age",
        {
            "age": sub["age_asof"].astype("string").fillna(""),
            "min_age": minage_text,
            "month": _months_text(pd.Series(ctx.asof_month, index=sub.index)),
        },
    )
    # A line without a start month has been paid since before the period: name the period's first month.
    start_or_first = sub["start_m"].astype("float64").fillna(float(ctx.period_start))
    add(
        r["early"] & ~r["under_age"],
        "entitlement.ineligible.early",
        {
            "start": _months_text(start_or_first),
            "min_age": minage_text,
            "reach": _months_text(pd.Series(facts.minage_m[idx], index=sub.index)),
        },
    )
    limit = pd.Series(facts.limit[idx], index=sub.index)
    age_start = age_in_month(sub["birth_m"], sub["start_m"].fillna(0).astype("int64"))
    add(
        r["at_limit"],
        "entitlement.ineligible.at_limit",
        {
            "start": _months_text(start_or_first),
            "age": age_start.astype("string").fillna(""),
            "limit": limit.map(lambda v: "" if pd.isna(v) else str(int(v))),
        },
    )
    if r["pension"].any():
        benefit = inel.pension_rows.drop_duplicates("line_idx").set_index("line_idx")["benefit"]
        benefit_text = _vocab_text(
            sub["line_idx"].map(benefit),
            "entitlement.benefit",
            lang,
            default=t("entitlement.benefit.pension", lang),
        )
        add(r["pension"], "entitlement.ineligible.pension", {"benefit": benefit_text})
    sp_rule = social_pension_ineligibility(ctx)["rule"]
    if isinstance(sp_rule, dict):
        sp_ages = {
            "age": sub["age_asof"].astype("string").fillna(""),
            "min_age": pd.Series(str(sp_rule["min_age"]), index=sub.index),
            "min_age_poor": pd.Series(str(sp_rule["min_age_poor"]), index=sub.index),
            "month": _months_text(pd.Series(ctx.asof_month, index=sub.index)),
        }
        add(r["sp_under_age"], "entitlement.ineligible.sp_under_age", sp_ages)
        add(r["sp_not_poor"], "entitlement.ineligible.sp_not_poor", sp_ages)
        add(
            r["sp_early"],
            "entitlement.ineligible.sp_early",
            {
                **sp_ages,
                "start": _months_text(sub["start_m"].astype("float64").fillna(float(ctx.period_start))),
            },
        )
    if r["sp_pension"].any():
        benefit = inel.pension_rows.drop_duplicates("line_idx").set_index("line_idx")["benefit"]
        sp_benefit = _vocab_text(
            sub["line_idx"].map(benefit),
            "entitlement.benefit",
            lang,
            default=t("entitlement.benefit.pension", lang),
        )
        add(r["sp_pension"], "entitlement.ineligible.sp_pension", {"benefit": sp_benefit})
    add(
        r["certificate"],
        "entitlement.ineligible.certificate",
        {
            "start": _months_text(start_or_first),
            "cert": _months_text(pd.Series(facts.cert_m[idx], index=sub.index)),
        },
    )
    joined = grouped_lists(pd.concat(texts, ignore_index=True), ["line_idx"], "text")
    reason_text = pd.Series(
        [" ".join(v) for v in joined["text"]], index=joined["line_idx"].to_numpy(), dtype="str"
    )

    # Money: the months counted, from payments when the ward gave them, else from the roster.
    counted = _ineligible_counted(ctx)
    evidence: list[pd.DataFrame] = []
    if ctx.has("payments"):
        pay = _keep_pairs(_received(ctx), counted)
        amount = pay.groupby("line_idx")["amount"].sum()
        evidence.append(_rows(pay["line_idx"], "payments", pay["row"], pay["ref"]))
        amount_key = "entitlement.ineligible.amount_paid"
    else:
        li = counted["line_idx"].to_numpy(dtype=np.int64)
        mm = counted["m"].to_numpy(dtype=np.int64)
        coef = due_coefficients(ctx, li, mm)
        due = line_dues(ctx, li, mm, coef)
        roster = lines["monthly_amount"].to_numpy(dtype="float64", na_value=np.nan)[li]
        due = np.where(np.isnan(due), roster, due)
        amount = pd.Series(np.nan_to_num(due), index=li).groupby(level=0).sum()
        amount_key = "entitlement.ineligible.amount_due"
    amounts = sub["line_idx"].map(amount).fillna(0.0).astype("float64")
    money_text = _render(amount_key, lang, pd.DataFrame({"amount": _money(amounts, lang)}))
    detail: pd.Series = sub["line_idx"].map(reason_text).fillna("") + np.where(
        amounts.to_numpy() != 0, " " + money_text, ""
    )

    pens = inel.pension_rows.loc[
        inel.pension_rows["line_idx"].isin(idx[(r["pension"] | r["sp_pension"]).to_numpy()])
    ]
    evidence.append(_rows(pens["line_idx"], "pensions", pens["row"]))
    with_cert = r["certificate"].to_numpy() & ~np.isnan(facts.cert_row[idx])
    evidence.append(_rows(idx[with_cert], "disability_certificates", facts.cert_row[idx][with_cert]))
    per_line = pd.DataFrame({"line_idx": idx, "text": detail.to_numpy(), "amount": amounts.to_numpy()})
    return _assemble(ctx, "INELIGIBLE", per_line, evidence)


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
        return _coef_text(expected, lang)
    if isinstance(allowed, tuple):
        return t(
            "entitlement.coef.one_of",
            lang,
            values=t("entitlement.coef.or", lang).join(_coef_text(a, lang) for a in allowed),
        )
    if not np.isnan(unit):
        return t("entitlement.coef.per_child", lang, unit=_coef_text(unit, lang))
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
    facts = _facts(ctx)
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
    months = _judged_months(ctx)
    months = months.loc[months["line_idx"].isin(bad)]
    months = _drop_pairs(months, _ineligible_counted(ctx))
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
            "name": _labels(sub, lang),
            "category": sub["category"].astype(str),
            "recorded": _coefs_text(sub["coefficient"], lang),
            "lawful": lawful_text,
            "age_note": age_note,
            "month": _months_text(pd.Series(asof, index=sub.index)),
            "amount": _money(amounts, lang),
        },
        index=sub.index,
    )
    detail = _render("entitlement.wrong_coefficient", lang, params)
    per_line = pd.DataFrame({"line_idx": bad, "text": detail.to_numpy(), "amount": amounts.to_numpy()})
    return _assemble(ctx, "WRONG_COEFFICIENT", per_line)


# ----------------------------------------------------------------------------------- WRONG_AMOUNT
@check("WRONG_AMOUNT")
def find_wrong_amounts(ctx: AuditContext) -> pd.DataFrame:
    """Roster amounts and received payments that differ from standard level × coefficient.

    Roster: a line active at ``as_of`` whose ``monthly_amount`` differs from the amount due in
    ``month(as_of)`` (amount 0: nothing is paid by the roster figure itself). Payments: the
    received payments tied to a line, added up per line and month (two instalments of one month are
    one payment; a month paid twice is overpaid), against the amount due in that month; judged only
    for the line's payable months up to its stop month, and not for months INELIGIBLE counts.
    Due = standard level (social-pension level for HTXH) of the month × the recorded coefficient,
    else the one the rules give. Amount = Σ (paid − due) over the mismatching months.
    One finding per person and category.
    """
    lines = ctx.lines
    lang = ctx.lang
    asof = ctx.asof_month
    parts: list[pd.DataFrame] = []
    evidence: list[pd.DataFrame] = []

    # Roster figure at month(as_of).
    roster = lines["monthly_amount"].to_numpy(dtype="float64", na_value=np.nan)
    cand = np.flatnonzero(lines["active_asof"].to_numpy(dtype=bool) & ~np.isnan(roster))
    if len(cand):
        mm = np.full(len(cand), asof, dtype=np.int64)
        coef = due_coefficients(ctx, cand, mm)
        due = line_dues(ctx, cand, mm, coef)
        level = line_dues(ctx, cand, mm, np.ones(len(cand)))
        bad = ~np.isnan(due) & (np.abs(roster[cand] - due) >= _TOLERANCE_VND)
        if bad.any():
            sub = lines.iloc[cand[bad]]
            params = pd.DataFrame(
                {
                    "recorded": _money(pd.Series(roster[cand][bad], index=sub.index), lang),
                    "level": _money(pd.Series(level[bad], index=sub.index), lang),
                    "coef": _coefs_text(pd.Series(coef[bad], index=sub.index), lang),
                    "due": _money(pd.Series(due[bad], index=sub.index), lang),
                    "month": _months_text(pd.Series(asof, index=sub.index)),
                },
                index=sub.index,
            )
            parts.append(
                pd.DataFrame(
                    {
                        "line_idx": cand[bad],
                        "order": 0,
                        "text": _render("entitlement.wrong_amount.roster", lang, params).to_numpy(),
                        "amount": 0.0,
                    }
                )
            )

    # Payments, per line and month.
    if ctx.has("payments"):
        pay = _received(ctx)
        judged = _drop_pairs(_judged_months(ctx), _ineligible_counted(ctx))
        pay = _keep_pairs(pay, judged)
        if len(pay):
            per = pay.groupby(["line_idx", "m"], sort=True).agg(paid=("amount", "sum")).reset_index()
            li = per["line_idx"].to_numpy(dtype=np.int64)
            mm = per["m"].to_numpy(dtype=np.int64)
            per["due"] = line_dues(ctx, li, mm, due_coefficients(ctx, li, mm))
            per = per.loc[per["due"].notna() & ((per["paid"] - per["due"]).abs() >= _TOLERANCE_VND)]
            if len(per):
                per["diff"] = per["paid"] - per["due"]
                by_line = per.groupby("line_idx", sort=False).agg(
                    n=("m", "size"), amount=("diff", "sum"), first_m=("m", "min")
                )
                first = per.drop_duplicates("line_idx").set_index("line_idx")
                by_line["paid"] = first["paid"]
                by_line["due"] = first["due"]
                by_line = by_line.reset_index()
                params = pd.DataFrame(
                    {
                        "n": by_line["n"].astype(int),
                        "month": _months_text(by_line["first_m"]),
                        "paid": _money(by_line["paid"], lang),
                        "due": _money(by_line["due"], lang),
                        "amount": _money(by_line["amount"], lang),
                    }
                )
                parts.append(
                    pd.DataFrame(
                        {
                            "line_idx": by_line["line_idx"].to_numpy(),
                            "order": 1,
                            "text": _render("entitlement.wrong_amount.payments", lang, params).to_numpy(),
                            "amount": by_line["amount"].to_numpy(dtype="float64"),
                        }
                    )
                )
                bad_pay = _keep_pairs(pay, per)
                evidence.append(_rows(bad_pay["line_idx"], "payments", bad_pay["row"], bad_pay["ref"]))
    if not parts:
        return empty_raw()
    found = pd.concat(parts, ignore_index=True).sort_values(["line_idx", "order"], kind="stable")
    per_line = grouped_lists(found, ["line_idx"], "text")
    per_line["text"] = [" ".join(v) for v in per_line["text"]]
    amounts = found.groupby("line_idx", sort=False)["amount"].sum()
    per_line["amount"] = amounts.reindex(per_line["line_idx"].to_numpy()).to_numpy()
    sub = lines.set_index("line_idx").loc[per_line["line_idx"]]
    prefix = _render(
        "entitlement.prefix",
        lang,
        pd.DataFrame(
            {"name": _labels(sub, lang).to_numpy(), "category": sub["category"].astype(str).to_numpy()}
        ),
    )
    per_line["text"] = prefix.to_numpy() + per_line["text"]
    return _assemble(ctx, "WRONG_AMOUNT", per_line, evidence)


# ----------------------------------------------------------------------------------- UNPAID_MONTHS
@check("UNPAID_MONTHS")
def find_unpaid_months(ctx: AuditContext) -> pd.DataFrame:
    """Payable months of the period for which a line received nothing.

    A month is judged when the line is active and not suspended, at or after its start, not after
    the person's death, move or age limit, and not one in which the person was not entitled
    (INELIGIBLE's months). Only months the payment list covers are judged: from its first to its
    last month (a list that starts later or ends earlier than the period was not supplied for the
    other months; nobody is "unpaid" there). A payment tied to the person but not to one line (two
    lines, no category to tell them apart) counts as paying each of the person's lines for that
    month: we do not accuse a ward of non-payment we cannot show.

    Amount = − Σ due of the unpaid months. The detail says when 3 or more consecutive months are
    unpaid (Circular 02/2021: the line should have been suspended). One finding per person and
    category.
    """
    lines = ctx.lines
    lang = ctx.lang
    p = ctx.payments_linked
    listed = p["m"].dropna().astype("int64")
    if listed.empty:
        return empty_raw()
    first_m = max(ctx.period_start, int(listed.min()))
    last_m = min(ctx.period_end, int(listed.max()))
    judged = _judged_months(ctx)
    judged = judged.loc[(judged["m"] >= first_m) & (judged["m"] <= last_m)]
    judged = _drop_pairs(judged, _ineligibility(ctx).months)
    if judged.empty:
        return empty_raw()

    pay = _received(ctx, linked_only=False)
    linked = pay["line_idx"].notna()
    by_line = pay.loc[linked, ["line_idx", "m"]].astype("int64").drop_duplicates()
    unpaid = _drop_pairs(judged, by_line)
    loose = pay.loc[~linked & pay["person_key"].notna(), ["person_key", "m"]].drop_duplicates()
    if len(loose) and len(unpaid):
        people = lines["person_key"].to_numpy()[unpaid["line_idx"].to_numpy()]
        codes, _ = pd.factorize(np.concatenate([people, loose["person_key"].to_numpy(dtype=object)]))
        codes = codes.astype(np.int64)
        mine = (codes[: len(unpaid)] << 20) + unpaid["m"].to_numpy(dtype=np.int64)
        theirs = (codes[len(unpaid) :] << 20) + loose["m"].to_numpy(dtype=np.int64)
        unpaid = unpaid.loc[~pd.Series(mine).isin(theirs).to_numpy()].reset_index(drop=True)
    if unpaid.empty:
        return empty_raw()

    li = unpaid["line_idx"].to_numpy(dtype=np.int64)
    mm = unpaid["m"].to_numpy(dtype=np.int64)
    unpaid["due"] = np.nan_to_num(line_dues(ctx, li, mm, due_coefficients(ctx, li, mm)))
    unpaid = unpaid.sort_values(["line_idx", "m"], kind="stable").reset_index(drop=True)
    new_run = (unpaid["line_idx"] != unpaid["line_idx"].shift()) | (unpaid["m"] != unpaid["m"].shift() + 1)
    unpaid["run"] = new_run.cumsum()
    runs = unpaid.groupby("run", sort=False).agg(
        line_idx=("line_idx", "first"), first=("m", "min"), last=("m", "max"), n=("m", "size")
    )
    runs["text"] = [
        month_label(a)
        if a == b
        else t("entitlement.unpaid.range", lang, start=month_label(a), end=month_label(b))
        for a, b in zip(runs["first"], runs["last"], strict=True)
    ]
    longest = runs.sort_values(["n", "first"], ascending=[False, True], kind="stable").drop_duplicates(
        "line_idx"
    )
    longest = longest.set_index("line_idx")
    per = unpaid.groupby("line_idx", sort=True).agg(n=("m", "size"), due=("due", "sum"))
    run_lists = grouped_lists(runs, ["line_idx"], "text")
    per["months"] = pd.Series(
        [", ".join(v) for v in run_lists["text"]], index=run_lists["line_idx"].to_numpy()
    )
    per["run"] = longest["n"]
    per["run_text"] = longest["text"]
    per = per.reset_index()
    sub = lines.set_index("line_idx").loc[per["line_idx"]]
    amount = -per["due"].astype("float64")
    params = pd.DataFrame(
        {
            "name": _labels(sub, lang).to_numpy(),
            "category": sub["category"].astype(str).to_numpy(),
            "n": per["n"].astype(int).to_numpy(),
            "months": per["months"].to_numpy(),
            "amount": _money(amount, lang).to_numpy(),
        }
    )
    text = _render("entitlement.unpaid", lang, params)
    long_run = (per["run"] >= ctx.rules.suspend_after_unpaid_months).to_numpy()
    if long_run.any():
        run_params = pd.DataFrame({"run": per["run"].astype(int), "months": per["run_text"]}).loc[long_run]
        text.loc[long_run] = (
            text.loc[long_run] + " " + _render("entitlement.unpaid.suspend", lang, run_params)
        )
    per_line = pd.DataFrame(
        {"line_idx": per["line_idx"].to_numpy(), "text": text.to_numpy(), "amount": amount.to_numpy()}
    )
    return _assemble(ctx, "UNPAID_MONTHS", per_line)
