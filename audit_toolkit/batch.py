"""Where a batch's wards are audited: in this process, on a process pool, or on a Dask cluster.

Every engine runs the same function, :func:`audit_wards`, on a :class:`WardTask` (a few ward paths
and the audit options). It loads the wards, validates them with one Great Expectations pass per
table, runs every check of the registry, writes each ward's outputs where it ran, and sends back
only what the batch needs: a *slim* :class:`~audit_toolkit.audit.AuditResult` per ward (findings,
statuses, the roster frames the cross-ward check reads, the ward's identity and report table) —
never the residents or payments tables. A ward that fails is an error string, not an exception, so
the other wards of the task complete; a task whose worker died marks its own wards failed.

Example:
    >>> outcomes = audit_wards(WardTask(paths=("data/sample/phung-chi-kien",), as_of="2023-02-28"))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from audit_toolkit.errors import AuditToolkitError, InputError
from audit_toolkit.startup import fewer_collections

if TYPE_CHECKING:
    import pandas as pd

    from audit_toolkit.audit import AuditResult, BatchResult, CheckedWard
    from audit_toolkit.quality.process import WardsSide
    from audit_toolkit.rules import RuleSet

_LOG = logging.getLogger(__name__)

__all__ = [
    "WardOutcome",
    "WardTask",
    "audit_wards",
    "chunk_size",
    "group_wards",
    "default_workers",
    "run_batch_tasks",
    "run_tasks",
    "slim_result",
]

#: Largest number of wards one task loads and validates together (one GX pass per table).
MAX_CHUNK = 25
#: Largest input (bytes of the wards' files) one task loads together: a task keeps its wards'
#: tables in memory until their reports are written, so a batch of large wards gets smaller tasks.
MAX_TASK_BYTES = 32 * 1024 * 1024
#: Fewest wards worth a task of their own (its own GX pass, and a worker's GX import).
MIN_PER_TASK = 10


@dataclass(frozen=True)
class WardTask:
    """A few wards to audit together, and everything needed to audit and write them (picklable)."""

    paths: tuple[str, ...]
    as_of: str
    period_from: str | None = None
    lang: str = "vi"
    quality: bool = True
    expectations: str | None = None
    #: Output folder: each ward's reports are written where it was audited. None: not written.
    out: str | None = None
    report_options: dict[str, Any] = field(default_factory=dict)
    #: Send back slim results (True on pools and clusters) or the full ones (in-process runs).
    slim: bool = True
    #: Extra rule files (``--rules-extra``) and the batch folder's ``rates.yml`` (data contract §1b),
    #: applied to every ward of the task as :func:`audit_toolkit.audit.run_batch` does.
    rules_extra: tuple[str, ...] = ()
    batch_rates: str | None = None


@dataclass
class WardOutcome:
    """What auditing one ward gave: a result (and its output folder) or an error."""

    path: str
    result: AuditResult | None = None
    folder: str | None = None
    error: str | None = None
    seconds: float = 0.0


def default_workers() -> int:
    """The machine's cores (``os.cpu_count()``), at least 1."""
    return max(1, os.cpu_count() or 1)


def chunk_size(wards: int, workers: int) -> int:
    """Wards per task: the fewest tasks of at most ``MAX_CHUNK`` wards whose number is a multiple of
    ``workers`` (every worker gets as many tasks as the others), with the wards shared evenly
    between them, but never fewer than ``MIN_PER_TASK`` (:func:`group_wards` then keeps large
    wards' tasks smaller).

    GX costs per call, not per row (≈ 1 s per table on a small ward): one pass over 25 wards costs
    about what one ward alone costs. A task of a few wards would pay that again in another process
    for nothing (the four sample wards take 16 s in one task, 23 s in two), so small batches run as
    one task; progress is reported per ward anyway. Even shares keep the workers busy to the end:
    51 wards on 2 workers are four tasks of 13, 13, 13 and 12 wards, not 25, 25 and a last task of
    one ward that one worker audits alone (with a GX pass of its own) while the other waits.
    """
    workers = max(workers, 1)
    rounds = max(1, math.ceil(wards / (workers * MAX_CHUNK)))
    return max(1, min(MAX_CHUNK, max(MIN_PER_TASK, math.ceil(wards / (rounds * workers)))))


