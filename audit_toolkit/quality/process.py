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

import contextlib
import functools
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


def warm_gx() -> None:
    """Import GX in a process the toolkit owns (the GX helper, the batch's worker server), as
    soon as it starts."""
    # The helper is our own process: GX's import without what the audit never uses (as the CLI
    # does; see cli._skip_slow_optional_imports and audit_toolkit.startup).
    from audit_toolkit.startup import prepare_process

    prepare_process()
    import great_expectations  # noqa: F401

    from audit_toolkit.quality import batch, results  # noqa: F401


def _warm_reports() -> None:
    """Import the workbook writer and what it imports when it runs, in a helper kept for it
    (see :meth:`QualitySide.call`), and read the report's messages."""
    import openpyxl  # noqa: F401
    import openpyxl.styles  # noqa: F401
    import openpyxl.worksheet.hyperlink  # noqa: F401

    import audit_toolkit.report.xlsx  # noqa: F401
    from audit_toolkit.messages import t

    t("report.heading", "vi")


def _warm_io() -> None:
    """Prepare the helper to read a ward's table (pandas and the loader, not GX yet)."""
    from audit_toolkit.startup import prepare_process

    prepare_process()
    import audit_toolkit.io.loader  # noqa: F401


def _read_table(ward: str, table: str, folder: str) -> str | None:
    """One table of a ward read in the helper (:func:`~audit_toolkit.io.loader.read_table_alone`)
    and pickled into a file of ``folder`` (the parent's private temporary folder), or None on any
    error: the parent then reads the table itself, which raises the error in its proper order.

    A file, not the pool's pipe: a province's residents are ≈ 250 MB pickled, which the pipe
    passes in 64 KB pieces, each waiting for the parent's busy interpreter (≈ 2 s, against
    ≈ 0.1 s through memory).
    """
    import pickle
    import tempfile

    from audit_toolkit.io.loader import read_table_alone

    _KEPT.pop(table, None)
    _CUT.pop(table, None)
    read: Any = None
    try:
        read = read_table_alone(ward, table)
        fd, path = tempfile.mkstemp(suffix=".pickle", dir=folder)
        with open(fd, "wb") as handle:
            pickle.dump(read, handle, protocol=pickle.HIGHEST_PROTOCOL)
        _KEPT[table] = read[0]  # validated here later (_validate_kept): never sent back
        return path
    except Exception:  # noqa: BLE001 - see above
        return None
    finally:
        read = None
        _give_back_memory()


#: In the helper: the rows of each table it read for the parent, kept for their GX validation.
_KEPT: dict[str, pd.DataFrame] = {}


#: In the helper: a kept table already cut to what GX reads of it (:func:`_cut_kept`), with the
#: suites folder it was cut for.
_CUT: dict[str, tuple[str | None, pd.DataFrame]] = {}


def _cut_kept(table: str, expectations: str | None) -> None:
    """Cut a kept table at once to what its validation reads (as the parent would cut it,
    :func:`_sent`): until GX gets to it, the helper holds those columns, not all of them."""
    from audit_toolkit.quality.results import read_by_validation

    frame = _KEPT.get(table)
    if frame is None:
        return
    try:
        cut = read_by_validation({table: frame}, suites_dir=Path(expectations) if expectations else None)
    except Exception:  # noqa: BLE001 - kept whole: _validate_kept tries again, the parent says why
        return
    _CUT[table] = (expectations, cut[table])
    del _KEPT[table], frame
    _give_back_memory()


def _validate_kept(table: str, lang: str, expectations: str | None) -> Any:
    """:func:`_validate_table` of a table this helper read (the very rows the parent audits), cut
    as the parent would cut it (:func:`_sent`); None if it is not here, was cut for other suites,
    or on any error (the parent then validates it and raises the proper error)."""
    if table not in _CUT:
        _cut_kept(table, expectations)  # still whole: not cut yet
    _KEPT.pop(table, None)
    cut = _CUT.pop(table, None)
    if cut is None or cut[0] != expectations:
        return None
    return _validate_table(table, cut[1], lang, expectations)


