"""``CARED_FOR_GONE``: care lines that follow a person who is no longer there to be cared for.

A care line (C2, C3, C4) pays a household or carer FOR a person: when that person dies, moves away,
(C4 for a child) reaches the child's age limit, or (C2, C3) no longer holds an especially severe K6
line or gets a certificate at another level, the care line stops (NĐ 20/2021 Art 20; TT 02/2021
Art 2: "thôi hỗ trợ kinh phí chăm sóc"). The person cared for and the stop month come from
:func:`audit_toolkit.checks.facts.care_facts`; the money and the months after the stop from the same
month-allocated payments every payment check reads. A care line whose person cannot be found is
not a finding (no evidence): docs/check-semantics.md.

Example:
    >>> raw = find_cared_for_gone(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check
from audit_toolkit.checks.common import person_label, render_rows
from audit_toolkit.checks.facts import care_facts
from audit_toolkit.checks.stopped import after_stop, evidence_sources, finding_key, summarise
from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import fmt_vnd, t
from audit_toolkit.months import month_label

__all__ = ["find_cared_for_gone"]


def _labels(months: pd.Series) -> pd.Series:
    values = months.astype("float64")
    text = {float(v): month_label(int(v)) for v in values.dropna().unique()}
    return pd.Series(values.map(text).fillna("").to_numpy(), index=months.index, dtype="object")


@check("CARED_FOR_GONE")
def find_cared_for_gone(ctx: AuditContext) -> pd.DataFrame:
    """C2/C3/C4 lines active or paid for months after their cared-for person's stop month.

    Stop month (the last payable month): the month the cared-for person died or moved away; for
    C4 caring for a child (younger than the K5d age), the month the child reached the K1 age limit;
    for C2/C3, the last month of the person's especially severe K6 line(s), or the month of their
    latest certificate when it gives another level. Amount: the payments tied to the care line for
    months of the period after the stop month. One finding per carer and category. A care line on
    the cared-for person's own record is left to DECEASED_ACTIVE / MOVED_ACTIVE after a death or move.
    """
    facts = care_facts(ctx)
    facts = facts.loc[facts["found"] & facts["stop_m"].notna()]
    lines = ctx.lines
    # A care line on the cared-for person's own record (wards often list the household's C2 there):
    # after their death or move, DECEASED_ACTIVE / MOVED_ACTIVE already count every line of theirs.
    own = (
        facts["cared_key"].to_numpy(dtype=object)
        == lines["person_key"].to_numpy(dtype=object)[facts["line_idx"]]
    ) & facts["cause"].isin(["death", "move"]).to_numpy(dtype=bool)
    facts = facts.loc[~own]
    if facts.empty:
        return empty_raw()
    cand = lines.iloc[facts["line_idx"].to_numpy()].copy()
    cand["stop_m"] = facts["stop_m"].to_numpy(dtype="float64").astype(np.int64)
    cand["cause"] = facts["cause"].to_numpy(dtype=object)
    cared_name = facts["cared_name"].astype("object")
    cand["cared"] = (
        cared_name.where(cared_name.notna(), facts["national_id"]).fillna("").to_numpy(dtype=object)
    )
    cand["cert_row"] = facts["level_cert_row"].to_numpy(dtype="float64")
    cand["fk"] = finding_key(cand, ["person_key", "category"])
    active, paid = after_stop(ctx, cand[["line_idx", "stop_m", "fk"]], person_level=False)
    summary = summarise(ctx, cand, active, paid)
    if summary.empty:
        return empty_raw()
    first = cand.loc[cand["fk"].isin(summary["fk"])].sort_values("line_idx").drop_duplicates("fk")
    summary = summary.merge(
        first[
            [
                "fk",
                "person_key",
                "full_name",
                "national_id",
                "sex",
                "age_asof",
                "category",
                "stop_m",
                "cause",
                "cared",
            ]
        ],
        on="fk",
        how="left",
        suffixes=("_all", ""),
    )
    lang = ctx.lang
    fields = pd.DataFrame(index=summary.index)
    fields["who"] = person_label(summary["full_name"], summary["sex"], summary["age_asof"], lang)
    fields["category"] = summary["category"].astype(str)
    fields["cared"] = summary["cared"].astype(str)
    fields["stop_month"] = _labels(summary["stop_m"])
    fields["limit"] = str(ctx.rules.age_limit("K1") or "")
    fields["n_months"] = summary["n_months"].astype(str)
    fields["amount"] = [fmt_vnd(float(a), lang) for a in summary["amount"]]
    fields["last_active"] = _labels(summary["last_active"])
    detail = pd.Series("", index=summary.index, dtype="object")
    for cause in ("death", "move", "age", "level"):
        mask = (summary["cause"] == cause).to_numpy(dtype=bool)
        if mask.any():
            detail[mask] = render_rows(f"care.gone.{cause}", lang, fields.loc[mask]).to_numpy(dtype=object)
    paid_any = (summary["n_months"] > 0).to_numpy(dtype=bool)
    tail = pd.Series("", index=summary.index, dtype="object")
    if paid_any.any():
        tail[paid_any] = render_rows("care.gone.paid", lang, fields.loc[paid_any]).to_numpy(dtype=object)
    if (~paid_any).any():
        tail[~paid_any] = render_rows("care.gone.active", lang, fields.loc[~paid_any]).to_numpy(dtype=object)
    listed = paid_any & summary["active_asof"].to_numpy(dtype=bool)
    if listed.any():
        tail[listed] = tail[listed] + t("care.gone.still_listed", lang)
    detail = detail + tail

    flagged = cand.loc[cand["line_idx"].isin(pd.concat([active["line_idx"], paid["line_idx"]]).unique())]
    certs = flagged.loc[flagged["cert_row"].notna()]
    parts = [(flagged, "beneficiaries"), (paid, "payments")]
    if len(certs):
        # The certificate's own row, not the line's sheet reference (_ref).
        cert_rows = certs.assign(_row=certs["cert_row"].astype(np.int64), _ref=None)
        parts.append((cert_rows, "disability_certificates"))
    sources = evidence_sources(*parts)
    out = pd.DataFrame(
        {
            "check_id": "CARED_FOR_GONE",
            "person_key": summary["person_key"],
            "national_id": summary["national_id"].astype("object").where(summary["national_id"].notna(), ""),
            "full_name": summary["full_name"].astype("object").where(summary["full_name"].notna(), ""),
            "sources": [sources[k] for k in summary["fk"]],
            "detail": detail.astype("str"),
            "amount_vnd": summary["amount"].astype("float64"),
            "discriminator": summary["category"].astype(str),
            "category": summary["category"].astype(str),
        }
    )
    return new_raw(out.reset_index(drop=True))
