"""The family modules are imported explicitly: a missing or broken family fails loudly, never silently
"not implemented" (issue 10: no swallowed import errors)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from audit_toolkit.checks import FAMILIES, catalogue
from audit_toolkit.checks.base import IMPLEMENTATIONS

ROOT = Path(__file__).resolve().parents[2]


def _import_with_broken(module: str, error: str) -> subprocess.CompletedProcess[str]:
    """Import ``audit_toolkit.checks`` in a fresh interpreter where importing ``module`` raises ``error``."""
    code = textwrap.dedent(
        f"""
        import importlib.abc, sys

        class Broken(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == {module!r}:
                    raise {error}({module!r} + " is broken", name={module!r})
                return None

        sys.meta_path.insert(0, Broken())
        import audit_toolkit.checks
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}
    )


@pytest.mark.parametrize(
    ("module", "error"),
    [
        ("audit_toolkit.checks.care", "ModuleNotFoundError"),  # a family module missing: used to be swallowed
        ("audit_toolkit.checks.linkage", "ModuleNotFoundError"),  # the last family in the list
        ("audit_toolkit.checks.stale", "ImportError"),  # a family whose import breaks
        ("audit_toolkit.checks.unpaid", "ModuleNotFoundError"),  # one of the entitlement checks
    ],
)
def test_a_missing_family_module_fails_the_import(module: str, error: str) -> None:
    done = _import_with_broken(module, error)
    assert done.returncode != 0
    assert f"{module} is broken" in done.stderr


def test_an_intact_package_imports() -> None:
    # The same harness with a name no module has: the import succeeds, so the test above can fail.
    done = _import_with_broken("audit_toolkit.checks.no_such_family", "ModuleNotFoundError")
    assert done.returncode == 0, done.stderr


def test_every_registered_check_lives_in_a_listed_family_module() -> None:
    modules = {
        IMPLEMENTATIONS[spec.check_id].__module__ for spec in catalogue() if spec.check_id in IMPLEMENTATIONS
    }
    assert modules <= {f"audit_toolkit.checks.{family}" for family in FAMILIES}
