"""The house's layer rules, held by parsing every module's imports (docs/architecture.md "Layers").

- checks ↛ report, cli, notebooks, views, sampling, compare, roster (checks produce findings; readers read them);
- io ↛ checks (reading a file knows nothing of the audit);
- report ↛ checks internals: only the names in REPORT_MAY_USE;
- only notebooks.py imports Jupyter tooling (papermill, nbconvert, nbformat, nbclient, IPython, jupyter*);
- no module imports another module's ``_private`` name (nor reaches one as ``module._name``),
  except the pairs of PRIVATE_ALLOWED, each with its reason;
- and the CLI's failure path for a bug (an unexpected exception inside an audit).
"""

from __future__ import annotations

import ast
import importlib.util
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import audit_toolkit.checks
from audit_toolkit.cli import EXIT_INPUT, main
from audit_toolkit.crash import EXIT_BUG, report_bug

PACKAGE = Path(audit_toolkit.checks.__file__).resolve().parents[1]
ROOT = PACKAGE.parent
WARD = ROOT / "data" / "sample" / "duc-xuan"

#: What report/ may import from the checks layer: the catalogue and the typed not-run reason.
#: Everything else there (families, facts, AuditContext's frames) is the checks' own business;
#: the report reads findings, CheckStatus and the roster summary (audit_toolkit.roster).
REPORT_MAY_USE: dict[str, frozenset[str]] = {
    "audit_toolkit.checks": frozenset(audit_toolkit.checks.__all__),
    "audit_toolkit.checks.base": frozenset({"catalogue", "CheckSpec"}),
    "audit_toolkit.checks.status": frozenset({"NotRunReason", "ReasonCode"}),
}

#: (importer, imported) pairs still allowed to share a ``_private`` name, with the reason.
PRIVATE_ALLOWED: dict[tuple[str, str], str] = {
    # checks/ is being restructured around checks/facts.py (issue 10, engineer "facts"): pending.
    ("audit_toolkit.checks.care", "audit_toolkit.checks.stale"): "checks/ restructure, pending",
    ("audit_toolkit.checks.transition", "audit_toolkit.checks.stale"): "checks/ restructure, pending",
    ("audit_toolkit.checks.transition", "audit_toolkit.checks.entitlement"): "checks/ restructure, pending",
    ("audit_toolkit.checks.linkage", "audit_toolkit.checks.duplicates"): "checks/ restructure, pending",
    (
        "audit_toolkit.checks.linkage_estimate",
        "audit_toolkit.checks.linkage_model",
    ): "checks/ restructure, pending",
}

JUPYTER = ("papermill", "nbconvert", "nbformat", "nbclient", "IPython", "ipykernel", "ipywidgets", "jupyter")
CHECKS_MUST_NOT_IMPORT = ("report", "cli", "notebooks", "views", "sampling", "compare", "roster")


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    module: str  # dotted module imported (absolute)
    names: tuple[str, ...]  # names taken from it ("" for ``import module``)
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(path: Path) -> Iterator[Import]:
    """Every import of a module, with relative imports made absolute (TYPE_CHECKING ones too)."""
    me = _module_name(path)
    package = me if _is_package(path) else me.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(me, alias.name, ("",), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield Import(me, base, tuple(a.name for a in node.names), node.lineno)


MODULES = sorted(PACKAGE.rglob("*.py"))
ALL_IMPORTS = [imp for path in MODULES for imp in _imports(path)]


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_parser_sees_the_package():
    # the rules below would pass vacuously on an empty list
    names = {_module_name(p) for p in MODULES}
    assert {"audit_toolkit.cli", "audit_toolkit.checks.base", "audit_toolkit.report.html"} <= names
    assert any(i.importer == "audit_toolkit.notebooks" and i.module == "papermill" for i in ALL_IMPORTS)


def test_checks_never_import_the_readers():
    bad = [
        f"{i.importer}:{i.line} imports {i.module}"
        for i in ALL_IMPORTS
        if _within(i.importer, "audit_toolkit.checks")
        and any(_within(i.module, f"audit_toolkit.{m}") for m in CHECKS_MUST_NOT_IMPORT)
    ]
    assert not bad, "checks/ must not import the report, the CLI or the notebook layer:\n" + "\n".join(bad)


def test_io_never_imports_checks():
    bad = [
        f"{i.importer}:{i.line} imports {i.module}"
        for i in ALL_IMPORTS
        if _within(i.importer, "audit_toolkit.io") and _within(i.module, "audit_toolkit.checks")
    ]
    assert not bad, "io/ reads files and must not know the checks:\n" + "\n".join(bad)


def _report_violations(imports: list[Import]) -> list[str]:
    bad = []
    for i in imports:
        if not _within(i.importer, "audit_toolkit.report") or not _within(i.module, "audit_toolkit.checks"):
            continue
        allowed = REPORT_MAY_USE.get(i.module, frozenset())
        for name in i.names:
            if name not in allowed:
                bad.append(f"{i.importer}:{i.line} imports {i.module}.{name or '*module*'}")
    return bad


def test_report_uses_only_the_public_surface_of_checks():
    bad = _report_violations(ALL_IMPORTS)
    assert not bad, "report/ may use only " + repr(REPORT_MAY_USE) + ":\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("imp", "ok"),
    [
        # the catalogue: allowed
        (Import("audit_toolkit.report.html", "audit_toolkit.checks.base", ("catalogue",), 1), True),
        # a family's internals: not allowed
        (Import("audit_toolkit.report.html", "audit_toolkit.checks.facts", ("care_facts",), 1), False),
        # the checks' working frames: not allowed
        (Import("audit_toolkit.report.tables", "audit_toolkit.checks.base", ("AuditContext",), 1), False),
        # a module outside report/ is not held by this rule
        (Import("audit_toolkit.audit", "audit_toolkit.checks.facts", ("care_facts",), 1), True),
    ],
)
def test_the_report_rule_itself(imp, ok):
    assert (not _report_violations([imp])) is ok


