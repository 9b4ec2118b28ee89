"""audit_toolkit: audit the records of a Vietnamese ward's social-assistance beneficiaries.

Three verbs, each a plain Python call that the CLI and the notebooks also use::

    ward = load_ward("data/sample/phung-chi-kien")
    result = run_audit(ward, as_of="2023-02-28", period_from="2022-01")
    write_reports(result, out="reports/")

Importing the package is cheap: pandas, Great Expectations and matplotlib load only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AuditResult",
    "AuditToolkitError",
    "ExportError",
    "InputError",
    "RuleError",
    "WardData",
    "__version__",
    "load_ward",
    "run_audit",
    "write_reports",
]

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult, run_audit
    from audit_toolkit.errors import AuditToolkitError, ExportError, InputError, RuleError
    from audit_toolkit.io import WardData, load_ward
    from audit_toolkit.report import write_reports

_LAZY = {
    "AuditResult": "audit_toolkit.audit",
    "run_audit": "audit_toolkit.audit",
    "AuditToolkitError": "audit_toolkit.errors",
    "ExportError": "audit_toolkit.errors",
    "InputError": "audit_toolkit.errors",
    "RuleError": "audit_toolkit.errors",
    "WardData": "audit_toolkit.io",
    "load_ward": "audit_toolkit.io",
    "write_reports": "audit_toolkit.report",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audit_toolkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
