"""Run a batch's tasks on an existing Dask distributed cluster (``--scheduler ADDRESS``).

The workers run :func:`audit_toolkit.batch.audit_wards`, the same function as the local process
pool: they read the wards from a path they can see (a shared folder), write each ward's outputs
there, and send back only slim results. Personal data must not cross a network in clear: a
scheduler outside this machine must be reached over TLS (``tls://`` with a CA, a certificate and a
key, from the CLI flags or Dask's own configuration); plain ``tcp://`` is accepted on loopback only.

Example:
    >>> security = make_security(ca_file="ca.pem", cert="client.pem", key="client-key.pem")  # doctest: +SKIP
    >>> run_on_cluster(tasks, "tls://10.0.0.5:8786", security=security)  # doctest: +SKIP
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audit_toolkit.batch import WardOutcome, WardTask, audit_wards, outcomes_of
from audit_toolkit.errors import InputError

__all__ = ["check_address", "make_security", "run_on_cluster"]

_POLL = 0.2


def make_security(*, ca_file: str | Path | None, cert: str | Path | None, key: str | Path | None) -> Any:
    """A ``distributed.security.Security`` for TLS from the three files, or None when none is given.

    Raises:
        InputError: only some of the three files are given, or one does not exist.
    """
    given = {"--tls-ca-file": ca_file, "--tls-cert": cert, "--tls-key": key}
    if not any(given.values()):
        return None
    missing = [flag for flag, value in given.items() if not value]
    if missing:
        raise InputError(
            f"TLS needs all three files; missing {', '.join(missing)}",
            fix="Give --tls-ca-file, --tls-cert and --tls-key together (or set them in Dask's configuration)",
        )
    for flag, value in given.items():
        if not Path(str(value)).is_file():
            raise InputError(
                f"{flag} {value} is not a file", file=Path(str(value)), fix="Give the PEM file's path"
            )
    from distributed.security import Security

    return Security(  # type: ignore[no-untyped-call]
        tls_ca_file=str(ca_file),
        tls_client_cert=str(cert),
        tls_client_key=str(key),
        require_encryption=True,
    )


def _loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(address: str, security: Any) -> str:
    """The scheduler address with its scheme; refuses clear text to another machine.

    Raises:
        InputError: the address is not ``tcp://`` / ``tls://`` host:port, or it is plain ``tcp://``
            (or has no scheme) to a host other than this machine.
    """
    text = address.strip()
    if "://" not in text:
        text = ("tls://" if security is not None else "tcp://") + text
    parts = urlsplit(text)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or parts.port is None:
        raise InputError(
            f"--scheduler {address!r} is not a Dask scheduler address",
            fix="Write it as tls://HOST:PORT (e.g. tls://10.0.0.5:8786), or tcp://127.0.0.1:PORT on this machine",
        )
    if parts.scheme == "tcp" and not _loopback(parts.hostname):
        raise InputError(
            f"--scheduler {address} would send beneficiaries' personal data over the network in clear",
            fix="Start the scheduler and workers with TLS and use tls://HOST:PORT with --tls-ca-file, "
            "--tls-cert and --tls-key (README, 'Batches on a cluster')",
        )
    return text


def run_on_cluster(
    tasks: Sequence[WardTask],
    address: str,
    *,
    security: Any = None,
    timeout: float = 10.0,
    on_outcome: Callable[[WardOutcome], None] | None = None,
) -> dict[str, WardOutcome]:
    """Submit every task to the cluster at ``address`` and gather their outcomes by ward path.

    A task whose worker died too often (Dask's ``KilledWorker``), or that is still waiting while
    the cluster has had no worker for ``timeout`` seconds, or whose scheduler went away, fails its
    own wards with a message naming the address; the other tasks' wards complete.

    Raises:
        InputError: ``distributed`` is not installed, or the scheduler cannot be reached within
            ``timeout`` seconds (the message names the address).
    """
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "--scheduler needs the package 'distributed'", fix="Install it: pip install 'dask[distributed]'"
        ) from None
    url = check_address(address, security)
    try:
        client = Client(url, security=security, timeout=f"{timeout}s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"Cannot reach the Dask scheduler at {url} within {timeout:g} s ({type(exc).__name__}: {exc})",
            fix="Check that `dask scheduler` runs there, the port is open, and the TLS files match its CA",
        ) from None
    found: dict[str, WardOutcome] = {}

    def record(future: Any, task: WardTask, where: str) -> None:
        for outcome in outcomes_of(future, task, where):
            found[outcome.path] = outcome
            if on_outcome:
                on_outcome(outcome)

    try:
        pending = {client.submit(audit_wards, task, pure=False): task for task in tasks}
        workerless_since: float | None = None
        checked: float | None = None
        while pending:
            # Polled, not distributed.wait: that needs a default client, and this one is private.
            done = [future for future in pending if future.done()]  # type: ignore[no-untyped-call]
            if not done:
                time.sleep(_POLL)
            for future in done:
                record(future, pending.pop(future), f"a worker of the scheduler {url}")
            if not pending or done:
                workerless_since = None
                continue
            if time.monotonic() - (checked or 0.0) < 1.0:
                continue
            checked = time.monotonic()
            try:
                workers = (
                    len(client.scheduler_info().get("workers", {})) if client.status == "running" else -1
                )
            except Exception:  # noqa: BLE001 - the scheduler itself went away
                workers = -1
            if workers > 0:
                workerless_since = None
                continue
            workerless_since = workerless_since or time.monotonic()
            if time.monotonic() - workerless_since > timeout:
                why = "lost the scheduler" if workers < 0 else f"no worker for {timeout:g} s"
                for future, task in pending.items():
                    for p in task.paths:
                        found[p] = WardOutcome(
                            path=p, error=f"the cluster at {url} {why} while {p} waited to run"
                        )
                        if on_outcome:
                            on_outcome(found[p])
                    future.cancel()  # type: ignore[no-untyped-call]
                pending = {}
    finally:
        client.close(timeout=timeout)  # type: ignore[no-untyped-call]
    return found
