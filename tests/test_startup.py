"""The toolkit's own processes import GX without what the audit never uses, and lose nothing by it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

import audit_toolkit.batch as batch_module
from audit_toolkit.startup import (
    GC_THRESHOLDS,
    MMAP_THRESHOLD,
    WORKER_MMAP_THRESHOLD,
    DeferredModule,
    defer_import,
    fewer_collections,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "deferred_probe.py").write_text("LOADS = 1\nVALUE = 42\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "deferred_probe", raising=False)
    return "deferred_probe"


def test_a_deferred_module_loads_on_first_attribute(fake_module: str) -> None:
    assert defer_import(fake_module)
    stand_in = sys.modules[fake_module]
    assert isinstance(stand_in, DeferredModule)
    assert stand_in.__name__ == fake_module  # the import system's reads load nothing
    import deferred_probe  # type: ignore[import-not-found]  # the stand-in, still not loaded

    assert deferred_probe is stand_in and "VALUE" not in vars(stand_in)
    assert deferred_probe.VALUE == 42  # now loaded: the real module replaced the stand-in
    real = sys.modules[fake_module]
    assert isinstance(real, types.ModuleType) and not isinstance(real, DeferredModule)
    assert real.VALUE == 42


def test_defer_leaves_imported_and_unknown_modules_alone() -> None:
    assert not defer_import("json")  # imported already
    assert not defer_import("no_such_module_here_at_all")
    assert "no_such_module_here_at_all" not in sys.modules


def test_gx_imports_and_validates_without_scipy_stats_or_altair() -> None:
    code = (
        "import sys\n"
        "from audit_toolkit.startup import prepare_gx_import\n"
        "prepare_gx_import()\n"
        "import great_expectations\n"
        "from audit_toolkit.audit import run_audit\n"
        "r = run_audit('data/sample/xuat-hoa', as_of='2023-02-28', period_from='2022-01', quality_process=False)\n"
        "assert r.quality is not None and len(r.quality.summary) > 0\n"
        "print('scipy.stats._stats_py' in sys.modules, 'altair.vegalite' in sys.modules)\n"
        "from scipy import stats\n"
        "print(round(float(stats.entropy([0.5, 0.5], [0.5, 0.5])), 3))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300
    ).stdout.split("\n")
    assert out[0] == "False False"  # the suites never needed them
    assert out[1] == "0.0"  # and they still work when used


#: The allocator tests read glibc's behaviour (tune_allocator is a no-op elsewhere).
_GLIBC = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")

#: The start of a memory probe: ``rss()``, the resident size of the probe's own process in bytes.
_RSS = """
import os
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
"""


def _probe_mib(probe: str, arg: str) -> int:
    """The number (MiB) a memory probe prints, run in a fresh interpreter with glibc's defaults,
    whatever this process was given: dask's nanny (the LocalCluster test) sets
    ``MALLOC_TRIM_THRESHOLD_`` in the environment of the process that starts it, and untuned glibc
    would then give blocks back too."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    run = subprocess.run(
        [sys.executable, "-c", _RSS + probe, arg], capture_output=True, text=True, check=True, env=env
    )
    return int(run.stdout)


@_GLIBC
def test_tuned_allocator_gives_freed_big_arrays_back() -> None:
    # After one big block is freed, glibc's default keeps later blocks of that size in its heap
    # (a province's frames of 16 MB and more stayed in the process after the check that made them).
    probe = """
import os, sys, numpy as np
from audit_toolkit.startup import MMAP_THRESHOLD, tune_allocator
tuned = sys.argv[1] == "tuned"
if tuned:
    assert tune_allocator() is True
np.ones(3 << 20)  # a 24 MB block mapped and freed: glibc raises its threshold to 24 MB (untuned)
before = rss()
size = 2 * MMAP_THRESHOLD // 8  # 16 MB blocks: from the tuned threshold up, under the raised one
kept = [np.ones(size) for _ in range(320 * (1 << 20) // (8 * size))]  # 320 MB in all
del kept[:-1]  # the last one, highest in the heap, keeps it from shrinking (untuned)
print((rss() - before) // (1 << 20))
"""

    assert _probe_mib(probe, "tuned") < 40  # the freed arrays (304 MB) are gone
    assert (
        _probe_mib(probe, "default") > 200
    )  # and untuned they would have stayed: the probe sees a regression


