"""GX in a helper process (run_audit's default): the same result as validating in this process.

The helper imports Great Expectations while this process loads and checks the ward; these tests
compare what a report reads from the two results, and check that a suite the helper cannot use
still raises the proper error here (the audit validates again in this process).
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from audit_toolkit.audit import run_audit
from audit_toolkit.errors import RuleError
from audit_toolkit.io import load_ward
from audit_toolkit.io.loader import read_table_alone
from audit_toolkit.quality import process, validate_tables
from audit_toolkit.quality.process import QualitySide, side_process_allowed

ROOT = Path(__file__).resolve().parents[1]
WARD = ROOT / "data" / "sample" / "xuat-hoa"


@pytest.fixture(scope="module")
def both() -> tuple[object, object]:
    kwargs = {"as_of": "2023-02-28", "period_from": "2022-01", "lang": "en"}
    return (
        run_audit(WARD, quality_process=True, **kwargs),  # type: ignore[arg-type]
        run_audit(WARD, quality_process=False, **kwargs),  # type: ignore[arg-type]
    )


def test_helper_gives_the_same_findings_and_quality_tables(both: tuple[object, object]) -> None:
    side, here = both
    pd.testing.assert_frame_equal(side.findings, here.findings)  # type: ignore[attr-defined]
    for attr in ("summary", "failures", "finding_rows"):
        pd.testing.assert_frame_equal(getattr(side.quality, attr), getattr(here.quality, attr))  # type: ignore[attr-defined]
    assert side.quality.skipped == here.quality.skipped  # type: ignore[attr-defined]
    assert len(here.quality.failures) > 0  # type: ignore[attr-defined]  # the sample ward fails rules: compared for real


def test_a_suite_the_helper_cannot_use_raises_here(tmp_path: Path) -> None:
    folder = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", folder)
    path = folder / "beneficiaries.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["expectations"][0]["kwargs"]["column"] = "catgory"  # a typo: GX cannot evaluate the rule
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RuleError) as err:
        run_audit(WARD, as_of="2023-02-28", expectations=folder)
    assert str(path) in str(err.value)


def test_helper_result_is_the_validation_of_the_submitted_tables() -> None:
    tables = load_ward(WARD).tables
    side = QualitySide.start()
    side.submit(tables, lang="vi", expectations=None)
    got, want = side.result(), validate_tables(tables, lang="vi")
    pd.testing.assert_frame_equal(got.summary, want.summary)
    side.close()  # idempotent after result()


def test_no_helper_inside_a_daemonic_worker() -> None:
    # A daemonic worker (multiprocessing.Pool, Dask's worker processes) may not start children:
    # there GX runs in the worker itself.
    import multiprocessing as mp

    assert side_process_allowed()
    with mp.get_context("spawn").Pool(1) as pool:
        assert pool.apply(side_process_allowed) is False


class HeldExecutor(Executor):
    """Runs nothing until told: a stand-in for the helper whose work finishes when the test says."""

    def __init__(self, *, fail: str | None = None) -> None:
        self.held: list[tuple[Future[Any], Any, tuple[Any, ...]]] = []
        self.fail = fail

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.held.append((future, fn, args))
        return future

    def finish(self) -> None:
        for future, fn, args in self.held:
            if future.done():
                continue
            if args[0] == self.fail:  # that table's call dies in the helper
                future.set_exception(RuntimeError("helper died"))
            else:
                future.set_result(fn(*args))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.finish()


def test_tables_are_sent_one_at_a_time_and_joined_as_validated_here() -> None:
    tables = load_ward(WARD).tables
    helper = HeldExecutor()
    side = QualitySide(helper)  # type: ignore[arg-type]
    side.submit(tables, lang="en", expectations=None)
    assert [args[0] for _, _, args in helper.held] == list(tables)  # one call per table, names first
    helper.finish()
    got, want = side.result(), validate_tables(tables, lang="en")
    for attr in ("summary", "failures", "finding_rows"):
        pd.testing.assert_frame_equal(getattr(got, attr), getattr(want, attr))
    assert got.skipped == want.skipped
    assert len(want.failures) > 0


def test_a_table_the_helper_fails_on_is_validated_here() -> None:
    tables = load_ward(WARD).tables
    helper = HeldExecutor(fail="payments")
    side = QualitySide(helper)  # type: ignore[arg-type]
    side.submit(tables, lang="vi", expectations=None)
    helper.finish()
    pd.testing.assert_frame_equal(side.result().failures, validate_tables(tables, lang="vi").failures)


def test_idle_work_runs_while_the_helper_is_busy_and_cannot_break_the_result() -> None:
    tables = load_ward(WARD).tables
    want = validate_tables(tables, lang="vi")
    calls: list[str] = []
    helper = HeldExecutor()
    side = QualitySide(helper)  # type: ignore[arg-type]
    side.submit(tables, lang="vi", expectations=None)

    def idle() -> None:
        calls.append("idle")
        helper.finish()  # the helper finishes meanwhile
        raise RuntimeError("a failed head start is ignored")

    pd.testing.assert_frame_equal(side.result(idle=idle).summary, want.summary)
    assert calls == ["idle"]
    helper = HeldExecutor()
    side = QualitySide(helper)  # type: ignore[arg-type]
    side.submit(tables, lang="vi", expectations=None)
    helper.finish()
    pd.testing.assert_frame_equal(side.result(idle=lambda: calls.append("late")).summary, want.summary)
    assert calls == ["idle"]  # nothing to wait for: no idle work


# ---------------------------------------------------------------------------------------------
# A large ward's largest table read by the helper while this process reads the others


class HeldReader(HeldExecutor):
    """A held helper that leaves out GX's warm-up import (it would tune this test process)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        if fn is process.warm_gx:
            done: Future[Any] = Future()
            done.set_result(None)
            return done
        return super().submit(fn, *args, **kwargs)


