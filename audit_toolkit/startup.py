"""Start-up of the toolkit's own processes (CLI, pool workers, GX helper): a lighter GX import, an
allocator that gives freed memory back (:func:`tune_allocator`), and a garbage collector that runs
less often during an audit (:func:`fewer_collections`).

``import great_expectations`` costs 3–5 s of CPU, about half of it in modules the audit's suites
never run: jsonschema's optional IRI grammar (``rfc3987_syntax``, compiled on import) and, through
the one expectation that draws a KL-divergence chart, ``scipy.stats`` and ``altair``. Here the
grammar is left out (jsonschema imports it under ``suppress(ImportError)`` and only loses the
``iri`` format check of JSON schemas, which the audit never validates) and the two others are
*deferred*: the module object GX binds at import is a stand-in that imports the real module the
first time any of its attributes is read, so a suite that does use them still works, only later.

Done only in processes the toolkit starts or owns (never by importing the library, which must not
change a user's interpreter); a module already imported is left alone. This module imports nothing
heavy (the CLI calls it before parsing its arguments).

Example:
    >>> prepare_gx_import()  # doctest: +SKIP
    >>> import great_expectations  # ≈ 1.5 s less CPU
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import importlib
import importlib.util
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

__all__ = [
    "DEFERRED",
    "GC_THRESHOLDS",
    "MMAP_THRESHOLD",
    "WORKER_MMAP_THRESHOLD",
    "DeferredModule",
    "defer_import",
    "fewer_collections",
    "prepare_gx_import",
    "prepare_process",
    "tune_allocator",
]

#: Modules GX imports at start-up but uses only in expectations the audit's suites do not run.
DEFERRED = ("scipy.stats", "altair")


class DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module until one of its attributes is first read.

    ``__name__`` and ``__spec__`` are plain attributes (the import system reads them without
    loading anything); any other attribute imports the real module, which replaces the stand-in
    in ``sys.modules``, and is read from it.
    """

    def __getattr__(self, attr: str) -> Any:
        real = self.__dict__.get("_deferred_real")
        if real is None:
            name = self.__name__
            if sys.modules.get(name) is self:
                del sys.modules[name]
            real = importlib.import_module(name)
            self.__dict__["_deferred_real"] = real
        return getattr(real, attr)


def defer_import(name: str) -> bool:
    """Put a :class:`DeferredModule` for ``name`` in ``sys.modules``; False when not possible.

    Nothing happens when ``name`` is imported already or cannot be found.
    """
    if name in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(name)  # imports the parent package (scipy: ≈ 10 ms)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    stand_in = DeferredModule(name)
    stand_in.__spec__ = spec
    sys.modules[name] = stand_in
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, stand_in)
    return True


def prepare_gx_import() -> None:
    """Skip jsonschema's IRI grammar and defer :data:`DEFERRED` before GX is imported (see module doc)."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    for name in DEFERRED:
        defer_import(name)


#: Blocks from this size up are mapped on their own and unmapped when freed (glibc ``M_MMAP_THRESHOLD``):
#: a million-value column (8,000,000 bytes) stays under it, in the heap, for the next check to reuse.
MMAP_THRESHOLD = 8 << 20
#: Free memory at the top of the heap beyond this is given back to the system (``M_TRIM_THRESHOLD``).
TRIM_THRESHOLD = 32 << 20
#: The mmap threshold of a batch's pool workers (small wards; see :func:`tune_allocator`).
WORKER_MMAP_THRESHOLD = 1 << 20
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator(threshold: int | None = None) -> bool:
    """Make glibc's ``malloc`` return the big temporary arrays of an audit to the system.

    numpy's arrays are ``malloc``-ed. glibc maps a large block on its own and unmaps it when freed,
    but after the first such free it raises its threshold up to 32 MB, and from then on keeps
    freed blocks of that size in the heap, where they stay in the process's memory long after the
    check that made them: a province audit held ≈ 0.5 GB more than it used (peak 3.05 GB).
    A fixed threshold (``mallopt``, as ``MALLOC_MMAP_THRESHOLD_`` would set it at start-up) of
    8 MiB keeps that behaviour for every block from 8 MiB up, and keeps smaller blocks in the heap,
    where the next check reuses them: a province's one-column arrays (a million values of 8 bytes:
    8,000,000 bytes, under 8 MiB) are made and dropped by the thousand, and as fresh mappings each
    one's pages were faulted in again by the kernel (a million page faults, ≈ 5 s of system time
    at 1 MiB). Measured on the province against 1 MiB, alternating: 7.7–7.9 s against 8.3–8.5 s of
    wall time, 13.6–13.9 s against 14.4–14.7 s of CPU, peak of the process tree 1.85–1.92 against
    1.82–1.86 GB.

    A batch's pool workers keep 1 MiB (:data:`WORKER_MMAP_THRESHOLD`): a small ward has no array
    of that size, and with 8 MiB a 100-ward batch ran 0.8–2.3 s slower in four alternating pairs
    (no slower in one process: the cause was not found, so the workers keep what was measured).

    Only in processes the toolkit owns (CLI, pool workers, GX helper); a no-op (False) where the C
    library is not glibc (macOS, Windows, musl).

    Args:
        threshold: the mmap threshold in bytes (default :data:`MMAP_THRESHOLD`).
    """
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD if threshold is None else threshold)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


#: The cyclic garbage collector's thresholds while an audit runs (CPython's default: 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)

_GC_LOCK = threading.Lock()
#: Audits running now in this process under :func:`fewer_collections`, and the thresholds before.
_GC_STATE: dict[str, Any] = {"depth": 0, "before": None}


def _raised(thresholds: tuple[int, ...]) -> tuple[int, ...]:
    """``thresholds`` raised to :data:`GC_THRESHOLDS`, never lowered; a first threshold of 0 (the
    automatic collection switched off) stays off."""
    if thresholds[0] == 0:
        return thresholds
    return tuple(max(a, b) for a, b in zip(thresholds, GC_THRESHOLDS, strict=True))


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often (:data:`GC_THRESHOLDS`) while inside.

    An audit makes millions of short-lived pandas objects. At CPython's default thresholds the
    collector runs ≈ 40 times a ward, and every tenth of its middle-generation runs walks the
    whole heap (pandas, pyarrow, matplotlib, GX: ≈ 0.2 s each): measured on a 25-ward task, 10 %
    of its CPU went to collections that found almost nothing, as pandas frees its objects by
    reference counting. At these thresholds the young generation is collected every 20,000
    allocations and the full heap almost never during an audit; garbage in reference cycles is
    still collected, later. Nothing else changes: the same objects live and die.

    Thread-safe and nestable (a notebook running two audits, a Dask worker running two tasks):
    the first to enter sets the thresholds, the last to leave restores the ones it found, so a
    user's interpreter is left as it was. Processes the toolkit owns keep them for good
    (:func:`prepare_process`).
    """
    with _GC_LOCK:
        if _GC_STATE["depth"] == 0:
            before = gc.get_threshold()
            _GC_STATE["before"] = before
            gc.set_threshold(*_raised(before))
        _GC_STATE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["depth"] -= 1
            if _GC_STATE["depth"] == 0:
                gc.set_threshold(*_GC_STATE["before"])
                _GC_STATE["before"] = None


def prepare_process() -> None:
    """Start-up of a process the toolkit owns: :func:`prepare_gx_import`, :func:`tune_allocator`,
    and the garbage collector's :data:`GC_THRESHOLDS` for the whole process."""
    prepare_gx_import()
    tune_allocator()
    gc.set_threshold(*_raised(gc.get_threshold()))
