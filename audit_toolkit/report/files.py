"""Safe output files: atomic writes, safe file names, masked IDs, formula-proof cells.

Example:
    >>> safe_name("01843 Phường Phùng/Chí Kiên")
    '01843-phuong-phung-chi-kien'
    >>> mask_id("006123451234")
    '006*****1234'
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit_toolkit.errors import ExportError

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "mask_id",
    "mask_ids",
    "neutralise",
    "safe_name",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_name(text: str, *, default: str = "ward") -> str:
    """A file/folder name made from data: ASCII, lower case, ``-`` separated, no path parts."""
    folded = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80].strip("-")
    return slug or default


def mask_id(value: Any) -> str:
    """``006123451234`` → ``006*****1234``: first three and last four digits kept."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value)
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_ids(values: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_id` over a Series of IDs (missing → ``""``), same index."""
    # Each distinct ID is masked once (a ward or province repeats IDs across its findings).
    codes, uniques = pd.factorize(values)
    masked = np.array([mask_id(str(u)) for u in uniques] + [""], dtype=object)
    return pd.Series(masked[codes], index=values.index, dtype="str")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    Readers never see a half-written file, and a failed export leaves the previous file intact.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise ExportError(f"Cannot write {target}: {exc}. Check that the folder is writable.") from exc
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files; give the output the permissions any new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    except OSError as exc:
        raise ExportError(f"Cannot write {target}: {exc}. Check that the folder is writable.") from exc
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` atomically (``encoding="utf-8-sig"`` adds a BOM)."""
    atomic_write_bytes(target, text.encode(encoding))
