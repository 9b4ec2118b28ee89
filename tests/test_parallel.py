"""Batches on a process pool: the same outputs as one process, failures reported per ward.

``--workers N`` audits wards in worker processes that write each ward's outputs and send back
slim results; the cross-ward check and the summary run in the parent. These tests compare the
files written with ``--workers 1`` (the same tasks in this process) and ``--workers 2`` (a real
process pool), and both with the in-memory batch (full results, no slimming), on the sample
wards plus an unusable ward.
"""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import audit_toolkit.batch as batch_module
from audit_toolkit.audit import run_batch
from audit_toolkit.batch import WardTask, audit_wards, chunk_size, group_wards, slim_result
from audit_toolkit.checks.lines import PAID_MONTHS_COLUMNS
from audit_toolkit.cli import main
from audit_toolkit.io import discover_wards
from audit_toolkit.quality.process import WardsSide
from audit_toolkit.report import write_batch
from audit_toolkit.startup import GC_THRESHOLDS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
ARGS = ["--as-of", "2023-02-28", "--from", "2022-01"]


def _files(out: Path) -> dict[str, bytes]:
    """Every findings.csv under ``out`` by relative path (the files whose bytes must not differ)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.glob("*/findings.csv"))}


def _summary(out: Path) -> dict[str, object]:
    manifest = json.loads((out / "summary" / "manifest.json").read_text(encoding="utf-8"))
    return {k: manifest[k] for k in ("wards", "errors", "cross_ward")}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample wards and one unusable workbook."""
    folder = tmp_path_factory.mktemp("city") / "city"
    shutil.copytree(SAMPLE, folder)
    (folder / "broken.xlsx").write_bytes(b"not a workbook")
    return folder