def _same_read(got: Any, want: Any) -> None:
    pd.testing.assert_frame_equal(got[0], want[0])
    pd.testing.assert_frame_equal(got[1], want[1])
    assert got[2:5] == want[2:5]


def test_a_table_the_helper_read_is_validated_from_its_own_copy_not_sent_back() -> None:
    tables = dict(load_ward(WARD).tables)
    helper = HeldReader()
    side = QualitySide(helper, warmed=False)  # type: ignore[arg-type]
    reads = side.offload(WARD, ["residents"])
    # Read, then cut at once to what GX reads of it (the helper holds no more until GX gets to it).
    assert [fn for _, fn, _ in helper.held] == [process._read_table, process._cut_kept]
    helper.finish()
    assert "residents" in process._CUT and "residents" not in process._KEPT
    read = reads["residents"]()
    _same_read(read, read_table_alone(WARD, "residents"))
    tables["residents"] = read[0]
    side.submit(tables, lang="en", expectations=None)
    calls = {args[0]: (fn, args) for _, fn, args in helper.held[2:]}
    assert list(calls) == list(tables)
    assert calls["residents"] == (process._validate_kept, ("residents", "en", None))  # no rows sent
    assert all(fn is process._validate_table for t, (fn, _) in calls.items() if t != "residents")
    helper.finish()
    got, want = side.result(), validate_tables(tables, lang="en")
    for attr in ("summary", "failures", "finding_rows"):
        pd.testing.assert_frame_equal(getattr(got, attr), getattr(want, attr))
    assert got.skipped == want.skipped
    assert not process._KEPT and not process._CUT  # validated once, then let go


def test_a_table_the_helper_could_not_read_is_read_and_validated_here() -> None:
    helper = HeldReader()
    side = QualitySide(helper, warmed=False)  # type: ignore[arg-type]
    reads = side.offload(WARD, ["no_such_table"])
    helper.finish()
    assert reads["no_such_table"]() is None
    tables = load_ward(WARD).tables
    side.submit(tables, lang="vi", expectations=None)
    assert all(fn is process._validate_table for _, fn, _ in helper.held[2:])
    helper.finish()
    pd.testing.assert_frame_equal(side.result().summary, validate_tables(tables, lang="vi").summary)


def test_the_real_helper_passes_the_table_through_a_private_folder_it_removes() -> None:
    side = QualitySide.start(gx_now=False)
    waited: list[str] = []
    side._idle = lambda: waited.append("idle")
    reads = side.offload(WARD, ["residents"])
    folder = Path(str(side._scratch))
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700
    read = reads["residents"]()
    _same_read(read, read_table_alone(WARD, "residents"))
    assert list(folder.iterdir()) == []  # the file went once read
    assert len(waited) <= 1  # idle work at most once, while the helper was still reading
    side.close()
    assert not folder.exists()


