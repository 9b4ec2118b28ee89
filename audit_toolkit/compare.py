"""Follow-up between two audits: which findings are new, still open, or resolved.

The committee audits a ward, the ward acts on the findings, the committee audits again. Findings
of the two audits are matched by ``finding_id`` (stable for the same ward, check and person), and,
failing that, by check and person (national ID, else name), because a corrected ID changes the
person key. Works on the output folders, so audits made months apart compare without re-running.

Example:
    >>> comparison = compare_audits("reports/2023-02", "reports/2023-08")  # doctest: +SKIP
    >>> comparison.by_ward  # doctest: +SKIP
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit_toolkit.errors import InputError

__all__ = ["Comparison", "compare_audits", "read_findings"]

STATUS_ORDER = ("new", "open", "resolved")


@dataclass
class Comparison:
    """Findings of two audits side by side."""

    old_path: Path
    new_path: Path
    findings: pd.DataFrame  # one row per finding of either audit, with ``status`` new/open/resolved
    by_ward: pd.DataFrame  # per ward: counts and money by status


def read_findings(folder: Path) -> pd.DataFrame:
    """All ward ``findings.csv`` under an audit output folder (``summary/`` excluded).

    A folder that holds ``findings.csv`` itself is one ward; otherwise each sub-folder is.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            f"{folder} is not a folder of audit results",
            file=folder,
            fix="Give the --out folder of an earlier audit",
        )
    files = (
        [folder / "findings.csv"]
        if (folder / "findings.csv").exists()
        else sorted(folder.glob("*/findings.csv"))
    )
    files = [f for f in files if f.parent.name != "summary"]
    if not files:
        raise InputError(
            f"No findings.csv under {folder}", file=folder, fix="Give the --out folder of an earlier audit"
        )
    frames = []
    for f in files:
        frame = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        missing = {"finding_id", "check_id", "ward", "national_id", "full_name", "amount_vnd"} - set(
            frame.columns
        )
        if missing:
            raise InputError(
                f"{f} is not a findings.csv of audit_toolkit (missing {', '.join(sorted(missing))})",
                file=f,
                fix="Compare the output folders written by `audit-toolkit audit`",
            )
        frame["amount_vnd"] = pd.to_numeric(frame["amount_vnd"], errors="coerce").fillna(0).astype("int64")
        frame["folder"] = f.parent.name
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _person(frame: pd.DataFrame) -> pd.Series:
    name = frame["full_name"].map(lambda s: unicodedata.normalize("NFC", s).casefold().strip())
    who = frame["national_id"].where(frame["national_id"] != "", "name:" + name)
    # Report-level findings have no person: their source (report row) identifies them.
    nobody = (frame["national_id"] == "") & (name == "")
    who = who.where(~nobody, "src:" + frame.get("source", pd.Series("", index=frame.index)))
    return frame["ward"] + "|" + frame["check_id"] + "|" + who


def compare_audits(old: str | Path, new: str | Path) -> Comparison:
    """Match the findings of two audits and classify each as new, still open, or resolved.

    Args:
        old: output folder of the earlier audit (a ward folder or a batch ``--out`` folder).
        new: output folder of the later audit.
    """
    before = read_findings(Path(old))
    after = read_findings(Path(new))
    before["_person"] = _person(before)
    after["_person"] = _person(after)
    # First by finding_id, then by (ward, check, person) for what is left on both sides.
    by_id = before[["finding_id", "amount_vnd"]].merge(
        after[["finding_id", "amount_vnd"]], on="finding_id", suffixes=("_then", "_now")
    )
    left_b = before.loc[~before["finding_id"].isin(by_id["finding_id"])]
    left_a = after.loc[~after["finding_id"].isin(by_id["finding_id"])]
    by_person = left_b.drop_duplicates("_person")[["_person", "finding_id", "amount_vnd"]].merge(
        left_a.drop_duplicates("_person")[["_person", "finding_id", "amount_vnd"]],
        on="_person",
        suffixes=("_old", "_new"),
    )
    matched_old = set(by_id["finding_id"]) | set(by_person["finding_id_old"])
    matched_new = set(by_id["finding_id"]) | set(by_person["finding_id_new"])
    then_amount = pd.concat(
        [
            by_id.set_index("finding_id")["amount_vnd_then"],
            by_person.set_index("finding_id_new")["amount_vnd_old"],
        ]
    )
    open_rows = after.loc[after["finding_id"].isin(matched_new)].copy()
    open_rows["status"] = "open"
    open_rows["amount_then"] = open_rows["finding_id"].map(then_amount).fillna(0).astype("int64")
    open_rows["amount_now"] = open_rows["amount_vnd"]
    new_rows = after.loc[~after["finding_id"].isin(matched_new)].copy()
    new_rows["status"] = "new"
    new_rows["amount_then"] = 0
    new_rows["amount_now"] = new_rows["amount_vnd"]
    resolved = before.loc[~before["finding_id"].isin(matched_old)].copy()
    resolved["status"] = "resolved"
    resolved["amount_then"] = resolved["amount_vnd"]
    resolved["amount_now"] = 0
    findings = pd.concat([open_rows, new_rows, resolved], ignore_index=True).drop(columns=["_person"])
    findings["status"] = pd.Categorical(findings["status"], categories=list(STATUS_ORDER), ordered=True)
    findings = findings.sort_values(["ward", "status", "check_id", "finding_id"], kind="stable").reset_index(
        drop=True
    )
    by_ward = (
        findings.groupby(["ward", "status"], observed=False)
        .agg(
            findings=("finding_id", "count"),
            amount_then=("amount_then", "sum"),
            amount_now=("amount_now", "sum"),
        )
        .reset_index()
    )
    by_ward = by_ward.loc[by_ward["ward"].isin(findings["ward"].unique())]
    findings["status"] = findings["status"].astype(str)
    by_ward["status"] = by_ward["status"].astype(str)
    return Comparison(Path(old), Path(new), findings, by_ward.reset_index(drop=True))