@pytest.fixture
def one_ward_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks of one ward, so that five wards really spread over a pool of two processes."""
    monkeypatch.setattr(batch_module, "MIN_PER_TASK", 1)


@pytest.mark.usefixtures("one_ward_tasks")
def test_workers_write_the_same_outputs_as_one_process(city: Path, tmp_path: Path) -> None:
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        assert main(["audit", str(city), *ARGS, "--out", str(out), "--workers", str(workers)]) == 0
        outs[workers] = out
    one, two = _files(outs[1]), _files(outs[2])
    assert len(one) == len(discover_wards(SAMPLE)) + 1  # every ward and the summary's cross-ward file
    assert one == two
    assert _summary(outs[1]) == _summary(outs[2])
    assert "broken.xlsx" in _summary(outs[2])["errors"]  # type: ignore[operator]
    # The reference: the batch audited in memory with full results, written afterwards.
    reference = tmp_path / "memory"
    write_batch(run_batch(city, as_of="2023-02-28", period_from="2022-01"), reference)
    assert _files(reference) == one
    cross = pd.read_csv(outs[2] / "summary" / "findings.csv", dtype=str, encoding="utf-8-sig")
    assert len(cross) > 0  # the sample wards share people: the cross-ward check really compared them


@pytest.mark.usefixtures("one_ward_tasks")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_batch_with_no_readable_ward_exits_2_naming_each_problem(
    workers: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    city = tmp_path / "city"
    city.mkdir()
    # a workbook that is not one
    (city / "hong.xlsx").write_bytes(b"not a workbook")
    # a ward whose beneficiary list lacks its category column
    ward = city / "thieu-cot"
    ward.mkdir()
    (ward / "beneficiaries.csv").write_text(
        "Họ và tên,Ngày sinh\nNguyễn Văn An,01/01/1950\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    assert main(["audit", str(city), *ARGS, "--out", str(out), "--workers", workers]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "hong.xlsx" in err and "thieu-cot" in err
    assert "category" in err  # the second ward's own problem, not only its name
    assert not (out / "summary").exists()  # no empty summary that reads as "no findings"


def test_one_ward_failing_leaves_the_others_complete(city: Path) -> None:
    paths = (str(city / "broken.xlsx"), str(city / "duc-xuan"))
    outcomes = audit_wards(WardTask(paths=paths, as_of="2023-02-28", period_from="2022-01", quality=False))
    assert [o.path for o in outcomes] == list(paths)
    assert outcomes[0].result is None and outcomes[0].error and "broken.xlsx" in outcomes[0].error
    assert outcomes[1].error is None and outcomes[1].result is not None
    assert len(outcomes[1].result.findings) > 0


def test_a_ward_the_worker_cannot_see_is_named(tmp_path: Path) -> None:
    gone = tmp_path / "not-mounted" / "phuong-a"
    [outcome] = audit_wards(WardTask(paths=(str(gone),), as_of="2023-02-28", quality=False))
    assert outcome.result is None
    assert outcome.error is not None and str(gone) in outcome.error and "worker" in outcome.error


def test_slim_result_keeps_what_the_batch_reads_and_drops_the_tables() -> None:
    [outcome] = audit_wards(
        WardTask(paths=(str(SAMPLE / "duc-xuan"),), as_of="2023-02-28", period_from="2022-01", slim=False)
    )
    full = outcome.result
    assert full is not None
    slim = slim_result(full)
    assert set(slim.ward.tables) == set(full.ward.tables)  # ctx.has() answers as before
    for name, frame in slim.ward.tables.items():
        if name != "report":  # the columns stay, over no rows (and no dtypes: nothing reads them)
            assert len(frame) == 0 and list(frame.columns) == list(full.ward.tables[name].columns)
    pd.testing.assert_frame_equal(slim.ward.tables["report"], full.ward.tables["report"])
    assert slim.quality is None and slim.context.rules is None
    pd.testing.assert_frame_equal(slim.findings, full.findings)
    pd.testing.assert_frame_equal(slim.context.lines, full.context.lines)
    slim_pay, full_pay = slim.context.payments_linked, full.context.payments_linked
    # Every row, and only the columns the cross-ward check prices months with.
    assert set(PAID_MONTHS_COLUMNS) < set(full_pay.columns)
    assert list(slim_pay.columns) == [c for c in full_pay.columns if c in PAID_MONTHS_COLUMNS]
    pd.testing.assert_frame_equal(slim_pay, full_pay[list(slim_pay.columns)])
    assert slim.counts_by_check == full.counts_by_check
    assert len(full.ward.tables["residents"]) > 0  # the full result is left as it was


@pytest.mark.parametrize(
    "ward", sorted(p.name for p in SAMPLE.iterdir() if p.is_dir() or p.suffix == ".xlsx")
)
def test_a_slim_result_prices_every_line_as_the_full_result_does(ward: str) -> None:
    # What CROSS_WARD_DUPLICATE reads of a slim result: every line's months, priced and paid
    # (ambiguous payments tied to lines included), as from the full result.
    from audit_toolkit.checks.lines import month_values

    [outcome] = audit_wards(
        WardTask(paths=(str(SAMPLE / ward),), as_of="2023-02-28", period_from="2022-01", slim=False)
    )
    full = outcome.result
    assert full is not None
    slim = slim_result(full)
    slim.context.rules = full.context.rules
    every = np.arange(len(full.context.lines), dtype=np.int64)
    for mine, theirs in zip(
        month_values(slim.context, every), month_values(full.context, every), strict=True
    ):
        pd.testing.assert_frame_equal(mine, theirs)


def test_slim_result_carries_what_the_parent_would_otherwise_compute_ward_by_ward() -> None:
    from audit_toolkit.batch import NEAR_FRAME
    from audit_toolkit.checks.linkage import possible_duplicate_frame
    from audit_toolkit.roster import roster_summary

    [outcome] = audit_wards(
        WardTask(paths=(str(SAMPLE / "duc-xuan"),), as_of="2023-02-28", period_from="2022-01", slim=False)
    )
    full = outcome.result
    assert full is not None
    made_by_worker = roster_summary(full)  # written reports build it on the worker
    slim = slim_result(full)
    assert roster_summary(slim) is made_by_worker
    near = slim.context.extras[NEAR_FRAME]
    # The frame the parent would make from the full result, undated rows included (Đức Xuân has one).
    assert near["undated"].sum() == 1 and slim.ward.undated is None
    pd.testing.assert_frame_equal(near, possible_duplicate_frame(full.context))
    # CROSS_WARD_DUPLICATE's line frame (keys offset, sources prefixed) comes from the ward's own,
    # made for its checks and shipped: the same frame as one built from the full context.
    from audit_toolkit.checks.lines import line_frame

    shipped = line_frame(pickle.loads(pickle.dumps(slim)).context, offset=1000, prefix="01840/")
    pd.testing.assert_frame_equal(shipped, line_frame(full.context, offset=1000, prefix="01840/"))
    assert shipped["key"].min() == 1000 and shipped["source"].str.startswith("01840/").all()
    pd.testing.assert_frame_equal(line_frame(slim.context), line_frame(full.context))


@pytest.mark.parametrize(
    ("wards", "workers", "size"),
    [
        (4, 1, 10),  # one process: every ward in one task (one GX pass per table)
        (4, 2, 10),  # a few wards: one task, not two GX passes and two GX imports
        (20, 2, 10),  # two workers: ten wards each
        (31, 2, 16),  # an odd count: the last task is smaller
        (100, 2, 25),  # never more than 25 wards loaded together: two tasks per worker
        (51, 2, 13),  # even tasks: four of 13, 13, 13 and 12 wards, not 25 + 25 + a task of one
        (101, 2, 17),  # six tasks (three per worker), the last of 16 wards
        (1000, 2, 25),  # twenty tasks per worker
        (60, 2, 15),  # four tasks of 15 (30 wards a worker), not 25, 25 and 10 (35 on one worker)
        (150, 4, 19),  # four workers, two rounds: eight tasks of 19 wards (the last of 17)
        (1, 8, 10),  # more workers than wards: one task
    ],
)
def test_chunk_size(wards: int, workers: int, size: int) -> None:
    assert chunk_size(wards, workers) == size


def test_group_wards_cuts_by_count_and_by_input_bytes(tmp_path: Path) -> None:
    sizes = {"a": 10, "b": 10, "c": 50, "d": 10, "e": 10, "f": 10}
    paths = []
    for name, size in sizes.items():
        ward = tmp_path / name
        ward.mkdir()
        (ward / "beneficiaries.csv").write_bytes(b"x" * size)
        paths.append(str(ward))
    workbook = tmp_path / "g.xlsx"
    workbook.write_bytes(b"x" * 15)
    paths.append(str(workbook))
    paths.append(str(tmp_path / "missing"))  # cannot be listed: counts 0 bytes (its task says why)

    def names(groups: list[tuple[str, ...]]) -> list[str]:
        return ["".join(Path(p).stem for p in g) for g in groups]

    # By count only (bytes never reach the cap): the order is kept.
    assert names(group_wards(paths, 3, max_bytes=10_000)) == ["abc", "def", "gmissing"]
    # A cap of 40 bytes: "c" (50) is alone; the workbook's own size counts.
    assert names(group_wards(paths, 10, max_bytes=40)) == ["ab", "c", "def", "gmissing"]
    assert names(group_wards(paths, 10, max_bytes=35)) == ["ab", "c", "def", "gmissing"]
    assert names(group_wards(paths, 10, max_bytes=25)) == ["ab", "c", "de", "fgmissing"]
    # Every ward in exactly one task, in order.
    assert [p for g in group_wards(paths, 2, max_bytes=25) for p in g] == paths


@pytest.mark.usefixtures("one_ward_tasks")
@pytest.mark.parametrize("workers", [1, 2])
def test_progress_counts_every_ward_once_across_workers(workers: int, city: Path, tmp_path: Path) -> None:
    events: list[tuple[int, int, str]] = []
    batch = run_batch(
        city,
        as_of="2023-02-28",
        period_from="2022-01",
        quality=False,
        workers=workers,
        out=tmp_path,
        on_progress=lambda done, total, path: events.append((done, total, path.name)),
    )
    names = sorted(p.name for p in discover_wards(city))  # batch.yml is not a ward
    # wards done of N, one event per ward (the unusable one included), counting up to N
    assert [e[0] for e in events] == list(range(1, len(names) + 1))
    assert {e[1] for e in events} == {len(names)}
    assert sorted(e[2] for e in events) == names
    assert len(batch.results) == len(names) - 1


def test_the_batch_rates_file_travels_with_the_tasks(tmp_path: Path) -> None:
    # A batch rates.yml (data contract §1b) applies to every ward on every engine: the tasks' run gives
    # the findings of the in-memory run and records the file in the batch parameters.
    batch_2026 = Path(__file__).resolve().parents[1] / "data" / "sample-2026"
    kwargs = {"as_of": "2026-06-30", "period_from": "2025-01", "quality": False}
    tasks = run_batch(batch_2026, out=tmp_path, workers=1, **kwargs)
    memory = run_batch(batch_2026, **kwargs)
    assert tasks.parameters["rates_file"] == memory.parameters["rates_file"] == str(batch_2026 / "rates.yml")

    def found(batch: Any) -> list[tuple[str, str, float]]:
        rows = pd.concat([r.findings for r in batch.results])
        return sorted(zip(rows["check_id"], rows["person_key"], rows["amount_vnd"], strict=True))

    assert found(tasks) == found(memory)


def test_gx_in_a_helper_process_gives_the_findings_and_quality_of_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    task = WardTask(
        paths=(str(SAMPLE / "duc-xuan"), str(SAMPLE / "xuat-hoa")),
        as_of="2023-02-28",
        period_from="2022-01",
        slim=False,
    )
    here = audit_wards(task)
    beside = audit_wards(task, quality_side=True)
    # A helper that cannot validate (here: it returns nothing) leaves GX to this process.
    monkeypatch.setattr(WardsSide, "result", lambda self, idle=None: None)
    fallback = audit_wards(task, quality_side=True)
    for runs in zip(here, beside, fallback, strict=True):
        results = [o.result for o in runs]
        assert all(r is not None for r in results)
        first = results[0]
        assert first is not None and first.quality is not None
        for other in results[1:]:
            assert other is not None and other.quality is not None
            pd.testing.assert_frame_equal(other.findings, first.findings)
            pd.testing.assert_frame_equal(
                other.quality.summary.drop(columns=["seconds"], errors="ignore"),
                first.quality.summary.drop(columns=["seconds"], errors="ignore"),
            )
            pd.testing.assert_frame_equal(other.quality.failures, first.quality.failures)


def test_pool_likely_counts_the_batch_folders_child_folders(tmp_path: Path) -> None:
    for i in range(batch_module.MIN_PER_TASK):
        (tmp_path / f"ward-{i}").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "rates.yml").write_text("", encoding="utf-8")
    # As many child folders as one task takes: one task, in this process (no pool).
    assert not batch_module.pool_likely(tmp_path, 2)
    (tmp_path / "ward-last").mkdir()
    assert batch_module.pool_likely(tmp_path, 2)
    assert not batch_module.pool_likely(tmp_path, 1)
    assert not batch_module.pool_likely(tmp_path / "absent", 2)


_SERVER_PROBE = """
import sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp
from audit_toolkit.batch import start_worker_server

