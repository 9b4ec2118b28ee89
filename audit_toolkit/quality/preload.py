"""Imported by the batch's worker server before it forks the pool's workers (see
:func:`audit_toolkit.batch.start_worker_server`): makes that process the toolkit's own
(:func:`audit_toolkit.startup.prepare_process`: the lighter GX import, the allocator, the garbage
collector's thresholds) and imports Great Expectations and the modules that validate with it.

Every worker forked from the server then starts with GX imported, instead of importing it (≈ 1 s
of CPU) before its first validation. Importing this module changes the process it runs in, as
:func:`~audit_toolkit.startup.prepare_process` says: only the toolkit's own processes import it.
"""

from __future__ import annotations

from audit_toolkit.quality.process import warm_gx

warm_gx()
