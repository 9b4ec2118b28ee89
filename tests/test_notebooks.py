"""The notebooks: committed clean, parameterised, and giving the same findings as the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from audit_toolkit.checks.status import ReasonCode
from audit_toolkit.cli import main
from audit_toolkit.notebooks import (
    LANG_TAG,
    NOTEBOOKS,
    export_html,
    keep_language,
    private_kernel,
    run_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
WARD = ROOT / "data" / "sample" / "duc-xuan"
SAMPLE = ROOT / "data" / "sample"
_FULL_ID = re.compile(r"(?<![\d*])\d{12}(?![\d*])")
#: Marks of a frame printed as it is: missing values, an unnamed index heading, a truncated frame.
_RAW_MARKS = re.compile(
    r"&lt;NA&gt;|<NA>|>\s*(?:nan|NaN|None|NaT)\s*<|<th></th>|rows × \d+ columns|PosixPath\("
)


def _readable(page: str) -> None:
    """The export shows no NA marks, no index column, no reason code and no empty section."""
    assert _RAW_MARKS.search(page) is None, _RAW_MARKS.search(page)
    for code in [c.value for c in ReasonCode]:
        assert code not in page, code
    # Every heading is followed by something before the next heading.
    body = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    sections = re.split(r"<h[1-3][^>]*>.*?</h[1-3]>", body, flags=re.S)[1:]
    assert all(re.sub(r"<[^>]+>|\s|¶", "", s) for s in sections)


def _markdown(name: str) -> list[dict[str, object]]:
    nb = json.loads((NB_DIR / name).read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("name", sorted(NOTEBOOKS.values()))
def test_every_text_cell_exists_in_both_languages(name: str) -> None:
    # One language per export: each markdown cell is tagged with its language, and the Vietnamese
    # and English texts follow the same outline (same headings, same order).
    cells = _markdown(name)
    langs = [[t for t in c["metadata"].get("tags", []) if t.startswith(LANG_TAG)] for c in cells]  # type: ignore[union-attr]
    assert all(len(tags) == 1 for tags in langs), langs
    outline = {
        lang: [
            re.findall(r"^(#+) ", "".join(c["source"]), flags=re.M)  # type: ignore[arg-type]
            for c, tags in zip(cells, langs, strict=True)
            if tags == [f"{LANG_TAG}{lang}"]
        ]
        for lang in ("vi", "en")
    }
    assert outline["vi"] == outline["en"] and outline["vi"]


@pytest.mark.parametrize(
    ("tags", "kept_in"),
    [
        ([], {"vi", "en"}),  # untagged (code cells): always kept
        (["lang-vi"], {"vi"}),  # Vietnamese text
        (["lang-en", "other"], {"en"}),  # English text, other tags do not matter
    ],
)
def test_keep_language(tags: list[str], kept_in: set[str]) -> None:
    cell = {"cell_type": "markdown", "metadata": {"tags": tags}, "source": "x"}
    assert {lang for lang in ("vi", "en") if keep_language([cell], lang)} == kept_in


def test_export_keeps_one_language_and_names_the_page_after_it(tmp_path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tổng hợp\n\nĐoạn tiếng Việt.", metadata={"tags": ["lang-vi"]}),
        nbformat.v4.new_markdown_cell("# Summary\n\nEnglish text.", metadata={"tags": ["lang-en"]}),
        nbformat.v4.new_code_cell(
            "1 + 1", outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
        ),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    export_html(path, tmp_path / "en.html", title="fallback", lang="en")
    export_html(path, tmp_path / "vi.html", title="fallback", lang="vi")
    en = (tmp_path / "en.html").read_text(encoding="utf-8")
    vi = (tmp_path / "vi.html").read_text(encoding="utf-8")
    assert "English text." in en and "tiếng Việt" not in en and "<title>Summary</title>" in en
    assert "tiếng Việt" in vi and "English text." not in vi and "<title>Tổng hợp</title>" in vi
    assert '<html lang="en">' in en


@pytest.mark.parametrize("name", sorted(NOTEBOOKS.values()))
def test_committed_notebooks_carry_no_outputs(name: str) -> None:
    # Outputs may hold personal data: notebooks are committed clean (STYLE.md).
    nb = json.loads((NB_DIR / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS.values()))
def test_first_code_cell_holds_typed_commented_parameters(name: str) -> None:
    nb = json.loads((NB_DIR / name).read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert "parameters" in first["metadata"].get("tags", [])
    lines = [line for line in "".join(first["source"]).splitlines() if line.strip()]
    assert lines and all(re.match(r"^\w+: (str|bool|int) = .+  # .+", line) for line in lines), lines


def test_the_kernel_listens_on_sockets_of_a_private_folder_removed_after_the_run() -> None:
    import os
    import stat

    with private_kernel() as kwargs:
        manager = kwargs["kernel_manager_class"](kernel_name="python3")
        folder = Path(manager.connection_file).parent
        assert manager.transport == "ipc"  # Unix domain sockets, no TCP port
        assert Path(manager.ip).parent == folder  # the sockets are "<ip>-<n>" in that folder
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700  # this user only
    assert not folder.exists()


def test_a_temporary_folder_too_deep_for_a_socket_path_keeps_the_default_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    with private_kernel() as kwargs:
        assert kwargs == {}  # TCP on 127.0.0.1, as papermill does by default
    assert list(deep.iterdir()) == []


@pytest.mark.notebook
def test_ward_notebook_gives_the_cli_findings(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_client.manager import AsyncKernelManager

    shutdowns: list[bool] = []
    shutdown = AsyncKernelManager.shutdown_kernel

    async def recorded(self: AsyncKernelManager, now: bool = False, restart: bool = False) -> None:
        shutdowns.append(now)
        await shutdown(self, now=now, restart=restart)

    monkeypatch.setattr(AsyncKernelManager, "shutdown_kernel", recorded)
    assert (
        main(
            ["audit", str(WARD), "--as-of", "2023-02-28", "--from", "2022-01", "--out", str(tmp_path / "cli")]
        )
        == 0
    )
    executed, html_path = run_notebook(
        "ward",
        {
            "ward_path": str(WARD),
            "as_of": "2023-02-28",
            "period_from": "2022-01",
            "lang": "vi",
            "mask": True,
            "out_dir": str(tmp_path / "nb"),
        },
        tmp_path / "nb",
    )
    # The kernel (a child process writing to this one's standard error) ran without TCP ports:
    # ipykernel warns when its outputs, personal data included, go through them in clear.
    assert "without encryption" not in capfd.readouterr().err
    # Stopped at once after its last cell, not after waiting for its children: multiprocessing's
    # resource tracker (started by the audit's helper) ignores the SIGTERM the kernel sends them.
    assert shutdowns == [True]
    cli_csv = next((tmp_path / "cli").glob("*/findings.csv"))
    nb_csv = tmp_path / "nb" / cli_csv.parent.name / "findings.csv"
    assert nb_csv.read_bytes() == cli_csv.read_bytes()
    page = html_path.read_text(encoding="utf-8")
    assert "DECEASED_ACTIVE" in page
    assert "<script src" not in page and "http://" not in page and "https://" not in page
    assert _FULL_ID.search(page) is None  # national IDs masked in the shared export
    assert "def " not in page and "import " not in page  # exported without code cells
    _readable(page)
    assert "Key figures" not in page and "Số liệu chính" in page  # one language


@pytest.mark.notebook
def test_city_and_follow_up_notebooks(tmp_path: Path) -> None:
    _, city_html = run_notebook(
        "city",
        {
            "batch_path": str(SAMPLE),
            "as_of": "2023-02-28",
            "period_from": "2022-01",
            "lang": "en",
            "mask": True,
            "out_dir": str(tmp_path / "city"),
        },
        tmp_path / "city",
    )
    assert (tmp_path / "city" / "summary" / "index.html").exists()
    page = city_html.read_text(encoding="utf-8")
    assert "several wards" in page
    _readable(page)
    assert "Các phường/xã" not in page and "Tổng hợp" not in page  # one language: English
    _, follow_html = run_notebook(
        "follow-up",
        {
            "old_dir": str(tmp_path / "city"),
            "new_dir": str(tmp_path / "city"),
            "lang": "en",
            "mask": True,
            "out_dir": str(tmp_path / "follow"),
        },
        tmp_path / "follow",
    )
    assert (tmp_path / "follow" / "follow_up.html").exists()
    assert (tmp_path / "follow" / "follow_up.xlsx").exists()
    assert _FULL_ID.search(follow_html.read_text(encoding="utf-8")) is None
    _readable(follow_html.read_text(encoding="utf-8"))


@pytest.mark.notebook
def test_notebook_command_rejects_bad_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["notebook", "ward", str(WARD), "--as-of", "2023-02-30", "--out", str(tmp_path)])
    assert code == 2
    assert "2023-02-30" in capsys.readouterr().err


def test_notebook_command_needs_as_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notebook", "ward", str(WARD), "--out", str(tmp_path)]) == 2
    assert "--as-of" in capsys.readouterr().err


def test_compare_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--as-of", "2023-02-28", "--from", "2022-01", "--no-quality"]
    assert main(["audit", str(WARD), *args, "--out", str(tmp_path / "a")]) == 0
    assert main(["audit", str(WARD), *args, "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "compare",
                str(tmp_path / "a"),
                str(tmp_path / "b"),
                "--out",
                str(tmp_path / "f"),
                "--lang",
                "en",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "New findings: 0" in out and "resolved: 0" in out
    page = (tmp_path / "f" / "follow_up.html").read_text(encoding="utf-8")
    assert _FULL_ID.search(page) is None
