"""Money after a stop month: what the stale family (DECEASED_ACTIVE, MOVED_ACTIVE, AGE_OUT,
PAID_AFTER_END) shares with CARED_FOR_GONE and the transition checks (internal; no ``@check`` here).

- :func:`finding_key`: one key per finding from several columns.
- :func:`received_in_period` / :func:`after_stop`: received payments of the period, and the active
  months and payments after each line's stop month.
- :func:`summarise`: per finding, the months still active, the months paid and the amount.
- :func:`evidence_sources`: per finding, its ``table:row`` sources; :func:`identity_columns`,
  :func:`line_categories`, :func:`money_text`, :func:`month_labels` and :func:`render_findings`:
  the sentence of a finding.

Example:
    >>> active, paid = after_stop(ctx, stops, person_level=True)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, row_refs
from audit_toolkit.checks.common import person_label, sources_by
from audit_toolkit.findings import new_raw
from audit_toolkit.messages import fmt_vnd, render_rows, t
from audit_toolkit.months import month_label

__all__ = [
    "SEP",
    "after_stop",
    "evidence_sources",
    "finding_key",
    "identity_columns",
    "line_categories",
    "money_text",
    "month_labels",
    "received_in_period",
    "render_findings",
    "summarise",
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
    lm = ctx.line_months[["line_idx", "m"]].merge(stops[["line_idx", "stop_m", "fk"]], on="line_idx")
    active = lm.loc[lm["m"] > lm["stop_m"], ["line_idx", "m", "fk"]]
    pay = received_in_period(ctx)
    if person_level:
        per_person = stops.groupby("person_key", sort=False).agg(stop_m=("stop_m", "max"), fk=("fk", "first"))
        paid = pay.merge(per_person.reset_index(), on="person_key")
    else:
        linked = pay.loc[pay["line_idx"].notna()].astype({"line_idx": "int64"})
        paid = linked.merge(stops[["line_idx", "stop_m", "fk"]], on="line_idx")
    paid = paid.loc[paid["m"] > paid["stop_m"], ["m", "amount", "_row", "_ref", "fk", "line_idx"]]
    return active.reset_index(drop=True), paid.reset_index(drop=True)


def summarise(
    ctx: AuditContext, lines: pd.DataFrame, active: pd.DataFrame, paid: pd.DataFrame
) -> pd.DataFrame:
    """One row per flagged finding key ``fk``: amount, paid months, last active month, categories."""
    flagged = pd.Index(pd.concat([active["fk"], paid["fk"]], ignore_index=True).unique(), name="fk")
    out = pd.DataFrame(index=flagged)
    if flagged.empty:
        return out.reset_index()
    pg = paid.groupby("fk", sort=False)["m"]
    out["amount"] = paid.groupby("fk", sort=False)["amount"].sum().reindex(flagged).fillna(0.0)
    out["n_months"] = pg.nunique().reindex(flagged).fillna(0).astype("int64")
    out["first_paid"] = pg.min().reindex(flagged)
    out["last_paid"] = pg.max().reindex(flagged)
    out["last_active"] = active.groupby("fk", sort=False)["m"].max().reindex(flagged)
    out["active_asof"] = (out["last_active"] == ctx.asof_month).fillna(False).astype(bool)
    # Categories of the lines still active after the event (else of all the person's lines).
    act_lines = lines.loc[lines["line_idx"].isin(active["line_idx"])]
    out["active_categories"] = line_categories(act_lines).reindex(flagged).fillna("")
    out["categories"] = line_categories(lines).reindex(flagged).fillna("")
    return out.reset_index()


def line_categories(lines: pd.DataFrame) -> pd.Series:
    """Per ``fk``: the distinct line categories, sorted and joined (``"C1, K6"``)."""
    cats = lines[["fk", "category"]].drop_duplicates().sort_values(["fk", "category"])
    if cats.empty:
        return pd.Series(dtype="object")
    k = cats["fk"].to_numpy(dtype=object)
    c = cats["category"].astype(str).to_numpy(dtype=object)
    starts = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1]
    return pd.Series([", ".join(ch) for ch in np.split(c, starts[1:])], index=k[starts])


def identity_columns(lines: pd.DataFrame) -> pd.DataFrame:
    """Name, ID, person key, sex and age of each finding key (first line in roster order)."""
    ident = lines.sort_values("line_idx").drop_duplicates("fk")
    return ident[["fk", "person_key", "full_name", "national_id", "sex", "age_asof"]]


def evidence_sources(
    *parts: tuple[pd.DataFrame, str],
) -> dict[str, list[str]]:
    """Sources per ``fk`` from ``(frame with fk and _row, table name)`` pairs (a ``_ref`` column, when
    present, names the sheet of a table read from several: :func:`row_refs`)."""
    frames = [
        pd.DataFrame(
            {"fk": f["fk"].to_numpy(), "t": tbl, "r": f["_row"].to_numpy(), "x": row_refs(f).to_numpy()}
        )
        for f, tbl in parts
    ]
    allrows = pd.concat(frames, ignore_index=True)
    return sources_by(allrows["fk"], allrows["t"], allrows["r"], allrows["x"])


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
    fields = pd.DataFrame(index=summary.index)
    fields["who"] = person_label(summary["full_name"], summary["sex"], summary["age_asof"], lang)
    fields["amount"] = money_text(summary["amount"], lang)
    fields["n_months"] = summary["n_months"].astype(str)
    fields["categories"] = summary["active_categories"].where(
        summary["active_categories"] != "", summary["categories"]
    )
    fields["first_month"] = month_labels(summary["first_paid"].fillna(0))
    fields["last_month"] = month_labels(summary["last_paid"].fillna(0))
    fields["last_active"] = month_labels(summary["last_active"].fillna(0))
    fields["asof_month"] = month_label(ctx.asof_month)
    for col in ("event_date", "limit", "limit_month", "birth", "stop_month", "hint"):
        if col in summary:
            fields[col] = summary[col].astype(str)
    paid_any = (summary["n_months"] > 0).to_numpy(dtype=bool)
    detail = pd.Series("", index=summary.index, dtype="object")
    if paid_any.any():
        detail[paid_any] = render_rows(f"{message}.paid", lang, fields.loc[paid_any]).to_numpy(dtype=object)
    if (~paid_any).any():
        detail[~paid_any] = render_rows(f"{message}.active", lang, fields.loc[~paid_any]).to_numpy(
            dtype=object
        )
    listed = paid_any & summary["active_asof"].to_numpy(dtype=bool)
    if listed.any():
        tail = render_rows(f"{message}.still_listed", lang, fields.loc[listed]).to_numpy(dtype=object)
        detail[listed] = detail[listed].to_numpy(dtype=object) + tail
    if "by_name" in summary:
        by_name = summary["by_name"].to_numpy(dtype=bool)
        detail[by_name] = detail[by_name].to_numpy(dtype=object) + t("stale.matched_by_name", lang)
    out = pd.DataFrame(
        {
            "check_id": check_id,
            "person_key": summary["person_key"],
            "national_id": summary["national_id"].astype("object").where(summary["national_id"].notna(), ""),
            "full_name": summary["full_name"].astype("object").where(summary["full_name"].notna(), ""),
            "sources": summary["sources"],
            "detail": detail.astype("str"),
            "amount_vnd": summary["amount"].astype("float64"),
            "discriminator": discriminator,
            "category": summary["categories"],
        }
    )
    return new_raw(out.reset_index(drop=True))
