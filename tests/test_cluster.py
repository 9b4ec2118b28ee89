"""Batches on a real Dask cluster (``--scheduler``): a LocalCluster of two worker processes.

No mock of the scheduler: the workers are separate processes that import the package, read the
wards from the shared path, write the outputs and send slim results back over the cluster's
connections. Also the ways it goes wrong: a scheduler nobody runs, clear text to another
machine, incomplete TLS options, a ward the workers cannot see.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

from audit_toolkit.batch import WardTask, run_tasks
from audit_toolkit.cli import main
from audit_toolkit.cluster import check_address
from audit_toolkit.errors import InputError
from audit_toolkit.io import discover_wards

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
ARGS = ["--as-of", "2023-02-28", "--from", "2022-01"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    saved = dict(os.environ)
    try:
        # The scheduler's HTTP server on a free port of this machine only: dashboard_address=None
        # still binds its default 8787, so a second cluster (or anything else on 8787) made this
        # fixture fail with "Port 8787 is already in use".
        with LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address="127.0.0.1:0",
            host="127.0.0.1",
        ) as local:
            yield local
    finally:
        # dask's nannies leave their pre-spawn environment (MALLOC_TRIM_THRESHOLD_, OMP_NUM_THREADS)
        # in this process's: the later tests of this worker get back the one they started with.
        os.environ.clear()
        os.environ.update(saved)


def _findings(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.glob("*/findings.csv"))}


def test_cluster_findings_equal_the_local_run(cluster: LocalCluster, tmp_path: Path) -> None:
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["audit", str(SAMPLE), *ARGS, "--out", str(local), "--workers", "1"]) == 0
    address = cluster.scheduler_address
    assert main(["audit", str(SAMPLE), *ARGS, "--out", str(remote), "--scheduler", address]) == 0
    found = _findings(remote)
    assert len(found) == len(discover_wards(SAMPLE)) + 1  # every ward + the cross-ward file (workers, client)
    assert found == _findings(local)
    manifest = json.loads((remote / "summary" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["errors"] == {} and manifest["cross_ward"]["findings"] > 0


def test_a_ward_the_workers_cannot_see_fails_alone(cluster: LocalCluster, tmp_path: Path) -> None:
    hidden = tmp_path / "only-on-the-client" / "phuong-a"
    tasks = [
        WardTask(paths=(str(hidden),), as_of="2023-02-28", quality=False),
        WardTask(paths=(str(SAMPLE / "duc-xuan"),), as_of="2023-02-28", quality=False),
    ]
    bad, good = run_tasks(tasks, scheduler=cluster.scheduler_address)
    assert bad.result is None and bad.error is not None
    assert str(hidden) in bad.error and "worker" in bad.error
    assert good.error is None and good.result is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_scheduler_exits_2_naming_the_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()
    code = main(
        [
            "audit",
            str(SAMPLE),
            *ARGS,
            "--out",
            str(tmp_path),
            "--scheduler",
            address,
            "--scheduler-timeout",
            "2",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert address in err and "Traceback" not in err
    assert time.monotonic() - started < 60  # a 2 s timeout: a hang guard, not a benchmark


@pytest.mark.parametrize(
    ("address", "needle"),
    [
        ("tcp://10.1.2.3:8786", "clear"),  # another machine without TLS: personal data in clear
        ("10.1.2.3:8786", "clear"),  # no scheme and no TLS files means tcp
        ("http://127.0.0.1:8786", "not a Dask scheduler address"),  # wrong scheme
        ("tcp://127.0.0.1", "not a Dask scheduler address"),  # no port
    ],
)
def test_addresses_refused_before_connecting(address: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        check_address(address, security=None)


@pytest.mark.parametrize(
    "address",
    [
        "tcp://127.0.0.1:8786",  # loopback (e.g. an SSH tunnel's end): accepted in clear
        "tls://10.1.2.3:8786",  # another machine over TLS
        "localhost:8786",  # no scheme: tcp on this machine
    ],
)
def test_addresses_accepted(address: str) -> None:
    assert "://" in check_address(address, security=None)


def test_tls_needs_all_three_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    code = main(["audit", str(SAMPLE), *ARGS, "--scheduler", "tls://10.1.2.3:8786", "--tls-ca-file", str(ca)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--tls-cert" in err and "--tls-key" in err and "Traceback" not in err


def test_workers_and_scheduler_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", str(SAMPLE), *ARGS, "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"])
    assert code == 2
    assert "--workers" in capsys.readouterr().err


def test_cluster_copy_of_the_sample_is_read_from_the_shared_path(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    # A batch moved elsewhere on the shared disk: the workers get absolute paths, not the client's cwd.
    city = tmp_path / "city"
    city.mkdir()
    shutil.copytree(SAMPLE / "duc-xuan", city / "duc-xuan")
    shutil.copy(SAMPLE / "song-cau.xlsx", city / "song-cau.xlsx")
    out = tmp_path / "out"
    code = main(
        [
            "audit",
            str(city),
            *ARGS,
            "--out",
            str(out),
            "--scheduler",
            cluster.scheduler_address,
            "--no-quality",
        ]
    )
    assert code == 0
    assert len(_findings(out)) == 3


def test_a_worker_killed_mid_batch_leaves_the_same_findings(
    cluster: LocalCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real worker process killed (SIGKILL) while it audits a ward: the scheduler gives its task
    # to a worker again (the nanny restarts the dead one), and the batch completes as without it.
    import signal
    import threading

    from distributed import Client

    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["audit", str(SAMPLE), *ARGS, "--out", str(local), "--workers", "1"]) == 0
    killed: list[str] = []
    stop = threading.Event()

    def kill_one_busy_worker() -> None:
        with Client(cluster.scheduler_address, set_as_default=False) as watcher:
            while not stop.is_set():
                busy = [w for w, keys in watcher.processing().items() if keys]
                if busy:
                    pid = watcher.run(os.getpid, workers=busy[:1])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(busy[0])
                    return
                time.sleep(0.02)

    killer = threading.Thread(target=kill_one_busy_worker, daemon=True)
    killer.start()
    try:
        assert (
            main(
                ["audit", str(SAMPLE), *ARGS, "--out", str(remote), "--scheduler", cluster.scheduler_address]
            )
            == 0
        )
    finally:
        stop.set()
        killer.join(timeout=30)
    assert len(killed) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert _findings(remote) == _findings(local)
    manifest = json.loads((remote / "summary" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["errors"] == {}
    # The nanny has restarted the worker: the module's cluster has its two workers for later tests.
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
