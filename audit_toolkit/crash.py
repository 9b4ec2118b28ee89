"""What the command line does with an error that is not the user's: a bug.

An :class:`~audit_toolkit.errors.InputError` is the user's to fix (exit 2, no traceback). Any other
exception escaping an audit is a bug in the toolkit: the user is told so in plain words, the
traceback goes to a log file (never onto the committee's screen), and the exit status is
:data:`EXIT_BUG`, distinct from an input error.

Example:
    >>> try:
    ...     run()
    ... except Exception as exc:  # doctest: +SKIP
    ...     sys.exit(report_bug(exc, lang="vi"))
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import traceback
from pathlib import Path
from typing import TextIO

from audit_toolkit.messages import t

__all__ = ["EXIT_BUG", "report_bug"]

#: Exit status of a run stopped by a bug (sysexits' EX_SOFTWARE), not 2 (input) nor 1 (toolkit error).
EXIT_BUG = 70


def report_bug(
    exc: BaseException,
    *,
    lang: str = "vi",
    log_dir: str | Path | None = None,
    stream: TextIO | None = None,
) -> int:
    """Tell the user an unexpected error is a bug, keep its traceback in a log file, return the exit status.

    Args:
        exc: the exception that stopped the run.
        lang: language of the message (``vi`` or ``en``).
        log_dir: folder for the log (created if needed); the system's temporary folder when
            ``None`` or when the folder cannot be written.
        stream: where the message goes (``sys.stderr`` by default).

    Returns:
        :data:`EXIT_BUG`.
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log = _write_log(text, stamp, log_dir)
    message = t("cli.bug", lang, error_type=type(exc).__name__, error=str(exc), log=str(log))
    (stream or sys.stderr).write(message + "\n")
    return EXIT_BUG


def _write_log(text: str, stamp: str, log_dir: str | Path | None) -> Path:
    folders = [Path(log_dir)] if log_dir is not None else []
    folders.append(Path(tempfile.gettempdir()))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"audit-toolkit-error-{stamp}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:  # an unwritable output folder must not hide the bug: try the next one
            continue
    raise OSError("no folder to write the error log to")  # pragma: no cover — the temp dir is writable