assert start_worker_server(quality={quality}) is True
assert start_worker_server(quality={quality}) is False  # once per process
assert "great_expectations" not in sys.modules  # imported by the server, not here
with ProcessPoolExecutor(1, mp_context=mp.get_context("forkserver")) as pool:
    gx = pool.submit(eval, "'great_expectations' in __import__('sys').modules").result()
    audit = pool.submit(eval, "'audit_toolkit.audit' in __import__('sys').modules").result()
    gc = pool.submit(eval, "__import__('gc').get_threshold()").result()
print(gx, audit, gc[0])
"""


@pytest.mark.parametrize("quality", [True, False])
def test_workers_fork_from_a_server_that_imported_the_audit_and_gx_once(quality: bool) -> None:
    # A fresh interpreter: the server of this test process may have been started already.
    probe = subprocess.run(
        [sys.executable, "-c", _SERVER_PROBE.format(quality=quality)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    gx, audit, threshold = probe.stdout.split()
    # A worker starts with what the server imported: the audit, and GX for a validated batch
    # (imported after the toolkit's own start-up: the garbage collector's thresholds are raised).
    assert (gx, audit) == (str(quality), "True")
    assert (int(threshold) == GC_THRESHOLDS[0]) is quality


class _Pool:
    """Stands in for ProcessPoolExecutor: runs each task at once, in this process."""

    def __init__(self, events: list[str]) -> None:
        events.append("pool")

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Any, task: WardTask) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        future.set_result(fn(task))
        return future


@pytest.mark.parametrize("fresh", [True, False])
def test_the_parents_own_work_runs_while_a_fresh_server_imports(
    fresh: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import concurrent.futures

    events: list[str] = []
    monkeypatch.setattr(batch_module, "start_worker_server", lambda quality=True: fresh)
    monkeypatch.setattr(batch_module, "_take_fresh_server", lambda: fresh)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", lambda **kw: _Pool(events))
    tasks = [WardTask(paths=(str(tmp_path / "absent"),), as_of="2023-02-28", quality=False)]
    found: dict[str, Any] = {}
    broken = batch_module._pool_round(
        tasks, [0], 2, found, None, None, last=False, idle=lambda: events.append("idle")
    )
    assert broken == [] and found[str(tmp_path / "absent")].error
    # A server still importing leaves a core free for the parent's work: it runs first. Else the
    # workers start first (the work runs beside them, as a head start on what follows them).
    assert events == (["idle", "pool"] if fresh else ["pool", "idle"])


@pytest.mark.parametrize(
    ("extra", "started"),
    [
        ([], [True]),
        (["--no-quality"], [False]),
        (["--workers", "2"], [True]),
        (["--workers", "1"], []),
        (["--scheduler", "tcp://127.0.0.1:1"], []),
    ],
)
def test_the_cli_starts_the_worker_server_first_for_a_batch_on_a_pool(
    extra: list[str], started: list[bool], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(batch_module, "start_worker_server", lambda quality=True: calls.append(quality))
    monkeypatch.setattr(batch_module, "default_workers", lambda: 2)
    for i in range(batch_module.MIN_PER_TASK + 1):
        (tmp_path / f"ward-{i}").mkdir()  # no ward in them: the audit then stops (exit 2)
    assert main(["audit", str(tmp_path), *ARGS, "--out", str(tmp_path / "out"), *extra]) == 2
    assert calls == started


def test_a_worker_server_that_cannot_start_early_does_not_stop_the_audit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(quality: bool = True) -> bool:
        raise OSError("no more processes")

    monkeypatch.setattr(batch_module, "start_worker_server", refuse)
    monkeypatch.setattr(batch_module, "default_workers", lambda: 2)
    for i in range(batch_module.MIN_PER_TASK + 1):
        (tmp_path / f"ward-{i}").mkdir()
    # The audit goes on to its own verdict on the folder (no table in it: exit 2, saying so).
    assert main(["audit", str(tmp_path), *ARGS, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "beneficiaries" in err and "no more processes" not in err


class _WorkerKiller:
    """Kills this process's pool workers (the fork server's children) with SIGKILL, from a thread:
    the first one only (``once``), or every one until stopped. Real deaths, no mock of the pool."""

    def __init__(self, *, once: bool) -> None:
        import threading

        self.once = once
        self.killed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _workers(self) -> list[Any]:
        import psutil

        found = []
        for child in psutil.Process().children(recursive=True):
            try:
                parent = child.parent()
                if parent is not None and "forkserver" in " ".join(parent.cmdline()):
                    found.append(child)
            except psutil.Error:  # ended meanwhile
                continue
        return found

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            for worker in self._workers():
                try:
                    worker.kill()
                except psutil.Error:
                    continue
                self.killed += 1
                if self.once:
                    return
            self._stop.wait(0.01)

    def __enter__(self) -> _WorkerKiller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.mark.usefixtures("one_ward_tasks")
def test_a_worker_killed_mid_batch_leaves_the_same_outputs(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pool breaks; the tasks it held run again, one per fresh pool, and complete.
    one = tmp_path / "one"
    assert main(["audit", str(city), *ARGS, "--out", str(one), "--workers", "1"]) == 0
    killed = tmp_path / "killed"
    with _WorkerKiller(once=True) as killer:
        assert main(["audit", str(city), *ARGS, "--out", str(killed), "--workers", "2"]) == 0
    assert killer.killed == 1
    assert "Traceback" not in capsys.readouterr().err
    assert _files(killed) == _files(one)
    assert _summary(killed) == _summary(one)


@pytest.mark.usefixtures("one_ward_tasks")
def test_workers_that_keep_dying_fail_their_wards_by_name_and_exit_2(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every worker dies, the re-run ones too: each ward is named as stopped, nothing hangs, and
    # with no ward audited the command exits 2 without a summary that would read "no findings".
    out = tmp_path / "out"
    with _WorkerKiller(once=False) as killer:
        assert main(["audit", str(city), *ARGS, "--out", str(out), "--workers", "2"]) == 2
    # broken.xlsx is unusable anyway: its own error may come before its worker is killed.
    good = [ward for ward in discover_wards(city) if ward.name != "broken.xlsx"]
    assert killer.killed >= 2  # the first pool's worker, and the re-run ones'
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for ward in good:
        assert f"a worker process stopped while auditing {ward}" in err, ward
    assert not (out / "summary").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only")
def test_progress_from_many_writers_arrives_whole_and_once() -> None:
    # Pool workers write to one pipe without a lock: 3 processes × 400 wards, each message whole,
    # and every one delivered, also those still in the pipe when the workers have ended.
    import multiprocessing as mp
    import time

    paths = [f"/shared/city/phuong-{i:04d}" for i in range(1200)]
    seen: list[str] = []

    def slow_first(path: str) -> None:
        if not seen:  # the rest waits in the pipe: close() must still deliver it
            time.sleep(0.5)
        seen.append(path)

    progress = batch_module._Progress(paths, slow_first)

    def write(part: list[str]) -> None:
        batch_module._PROGRESS = progress.writer
        for path in part:
            batch_module._tick(path)

    writers = [mp.get_context("fork").Process(target=write, args=(paths[i::3],)) for i in range(3)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=60)
        assert process.exitcode == 0
    progress.close()
    assert sorted(seen) == paths