def _give_back_memory() -> None:
    """Return the freed memory of a table read here to the system: Arrow's allocator (mimalloc)
    keeps it for reuse otherwise, and this process lives on to run GX beside the audit."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


#: Memory-backed folder (tmpfs) where the helper leaves a table it read for the audit.
SCRATCH_ROOT = "/dev/shm"


def _scratch_folder() -> str | None:
    """A private temporary folder (mode 0700) for tables passed from the helper, in memory
    (:data:`SCRATCH_ROOT`); None where there is none (macOS, Windows): a ward's personal data is
    never written to disk for speed, and the audit then reads every table itself."""
    import os
    import tempfile

    if not (os.path.isdir(SCRATCH_ROOT) and os.access(SCRATCH_ROOT, os.W_OK)):
        return None
    try:
        return tempfile.mkdtemp(prefix="audit-toolkit-", dir=SCRATCH_ROOT)
    except OSError:
        return None


def _unpickle(future: Future[Any]) -> Any:
    """The table the helper pickled into a file (the file is removed), or None if it failed."""
    import os
    import pickle

    path = _answer(future)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)  # noqa: S301 - our own helper's file, in our 0700 folder
    except Exception:  # noqa: BLE001 - read here instead
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _exit_without_teardown() -> None:
    """In the helper: once its work is over, end the process without tearing the interpreter down.

    A spawned process ends with ``sys.exit``, which then frees every module and object one by
    one: ≈ 0.4 s for one that imported GX and pandas, which the parent waits for before it can
    exit itself. The helper owns nothing that needs it (its results are sent, its files are the
    parent's), so its last exit handler ends it at once, as a forked process ends (``os._exit``),
    after flushing its output. (A forked helper, see :func:`_start_method`, ends so already.)
    """
    import atexit
    import os
    import sys

    def end() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)

    atexit.register(end)  # runs first: handlers run last-registered first


def _start_method() -> str:
    """``fork`` when this process has a single thread (the CLI, before its audit), else ``spawn``.

    A forked helper starts with this process's imports (pandas, the loader) already done, ≈ 0.5 s
    sooner than a spawned one, which imports them again: on a province that is 0.5 s less before
    its largest table is read. A process with other threads (a notebook's kernel) must not fork:
    a lock held by another thread would stay held forever in the child.
    """
    import threading

    if threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
        return "fork"
    return "spawn"


def _start_pool(warm: Callable[[], None] = warm_gx) -> ProcessPoolExecutor | None:
    """A one-process pool already running ``warm`` (GX's import), or None where no helper can start."""
    if not side_process_allowed():
        return None
    try:
        pool = ProcessPoolExecutor(
            max_workers=1, mp_context=mp.get_context(_start_method()), initializer=_exit_without_teardown
        )
        pool.submit(warm)
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
    finally:
        del frame
        _give_back_memory()


class QualitySide:
    """One helper process validating one ward (see the module docstring).

    The tables are sent one at a time, each as its own call, and the helper validates each as it
    comes: neither process ever holds the pickled copy of a whole province at once (its residents
    alone are ≈ 150 MB pickled), only of the table in flight.

    Before GX, the helper can read a large ward's largest table while this process reads the
    others (:meth:`offload`): loading a province is the longest step before the checks, and the
    helper's core is otherwise idle until the tables are typed.
    """

    def __init__(
        self,
        pool: ProcessPoolExecutor | None,
        *,
        warmed: bool = True,
        idle: Callable[[], None] | None = None,
        keep_open: bool = False,
        expectations: str | Path | None = None,
    ) -> None:
        self._pool = pool
        self._exp = str(expectations) if expectations else None  # the suites, for a kept table
        self._keep_open = keep_open  # the caller closes it, after more work (:meth:`call`)
        self._idle = idle  # once, while waiting for a table the helper reads
        self._futures: list[Future[Any]] | None = None
        self._args: tuple[Mapping[str, pd.DataFrame], str, str | None] | None = None
        self._warmed = warmed
        self._scratch: str | None = None  # where the helper leaves the tables it read
        self._reads: list[Future[Any]] = []
        self._kept: set[str] = set()  # tables the helper read and keeps for GX (the ones audited)

    @classmethod
    def start(
        cls,
        *,
        gx_now: bool = True,
        idle: Callable[[], None] | None = None,
        keep_open: bool = False,
        expectations: str | Path | None = None,
    ) -> QualitySide:
        r"""Start the helper; a helper that cannot start leaves GX to this process.

        ``gx_now``: the helper imports GX at once. False: it only prepares to read, and imports GX
        once :meth:`offload` has given it the tables to read first (or none). ``idle``: work for
        this process if it has to wait for a table the helper reads (as in :meth:`result`).
        ``keep_open``: the helper outlives :meth:`result` (which otherwise stops it) for more work
        (:meth:`call`: the CLI has it write the workbook); the caller then :meth:`close`\ s it.
        ``expectations``: the suites the audit will validate with (as given to :meth:`submit`): a
        table the helper reads is cut to what they read of it at once.
        """
        pool = _start_pool(warm_gx if gx_now else _warm_io)
        return cls(pool, warmed=gx_now, idle=idle, keep_open=keep_open, expectations=expectations)

    def call(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any] | None:
        """Run ``fn(*args)`` in the helper after the work already given; None without a helper."""
        if self._pool is None:
            return None
        try:
            return self._pool.submit(fn, *args)
        except RuntimeError:  # the helper died
            return None

    def offload(self, ward: Path, tables: list[str]) -> dict[str, Callable[[], Any]]:
        """Read ``tables`` of ``ward`` in the helper, then import GX there (an
        :data:`~audit_toolkit.io.loader.Offload` for :func:`~audit_toolkit.io.loader.load_ward`).

        Returns, per table, a call that waits for its read: None if the helper failed to read it
        (the loader then reads it itself).
        """
        futures: dict[str, Future[Any]] = {}
        self._kept.clear()
        if self._pool is not None:
            folder = _scratch_folder() if tables else None  # None: every table is read here
            try:
                if folder is not None:
                    self._scratch = folder
                    for table in tables:
                        futures[table] = self._pool.submit(_read_table, str(ward), table, folder)
                    for table in tables:
                        self._pool.submit(_cut_kept, table, self._exp)
                self._reads = list(futures.values())
                if not self._warmed:
                    self._pool.submit(warm_gx)
            except RuntimeError:  # the helper died: everything is read (and validated) here
                futures = {}
        self._warmed = True
        return {table: functools.partial(self._join, table, future) for table, future in futures.items()}

    def _join(self, table: str, future: Future[Any]) -> Any:
        """The table the helper read (None if it failed); the helper validates it later itself."""
        _head_start(self._idle, future)
        self._idle = None
        read = _unpickle(future)
        if read is not None:
            self._kept.add(table)
        return read

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
        # A table the helper read itself is validated from its own copy: nothing to send.
        try:
            sent = _sent({t: f for t, f in tables.items() if t not in self._kept}, exp)
            self._futures = [
                self._pool.submit(_validate_kept, table, lang, exp)
                if table in self._kept
                else self._pool.submit(_validate_table, table, sent[table], lang, exp)
                for table in tables
            ]
            if self._keep_open:
                self._pool.submit(_warm_reports)  # then idle: ready for the workbook (:meth:`call`)
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
        if not self._keep_open:
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

    def close(self, *, wait: bool = False) -> None:
        """Stop the helper and remove what it left in the scratch folder (idempotent).

        ``wait``: return once the helper has exited, as a process about to end must (the command).
        Otherwise the pool's manager thread may still be closing its wake-up pipe while the
        interpreter's exit writes to it: Python 3.11 then may print an ``OSError: [Errno 9] Bad
        file descriptor`` traceback after a successful run (CPython gh-125451, fixed in later 3.12
        and 3.13 releases). The exit waits for that thread all the same: waiting here costs the
        command nothing.
        """
        if self._pool is not None:
            # Waits for a table still being read (a load that failed first): its file must not
            # outlive the folder's removal. Otherwise the helper exits on its own.
            reading = any(not future.done() for future in self._reads)
            self._pool.shutdown(wait=wait or reading, cancel_futures=True)
            self._pool = None
        if self._scratch is not None:
            import shutil

            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


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
