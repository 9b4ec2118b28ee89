"""The command line: exit codes, outputs, messages (data-contract §4–§5)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from audit_toolkit.cli import main
from audit_toolkit.findings import FINDING_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
WARD = ROOT / "data" / "sample" / "duc-xuan"


def _audit(tmp_path: Path, *extra: str, path: Path = WARD) -> int:
    return main(
        [
            "audit",
            str(path),
            "--as-of",
            "2023-02-28",
            "--from",
            "2022-01",
            "--out",
            str(tmp_path / "out"),
            *extra,
        ]
    )


def test_ward_audit_writes_the_contract_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit(tmp_path) == 0
    folders = list((tmp_path / "out").iterdir())
    assert len(folders) == 1
    folder = folders[0]
    raw = (folder / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows Vietnamese intact
    findings = pd.read_csv(folder / "findings.csv", dtype=str, encoding="utf-8-sig")
    assert list(findings.columns[: len(FINDING_COLUMNS)]) == FINDING_COLUMNS
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["as_of"] == "2023-02-28"
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert {c["check_id"] for c in manifest["checks"]} >= {
        "ID_INVALID",
        "DUPLICATE_ID",
        "CROSS_WARD_DUPLICATE",
    }
    assert str(folder) in capsys.readouterr().out


def test_same_input_same_findings(tmp_path: Path) -> None:
    assert _audit(tmp_path / "a") == 0
    assert _audit(tmp_path / "b") == 0
    a = next((tmp_path / "a" / "out").iterdir()) / "findings.csv"
    b = next((tmp_path / "b" / "out").iterdir()) / "findings.csv"
    assert a.read_bytes() == b.read_bytes()


def test_inputs_are_never_modified(tmp_path: Path) -> None:
    ward = tmp_path / "ward"
    shutil.copytree(WARD, ward)
    before = {p.name: p.read_bytes() for p in ward.iterdir()}
    assert _audit(tmp_path, path=ward) == 0
    assert {p.name: p.read_bytes() for p in ward.iterdir()} == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--as-of", "28/02/2023"], "YYYY-MM-DD"),  # day-first date where ISO is required
        (["--as-of", "2023-02-28", "--from", "2023-13"], "YYYY-MM"),  # month 13
        (["--as-of", "2023-02-28", "--from", "2023-05"], "after"),  # period starts after as-of
    ],
)
def test_bad_arguments_exit_2_with_the_fix(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(WARD), *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tmp_path / "nope"), "--as-of", "2023-02-28"]) == 2
    assert "nope" in capsys.readouterr().err


def test_unusable_ward_exits_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ward = tmp_path / "ward"
    ward.mkdir()
    (ward / "beneficiaries.csv").write_text(
        "Họ và tên,Ngày sinh\nNguyễn Văn An,01/01/1950\n", encoding="utf-8"
    )
    assert _audit(tmp_path, path=ward) == 2
    err = capsys.readouterr().err
    assert "beneficiaries.csv" in err and "category" in err


def test_missing_argument_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["audit", str(WARD)])
    assert exc.value.code == 2


def test_cli_process_skips_only_the_optional_iri_grammar() -> None:
    # In a fresh interpreter: after the CLI's switch, jsonschema (imported by GX via altair) still
    # imports and checks formats; only the optional "iri" checker (rfc3987_syntax) is absent.
    code = (
        "import sys\n"
        "from audit_toolkit.cli import _skip_slow_optional_imports\n"
        "_skip_slow_optional_imports()\n"
        "import jsonschema\n"
        "checkers = jsonschema.FormatChecker().checkers\n"
        "print(sys.modules['rfc3987_syntax'] is None, 'iri' in checkers, 'date' in checkers)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.split() == ["True", "False", "True"]


def test_batch_audit_writes_every_ward_and_reports_the_unusable_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit_toolkit.audit import run_audit
    from audit_toolkit.report import write_reports

    city = tmp_path / "city"
    city.mkdir()
    shutil.copytree(WARD, city / WARD.name)
    shutil.copy(ROOT / "data" / "sample" / "song-cau.xlsx", city / "song-cau.xlsx")
    (city / "broken.xlsx").write_bytes(b"not a workbook")  # unusable: reported, the others complete
    out = tmp_path / "out"
    assert main(["audit", str(city), "--as-of", "2023-02-28", "--from", "2022-01", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "broken.xlsx" in err
    folders = sorted(p.name for p in out.iterdir())
    assert len(folders) == 3 and "summary" in folders
    for ward_path in (city / WARD.name, city / "song-cau.xlsx"):
        # The reports written during the batch are the ward's own.
        alone = write_reports(
            run_audit(ward_path, as_of="2023-02-28", period_from="2022-01"), tmp_path / "alone"
        )
        written = out / alone.name
        assert sorted(p.name for p in written.iterdir()) == sorted(p.name for p in alone.iterdir())
        assert (written / "findings.csv").read_bytes() == (alone / "findings.csv").read_bytes()
    summary = json.loads((out / "summary" / "manifest.json").read_text(encoding="utf-8"))
    assert "broken.xlsx" in json.dumps(summary, ensure_ascii=False)


def test_the_command_returns_only_once_its_helper_has_exited(tmp_path: Path) -> None:
    # The process ends right after main returns. A helper pool's manager thread still closing its
    # wake-up pipe then races the interpreter's exit, which writes to that pipe: Python 3.11
    # printed "OSError: [Errno 9] Bad file descriptor" after a successful audit (seen in CI;
    # CPython gh-125451). main must leave no such thread running.
    import threading
    from concurrent.futures.process import _ExecutorManagerThread  # the stdlib's, test-only

    before = set(threading.enumerate())
    assert _audit(tmp_path) == 0
    left = [t for t in threading.enumerate() if isinstance(t, _ExecutorManagerThread) and t not in before]
    assert left == []


def test_the_command_as_a_process_writes_what_main_writes_and_exits_with_its_status(tmp_path: Path) -> None:
    # The real command (audit_toolkit.cli:run, the console script): a GX helper beside it reads,
    # validates and writes the workbook; the process ends with main's status.
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["audit-toolkit"] == "audit_toolkit.cli:run"
    command = [sys.executable, "-m", "audit_toolkit.cli", "audit", str(WARD), "--as-of", "2023-02-28"]
    done = subprocess.run(
        [*command, "--from", "2022-01", "--out", str(tmp_path / "cmd")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "leaked" not in done.stderr
    assert _audit(tmp_path) == 0
    (there,) = (tmp_path / "cmd").iterdir()
    (here,) = (tmp_path / "out").iterdir()
    assert (there / "findings.csv").read_bytes() == (here / "findings.csv").read_bytes()
    from audit_toolkit.messages import t

    workbook = [pd.read_excel(f / "findings.xlsx", sheet_name=None) for f in (there, here)]
    assert list(workbook[0]) == list(workbook[1]) and len(workbook[1]) >= 3
    for name in workbook[1]:
        # The summary's "generated at" is each run's own time; every other cell is compared.
        a, b = (w[name].loc[w[name].iloc[:, 0] != t("report.xlsx.generated", "vi")] for w in workbook)
        pd.testing.assert_frame_equal(a, b)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit_toolkit.cli",
            "audit",
            str(tmp_path / "nowhere"),
            "--as-of",
            "2023-02-28",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "nowhere" in bad.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX only")
@pytest.mark.parametrize("columns", [120, 0])
def test_a_batch_on_a_terminal_shows_wards_done_of_n_with_an_eta(tmp_path: Path, columns: int) -> None:
    # The real command on a terminal of 120 columns, and on one that reports no size (drawn 80
    # wide): the bar counts wards done of N, its label says the same count, and tqdm's bracket
    # gives elapsed<remaining (the ETA) and the rate.
    import fcntl
    import os
    import pty
    import re
    import select
    import struct
    import termios

    city = tmp_path / "city"
    city.mkdir()
    shutil.copytree(WARD, city / WARD.name)
    shutil.copy(ROOT / "data" / "sample" / "song-cau.xlsx", city / "song-cau.xlsx")
    command = [sys.executable, "-m", "audit_toolkit.cli", "audit", str(city), "--as-of", "2023-02-28"]
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40 if columns else 0, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    with subprocess.Popen(
        [*command, "--from", "2022-01", "--lang", "en", "--out", str(tmp_path / "out")],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env=env,
    ) as process:
        os.close(slave)
        shown = b""
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            if not ready:
                process.kill()
                pytest.fail(f"the command showed nothing for 120 s: {shown[-500:]!r}")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=120) == 0
    os.close(master)
    text = shown.decode("utf-8", "replace")
    bars = [line for line in re.split(r"[\r\n]", text) if re.search(r"\| *\d/2 \[", line)]
    assert bars, text
    for line in bars:
        # Before the first ward is done the bar has no label yet.
        labelled = re.search(r"Ward (\d)/2: .*\| *(\d)/2 \[", line)
        assert labelled is not None or re.search(r"\| *0/2 \[", line), line
        if labelled is not None:
            assert labelled.group(1) == labelled.group(2), line
    assert any(re.search(r"\| *1/2 \[\d\d:\d\d<\d\d:\d\d, ", line) for line in bars), bars
    assert re.search(r"Ward 2/2: .*100%.*\| *2/2 \[", bars[-1]), bars[-1]
    assert max(len(line) for line in bars) <= (columns or 80)
