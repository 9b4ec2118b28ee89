"""Great Expectations beside the audit: a second process imports GX while this one loads and checks.

Importing GX costs 3–4 s, longer than loading and checking a ward. :func:`run_audit` therefore
starts one helper process first, which imports GX at once (on the other core), then validates the
ward's typed tables when they are ready; the checks run here meanwhile, and the audit joins the
result before the findings are finalised and the reports written. The result is the one
:func:`~audit_toolkit.quality.results.validate_tables` gives in this process: on any trouble with the helper
(it cannot start, dies, or raises), the tables are validated here instead, which raises the
proper error for a malformed suite.

Example:
    >>> side = QualitySide.start()  # doctest: +SKIP
    >>> side.submit(ward.tables, lang="vi", expectations=None)  # doctest: +SKIP
    >>> side.result()  # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["QualitySide", "side_process_allowed"]


def side_process_allowed() -> bool:
    """Whether this process may start a helper (a pool's daemonic worker may not have children)."""
    return not mp.current_process().daemon


def _warm() -> None:
    """Import GX in the helper as soon as it starts."""
    # The helper is our own process: GX's import without what the audit never uses (as the CLI
    # does; see cli._skip_slow_optional_imports and audit_toolkit.startup).
    from audit_toolkit.startup import prepare_gx_import

    prepare_gx_import()
    import great_expectations  # noqa: F401

    from audit_toolkit.quality import results  # noqa: F401


def _validate(tables: Mapping[str, pd.DataFrame], lang: str, expectations: str | None) -> Any:
    from audit_toolkit.quality.results import validate_tables

    try:
        return validate_tables(tables, lang=lang, suites_dir=Path(expectations) if expectations else None)
    except Exception:  # noqa: BLE001 - the parent validates again and raises the proper error
        return None


class QualitySide:
    """One helper process validating one ward (see the module docstring)."""

    def __init__(self, pool: ProcessPoolExecutor | None) -> None:
        self._pool = pool
        self._future: Future[Any] | None = None
        self._args: tuple[Mapping[str, pd.DataFrame], str, str | None] | None = None

    @classmethod
    def start(cls) -> QualitySide:
        """Start the helper and its GX import; a helper that cannot start leaves GX to this process."""
        if not side_process_allowed():
            return cls(None)
        try:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
            pool.submit(_warm)
        except (OSError, RuntimeError):
            return cls(None)
        return cls(pool)

    def submit(
        self, tables: Mapping[str, pd.DataFrame], *, lang: str, expectations: str | Path | None
    ) -> None:
        """Send the ward's typed tables to the helper (it validates after its GX import)."""
        from audit_toolkit.errors import AuditToolkitError
        from audit_toolkit.quality.results import read_by_validation

        exp = str(expectations) if expectations else None
        self._args = (tables, lang, exp)
        if self._pool is None:
            return
        # Only what the validation reads: pickling happens here, on the audit's side (a table over
        # the limit is only counted: its length, not a million residents).
        try:
            sent = read_by_validation(tables, suites_dir=Path(exp) if exp else None)
        except AuditToolkitError:  # a malformed suite: the helper fails, this process says why
            sent = dict(tables)
        try:
            self._future = self._pool.submit(_validate, sent, lang, exp)
        except RuntimeError:  # the helper died already
            self._future = None

    def result(self, *, idle: Callable[[], None] | None = None) -> Any:
        """The :class:`~audit_toolkit.quality.results.QualityResult` (validated here if the helper failed).

        ``idle``: work worth doing while the helper is still busy (e.g. imports the caller needs
        next), called once before waiting; an error in it is ignored (its work is redone later).
        """
        found = None
        if idle is not None and self._future is not None and not self._future.done():
            try:
                idle()
            except Exception:  # noqa: BLE001 - only a head start: the caller does it again if needed
                pass
        if self._future is not None:
            try:
                found = self._future.result()
            except Exception:  # noqa: BLE001 - a dead helper: validate here
                found = None
        self.close()
        if found is None and self._args is not None:
            tables, lang, exp = self._args
            from audit_toolkit.quality.results import validate_tables

            found = validate_tables(tables, lang=lang, suites_dir=Path(exp) if exp else None)
        return found

    def close(self) -> None:
        """Stop the helper (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
