"""The message catalogue: every sentence a user reads, in Vietnamese and English.

Messages live in ``messages/<lang>/*.yml`` (one file per area: ``checks_identity.yml``,
``report.yml``, ``cli.yml``…), flat ``key: template`` mappings merged per language. Templates use
``str.format`` fields. Code asks for a key; it never holds user-facing text itself.

Example:
    >>> t("cli.done", "en", path="reports/01843")
    'Results written to reports/01843'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from string import Formatter
from typing import Any

import pandas as pd
import yaml

from audit_toolkit.errors import InputError, RuleError
from audit_toolkit.months import month_label

__all__ = ["LANGS", "catalogue", "fmt_date", "fmt_month", "fmt_vnd", "render", "render_rows", "t"]

LANGS = ("vi", "en")

# libyaml's loader when PyYAML was built with it (same results, several times faster).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """All messages of ``lang`` merged from its YAML files (cached)."""
    if lang not in LANGS:
        raise InputError(f"Unknown report language {lang!r}", fix=f"use one of {', '.join(LANGS)}")
    merged: dict[str, str] = {}
    folder = resources.files("audit_toolkit.messages").joinpath(lang)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yml"):
            continue
        data = yaml.load(entry.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
        for key, value in data.items():
            if key in merged:
                raise RuleError(
                    f"Message key {key!r} defined twice in messages/{lang}",
                    file=f"messages/{lang}/{entry.name}",
                    fix="keep one definition of each key across the language's files",
                )
            merged[str(key)] = str(value)
    return merged


def t(key: str, lang: str = "vi", /, **params: Any) -> str:
    """The message ``key`` in ``lang``, formatted with ``params``.

    A missing key in the requested language falls back to English, then to the key itself, so a
    report never crashes on a missing translation (a test checks both catalogues have the same keys).
    """
    template = catalogue(lang).get(key)
    if template is None:
        template = catalogue("en").get(key, key)
    return template.format(**params) if params else template


def fmt_vnd(amount: float | int | None, lang: str = "vi") -> str:
    """VND the way readers write it: ``6.480.000 đ`` (vi), ``6,480,000 VND`` (en)."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return ""
    value = int(round(float(amount)))
    text = f"{abs(value):,}"
    if lang == "vi":
        text = text.replace(",", ".")
        return f"{'-' if value < 0 else ''}{text} đ"
    return f"{'-' if value < 0 else ''}{text} VND"


def fmt_date(value: Any, lang: str = "vi", *, year_only: bool = False) -> str:
    """``dd/mm/yyyy`` (both languages use day-first, as the input files do); ``yyyy`` when year-only."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return ""
    return f"{ts.year:04d}" if year_only else ts.strftime("%d/%m/%Y")


def fmt_month(m: Any, lang: str = "vi") -> str:
    """``mm/yyyy`` of a month number."""
    if m is None or pd.isna(m):
        return ""
    return month_label(int(m))


@cache
def _positional(template: str) -> tuple[str, tuple[str, ...]]:
    """``"{who} … {amount}"`` rewritten as ``"{0} … {1}"`` and the field names in that order.

    Each row then costs one positional ``str.format`` call, with no dict per row.
    """
    parts: list[str] = []
    used: list[str] = []
    for literal, name, spec, conversion in Formatter().parse(template):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        if name not in used:
            used.append(name)
        conv = f"!{conversion}" if conversion else ""
        fmt = f":{spec}" if spec else ""
        parts.append("{" + str(used.index(name)) + conv + fmt + "}")
    return "".join(parts), tuple(used)


def _format_rows(key: str, lang: str, rows: pd.DataFrame) -> list[str]:
    template = catalogue(lang).get(key) or catalogue("en").get(key, key)
    positional, used = _positional(template)
    for name in used:
        if name not in rows.columns:
            # As str.format would: the template names a field the rows lack.
            raise KeyError(name)
    if not used:
        return [positional.format()] * len(rows)
    # Plain object arrays: iterating Arrow-backed strings or building a dict per row is slow.
    arrays = [rows[c].astype("object").to_numpy() for c in used]
    return [positional.format(*vals) for vals in zip(*arrays, strict=True)]


def render(key: str, lang: str, rows: pd.DataFrame) -> pd.Series:
    """Format ``key`` once per row of ``rows`` (columns are the template's fields), as ``str``.

    Same lookup as :func:`t` (``lang``, then English, then the key). Callers format values (money,
    dates) into string columns first; a province has tens of thousands of findings, so each row is
    one positional ``str.format`` call over plain object arrays.

    Example:
        >>> render("cli.done", "en", pd.DataFrame({"path": ["a", "b"]})).tolist()
        ['Results written to a', 'Results written to b']
    """
    return pd.Series(_format_rows(key, lang, rows), index=rows.index, dtype="str")


def render_rows(key: str, lang: str, rows: pd.DataFrame) -> pd.Series:
    """:func:`render` returning an ``object`` Series (for frames assembled as plain Python text)."""
    return pd.Series(_format_rows(key, lang, rows), index=rows.index, dtype="object")