def _input_bytes(path: str) -> int:
    """Bytes of a ward's files (a workbook's own size); 0 when it cannot be listed (the task says why)."""
    try:
        ward = Path(path)
        if ward.is_dir():
            return sum(entry.stat().st_size for entry in os.scandir(ward) if entry.is_file())
        return ward.stat().st_size
    except OSError:
        return 0


def group_wards(paths: Sequence[str], size: int, max_bytes: int = MAX_TASK_BYTES) -> list[tuple[str, ...]]:
    """``paths`` in order, cut into tasks of at most ``size`` wards and ``max_bytes`` of input.

    A ward larger than ``max_bytes`` alone is a task of its own. Small wards (the usual batch) give
    the tasks of :func:`chunk_size`; large ones give smaller tasks, so that a worker never holds
    more than about ``max_bytes`` of input, typed, at once.
    """
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    held = 0
    for path in paths:
        need = _input_bytes(path)
        if current and (len(current) >= size or held + need > max_bytes):
            groups.append(tuple(current))
            current, held = [], 0
        current.append(path)
        held += need
    if current:
        groups.append(tuple(current))
    return groups


#: What the pool's fork server imports before it forks a worker (:func:`start_worker_server`).
SERVER_PRELOAD = ("audit_toolkit.batch", "audit_toolkit.audit")
#: Imported there first when the batch is validated: prepares the process and imports GX.
SERVER_PRELOAD_GX = "audit_toolkit.quality.preload"

_SERVER_LOCK = threading.Lock()
#: Whether :func:`start_worker_server` started the fork server in this process and no pool used it yet.
_SERVER: dict[str, bool] = {"started": False, "fresh": False}


def start_worker_server(*, quality: bool = True) -> bool:
    """Start the process pool's fork server now, and return at once; False when started already.

    Pool workers are forked from this server (:func:`_pool_round`) with what it imported: the
    audit's modules (:data:`SERVER_PRELOAD`) and, with ``quality``, Great Expectations
    (:data:`SERVER_PRELOAD_GX`), an import of ≈ 1 s that each worker would otherwise pay again
    before its first validation. The server imports them on the other core while this process goes
    on with its own start (its imports, the summary's preparation); the pool's first worker waits
    for it only if it is not ready by then. Cheap to call more than once: a later call does nothing.
    """
    import multiprocessing as mp
    from multiprocessing import forkserver

    with _SERVER_LOCK:
        if _SERVER["started"]:
            return False
        modules = [SERVER_PRELOAD_GX, *SERVER_PRELOAD] if quality else list(SERVER_PRELOAD)
        mp.get_context("forkserver").set_forkserver_preload(modules)
        forkserver.ensure_running()
        _SERVER.update(started=True, fresh=True)
        return True


def _take_fresh_server() -> bool:
    """Whether the fork server was started by this process and is used by a pool for the first
    time (it may still be importing: work for this process meanwhile costs the workers nothing)."""
    with _SERVER_LOCK:
        fresh = _SERVER["fresh"]
        _SERVER["fresh"] = False
        return fresh


