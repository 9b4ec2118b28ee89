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

import logging
import multiprocessing as mp
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["QualitySide", "WardsSide", "side_process_allowed"]

_LOG = logging.getLogger(__name__)


def side_process_allowed() -> bool:
    """Whether this process may start a helper (a pool's daemonic worker may not have children)."""
    return not mp.current_process().daemon


def _warm() -> None:
    """Import GX in the helper as soon as it starts."""
    # The helper is our own process: GX's import without what the audit never uses (as the CLI
    # does; see cli._skip_slow_optional_imports and audit_toolkit.startup).
    from audit_toolkit.startup import prepare_process

    prepare_process()
    import great_expectations  # noqa: F401

    from audit_toolkit.quality import batch, results  # noqa: F401


def _start_pool() -> ProcessPoolExecutor | None:
    """A one-process pool already importing GX, or None where no helper can start."""
    if not side_process_allowed():
        return None
    try:
        pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
        pool.submit(_warm)
    except (OSError, RuntimeError):
        return None
    return pool


def _head_start(idle: Callable[[], None] | None, future: Future[Any] | None) -> None:
    """Run ``idle`` while ``future`` is still busy; its errors are only logged (redone later)."""
    if idle is None or future is None or future.done():
        return
    try:
        idle()
    except Exception:  # noqa: BLE001 - only a head start: the caller does the same work again
        _LOG.debug("head start while GX validates failed; the work is redone later", exc_info=True)


def _answer(future: Future[Any] | None) -> Any:
    """The helper's answer, or None when it failed (died, raised, or could not be asked)."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # noqa: BLE001 - a dead helper: the caller validates in its own process
        return None


def _sent(tables: Mapping[str, pd.DataFrame], exp: str | None) -> Mapping[str, pd.DataFrame]:
    """What the helper is sent of a ward: the columns the validation reads (pickled here)."""
    from audit_toolkit.errors import AuditToolkitError
    from audit_toolkit.quality.results import read_by_validation

    try:
        return read_by_validation(tables, suites_dir=Path(exp) if exp else None)
    except AuditToolkitError:  # a malformed suite: the helper fails, this process says why
        return dict(tables)


def _validate_table(table: str, frame: pd.DataFrame, lang: str, expectations: str | None) -> Any:
    """One table's :class:`~audit_toolkit.quality.results.TablePart`, in the helper (None on any error)."""
    from audit_toolkit.quality.results import table_part
    from audit_toolkit.quality.suites import find_suites_dir, load_suites

    try:
        folder = find_suites_dir(Path(expectations) if expectations else None)
        suites = load_suites(folder) if folder is not None else {}
        return table_part(table, frame, suites, folder, lang=lang)
    except Exception:  # noqa: BLE001 - the parent validates again and raises the proper error
        return None


class QualitySide:
    """One helper process validating one ward (see the module docstring).

    The tables are sent one at a time, each as its own call, and the helper validates each as it
    comes: neither process ever holds the pickled copy of a whole province at once (its residents
    alone are ≈ 150 MB pickled), only of the table in flight.
    """

    def __init__(self, pool: ProcessPoolExecutor | None) -> None:
        self._pool = pool
        self._futures: list[Future[Any]] | None = None
        self._args: tuple[Mapping[str, pd.DataFrame], str, str | None] | None = None

    @classmethod
    def start(cls) -> QualitySide:
        """Start the helper and its GX import; a helper that cannot start leaves GX to this process."""
        return cls(_start_pool())

    def submit(
        self, tables: Mapping[str, pd.DataFrame], *, lang: str, expectations: str | Path | None
    ) -> None:
        """Send the ward's typed tables to the helper (it validates after its GX import)."""
        exp = str(expectations) if expectations else None
        self._args = (tables, lang, exp)
        if self._pool is None:
            return
        # Only what the validation reads: pickling happens here, on the audit's side (a table over
        # the limit is only counted: its length, not a million residents).
        try:
            sent = _sent(tables, exp)
            self._futures = [
                self._pool.submit(_validate_table, table, sent[table], lang, exp) for table in sent
            ]
        except RuntimeError:  # the helper died already
            self._futures = None

    def result(self, *, idle: Callable[[], None] | None = None) -> Any:
        """The :class:`~audit_toolkit.quality.results.QualityResult` (validated here if the helper failed).

        ``idle``: work worth doing while the helper is still busy (e.g. imports the caller needs
        next), called once before waiting; an error in it is ignored (its work is redone later).
        """
        futures = self._futures or []
        _head_start(idle, futures[-1] if futures else None)
        parts = [_answer(future) for future in futures]
        self.close()
        if self._args is None:
            return None
        tables, lang, exp = self._args
        from audit_toolkit.quality.results import combine, validate_tables
        from audit_toolkit.quality.suites import find_suites_dir

        if not futures or any(part is None for part in parts):
            return validate_tables(tables, lang=lang, suites_dir=Path(exp) if exp else None)
        folder = find_suites_dir(Path(exp) if exp else None)
        # The helper's own validation time (as validate_tables measures it there), not its GX import.
        return combine(parts, folder, lang=lang, seconds=sum(part.seconds for part in parts))

    def close(self) -> None:
        """Stop the helper (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _validate_wards(
    wards: Mapping[str, Mapping[str, pd.DataFrame]], lang: str, expectations: str | None
) -> dict[str, Any] | None:
    """:func:`~audit_toolkit.quality.batch.validate_wards` in the helper (None on any error)."""
    from audit_toolkit.quality.batch import validate_wards

    try:
        return validate_wards(wards, suites_dir=Path(expectations) if expectations else None, lang=lang)
    except Exception:  # noqa: BLE001 - the parent validates again and raises the proper error
        return None


class WardsSide:
    """One helper process validating the wards of a batch task run in the caller's process (one GX
    pass per table, :func:`~audit_toolkit.quality.batch.validate_wards`) while they load and are
    checked. Any trouble with the helper makes :meth:`result` None: the caller then validates in
    its own process, which gives the same result or the proper error.
    """

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self._pool: ProcessPoolExecutor | None = pool
        self._future: Future[Any] | None = None

    @classmethod
    def start(cls) -> WardsSide | None:
        """A started helper, or None where this process may not start one (a daemonic worker)."""
        pool = _start_pool()
        return None if pool is None else cls(pool)

    def submit(
        self, wards: Sequence[Mapping[str, pd.DataFrame]], lang: str, expectations: str | Path | None
    ) -> None:
        """Send each ward's tables, cut to what the validation reads (as :class:`QualitySide`)."""
        if self._pool is None:
            return
        exp = str(expectations) if expectations else None
        sent = {str(i): _sent(tables, exp) for i, tables in enumerate(wards)}
        try:
            self._future = self._pool.submit(_validate_wards, sent, lang, exp)
        except RuntimeError:  # the helper died already
            self._future = None

    def result(self, idle: Callable[[], None] | None = None) -> dict[int, Any] | None:
        """Ward index → its quality result; None when the helper failed. ``idle`` runs first while
        the helper is still busy (a head start)."""
        _head_start(idle, self._future)
        found = _answer(self._future)
        self.close()
        return None if found is None else {int(k): v for k, v in found.items()}

    def close(self) -> None:
        """Stop the helper (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
