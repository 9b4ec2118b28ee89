"""Record-level data quality: the Great Expectations suites in ``expectations/*.json``.

The public surface of the package; the modules behind it:

- :mod:`~audit_toolkit.quality.suites`: the suite files (:class:`Rule`, :class:`Suite`,
  :func:`find_suites_dir`, :func:`load_suites`);
- :mod:`~audit_toolkit.quality.gx`: GX itself (one ephemeral context per process, one call per
  table), the internal module ``results`` and ``batch`` share;
- :mod:`~audit_toolkit.quality.results`: one ward's :class:`QualityResult` (:func:`validate_tables`);
- :mod:`~audit_toolkit.quality.batch`: many wards, each table validated once (:func:`validate_wards`);
- :mod:`~audit_toolkit.quality.process`: ``run_audit()``'s GX helper process (:class:`QualitySide`).

Importing the package does not import GX (3–6 s): that happens on the first validation.

Example:
    >>> from audit_toolkit.quality import validate_tables
    >>> result = validate_tables(ward.tables, lang="en")  # doctest: +SKIP
"""

from __future__ import annotations

from audit_toolkit.quality.batch import ROW_WISE, validate_wards
from audit_toolkit.quality.process import QualitySide, side_process_allowed
from audit_toolkit.quality.results import (
    FAILURE_COLUMNS,
    MAX_ROWS,
    SUMMARY_COLUMNS,
    QualityResult,
    validate_tables,
)
from audit_toolkit.quality.suites import ENV_VAR, TABLES, Rule, Suite, find_suites_dir, load_suites

__all__ = [
    "ENV_VAR",
    "FAILURE_COLUMNS",
    "MAX_ROWS",
    "QualityResult",
    "QualitySide",
    "ROW_WISE",
    "Rule",
    "SUMMARY_COLUMNS",
    "Suite",
    "TABLES",
    "find_suites_dir",
    "load_suites",
    "side_process_allowed",
    "validate_tables",
    "validate_wards",
]