def pool_likely(path: Path, workers: int) -> bool:
    """Whether a batch folder will likely run on a process pool: ``workers`` > 1 and more child
    folders than one task takes (:data:`MIN_PER_TASK`).

    A guess from the folder's listing, before the wards are discovered (which imports pandas), for
    the CLI to start the pool's server (:func:`start_worker_server`) as its very first step. A
    wrong guess costs time only: the server starts later, or starts and is not used.
    """
    if workers <= 1:
        return False
    try:
        folders = sum(1 for e in os.scandir(path) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return False
    return folders > MIN_PER_TASK


#: Where a finished ward is announced: a pipe (pool workers, :class:`_Progress`) or a callable
#: (this process).
_PROGRESS: Any = None


def _init_worker(progress: Any) -> None:
    """Start of a pool worker (our own process): progress pipe, and GX's import made lighter."""
    global _PROGRESS
    _PROGRESS = progress
    # As the CLI does for itself (cli._skip_slow_optional_imports): GX's import without what the
    # audit never uses (jsonschema's IRI grammar; scipy.stats and altair deferred to first use).
    from audit_toolkit.startup import WORKER_MMAP_THRESHOLD, prepare_process, tune_allocator

    prepare_process()
    tune_allocator(WORKER_MMAP_THRESHOLD)


def _tick(path: str) -> None:
    sink = _PROGRESS
    if sink is None:
        return
    if callable(sink):
        sink(path)
    else:
        sink.send_bytes(_digest(path))


def _digest(path: str) -> bytes:
    """A ward's path as the 16 bytes a pool worker announces it by (:class:`_Progress`)."""
    return hashlib.blake2b(os.fsencode(path), digest_size=16).digest()


class _Progress:
    """Wards done in a pool's workers, relayed by a thread here to ``on_progress(path)``.

    The workers write to one pipe without a lock: each ward is a 20-byte message (length and
    :func:`_digest`), and a write of at most ``PIPE_BUF`` bytes to a pipe is atomic, so messages
    never interleave. A worker killed mid-batch (the kernel's OOM killer, a signal) thus cannot
    leave a lock held for ever, as it could with a ``multiprocessing`` queue (a lock around each
    write): the other workers, and this process's last write to stop the thread, would then wait
    for it, and the batch would hang. :meth:`close` once the workers have ended: the thread reads
    what they wrote, then stops.
    """

    def __init__(self, paths: Sequence[str], on_progress: Callable[[str], None] | None) -> None:
        import multiprocessing as mp

        self._paths = {_digest(p): p for p in paths}
        self._on_progress = on_progress
        self._reader, self.writer = mp.Pipe(duplex=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._relay, name="ward-progress", daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        while True:
            try:
                if not self._reader.poll(0.05):
                    if self._stop.is_set():
                        return
                    continue
                path = self._paths.get(self._reader.recv_bytes())
            except (EOFError, OSError):
                return
            if path is not None and self._on_progress:
                try:
                    self._on_progress(path)
                except Exception:  # noqa: BLE001 - progress only: the batch goes on without it
                    _LOG.debug("progress report failed", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._reader.close()
        self.writer.close()


def _where() -> str:
    return f"{socket.gethostname()} (pid {os.getpid()})"


@fewer_collections()
def audit_wards(task: WardTask, *, quality_side: bool = False) -> list[WardOutcome]:
    """Audit the wards of ``task`` (the per-task function of every engine; importable by workers).

    Loads each ward, validates the loaded ones with one GX pass per table, runs the checks,
    writes each ward's outputs into ``task.out`` (when set) and returns one :class:`WardOutcome`
    per path, in order. A ward that cannot be read or audited gets its error; the others go on.

    ``quality_side``: validate in a helper process that imports GX while this one loads and
    checks the wards (for a task run in the caller's process; same result).
    """
    from audit_toolkit.quality.process import WardsSide

    side = WardsSide.start() if task.quality and quality_side and task.paths else None
    try:
        return _audit_wards(task, side)
    finally:
        if side is not None:
            side.close()


def _audit_wards(task: WardTask, side: WardsSide | None) -> list[WardOutcome]:
    from audit_toolkit.audit import (
        batch_quality,
        check_loaded,
        finish_loaded,
        parse_as_of,
        parse_period_from,
        prepare_reports,
    )
    from audit_toolkit.io import WardData, load_wards

    ts = parse_as_of(task.as_of)
    start = parse_period_from(task.period_from, ts)
    outcomes = {p: WardOutcome(path=p) for p in task.paths}
    loaded: list[tuple[str, WardData, dt.datetime, float]] = []
    # The wards are read together (each normaliser runs once for all of them); each gets its share.
    began, started = time.perf_counter(), dt.datetime.now(dt.UTC)
    existing = [p for p in task.paths if Path(p).exists()]
    read = dict(zip(existing, load_wards(existing), strict=True))
    share = (time.perf_counter() - began) / max(1, len(existing))
    for p in task.paths:
        began = time.perf_counter() - (share if p in read else 0.0)
        path = Path(p)
        try:
            if not path.exists():
                # The batch folder was listed where the CLI runs; a cluster's workers must see the
                # same path (a shared folder), else each ward says so instead of a bare "not found".
                raise InputError(
                    f"Ward {path} cannot be read on the worker {_where()}",
                    file=path,
                    fix="Put the batch on a folder every worker mounts at the same path",
                )
            ward = read[p]
            if isinstance(ward, Exception):
                raise ward
            loaded.append((p, ward, started, began))
        except AuditToolkitError as exc:
            outcomes[p].error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one ward's bug must not lose the other wards
            outcomes[p].error = _unexpected(exc, p)
        outcomes[p].seconds += time.perf_counter() - began
        if outcomes[p].error is not None:
            _tick(p)
    wards = [w for _, w, _, _ in loaded]
    checked: dict[int, Any] = {}
    if task.quality:
        if side is not None and wards:
            side.submit([w.tables for w in wards], task.lang, task.expectations)
        else:
            checked = batch_quality(wards, task.lang, task.expectations)
    extra = tuple(Path(f) for f in task.rules_extra)

    def check_one(p: str, ward_data: WardData, started: dt.datetime) -> CheckedWard | None:
        began = time.perf_counter()
        if ward_data.rates_file is None and task.batch_rates is not None:
            ward_data.rates_file = Path(task.batch_rates)  # the ward's own rates.yml wins over the batch's
        state = None
        try:
            state = check_loaded(
                ward_data,
                started=started,
                ts=ts,
                start=start,
                lang=task.lang,
                rules=None,
                only=None,
                rules_extra=extra,
            )
        except AuditToolkitError as exc:
            outcomes[p].error = str(exc)
        except Exception as exc:  # noqa: BLE001 - as above
            outcomes[p].error = _unexpected(exc, p)
        outcomes[p].seconds += time.perf_counter() - began
        if outcomes[p].error is not None:
            _tick(p)
        return state

    def finish_one(p: str, ward_data: WardData, state: CheckedWard) -> None:
        began = time.perf_counter()
        outcome = outcomes[p]
        try:
            result = finish_loaded(
                state,
                quality=task.quality,
                expectations=task.expectations,
                quality_result=checked.get(id(ward_data)),
            )
            if task.out is not None:
                from audit_toolkit.report import write_reports

                outcome.folder = write_reports(result, task.out, **task.report_options).name
            outcome.result = slim_result(result) if task.slim else result
        except AuditToolkitError as exc:
            outcome.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - as above
            outcome.error = _unexpected(exc, p)
        outcome.seconds += time.perf_counter() - began
        _tick(p)

    if side is None or not task.quality or not wards:
        # GX, if any, has validated every ward above: each ward is checked, finished and written in
        # turn, so the first is done after its own checks (not every ward's) and its audit state is
        # freed before the next ward's checks.
        for p, ward_data, started, _ in loaded:
            state = check_one(p, ward_data, started)
            if state is not None:
                finish_one(p, ward_data, state)
        return [outcomes[p] for p in task.paths]
    # The checks of every ward first (GX validates in its helper meanwhile), then each ward's GX
    # result joins its findings and its outputs are written.
    checks = [(p, w, state) for p, w, started, _ in loaded if (state := check_one(p, w, started)) is not None]
    began = time.perf_counter()
    by_index = side.result(idle=prepare_reports)
    if by_index is None:  # the helper failed: one GX pass here, as without a helper
        checked = batch_quality(wards, task.lang, task.expectations)
    else:
        checked = {id(wards[i]): result for i, result in by_index.items()}
    waited = (time.perf_counter() - began) / max(len(checks), 1)
    for p, _, _ in checks:
        outcomes[p].seconds += waited
    for p, ward_data, state in checks:
        finish_one(p, ward_data, state)
    return [outcomes[p] for p in task.paths]


def _unexpected(exc: BaseException, path: str) -> str:
    return f"unexpected error while auditing {path} on {_where()}: {type(exc).__name__}: {exc}"


#: Key of a slim result's ``context.extras`` holding the ward's POSSIBLE_DUPLICATE line frame.
NEAR_FRAME = "possible_duplicate_frame"
_ROSTER_KEY = "roster_summary"  # audit_toolkit.roster caches the roster summary under this key


def slim_result(result: AuditResult) -> AuditResult:
    """``result`` with only what the batch needs after the ward's reports are written.

    Kept: findings, check statuses, parameters, the ward's identity, sources, unreadable rows and
    ``report`` table (the summary's reported counts); the context's ``lines``, ``line_months``,
    ``payments_linked`` (its :data:`~audit_toolkit.checks.lines.PAID_MONTHS_COLUMNS`) and line
    frame (what ``CROSS_WARD_DUPLICATE`` reads); in ``context.extras`` the roster summary and the
    cross-ward POSSIBLE_DUPLICATE frame (:data:`NEAR_FRAME`), made here once instead of in the
    parent. Dropped: every other table's rows and dtypes (their columns stay, as ``object``
    columns of no rows, so ``ctx.has`` answers as before), the GX result and the rule set (the
    parent attaches its own: :func:`attach_rules`).
    """
    import pandas as pd

    ctx = result.context
    # Computed here, where the tables are, so the parent never needs them.
    derived: dict[str, Any] = {"lines": ctx.lines, "line_months": ctx.line_months}
    if ctx.has("payments") and ctx.has("beneficiaries"):
        from audit_toolkit.checks.lines import PAID_MONTHS_COLUMNS

        # The largest frame of a slim result, kept to what the parent reads of it: the columns the
        # cross-ward check prices months with (the roster summary's, received, m and amount, among
        # them). A ward of 150 lines: ≈ 0.68 → 0.44 MB to pickle, send and unpickle.
        pay = ctx.payments_linked
        derived["payments_linked"] = pay[[c for c in pay.columns if c in PAID_MONTHS_COLUMNS]]
    # Made here, on the worker, rather than one ward after another in the parent: the roster
    # summary (the batch summary's per-ward figures) and the slim line frame of the cross-ward
    # POSSIBLE_DUPLICATE step (what the parent would compute from this slim result: same frame).
    extras: dict[str, Any] = {}
    if _ROSTER_KEY in ctx.extras:
        extras[_ROSTER_KEY] = ctx.extras[_ROSTER_KEY]
    from audit_toolkit.checks.lines import line_frame, seed_line_frame
    from audit_toolkit.checks.linkage import possible_duplicate_frame

    extras[NEAR_FRAME] = possible_duplicate_frame(ctx)
    lines = line_frame(ctx)  # made for the ward's checks already; CROSS_WARD_DUPLICATE reads it
    ward = result.ward
    # Each other table as its column names over no rows, in one block of object columns: a typed
    # empty frame (one block per dtype, an Arrow array per text column) took ≈ 6 ms a ward to
    # unpickle in the parent, ≈ 1 ms so; nothing after the ward's outputs reads their dtypes.
    tables = {
        name: (frame if name == "report" else pd.DataFrame(columns=frame.columns, dtype=object))
        for name, frame in ward.tables.items()
    }
    # The undated rows (WardData.undated) are in the near-duplicate frame already; without the
    # tables they could not be put beside the lines again.
    slim_ward = dataclasses.replace(ward, tables=tables, undated=None)
    slim_ctx = dataclasses.replace(ctx, ward=slim_ward, rules=cast("RuleSet", None), extras=extras)
    slim_ctx.__dict__.update(derived)
    seed_line_frame(slim_ctx, lines)
    return dataclasses.replace(result, ward=slim_ward, context=slim_ctx, quality=None)


def attach_rules(results: Sequence[AuditResult], *, rules_extra: Sequence[Path] = ()) -> None:
    """Give each slim result's context the rule set its ward was audited with (loaded here, cached).

    Raises:
        AuditToolkitError: a worker audited with other rule files than this process has (a
            cluster whose workers run another version of the toolkit).
    """
    from audit_toolkit.rules import load_rules

    for result in results:
        if result.context.rules is not None:
            continue
        rules = load_rules(
            province_code=result.ward.province_code,
            extra_files=tuple(rules_extra),
            rates_file=result.ward.rates_file,
        )
        if rules.version != result.rules_version:
            raise AuditToolkitError(
                f"Ward {result.ward.ward_name} was audited with rules {result.rules_version[:12]}, "
                f"this machine has {rules.version[:12]}: install the same audit_toolkit on every worker"
            )
        result.context.rules = rules


def run_batch_tasks(
    root: Path,
    wards: list[Path],
    wards_to_run: list[Path],
    failed: dict[Path, str],
    *,
    started: dt.datetime,
    ts: pd.Timestamp,
    as_of: str | dt.date | pd.Timestamp,
    period_from: str | None,
    lang: str,
    quality: bool,
    expectations: str | Path | None,
    workers: int,
    scheduler: str | None,
    security: Any,
    timeout: float,
    out: str | Path | None,
    report_options: dict[str, Any],
    on_result: Callable[[AuditResult], None] | None,
    on_failed: Callable[[Path, str], None] | None,
    on_progress: Callable[[int, int, Path], None] | None = None,
    rules_extra: Sequence[Path] = (),
    batch_rates: Path | None = None,
) -> BatchResult:
    """:func:`audit_toolkit.audit.run_batch` as tasks of :func:`audit_wards` (see there)."""
    from audit_toolkit.audit import finish_batch
    from audit_toolkit.report.summary import prepare_summary

    remote = scheduler is not None
    # A cluster's workers have their own working folder: send them absolute paths.
    name = {(str(p.resolve()) if remote else str(p)): p for p in wards_to_run}
    paths = list(name)
    size = chunk_size(len(paths), workers)
    if remote:  # a cluster's long-lived workers pay GX's import once: spread the wards over them
        size = max(1, min(MAX_CHUNK, math.ceil(len(paths) / 8)))
    tasks = [
        WardTask(
            paths=group,
            as_of=ts.date().isoformat(),
            period_from=period_from,
            lang=lang,
            quality=quality,
            expectations=str(Path(expectations).resolve() if remote else expectations)
            if expectations
            else None,
            out=None if out is None else str(Path(out).resolve() if remote else out),
            report_options=report_options,
            slim=True,
            rules_extra=tuple(str(Path(f).resolve() if remote else f) for f in rules_extra),
            batch_rates=None
            if batch_rates is None
            else str(batch_rates.resolve() if remote else batch_rates),
        )
        for group in group_wards(paths, size)
    ]

    def done(outcome: WardOutcome) -> None:
        if outcome.result is not None:
            if on_result:
                on_result(outcome.result)
        elif on_failed:
            on_failed(name[outcome.path], outcome.error or "")

    finished: set[str] = set()

    def progress(path: str) -> None:
        if path in finished or path not in name:  # a task re-run after its worker died
            return
        finished.add(path)
        if on_progress:
            on_progress(len(finished) + len(failed), len(wards), name[path])

    outcomes = run_tasks(
        tasks,
        workers=workers,
        scheduler=scheduler,
        security=security,
        timeout=timeout,
        on_outcome=done,
        on_progress=progress,
        # The batch's summary page is written here after the wards: its imports and chart figures
        # are made while the workers audit (a batch written nowhere has no summary to prepare).
        idle=None if out is None else prepare_summary,
    )
    results: list[AuditResult] = []
    folders: dict[str, str] = {}
    for outcome in outcomes:
        if outcome.result is None:
            failed[name[outcome.path]] = outcome.error or "?"
            continue
        results.append(outcome.result)
        if outcome.folder:
            folders[outcome.result.ward.ward_id] = outcome.folder
    attach_rules(results, rules_extra=rules_extra)
    return finish_batch(
        root,
        wards,
        results,
        failed,
        started=started,
        ts=ts,
        period_from=period_from,
        lang=lang,
        rules_extra=rules_extra,
        batch_rates=batch_rates,
        folders=folders,
    )


# ------------------------------------------------------------------------------------- engines

Done = Callable[[WardOutcome], None]


def run_tasks(
    tasks: Sequence[WardTask],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    security: Any = None,
    timeout: float = 10.0,
    on_outcome: Done | None = None,
    on_progress: Callable[[str], None] | None = None,
    idle: Callable[[], None] | None = None,
) -> list[WardOutcome]:
    """Run ``tasks`` in this process (``workers=1``), on a process pool, or on a Dask cluster.

    ``on_progress(path)`` is called in this process as each ward is done, whichever worker did it
    (on a cluster: when its task completes); ``on_outcome`` for each ward as its task completes.
    Outcomes come back in the order of the tasks' paths, whatever the order of completion.
    ``idle``: work for this process while a pool's workers audit the wards (a head start on what
    comes after them; an error in it is only logged, the work is done again later).

    Raises:
        InputError: the scheduler cannot be reached (the message names its address).
    """
    if scheduler is not None:
        from audit_toolkit.cluster import run_on_cluster

        def both(outcome: WardOutcome) -> None:
            if on_progress:
                on_progress(outcome.path)
            if on_outcome:
                on_outcome(outcome)

        found = run_on_cluster(tasks, scheduler, security=security, timeout=timeout, on_outcome=both)
    elif workers <= 1 or len(tasks) <= 1:
        global _PROGRESS
        found = {}
        _PROGRESS = on_progress
        try:
            for task in tasks:
                # GX in a helper process beside this one (it has a core to itself meanwhile).
                for outcome in audit_wards(task, quality_side=True):
                    found[outcome.path] = outcome
                    if on_outcome:
                        on_outcome(outcome)
        finally:
            _PROGRESS = None
    else:
        found = _run_pool(tasks, workers, on_outcome, on_progress, idle)
    return [found[p] for task in tasks for p in task.paths]


def _run_pool(
    tasks: Sequence[WardTask],
    workers: int,
    on_outcome: Done | None,
    on_progress: Callable[[str], None] | None = None,
    idle: Callable[[], None] | None = None,
) -> dict[str, WardOutcome]:
    """Tasks on a process pool. A worker that dies breaks the pool and every task still in it:
    those tasks then run again one per fresh pool, so only the task that kills its worker again
    fails (its wards listed with the reason) and the others complete."""
    found: dict[str, WardOutcome] = {}
    # Workers announce each ward done on this pipe; a thread here turns that into progress.
    progress = _Progress([p for task in tasks for p in task.paths], on_progress)
    try:
        broken = _pool_round(
            tasks, range(len(tasks)), workers, found, on_outcome, progress.writer, last=False, idle=idle
        )
        for i in broken:
            _pool_round(tasks, [i], 1, found, on_outcome, progress.writer, last=True)
    finally:
        progress.close()  # the pools' workers have ended: what they wrote is in the pipe
    return found


def _pool_round(
    tasks: Sequence[WardTask],
    which: Sequence[int],
    workers: int,
    found: dict[str, WardOutcome],
    on_outcome: Done | None,
    progress: Any,
    *,
    last: bool,
    idle: Callable[[], None] | None = None,
) -> list[int]:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # forkserver: workers fork from a clean server that imported the package once (no inherited
    # threads or locks from this process, as fork would give; faster than spawn).
    ctx = mp.get_context("forkserver")
    start_worker_server(quality=any(tasks[i].quality for i in which))
    if idle is not None and _take_fresh_server():
        # The server is importing on the other core: this process's own work costs nothing now,
        # whereas beside two busy workers it would take time from one of them.
        _idle(idle)
        idle = None
    broken: list[int] = []
    with ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(which))),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(progress,),
    ) as pool:
        pending: dict[Future[list[WardOutcome]], int] = {pool.submit(audit_wards, tasks[i]): i for i in which}
        if idle is not None:
            _idle(idle)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                if not last and isinstance(future.exception(), BrokenProcessPool):
                    broken.append(i)
                    continue
                for outcome in outcomes_of(future, tasks[i], "a worker process"):
                    found[outcome.path] = outcome
                    if on_outcome:
                        on_outcome(outcome)
    return sorted(broken)


def _idle(idle: Callable[[], None]) -> None:
    try:
        idle()
    except Exception:  # noqa: BLE001 - only a head start: the caller does the same work again
        _LOG.debug("head start while the pool audits failed; the work is redone later", exc_info=True)


def outcomes_of(future: Any, task: WardTask, where: str) -> Iterator[WardOutcome]:
    """The task's outcomes, or one failure per ward when its worker died or could not run it."""
    try:
        outcomes: list[WardOutcome] = future.result()
    except Exception as exc:  # noqa: BLE001 - a dead worker fails its own wards, not the batch
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        for p in task.paths:
            yield WardOutcome(path=p, error=f"{where} stopped while auditing {p} ({reason})")
        return
    yield from outcomes
