"""Money after a stop month: what the stale family (DECEASED_ACTIVE, MOVED_ACTIVE, AGE_OUT,
PAID_AFTER_END) shares with CARED_FOR_GONE and the transition checks (internal; no ``@check`` here).

- :func:`finding_key`: one key per finding from several columns.
- :func:`received_in_period` / :func:`after_stop`: received payments of the period, and the active
  months and payments after each line's stop month.
- :func:`summarise`: per finding, the months still active, the months paid and the amount.
- :func:`evidence_sources` / :func:`evidence_by_key`: per finding, its ``table:row`` sources;
  :func:`with_identity`, :func:`money_text`, :func:`month_labels` and :func:`render_findings`:
  the sentence of a finding.

These run for five checks of every ward: they work on plain arrays and build each frame once
(a pandas merge, groupby or column-by-column frame costs milliseconds of fixed overhead per call,
more than the work itself on a ward of 150 lines).

Example:
    >>> active, paid = after_stop(ctx, stops, person_level=True)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, inner_join, row_refs
from audit_toolkit.checks.common import person_label
from audit_toolkit.findings import new_raw
from audit_toolkit.messages import fmt_vnd, render_rows, t
from audit_toolkit.months import month_label

__all__ = [
    "IDENTITY_COLUMNS",
    "SEP",
    "after_stop",
    "evidence_by_key",
    "evidence_sources",
    "finding_key",
    "money_text",
    "month_labels",
    "received_in_period",
    "render_findings",
    "summarise",
    "with_identity",
]

# Separator of the parts of a compound finding key (person key + category); never in a key.
SEP = "\x1f"


def finding_key(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    out = frame[key[0]].astype(str)
    for col in key[1:]:
        out = out + SEP + frame[col].astype(str)
    return pd.Series(out.to_numpy(dtype=object), index=frame.index)


def month_labels(months: pd.Series) -> pd.Series:
    return pd.Series([month_label(int(m)) for m in months], index=months.index, dtype="object")


def money_text(amounts: pd.Series, lang: str) -> pd.Series:
    return pd.Series([fmt_vnd(float(a), lang) for a in amounts], index=amounts.index, dtype="object")


def received_in_period(ctx: AuditContext) -> pd.DataFrame:
    """Received payments for months of the audit period (empty when no payments table).

    Computed once per audit (AGE_OUT, DECEASED_ACTIVE, MOVED_ACTIVE, PAID_AFTER_END read it);
    callers derive new frames from it and never change it in place.
    """
    received: pd.DataFrame = ctx.memo("received_in_period", _received_in_period)
    return received


def _received_in_period(ctx: AuditContext) -> pd.DataFrame:
    cols = {"m": "int64", "line_idx": "Int64", "person_key": "object", "amount": "float64", "_row": "int64"}
    if not ctx.has("payments"):
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in {**cols, "_ref": "object"}.items()})
    p = ctx.payments_linked
    inside = p["m"].notna() & (p["m"] >= ctx.period_start) & (p["m"] <= ctx.period_end)
    keep = (p["received"] & inside).fillna(False).to_numpy(dtype=bool)
    out = p.loc[keep, list(cols)]
    # The month sheet of each row (payments:T3-2023!12), for the finding's sources.
    return out.assign(
        m=out["m"].astype("int64"),
        amount=out["amount"].fillna(0.0).astype("float64"),
        _ref=row_refs(p).to_numpy(dtype=object)[keep],
    )


def after_stop(
    ctx: AuditContext, stops: pd.DataFrame, *, person_level: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Active line-months and received payments of the period after each line's stop month.

    Args:
        ctx: the audit context.
        stops: one row per line concerned: ``line_idx``, ``stop_m``, ``fk`` (finding key) and, for
            person-level checks, ``person_key``.
        person_level: payments count by person (deaths, moves: also payments that could not be
            tied to one line); otherwise only payments linked to the line count (AGE_OUT).

    Returns:
        ``(active, paid)``: line-months ``[line_idx, m, fk]`` and payments ``[m, amount, _row, _ref, fk]``
        for months after the stop month.
    """
    # Joins on plain arrays (same rows, same order as the inner merges they replace): a ward's
    # checks call this five times, and each pandas merge costs more than the join itself.
    lm = ctx.line_months
    lm_line = lm["line_idx"].to_numpy(dtype=np.int64)
    lm_m = lm["m"].to_numpy(dtype=np.int64)
    s_line = stops["line_idx"].to_numpy(dtype=np.int64)
    s_stop = stops["stop_m"].to_numpy(dtype=np.int64)
    s_fk = stops["fk"].to_numpy(dtype=object)
    li, ri = inner_join(lm_line, s_line)
    later = lm_m[li] > s_stop[ri]
    li, ri = li[later], ri[later]
    active = pd.DataFrame({"line_idx": lm_line[li], "m": lm_m[li], "fk": pd.Series(s_fk[ri], dtype=object)})
    pay = received_in_period(ctx)
    pay_m = pay["m"].to_numpy(dtype=np.int64)
    if person_level:
        # Per person: the latest stop month of their lines, and the key of their first line.
        codes, persons = pd.factorize(stops["person_key"].to_numpy(dtype=object))
        ok = np.flatnonzero(codes >= 0)
        stop_of = np.full(len(persons), np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(stop_of, codes[ok], s_stop[ok])
        _, first = np.unique(codes[ok], return_index=True)
        fk_of = s_fk[ok[first]]
        both = np.concatenate([pay["person_key"].to_numpy(dtype=object), np.asarray(persons, dtype=object)])
        both_codes = pd.factorize(both)[0]
        at = np.full(int(both_codes.max(initial=-1)) + 1, -1, dtype=np.int64)
        at[both_codes[len(pay) :]] = np.arange(len(persons))
        pay_codes = both_codes[: len(pay)]
        group = np.where(pay_codes >= 0, at[pay_codes], -1)
        pi = np.flatnonzero(group >= 0)
        gi = group[pi]
        stop, fk = stop_of[gi], fk_of[gi]
        line_at = None
    else:
        pay_line = pay["line_idx"].to_numpy(dtype="float64", na_value=np.nan)
        pi, si = inner_join(np.where(np.isnan(pay_line), -1, pay_line).astype(np.int64), s_line)
        stop, fk, line_at = s_stop[si], s_fk[si], s_line[si]
    later = pay_m[pi] > stop
    rows = pi[later]
    # The line paid: as received (nullable) for payments tied to the person, else the stop's line.
    line_idx = pay["line_idx"].array.take(rows) if line_at is None else line_at[later]
    paid = pd.DataFrame(
        {
            "m": pay_m[rows],
            "amount": pay["amount"].to_numpy(dtype="float64")[rows],
            "_row": pay["_row"].to_numpy(dtype=np.int64)[rows],
            "_ref": pd.Series(pay["_ref"].to_numpy(dtype=object)[rows], dtype=object),
            "fk": pd.Series(fk[later], dtype=object),
            "line_idx": line_idx,
        }
    )
    return active, paid


def summarise(
    ctx: AuditContext, lines: pd.DataFrame, active: pd.DataFrame, paid: pd.DataFrame
) -> pd.DataFrame:
    """One row per flagged finding key ``fk``: amount, paid months, last active month, categories."""
    afk = active["fk"].to_numpy(dtype=object)
    pfk = paid["fk"].to_numpy(dtype=object)
    codes, flagged = pd.factorize(np.concatenate([afk, pfk]))  # keys in order of first appearance
    n = len(flagged)
    out = pd.DataFrame({"fk": pd.Series(np.asarray(flagged, dtype=object), dtype="str")})
    if not n:
        return out
    ac, pc_ = codes[: len(afk)], codes[len(afk) :]
    pm = paid["m"].to_numpy(dtype=np.int64)
    # The sum as pandas adds (compensated, in row order): amounts are compared to the last dong.
    sums = pd.Series(paid["amount"].to_numpy(dtype="float64")).groupby(pc_).sum()
    amount = np.zeros(n)
    amount[sums.index.to_numpy(dtype=np.int64)] = sums.to_numpy()
    out["amount"] = amount
    months = np.unique(pc_ * (int(pm.max(initial=0)) + 1) + pm) if len(pm) else np.zeros(0, dtype=np.int64)
    out["n_months"] = np.bincount(months // (int(pm.max(initial=0)) + 1), minlength=n).astype(np.int64)
    out["first_paid"] = _group_extreme(np.minimum, pc_, pm, n)
    out["last_paid"] = _group_extreme(np.maximum, pc_, pm, n)
    last_active = _group_extreme(np.maximum, ac, active["m"].to_numpy(dtype=np.int64), n)
    out["last_active"] = last_active
    out["active_asof"] = np.asarray(last_active == ctx.asof_month, dtype=bool)
    # Categories of the lines still active after the event (else of all the person's lines).
    lfk = lines["fk"].to_numpy(dtype=object)
    lcat = lines["category"].to_numpy(dtype=object)
    still = np.isin(lines["line_idx"].to_numpy(dtype=np.int64), active["line_idx"].to_numpy(dtype=np.int64))
    out["active_categories"] = _categories_of(lfk[still], lcat[still], flagged)
    out["categories"] = _categories_of(lfk, lcat, flagged)
    return out


def _group_extreme(ufunc: np.ufunc, codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per group ``0..n-1``: the min/max (``ufunc``) of ``values``; NaN for a group without values
    (``int64`` when every group has one, as a pandas groupby reindexed on the groups gives)."""
    out = np.full(n, np.nan)
    if len(codes):
        start = np.inf if ufunc is np.minimum else -np.inf
        acc = np.full(n, start)
        ufunc.at(acc, codes, values.astype("float64"))
        seen = np.bincount(codes, minlength=n) > 0
        out[seen] = acc[seen]
    if not np.isnan(out).any():
        return out.astype(np.int64)
    return out


def _categories_of(fk: np.ndarray, category: np.ndarray, keys: pd.Index | np.ndarray) -> np.ndarray:
    """Per key of ``keys``: its rows' distinct categories, sorted and joined (``"C1, K6"``; ``""``)."""
    out = np.full(len(keys), "", dtype=object)
    if not len(fk):
        return out
    pos = pd.Index(np.asarray(keys, dtype=object), dtype=object).get_indexer(fk)
    mine = pos >= 0
    text = category[mine].astype(str)
    cats, cat_code = np.unique(text, return_inverse=True)
    pairs = np.unique(pos[mine] * len(cats) + cat_code.reshape(-1))
    key, cat = pairs // len(cats), pairs % len(cats)
    starts = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1]
    names = cats.tolist()
    cat_list = cat.tolist()
    bounds = np.r_[starts, len(key)].tolist()
    out[key[starts]] = [
        ", ".join(names[c] for c in cat_list[s:e]) for s, e in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return out


#: The identity of a finding: its first line's person key, name, ID, sex and age (roster order).
IDENTITY_COLUMNS = ("person_key", "full_name", "national_id", "sex", "age_asof")


def with_identity(summary: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """``summary`` with :data:`IDENTITY_COLUMNS` of each ``fk``'s first line (in roster order).

    Same as a left merge with ``lines.sort_values("line_idx").drop_duplicates("fk")``, by positions
    (``lines`` needs ``fk``, ``line_idx`` and the identity columns).
    """
    order = np.argsort(lines["line_idx"].to_numpy(dtype=np.int64), kind="stable")
    codes, keys = pd.factorize(lines["fk"].to_numpy(dtype=object)[order])
    _, first = np.unique(codes[codes >= 0], return_index=True)
    first_rows = order[np.flatnonzero(codes >= 0)[first]]
    at = pd.Index(np.asarray(keys, dtype=object), dtype=object).get_indexer(
        summary["fk"].to_numpy(dtype=object)
    )
    rows = np.where(at >= 0, first_rows[np.maximum(at, 0)] if len(first_rows) else -1, -1)
    out = summary.copy(deep=False)
    for col in IDENTITY_COLUMNS:
        out[col] = lines[col].array.take(rows, allow_fill=True)
    return out


def evidence_sources(
    *parts: tuple[pd.DataFrame, str],
) -> dict[str, list[str]]:
    """Sources per ``fk`` from ``(frame with fk and _row, table name)`` pairs (a ``_ref`` column, when
    present, names the sheet of a table read from several: :func:`row_refs`)."""
    return evidence_by_key(
        [
            (
                f["fk"].to_numpy(dtype=object),
                tbl,
                f["_row"].to_numpy(dtype=np.int64),
                f["_ref"].to_numpy(dtype=object) if "_ref" in f else None,
            )
            for f, tbl in parts
        ]
    )


def evidence_by_key(
    parts: list[tuple[np.ndarray, str, np.ndarray, np.ndarray | None]],
) -> dict[str, list[str]]:
    """:func:`audit_toolkit.checks.common.sources_by` over ``(keys, table, rows, refs)`` arrays.

    Per key, ``table:row`` (``table:ref`` where the row has a sheet reference) sorted by table, row
    and reference, without duplicates; on plain arrays (a stable lexsort), no frame per call.
    """
    keys = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=object)
    if not len(keys):
        return {}
    tables = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])
    rows = np.concatenate([p[2] for p in parts]).astype(np.int64)
    refs = np.concatenate(
        [
            np.full(len(p[0]), "", dtype=object)
            if p[3] is None
            else np.where(pd.isna(p[3]), "", p[3]).astype(object)
            for p in parts
        ]
    )
    key_code = pd.factorize(keys)[0]
    table_names, table_code = np.unique(tables.astype(str), return_inverse=True)
    ref_names, ref_code = np.unique(refs.astype(str), return_inverse=True)
    order = np.lexsort((ref_code.reshape(-1), rows, table_code.reshape(-1), key_code))
    packed = np.stack(
        [key_code[order], table_code.reshape(-1)[order], rows[order], ref_code.reshape(-1)[order]]
    )
    new = np.r_[True, (packed[:, 1:] != packed[:, :-1]).any(axis=0)]
    order = order[new]
    src = [
        f"{t}:{x if x else r}"
        for t, r, x in zip(tables[order].tolist(), rows[order].tolist(), refs[order].tolist(), strict=True)
    ]
    k = keys[order]
    kc = key_code[order]
    starts = np.r_[0, np.flatnonzero(kc[1:] != kc[:-1]) + 1]
    ends = np.r_[starts[1:], len(kc)]
    return {k[s]: src[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)}


def _subset(fields: dict[str, np.ndarray], mask: np.ndarray) -> pd.DataFrame:
    """The rows of ``fields`` under ``mask`` as the frame :func:`render_rows` formats."""
    return pd.DataFrame({name: values[mask] for name, values in fields.items()}, dtype=object)


def render_findings(
    ctx: AuditContext,
    summary: pd.DataFrame,
    *,
    check_id: str,
    message: str,
    discriminator: pd.Series | str = "",
) -> pd.DataFrame:
    """Detail sentences and the raw findings frame for a summary of flagged finding keys.

    Variants: ``<message>.paid`` when money was received after the stop month, else
    ``<message>.active``; ``<message>.still_listed`` is appended when paid and still active at as_of.
    """
    lang = ctx.lang
    n = len(summary)
    active_cats = summary["active_categories"].to_numpy(dtype=object)
    # The template fields as plain text arrays (one frame per variant, not a column at a time).
    fields: dict[str, np.ndarray] = {
        "who": person_label(summary["full_name"], summary["sex"], summary["age_asof"], lang).to_numpy(
            dtype=object
        ),
        "amount": _texts(summary["amount"].tolist(), lambda a: fmt_vnd(float(cast(float, a)), lang)),
        "n_months": summary["n_months"].astype(str).to_numpy(dtype=object),
        "categories": np.where(active_cats != "", active_cats, summary["categories"].to_numpy(dtype=object)),
        "first_month": _month_texts(summary["first_paid"]),
        "last_month": _month_texts(summary["last_paid"]),
        "last_active": _month_texts(summary["last_active"]),
        "asof_month": np.full(n, month_label(ctx.asof_month), dtype=object),
    }
    for col in ("event_date", "limit", "limit_month", "birth", "stop_month", "hint"):
        if col in summary:
            fields[col] = summary[col].astype(str).to_numpy(dtype=object)
    paid_any = (summary["n_months"] > 0).to_numpy(dtype=bool)
    detail = np.full(n, "", dtype=object)
    if paid_any.any():
        detail[paid_any] = render_rows(f"{message}.paid", lang, _subset(fields, paid_any)).to_numpy(
            dtype=object
        )
    if (~paid_any).any():
        detail[~paid_any] = render_rows(f"{message}.active", lang, _subset(fields, ~paid_any)).to_numpy(
            dtype=object
        )
    listed = paid_any & summary["active_asof"].to_numpy(dtype=bool)
    if listed.any():
        tail = render_rows(f"{message}.still_listed", lang, _subset(fields, listed)).to_numpy(dtype=object)
        detail[listed] = detail[listed] + tail
    if "by_name" in summary:
        by_name = summary["by_name"].to_numpy(dtype=bool)
        detail[by_name] = detail[by_name] + t("stale.matched_by_name", lang)
    out = pd.DataFrame(
        {
            "check_id": check_id,
            "person_key": summary["person_key"],
            "national_id": summary["national_id"].astype("object").where(summary["national_id"].notna(), ""),
            "full_name": summary["full_name"].astype("object").where(summary["full_name"].notna(), ""),
            "sources": summary["sources"],
            "detail": pd.Series(detail, index=summary.index, dtype="str"),
            "amount_vnd": summary["amount"].astype("float64"),
            "discriminator": discriminator,
            "category": summary["categories"],
        }
    )
    return new_raw(out.reset_index(drop=True))


def _texts(values: list[object], fmt: Callable[[object], str]) -> np.ndarray:
    return np.array([fmt(v) for v in values], dtype=object).reshape(-1)


def _month_texts(months: pd.Series) -> np.ndarray:
    """``MM/YYYY`` of each month (missing months as month 0, as the sentences always did)."""
    return _texts(months.fillna(0).tolist(), lambda m: month_label(int(cast(float, m))))
