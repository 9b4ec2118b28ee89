"""The POSSIBLE_DUPLICATE waterfall tables of the report: how each pair's probability was reached.

Read from the findings' ``evidence`` (written by ``checks/linkage.py``): per pair the prior weight and,
per field, the comparison level and its weight (log2 Bayes factor), summed into the match
probability — Splink's waterfall chart as a small table.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from audit_toolkit.messages import t

__all__ = ["linkage_waterfalls"]


def _weight(value: float, lang: str) -> str:
    text = f"{value:+.1f}"
    return text.replace(".", ",") if lang == "vi" else text


def _percent(p: float, lang: str) -> str:
    text = f"{100 * p:.1f}" if p < 0.9995 else "99.9+"
    return text.replace(".", ",") if lang == "vi" else text


def linkage_waterfalls(findings: pd.DataFrame, lang: str) -> dict[str, list[dict[str, Any]]]:
    """Per POSSIBLE_DUPLICATE ``finding_id``, one waterfall per pair of lines.

    Each waterfall is ``{"a", "b", "probability", "rows"}``; a row is ``{"label", "level",
    "weight", "running", "bar", "sign"}`` (``bar`` = width in per cent of the widest weight).
    """
    out: dict[str, list[dict[str, Any]]] = {}
    if findings.empty or "evidence" not in findings:
        return out
    mine = findings.loc[findings["check_id"] == "POSSIBLE_DUPLICATE"]
    for fid, evidence in zip(mine["finding_id"], mine["evidence"], strict=True):
        data = json.loads(evidence) if isinstance(evidence, str) and evidence else evidence
        if not isinstance(data, dict):
            continue
        tables = []
        for pair in data.get("pairs", []):
            steps = [(t("report.linkage.prior", lang), "", float(pair["prior_weight"]))]
            steps += [
                (
                    t(f"linkage.field.{f['field']}", lang),
                    t(f"linkage.level.{f['field']}.{f['level']}", lang),
                    float(f["weight"]),
                )
                for f in pair["fields"]
            ]
            widest = max(abs(w) for _, _, w in steps) or 1.0
            running, rows = 0.0, []
            for label, level, weight in steps:
                running += weight
                rows.append(
                    {
                        "label": label,
                        "level": level,
                        "weight": _weight(weight, lang),
                        "running": _weight(running, lang),
                        "bar": round(100 * abs(weight) / widest),
                        "sign": "pos" if weight > 0 else ("neg" if weight < 0 else "zero"),
                    }
                )
            tables.append(
                {
                    "a": pair["a"],
                    "b": pair["b"],
                    "probability": _percent(float(pair["match_probability"]), lang),
                    "rows": rows,
                }
            )
        out[str(fid)] = tables
    return out
