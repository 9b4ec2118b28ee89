"""The toolkit's own processes import GX without what the audit never uses, and lose nothing by it."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from audit_toolkit.startup import DeferredModule, defer_import

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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator (a no-op elsewhere)")
def test_tuned_allocator_gives_freed_big_arrays_back() -> None:
    # After one big block is freed, glibc's default keeps later blocks of that size in its heap
    # (a province's 8 MB columns stayed in the process after the check that made them).
    probe = """
import os, sys, numpy as np
from audit_toolkit.startup import tune_allocator
tuned = sys.argv[1] == "tuned"
if tuned:
    assert tune_allocator() is True
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
np.ones(2 << 20)  # a 16 MB block mapped and freed: glibc raises its threshold (untuned)
before = rss()
kept = [np.ones(1 << 20) for _ in range(40)]  # 320 MB
del kept[:-1]  # the last one, highest in the heap, keeps it from shrinking (untuned)
print((rss() - before) // (1 << 20))
"""

    # glibc's defaults, whatever this process was given: dask's nanny (the LocalCluster test) sets
    # MALLOC_TRIM_THRESHOLD_ in the environment of the process that starts it, and untuned glibc
    # would then give the blocks back too.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}

    def grown(how: str) -> int:
        run = subprocess.run(
            [sys.executable, "-c", probe, how], capture_output=True, text=True, check=True, env=env
        )
        return int(run.stdout)

    assert grown("tuned") < 40  # the 39 freed arrays are gone
    assert grown("default") > 200  # and untuned they would have stayed: the probe sees a regression
