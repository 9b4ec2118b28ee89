"""The package's public surface and hygiene."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import audit_toolkit

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "audit_toolkit"


def test_all_is_sorted_and_resolvable() -> None:
    assert audit_toolkit.__all__ == sorted(audit_toolkit.__all__)
    for name in audit_toolkit.__all__:
        assert getattr(audit_toolkit, name) is not None


def test_import_is_light() -> None:
    # GX, matplotlib and Jupyter cost seconds to import: they must load only when used.
    code = (
        "import sys, audit_toolkit; "
        "heavy = [m for m in ('great_expectations', 'matplotlib', 'papermill', 'nbconvert', 'IPython', 'pandas') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


def test_library_has_no_notebook_imports() -> None:
    # The library is pure: notebooks call it, never the other way round (STYLE.md).
    banned = {"IPython", "ipykernel", "papermill", "nbconvert", "nbformat", "jupyter_client"}
    allowed_files = {"notebooks.py"}  # the `audit-toolkit notebook` runner drives papermill by design
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name in allowed_files:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in banned]
    assert offenders == []


def test_environment_yml_uses_the_lock_file() -> None:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert "-r requirements.lock" in text
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for direct in (ROOT / "requirements.in").read_text(encoding="utf-8").splitlines():
        name = direct.split("#")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        if name:
            assert any(
                line.lower().replace("_", "-").startswith(name.lower().replace("_", "-") + "==")
                for line in lock.splitlines()
            ), f"{name} is not pinned in requirements.lock"


def test_workbooks_are_written_through_lxml() -> None:
    # openpyxl uses lxml's C serialiser when it is installed (else pure-Python XML, ≈ 2× slower).
    import openpyxl.xml

    assert openpyxl.xml.LXML, "lxml is missing from the environment (requirements.lock pins it)"
