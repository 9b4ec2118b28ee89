"""Small helpers shared by the one-ward report (``html.py``) and the batch summary (``summary.py``)."""

from __future__ import annotations

import datetime as dt
import getpass
import socket

__all__ = ["local_time", "who_ran"]


def who_ran() -> tuple[str, str]:
    """The login name and the host name of whoever runs the audit (the report's footer)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers: not worth failing a report
        user = ""
    return user, socket.gethostname()


def local_time(ts: dt.datetime) -> str:
    """``ts`` in the machine's time zone as ``dd/mm/YYYY HH:MM`` (how a ward officer writes it)."""
    return ts.astimezone().strftime("%d/%m/%Y %H:%M")
