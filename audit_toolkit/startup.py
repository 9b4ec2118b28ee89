"""Start-up of the toolkit's own processes (CLI, pool workers, GX helper): a lighter GX import, and
an allocator that gives freed memory back (:func:`tune_allocator`).

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

import ctypes
import ctypes.util
import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = [
    "DEFERRED",
    "MMAP_THRESHOLD",
    "DeferredModule",
    "defer_import",
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


#: Blocks from this size up are mapped on their own and unmapped when freed (glibc ``M_MMAP_THRESHOLD``).
MMAP_THRESHOLD = 1 << 20
#: Free memory at the top of the heap beyond this is given back to the system (``M_TRIM_THRESHOLD``).
TRIM_THRESHOLD = 32 << 20
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator() -> bool:
    """Make glibc's ``malloc`` return the big temporary arrays of an audit to the system.

    numpy's arrays are ``malloc``-ed. glibc maps a large block on its own and unmaps it when freed,
    but after the first such free it raises its threshold up to 32 MB, and from then on keeps
    freed blocks of a province's column size (8 MB) in the heap, where they stay in the process's
    memory long after the check that made them: a province audit held ≈ 0.5 GB more than it used.
    A fixed threshold (``mallopt``, as ``MALLOC_MMAP_THRESHOLD_`` would set it at start-up) keeps
    the behaviour of the first block for all; below 1 MiB nothing changes. Measured on the
    province: the peak of the audit process ≈ 1.9 → 1.4 GB, for ≈ 0.5 s more CPU in its checks
    (each large array is a fresh mapping whose pages the kernel faults in).

    Only in processes the toolkit owns (CLI, pool workers, GX helper); a no-op (False) where the C
    library is not glibc (macOS, Windows, musl).
    """
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def prepare_process() -> None:
    """Start-up of a process the toolkit owns: :func:`prepare_gx_import` and :func:`tune_allocator`."""
    prepare_gx_import()
    tune_allocator()
