"""Run the templated notebooks with papermill and export them to shareable HTML with nbconvert.

``audit-toolkit notebook ward PATH --as-of … --out DIR`` executes ``notebooks/01_ward_audit.ipynb``
with the given parameters and writes the executed notebook and an HTML export without code cells,
images embedded and no external URL (it opens offline like report.html). papermill and nbconvert
load only here, only when a notebook is run.

Every markdown cell of a template is written twice, tagged ``lang-vi`` and ``lang-en``: the export
keeps the cells of the ``lang`` parameter only (and untagged ones), so each export reads in one
language, like the tables the views render from the message catalogue.

Example:
    >>> run_notebook("ward", {"ward_path": "data/sample/phung-chi-kien", "as_of": "2023-02-28"}, "reports/nb")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from audit_toolkit.errors import ExportError, InputError
from audit_toolkit.report.files import atomic_write_text, safe_name

__all__ = ["LANG_TAG", "NOTEBOOKS", "export_html", "keep_language", "notebook_dir", "run_notebook"]

#: Tag prefix of a notebook cell written in one language (``lang-vi``, ``lang-en``).
LANG_TAG = "lang-"

#: Notebook kinds → template file in ``notebooks/``.
NOTEBOOKS = {
    "ward": "01_ward_audit.ipynb",
    "city": "02_city_summary.ipynb",
    "follow-up": "03_follow_up.ipynb",
}

_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; color: #1f2933;
  max-width: 1240px; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }}
h1, h2, h3 {{ color: #102a43; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .9rem; }}
th, td {{ border: 1px solid #d9e2ec; padding: .25rem .5rem; text-align: left; vertical-align: top; }}
th {{ background: #f0f4f8; }}
.table-scroll {{ overflow-x: auto; max-width: 100%; }}
.jp-OutputArea-output {{ overflow-x: auto; max-width: 100%; }}
td.long {{ min-width: 12em; overflow-wrap: break-word; }}
img {{ max-width: 100%; height: auto; }}
pre {{ white-space: pre-wrap; background: #f7f9fb; padding: .5rem; }}
.jp-OutputPrompt, .jp-InputPrompt, .anchor-link {{ display: none; }}
figure svg {{ max-width: 760px; height: auto; }}
@media print {{ body {{ margin: 0; max-width: none; }} table {{ font-size: 7.5pt; width: 100%; }}
  /* Paper cannot scroll: long codes and source lists wrap anywhere so every column stays on the page. */
  td, th {{ padding: .15rem .25rem; }}
  td.short {{ white-space: normal; }}
  td.long {{ min-width: 7em; overflow-wrap: anywhere; }}
  .table-scroll, .jp-OutputArea-output {{ overflow: visible; }} }}
</style></head><body>
{body}
</body></html>
"""

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def notebook_dir() -> Path:
    """The folder of the notebook templates (``notebooks/`` of the checkout, or ``AUDIT_TOOLKIT_NOTEBOOKS``)."""
    env = os.environ.get("AUDIT_TOOLKIT_NOTEBOOKS")
    folder = Path(env) if env else Path(__file__).resolve().parent.parent / "notebooks"
    if not (folder / NOTEBOOKS["ward"]).exists():
        raise InputError(
            f"Notebook templates not found in {folder}",
            file=folder,
            fix="Run from a checkout of audit_toolkit, or set AUDIT_TOOLKIT_NOTEBOOKS to the folder holding the .ipynb templates",
        )
    return folder


@contextlib.contextmanager
def _kernel_environment() -> Iterator[None]:
    # The "python3" kernel spec starts `python` from PATH: make it this interpreter's, so the
    # kernel sees the same installed packages as the caller (a venv not on PATH, CI, cron).
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + old
    try:
        yield
    finally:
        os.environ["PATH"] = old


#: Longest path of a Unix domain socket (``sun_path`` holds 104 bytes on macOS and the BSDs, 108
#: on Linux, the final NUL included).
_SOCKET_PATH_MAX = 103