def test_run_audit_on_a_large_ward_gives_the_same_result(
    both: tuple[object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit_toolkit.io import loader

    monkeypatch.setattr(loader, "_TOGETHER_MAX_BYTES", 0)  # the sample ward read as a province is
    asked: list[list[str]] = []
    offload = QualitySide.offload

    def spy(self: QualitySide, ward: Path, tables: list[str]) -> Any:
        asked.append(list(tables))
        return offload(self, ward, tables)

    monkeypatch.setattr(QualitySide, "offload", spy)
    got = run_audit(WARD, as_of="2023-02-28", period_from="2022-01", lang="en")
    assert asked == [loader._offloaded(loader._prepare(WARD, False))] and asked[0]  # its largest table
    _, here = both
    pd.testing.assert_frame_equal(got.findings, here.findings)  # type: ignore[attr-defined]
    for attr in ("summary", "failures", "finding_rows"):
        pd.testing.assert_frame_equal(getattr(got.quality, attr), getattr(here.quality, attr))  # type: ignore[attr-defined]


def test_a_helper_kept_open_outlives_the_gx_result_then_exits_cleanly_when_closed() -> None:
    import os

    side = QualitySide.start(gx_now=False, keep_open=True)
    tables = load_ward(WARD, offload=side.offload).tables
    side.submit(tables, lang="vi", expectations=None)
    pd.testing.assert_frame_equal(side.result().summary, validate_tables(tables, lang="vi").summary)
    pid = side.call(os.getpid)
    assert pid is not None and pid.result(timeout=60) != os.getpid()  # still there, for more work
    import time

    import psutil

    helper = psutil.Process(pid.result())
    side.close()
    assert side.call(os.getpid) is None  # closed: nothing more runs there
    # The helper ends on its own (the executor reaps it); wait for it, but not forever.
    deadline = time.monotonic() + 60
    while helper.is_running() and helper.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not helper.is_running() or helper.status() == psutil.STATUS_ZOMBIE


def test_a_helper_ends_with_status_0_without_tearing_its_interpreter_down() -> None:
    import multiprocessing as mp
    import os
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        1, mp_context=mp.get_context("spawn"), initializer=process._exit_without_teardown
    )
    assert pool.submit(os.getpid).result(timeout=60) != os.getpid()
    procs = list(pool._processes.values())  # type: ignore[attr-defined]
    pool.shutdown(wait=True)  # the executor joins its process: its status is known
    assert [p.exitcode for p in procs] == [0]


def test_a_kept_table_cut_for_other_suites_is_validated_here(tmp_path: Path) -> None:
    # The helper cut its copy for the suites it was started with; asked to validate with others,
    # it declines and this process validates the table itself (the same result as everywhere).
    folder = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", folder)
    suite = folder / "residents.json"
    doc = json.loads(suite.read_text(encoding="utf-8"))
    doc["expectations"] = doc["expectations"][:1]  # other suites: another summary for the residents
    suite.write_text(json.dumps(doc), encoding="utf-8")
    helper = HeldReader()
    side = QualitySide(helper, warmed=False)  # type: ignore[arg-type]  # started for the default suites
    reads = side.offload(WARD, ["residents"])
    helper.finish()
    tables = dict(load_ward(WARD).tables)
    tables["residents"] = reads["residents"]()[0]
    side.submit(tables, lang="vi", expectations=folder)
    helper.finish()
    assert process._validate_kept("residents", "vi", str(folder)) is None  # nothing left, or declined
    got, want = side.result(), validate_tables(tables, lang="vi", suites_dir=folder)
    for attr in ("summary", "failures", "finding_rows"):
        pd.testing.assert_frame_equal(getattr(got, attr), getattr(want, attr))
    assert len(got.summary) != len(validate_tables(tables, lang="vi").summary)  # the suites differ
    assert not process._KEPT and not process._CUT


def test_without_a_memory_backed_folder_every_table_is_read_here(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Where there is no /dev/shm (macOS, Windows), a table is never passed through a file on disk:
    # the helper only runs GX, and the audit reads every table itself.
    monkeypatch.setattr(process, "SCRATCH_ROOT", str(tmp_path / "no-such-folder"))
    warmed: list[Any] = []

    class Recording(HeldReader):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            if fn is process.warm_gx:
                warmed.append(fn)
            return super().submit(fn, *args, **kwargs)

    helper = Recording()
    side = QualitySide(helper, warmed=False)  # type: ignore[arg-type]
    assert side.offload(WARD, ["residents"]) == {}
    assert helper.held == [] and warmed == [process.warm_gx]  # GX's import is still started early
    assert side._scratch is None
    assert not list(tmp_path.iterdir())


def test_the_helper_forks_from_a_single_threaded_process_and_spawns_otherwise() -> None:
    import subprocess
    import sys

    code = (
        "import threading, time\n"
        "from audit_toolkit.quality.process import _start_method\n"
        "alone = _start_method()\n"
        "threading.Thread(target=time.sleep, args=(1,), daemon=True).start()\n"
        "print(alone, _start_method())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["fork", "spawn"]


def test_a_forked_helper_validates_as_this_process_does(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI forks its helper (it has one thread); pytest's workers may not, so force it here.
    tables = load_ward(WARD).tables
    monkeypatch.setattr(process, "_start_method", lambda: "fork")
    side = QualitySide.start()
    side.submit(tables, lang="vi", expectations=None)
    got = side.result()
    # Every table was validated by the helper itself (a failed helper is replaced by this process).
    assert side._futures and all(f.result() is not None for f in side._futures)
    expected = validate_tables(tables, lang="vi")
    pd.testing.assert_frame_equal(got.summary, expected.summary)
    pd.testing.assert_frame_equal(got.failures, expected.failures)
