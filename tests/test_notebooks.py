"""The notebooks: committed clean, parameterised, and giving the same findings as the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from audit_toolkit.cli import main
from audit_toolkit.notebooks import NOTEBOOKS, run_notebook

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
WARD = ROOT / "data" / "sample" / "duc-xuan"
SAMPLE = ROOT / "data" / "sample"
_FULL_ID = re.compile(r"(?<![\d*])\d{12}(?![\d*])")


@pytest.mark.parametrize("name", sorted(NOTEBOOKS.values()))
def test_committed_notebooks_carry_no_outputs(name: str) -> None:
    # Outputs may hold personal data: notebooks are committed clean (STYLE.md).
    nb = json.loads((NB_DIR / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS.values()))
def test_first_code_cell_holds_typed_commented_parameters(name: str) -> None:
    nb = json.loads((NB_DIR / name).read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert "parameters" in first["metadata"].get("tags", [])
    lines = [line for line in "".join(first["source"]).splitlines() if line.strip()]
    assert lines and all(re.match(r"^\w+: (str|bool|int) = .+  # .+", line) for line in lines), lines


@pytest.mark.notebook
def test_ward_notebook_gives_the_cli_findings(tmp_path: Path) -> None:
    assert (
        main(
            ["audit", str(WARD), "--as-of", "2023-02-28", "--from", "2022-01", "--out", str(tmp_path / "cli")]
        )
        == 0
    )
    executed, html_path = run_notebook(
        "ward",
        {
            "ward_path": str(WARD),
            "as_of": "2023-02-28",
            "period_from": "2022-01",
            "lang": "vi",
            "mask": True,
            "out_dir": str(tmp_path / "nb"),
        },
        tmp_path / "nb",
    )
    cli_csv = next((tmp_path / "cli").glob("*/findings.csv"))
    nb_csv = tmp_path / "nb" / cli_csv.parent.name / "findings.csv"
    assert nb_csv.read_bytes() == cli_csv.read_bytes()
    page = html_path.read_text(encoding="utf-8")
    assert "DECEASED_ACTIVE" in page
    assert "<script src" not in page and "http://" not in page and "https://" not in page
    assert _FULL_ID.search(page) is None  # national IDs masked in the shared export
    assert "def " not in page and "import " not in page  # exported without code cells


@pytest.mark.notebook
def test_city_and_follow_up_notebooks(tmp_path: Path) -> None:
    _, city_html = run_notebook(
        "city",
        {
            "batch_path": str(SAMPLE),
            "as_of": "2023-02-28",
            "period_from": "2022-01",
            "lang": "en",
            "mask": True,
            "out_dir": str(tmp_path / "city"),
        },
        tmp_path / "city",
    )
    assert (tmp_path / "city" / "summary" / "index.html").exists()
    assert "CROSS_WARD" in city_html.read_text(encoding="utf-8") or "several wards" in city_html.read_text(
        encoding="utf-8"
    )
    _, follow_html = run_notebook(
        "follow-up",
        {
            "old_dir": str(tmp_path / "city"),
            "new_dir": str(tmp_path / "city"),
            "lang": "en",
            "mask": True,
            "out_dir": str(tmp_path / "follow"),
        },
        tmp_path / "follow",
    )
    assert (tmp_path / "follow" / "follow_up.html").exists()
    assert (tmp_path / "follow" / "follow_up.xlsx").exists()
    assert _FULL_ID.search(follow_html.read_text(encoding="utf-8")) is None


@pytest.mark.notebook
def test_notebook_command_rejects_bad_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["notebook", "ward", str(WARD), "--as-of", "2023-02-30", "--out", str(tmp_path)])
    assert code == 2
    assert "2023-02-30" in capsys.readouterr().err


def test_notebook_command_needs_as_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notebook", "ward", str(WARD), "--out", str(tmp_path)]) == 2
    assert "--as-of" in capsys.readouterr().err


def test_compare_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--as-of", "2023-02-28", "--from", "2022-01", "--no-quality"]
    assert main(["audit", str(WARD), *args, "--out", str(tmp_path / "a")]) == 0
    assert main(["audit", str(WARD), *args, "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "compare",
                str(tmp_path / "a"),
                str(tmp_path / "b"),
                "--out",
                str(tmp_path / "f"),
                "--lang",
                "en",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "New findings: 0" in out and "resolved: 0" in out
    page = (tmp_path / "f" / "follow_up.html").read_text(encoding="utf-8")
    assert _FULL_ID.search(page) is None