@contextlib.contextmanager
def private_kernel() -> Iterator[dict[str, Any]]:
    """papermill's arguments for a kernel only this user can reach, for the time of one run.

    By default a kernel listens on five TCP ports of 127.0.0.1, and any local user can connect to
    them: its iopub socket publishes every output of the notebook (tables of beneficiaries, their
    IDs) signed but not encrypted; ipykernel 7 warns about it on standard error ("Kernel is running
    over TCP without encryption"). Here its sockets are Unix domain sockets in a private temporary
    folder (mode 0700), removed after the run: nothing goes through a port.

    Yields ``{}`` (the default TCP kernel) where there are no Unix domain sockets (Windows) or
    where the temporary folder's path is too long for a socket's path.

    Example:
        >>> with private_kernel() as kwargs:  # doctest: +SKIP
        ...     pm.execute_notebook(template, out, kernel_name="python3", **kwargs)
    """
    import shutil
    import socket
    import tempfile

    if not hasattr(socket, "AF_UNIX") or os.name == "nt":
        yield {}
        return
    folder = tempfile.mkdtemp(prefix="audit-toolkit-kernel-")  # mode 0700: this user only
    try:
        connection = os.path.join(folder, "kernel.json")
        # The kernel's sockets are "<connection file without .json>-ipc-<n>" (n: up to 5 digits).
        if len(os.fsencode(os.path.splitext(connection)[0] + "-ipc-65535")) > _SOCKET_PATH_MAX:
            yield {}
        else:
            yield {"kernel_manager_class": _ipc_kernel_manager(connection)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _ipc_kernel_manager(connection: str) -> type[Any]:
    """nbclient's kernel manager, with IPC transport and ``connection`` as its connection file
    (the sockets' paths derive from it)."""
    from jupyter_client import AsyncKernelManager  # type: ignore[attr-defined]  # re-exported untyped
    from traitlets import default

    class PrivateKernelManager(AsyncKernelManager):  # type: ignore[misc]  # jupyter_client's untyped class
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("connection_file")
        def _connection_file_default(self) -> str:
            return connection

    return PrivateKernelManager


def keep_language(cells: list[Any], lang: str) -> list[Any]:
    """The cells of one language: untagged cells and those tagged ``lang-<lang>``.

    Example:
        >>> [c["id"] for c in keep_language([{"id": "a", "metadata": {"tags": ["lang-vi"]}},
        ...                                  {"id": "b", "metadata": {"tags": ["lang-en"]}},
        ...                                  {"id": "c", "metadata": {}}], "en")]
        ['b', 'c']
    """
    kept = []
    for cell in cells:
        tags = [str(tag) for tag in cell.get("metadata", {}).get("tags", []) if str(tag).startswith(LANG_TAG)]
        if not tags or f"{LANG_TAG}{lang}" in tags:
            kept.append(cell)
    return kept


def _first_heading(cells: list[Any]) -> str:
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in str(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def export_html(notebook_path: Path, html_path: Path, *, title: str, lang: str = "vi") -> None:
    """Export an executed notebook to one self-contained HTML file without code cells.

    Only the markdown cells of ``lang`` are kept (see :func:`keep_language`); the page title is the
    notebook's first heading in that language, else ``title``.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook_path), as_version=4)  # type: ignore[no-untyped-call]  # nbformat/nbconvert ship no type annotations
    nb.cells = keep_language(list(nb.cells), lang)
    title = _first_heading(nb.cells) or title
    exporter = HTMLExporter(template_name="basic")  # type: ignore[no-untyped-call]  # nbformat/nbconvert ship no type annotations
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    body, _ = exporter.from_notebook_node(nb)
    if _EXTERNAL.search(body):
        # A notebook output pointing outside the file would break offline reading and leak the reader's IP.
        body = _EXTERNAL.sub(lambda m: m.group(0).split("=")[0] + '="#', body)
    atomic_write_text(html_path, _PAGE.format(lang=lang, title=html.escape(title), body=body))


def _warm_export() -> None:
    """Import nbconvert and render a one-cell notebook: templates, filters and the HTML sanitiser's
    selectors compiled ahead (≈ 1 s of CPU), while the kernel runs; the real export is then quick."""
    import nbformat
    from nbconvert import HTMLExporter

    v4: Any = nbformat.v4  # nbformat ships no type annotations
    output = v4.new_output("execute_result", {"text/html": "<b>1</b>"})
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# -"), v4.new_code_cell("1", outputs=[output])])
    exporter = HTMLExporter(template_name="basic")  # type: ignore[no-untyped-call]
    exporter.exclude_input = True
    exporter.embed_images = True
    exporter.from_notebook_node(nb)


def _start_warm_export() -> threading.Thread:
    def warm() -> None:
        try:
            _warm_export()
        except Exception:  # noqa: BLE001 - only a head start: export_html does it all again if needed
            logging.getLogger(__name__).debug(
                "warming the HTML export failed; it is done again", exc_info=True
            )

    thread = threading.Thread(target=warm, name="warm-nbconvert", daemon=True)
    thread.start()
    return thread


def run_notebook(
    kind: str, parameters: Mapping[str, Any], out_dir: str | Path, *, name: str | None = None
) -> tuple[Path, Path]:
    """Execute a notebook template with ``parameters``; return (executed .ipynb, .html).

    Args:
        kind: ``"ward"``, ``"city"`` or ``"follow-up"``.
        parameters: values for the template's ``parameters`` cell (paths are made absolute).
        out_dir: where the executed notebook and its HTML export go.
        name: file stem of the outputs (default: derived from the kind and the path parameter).
    """
    if kind not in NOTEBOOKS:
        raise InputError(f"Unknown notebook {kind!r}", fix=f"Use one of: {', '.join(NOTEBOOKS)}")
    import papermill as pm

    template = notebook_dir() / NOTEBOOKS[kind]
    params = dict(parameters)
    for key in ("ward_path", "batch_path", "old_dir", "new_dir", "out_dir"):
        if key in params and params[key]:
            params[key] = str(Path(params[key]).resolve())
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    stem = name or safe_name(
        f"{kind} {Path(str(params.get('ward_path') or params.get('batch_path') or params.get('new_dir') or kind)).stem}"
    )
    executed = out / f"{stem}.ipynb"
    tmp = out / f".{stem}.running.ipynb"
    # This process waits while the kernel runs: prepare the export meanwhile.
    warming = _start_warm_export()
    try:
        with _kernel_environment(), private_kernel() as kernel:
            pm.execute_notebook(
                str(template),
                str(tmp),
                parameters=params,
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                cwd=str(out),
                # Once the last cell has run, the kernel is stopped at once. A graceful shutdown
                # gains nothing here (every output is in this process already, and the audit's
                # helper process has been closed in its cell) and costs 2.5 s in most runs: the
                # kernel first terminates its children one by one, and multiprocessing's resource
                # tracker (started with the audit's spawned helper) ignores SIGTERM, so the kernel
                # is still waiting for it when jupyter_client's patience (half of
                # ``shutdown_wait_time``) runs out and it terminates the kernel anyway.
                shutdown_kernel="immediate",
                **kernel,
            )
        os.replace(tmp, executed)
    except pm.PapermillExecutionError as exc:
        if exc.ename == "InputError":  # a parameter the notebook's validation cell rejected
            raise InputError(f"{template.name}: {exc.evalue}") from exc
        raise ExportError(
            f"Notebook {template.name} failed in cell {exc.cell_index}: {exc.ename}: {exc.evalue}"
        ) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    warming.join()
    html_path = out / f"{stem}.html"
    export_html(executed, html_path, title=f"{template.stem} – {stem}", lang=str(params.get("lang", "vi")))
    return executed, html_path