def test_only_the_notebook_runner_imports_jupyter_tooling():
    bad = [
        f"{i.importer}:{i.line} imports {i.module}"
        for i in ALL_IMPORTS
        if i.importer != "audit_toolkit.notebooks" and i.module.split(".")[0].startswith(JUPYTER)
    ]
    assert not bad, "only audit_toolkit/notebooks.py may import Jupyter tooling:\n" + "\n".join(bad)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_aliases(path: Path) -> dict[str, str]:
    """Local names bound to an audit_toolkit module (``from audit_toolkit.report import charts``)."""
    out: dict[str, str] = {}
    for i in _imports(path):
        if not i.module.startswith("audit_toolkit"):
            continue
        for name in i.names:
            if name == "":
                continue
            full = f"{i.module}.{name}"
            if _is_module(full):
                out[name] = full
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name.startswith("audit_toolkit"):
                    out[alias.asname] = alias.name
    return out


def _is_module(dotted: str) -> bool:
    parent = dotted.rpartition(".")[0]
    try:
        return importlib.util.find_spec(parent) is not None and importlib.util.find_spec(dotted) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def _private_uses(path: Path) -> Iterator[tuple[str, str, str, int]]:
    me = _module_name(path)
    for i in _imports(path):
        if i.module.startswith("audit_toolkit") and i.module != me:
            for name in i.names:
                if _private(name):
                    yield me, i.module, name, i.line
    aliases = _module_aliases(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and _private(node.attr)
        ):
            yield me, aliases[node.value.id], node.attr, node.lineno


def test_no_module_imports_another_modules_private_names():
    bad = [
        f"{me}:{line} uses {module}.{name}"
        for path in MODULES
        for me, module, name, line in _private_uses(path)
        if (me, module) not in PRIVATE_ALLOWED
    ]
    assert not bad, "move what is shared to a named module with public names:\n" + "\n".join(bad)


# ----------------------------------------------------------------------------- the CLI and a bug


def _boom(ctx: object) -> object:
    raise RuntimeError("simulated failure inside a check")


def test_an_unexpected_error_inside_an_audit_is_told_as_a_bug(tmp_path, monkeypatch, capsys):
    # cli.main handles InputError (exit 2) and AuditToolkitError (exit 1); any other exception is a
    # bug: crash.report_bug says so (not "fix your input"), keeps the traceback in a log under --out
    # and exits EXIT_BUG.
    from audit_toolkit.checks.base import IMPLEMENTATIONS

    monkeypatch.setitem(IMPLEMENTATIONS, "AGE_OUT", _boom)
    argv = ["audit", str(WARD), "--as-of", "2023-02-28", "--from", "2022-01", "--no-quality"]
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == EXIT_BUG
    err = capsys.readouterr().err
    assert "Lỗi dữ liệu đầu vào" not in err  # not presented as the user's input
    assert "Lỗi của phần mềm" in err and "RuntimeError" in err
    logs = list(out.rglob("*.log"))
    assert logs and "simulated failure inside a check" in logs[0].read_text(encoding="utf-8")
    assert EXIT_BUG not in (0, EXIT_INPUT, 1)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        # Vietnamese (the default): says it is the software's error, not the data's, and where the log is
        ("vi", ("Lỗi của phần mềm", "không phải lỗi dữ liệu", "RuntimeError", "traceback")),
        # English
        ("en", ("Software error", "not a data problem", "RuntimeError", "traceback")),
    ],
)
def test_report_bug_says_what_happened_that_it_is_a_bug_and_where_the_log_is(tmp_path, lang, words):
    try:
        _boom(None)
    except RuntimeError as exc:
        out = io.StringIO()
        status = report_bug(exc, lang=lang, log_dir=tmp_path / "logs", stream=out)
    text = out.getvalue()
    assert status == EXIT_BUG and status not in (0, 1, EXIT_INPUT)
    assert all(w in text for w in words) and "simulated failure inside a check" in text
    logs = list((tmp_path / "logs").glob("audit-toolkit-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in text
    # the traceback is in the log (with the failing function), not on the committee's screen
    assert "_boom" in logs[0].read_text(encoding="utf-8") and "Traceback" not in text


def test_report_bug_falls_back_to_the_temp_folder_when_the_log_folder_cannot_be_written(
    tmp_path, monkeypatch
):
    import tempfile

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out = io.StringIO()
    assert report_bug(RuntimeError("x"), lang="en", log_dir=blocker / "logs", stream=out) == EXIT_BUG
    assert list((tmp_path / "tmp").glob("audit-toolkit-error-*.log"))