@_GLIBC
def test_a_one_ward_process_keeps_million_value_columns_and_a_worker_gives_them_back() -> None:
    # A freed 4 MiB array: reused from the heap at the default threshold (a province's columns),
    # given back at a pool worker's.
    probe = """
import os, sys, numpy as np
from audit_toolkit.startup import tune_allocator
assert tune_allocator(int(sys.argv[1]) if sys.argv[1] else None) is True
before = rss()
block = np.ones(1 << 19)  # 4 MiB
del block
print((rss() - before) // (1 << 20))
"""

    assert 8_000_000 < MMAP_THRESHOLD  # a million values of 8 bytes stay under it
    assert _probe_mib(probe, "") >= 3
    assert _probe_mib(probe, str(WORKER_MMAP_THRESHOLD)) < 2


def test_a_pool_worker_starts_with_the_worker_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    import audit_toolkit.startup as startup

    calls: list[int | None] = []

    def record(threshold: int | None = None) -> bool:
        calls.append(threshold)
        return True

    monkeypatch.setattr(startup, "tune_allocator", record)
    monkeypatch.setattr(batch_module, "_PROGRESS", None)
    batch_module._init_worker(None)
    assert calls[-1] == WORKER_MMAP_THRESHOLD


@pytest.fixture
def default_gc() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's default, whatever this test process was given
    try:
        yield
    finally:
        gc.set_threshold(*before)


def test_fewer_collections_raises_the_thresholds_and_restores_them(default_gc: None) -> None:
    with fewer_collections():
        assert gc.get_threshold() == GC_THRESHOLDS
        with fewer_collections():  # nested: still raised, and not restored by the inner exit
            assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():  # restored on an error too
        raise RuntimeError("audit failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_fewer_collections_never_lowers_nor_switches_on(default_gc: None) -> None:
    gc.set_threshold(50_000, 5, 100)
    with fewer_collections():
        assert gc.get_threshold() == (50_000, GC_THRESHOLDS[1], 100)
    assert gc.get_threshold() == (50_000, 5, 100)
    gc.set_threshold(0)  # automatic collection switched off by the user: stays off
    with fewer_collections():
        assert gc.get_threshold()[0] == 0


def test_fewer_collections_across_threads_restores_once_all_have_left(default_gc: None) -> None:
    # Two audits in two threads (a Dask worker's tasks) that end in either order.
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, ...]] = []

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with fewer_collections():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.get_threshold())  # the first has left: still raised for this one

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert seen == [GC_THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)


def test_audits_run_with_fewer_collections_and_leave_the_interpreter_as_found(
    default_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import audit_toolkit.audit as audit_mod
    import audit_toolkit.batch as batch_mod
    from audit_toolkit.batch import WardTask

    seen: list[tuple[int, ...]] = []

    def spy(*args: object, **kwargs: object) -> list[object]:
        seen.append(gc.get_threshold())
        return []

    monkeypatch.setattr(audit_mod, "audit_loaded", spy)
    monkeypatch.setattr(batch_mod, "_audit_wards", spy)
    monkeypatch.setattr(audit_mod, "discover_wards", spy)  # a batch run in this process, no ward
    audit_mod.run_audit(ROOT / "data" / "sample" / "phung-chi-kien", as_of="2023-02-28", quality=False)
    batch_mod.audit_wards(WardTask(paths=(), as_of="2023-02-28", period_from="2022-03"))
    audit_mod.run_batch(ROOT / "data" / "sample", as_of="2023-02-28", quality=False)
    assert seen == [GC_THRESHOLDS, GC_THRESHOLDS, GC_THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)


def test_the_toolkits_own_processes_keep_the_raised_thresholds() -> None:
    code = "import gc; from audit_toolkit.startup import prepare_process; prepare_process(); print(gc.get_threshold())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(GC_THRESHOLDS)
