"""Follow-up between two audits: new, still open, resolved."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from audit_toolkit.compare import compare_audits
from audit_toolkit.errors import InputError
from audit_toolkit.findings import FINDING_COLUMNS


def _write(folder: Path, rows: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True)
    frame = pd.DataFrame([{c: "" for c in FINDING_COLUMNS} | r for r in rows])
    frame.to_csv(folder / "findings.csv", index=False, encoding="utf-8-sig")


def _f(fid: str, check: str, nid: str, amount: int, name: str = "Nguyễn Văn An") -> dict[str, object]:
    return {
        "finding_id": fid,
        "check_id": check,
        "ward": "01843",
        "national_id": nid,
        "full_name": name,
        "amount_vnd": amount,
    }


def test_new_open_resolved(tmp_path: Path) -> None:
    _write(
        tmp_path / "old" / "01843-phung-chi-kien",
        [
            _f("F1", "DECEASED_ACTIVE", "006150000001", 720000),  # still open later, more money
            _f("F2", "DUPLICATE_ID", "006150000002", 360000),  # resolved by the ward
            _f("F3", "ID_INVALID", "", 0, name="Lò Văn Bình"),  # ID fixed later → id changes, matched by name
        ],
    )
    _write(
        tmp_path / "new" / "01843-phung-chi-kien",
        [
            _f("F1", "DECEASED_ACTIVE", "006150000001", 1440000),
            _f("F9", "ID_INVALID", "", 0, name="Lò Văn Bình"),
            _f("F4", "AGE_OUT", "006150000004", 540000),  # new
        ],
    )
    cmp = compare_audits(tmp_path / "old", tmp_path / "new")
    status = dict(zip(cmp.findings["finding_id"], cmp.findings["status"], strict=True))
    assert status == {"F1": "open", "F9": "open", "F4": "new", "F2": "resolved"}
    f1 = cmp.findings.loc[cmp.findings["finding_id"] == "F1"].iloc[0]
    assert (f1["amount_then"], f1["amount_now"]) == (720000, 1440000)
    totals = cmp.by_ward.set_index("status")
    assert totals.loc["resolved", "findings"] == 1 and totals.loc["resolved", "amount_then"] == 360000
    assert totals.loc["new", "amount_now"] == 540000


def test_not_an_audit_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="No findings.csv"):
        compare_audits(tmp_path / "empty", tmp_path / "empty")
