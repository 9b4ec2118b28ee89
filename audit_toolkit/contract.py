"""The data contract as data: tables, columns, aliases, vocabularies and category labels.

Everything a ward may write differently lives in YAML beside this module
(``contract/tables.yml``, ``contract/vocabularies.yml``, ``contract/categories.yml``), so a new
header or label is a one-line change, never new code. A ward may extend the category table with
its own ``categories.yml`` (same format); see :func:`load_category_table`.

Example:
    >>> TABLES["beneficiaries"].columns["birth_date"].kind
    'date'
    >>> map_categories(pd.Series(["Điều 5 khoản 6", "NCT trên 80 tuổi", "???"]))["category"].tolist()
    ['K6', 'K5c', nan]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from audit_toolkit.errors import InputError, RuleError
from audit_toolkit.normalize import fold, fold_key, fold_series

__all__ = [
    "CATEGORY_CODES",
    "IGNORED_HEADERS",
    "TABLES",
    "VOCABULARIES",
    "CategoryTable",
    "ColumnSpec",
    "TableSpec",
    "Vocabulary",
    "load_category_table",
    "map_categories",
    "match_table_name",
]

_DATA = Path(__file__).with_name("contract")
KINDS = frozenset(
    {"text", "id", "id12", "date", "month", "money", "coefficient", "count", "category", "vocab"}
)


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its kind (see ``contract/tables.yml``), required flag and aliases."""

    name: str
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    vocab: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """One canonical table of a ward dataset."""

    name: str
    columns: dict[str, ColumnSpec]
    aliases: tuple[str, ...] = ()
    required: bool = False
    person: bool = False
    keeps_totals: bool = False
    one_of: tuple[tuple[str, ...], ...] = ()
    required_unless: dict[str, str] = field(default_factory=dict)

    def header_keys(self) -> dict[str, list[str]]:
        """Folded header key (no spaces) → canonical columns it may name, in table order.

        A new dict of new lists each call (the caller may add its own headers); the aliases are
        folded once per table spec (every file of every ward read them again: ≈ 100 a table).
        """
        return {key: list(names) for key, names in self._folded_keys.items()}

    @cached_property
    def _folded_keys(self) -> dict[str, tuple[str, ...]]:
        keys: dict[str, list[str]] = {}
        for col in self.columns.values():
            for text in (col.name, *col.aliases):
                bucket = keys.setdefault(fold_key(text), [])
                if col.name not in bucket:
                    bucket.append(col.name)
        return {key: tuple(names) for key, names in keys.items()}


@dataclass(frozen=True)
class Vocabulary:
    """A value vocabulary: folded label → code, then regex patterns, fallback and default."""

    name: str
    mapping: dict[str, Any]
    patterns: tuple[tuple[re.Pattern[str], Any], ...] = ()
    fallback: Any = None
    default: Any = None
    dtype: str = "str"
    symbols: dict[str, Any] = field(default_factory=dict)


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        # libyaml's loader when PyYAML was built with it (same results, several times faster).
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _load_tables() -> tuple[dict[str, TableSpec], tuple[str, ...]]:
    data = _load_yaml(_DATA / "tables.yml")
    tables: dict[str, TableSpec] = {}
    for name, spec in data["tables"].items():
        columns = {}
        for col, cspec in spec["columns"].items():
            if cspec["kind"] not in KINDS:
                raise RuleError(
                    f"unknown kind {cspec['kind']!r} for {name}.{col}",
                    file="tables.yml",
                    section=name,
                    fix=f"use one of {', '.join(sorted(KINDS))}",
                )
            columns[col] = ColumnSpec(
                name=col,
                kind=cspec["kind"],
                required=bool(cspec.get("required", False)),
                aliases=tuple(str(a) for a in cspec.get("aliases", [])),
                vocab=cspec.get("vocab"),
            )
        tables[name] = TableSpec(
            name=name,
            columns=columns,
            aliases=tuple(str(a) for a in spec.get("aliases", [])),
            required=bool(spec.get("required", False)),
            person=bool(spec.get("person", False)),
            keeps_totals=bool(spec.get("keeps_totals", False)),
            one_of=tuple(tuple(g) for g in spec.get("one_of", [])),
            required_unless=dict(spec.get("required_unless", {})),
        )
    return tables, tuple(str(a) for a in data.get("ignore", []))


def _vocab_error(path: Path, vocab: str, key: object, problem: str, fix: str) -> RuleError:
    return RuleError(f"vocabulary {vocab!r}, label {key!r} {problem}", file=path.name, section=vocab, fix=fix)


_VOCAB_KEYS = frozenset({"values", "patterns", "fallback", "default", "symbols", "dtype"})


def _load_vocabularies(path: Path | None = None) -> dict[str, Vocabulary]:
    """Parse ``vocabularies.yml``; every label must fold to a non-empty key.

    A label that folds to ``""`` (``✓``, ``-``) would match every empty cell of a CSV file and turn
    "unknown" into a value, so it is refused here; tick marks belong under ``symbols:``.

    Raises:
        RuleError: a label folds to nothing, a symbol is blank, a key is unknown (names file,
            vocabulary, label and fix).
    """
    path = path or _DATA / "vocabularies.yml"
    data = _load_yaml(path)
    vocabs: dict[str, Vocabulary] = {}
    for name, spec in data.items():
        unknown = set(spec) - _VOCAB_KEYS
        if unknown:
            raise _vocab_error(
                path,
                name,
                sorted(unknown)[0],
                "is not a vocabulary key",
                f"use {', '.join(sorted(_VOCAB_KEYS))}",
            )
        boolean = spec.get("dtype", "str") == "boolean"

        def cast(code: Any, boolean: bool = boolean) -> Any:
            if code is None or code == "_none":
                return None
            return str(code) == "true" if boolean else str(code)

        mapping: dict[str, Any] = {}
        for code, labels in spec["values"].items():
            for label in [code, *labels]:
                if str(label) == "_none":
                    continue
                key = fold(str(label))
                if not key:
                    raise _vocab_error(
                        path,
                        name,
                        label,
                        "folds to an empty key and would match every empty cell",
                        f"move it under `symbols:` ({label!r}: {code!r}) or write it in letters",
                    )
                mapping.setdefault(key, cast(code))
        symbols: dict[str, Any] = {}
        for mark, code in (spec.get("symbols") or {}).items():
            text = unicodedata.normalize("NFC", str(mark)).strip()
            if not text:
                raise _vocab_error(
                    path,
                    name,
                    mark,
                    "is a blank symbol",
                    "an empty cell is unknown: give it `default:` instead",
                )
            symbols[text] = cast(code)
        vocabs[name] = Vocabulary(
            name=name,
            mapping=mapping,
            patterns=tuple((re.compile(p), cast(c)) for p, c in spec.get("patterns", [])),
            fallback=cast(spec["fallback"]) if "fallback" in spec else None,
            default=cast(spec["default"]) if "default" in spec else None,
            dtype="boolean" if boolean else "str",
            symbols=symbols,
        )
    return vocabs


TABLES: dict[str, TableSpec]
IGNORED_HEADERS: tuple[str, ...]
TABLES, IGNORED_HEADERS = _load_tables()
VOCABULARIES: dict[str, Vocabulary] = _load_vocabularies()


# --------------------------------------------------------------------------------------------
# table names

# A table name may carry a period: "Danh sách chi trả tháng 1-2023", "Chi trả T01.2023".
_PERIOD_SUFFIX = re.compile(r"^(?:thang|nam|ky|quy|t|q|\d)*$")


@cache
def _table_name_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for spec in TABLES.values():
        for text in (spec.name, *spec.aliases):
            keys.setdefault(fold_key(text), spec.name)
    return keys


def match_table_name(text: str) -> str | None:
    """Canonical table named by a file stem or sheet name, or ``None``.

    Matching ignores case, diacritics, spaces, punctuation, ``-`` and ``_``; a trailing period
    (``tháng 1/2023``) is allowed. The longest matching alias wins.

    Example:
        >>> match_table_name("Danh_sach-chi tra T1.2023"), match_table_name("Sheet1")
        ('payments', None)
    """
    key = fold_key(text)
    keys = _table_name_keys()
    if key in keys:
        return keys[key]
    best: tuple[int, str] | None = None
    for alias, table in keys.items():
        if alias and key.startswith(alias) and _PERIOD_SUFFIX.match(key[len(alias) :]):
            if best is None or len(alias) > best[0]:
                best = (len(alias), table)
    return best[1] if best else None


# --------------------------------------------------------------------------------------------
# categories


@dataclass(frozen=True)
class CategoryEntry:
    """One label or pattern of the category table."""

    code: str
    disability_level: str | None = None
    label: str | None = None
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class CategoryTable:
    """Category labels and patterns, in the order they are tried."""

    labels: dict[str, CategoryEntry]
    patterns: tuple[CategoryEntry, ...]

    def extended(self, other: CategoryTable) -> CategoryTable:
        """This table with ``other``'s entries tried first (a ward's own labels win)."""
        return CategoryTable({**self.labels, **other.labels}, other.patterns + self.patterns)


_LEVELS = frozenset({"especially_severe", "severe", "mild"})
_GROUP_REF = re.compile(r"\{(\d)\}")


def _parse_category_data(data: Any, source: Path, codes: Mapping[str, str]) -> CategoryTable:
    if not isinstance(data, dict):
        raise InputError("Category file is not a mapping of `labels` and `patterns`", file=source)
    labels: dict[str, CategoryEntry] = {}
    patterns: list[CategoryEntry] = []
    for kind in ("labels", "patterns"):
        for item in data.get(kind) or []:
            if not isinstance(item, dict) or "code" not in item or kind[:-1] not in item:
                raise InputError(
                    f"Each entry of `{kind}` needs `{kind[:-1]}` and `code`; got {item!r}",
                    file=source,
                    fix=f"Write entries like: - {{{kind[:-1]}: 'Người già cô đơn', code: K5a}}",
                )
            code = str(item["code"])
            level = item.get("disability_level")
            if not _GROUP_REF.search(code) and code not in codes:
                raise InputError(
                    f"Unknown category code {code!r}",
                    file=source,
                    fix="Use one of: " + ", ".join(codes),
                )
            if level is not None and level not in _LEVELS:
                raise InputError(
                    f"Unknown disability_level {level!r}",
                    file=source,
                    fix="Use one of: " + ", ".join(sorted(_LEVELS)),
                )
            if kind == "labels":
                labels[fold(str(item["label"]))] = CategoryEntry(code, level, label=str(item["label"]))
            else:
                try:
                    regex = re.compile(str(item["pattern"]))
                except re.error as exc:
                    raise InputError(f"Bad pattern {item['pattern']!r}: {exc}", file=source) from exc
                patterns.append(CategoryEntry(code, level, pattern=regex))
    return CategoryTable(labels, tuple(patterns))


@cache
def _packaged_categories() -> tuple[dict[str, str], CategoryTable]:
    path = _DATA / "categories.yml"
    data = _load_yaml(path)
    codes = {str(k): str(v) for k, v in data["codes"].items()}
    return codes, _parse_category_data(data, path, codes)


CATEGORY_CODES: dict[str, str] = dict(_packaged_categories()[0])
"""Valid category codes (K1 … K8, K5a … K5d, C1 … C4, HTXH) → short Vietnamese label."""


def load_category_table(ward_file: Path | None = None) -> CategoryTable:
    """The packaged category table, extended by a ward's ``categories.yml`` when given.

    Raises:
        InputError: the ward file is malformed or names an unknown code.

    Example:
        >>> load_category_table().labels["nguoi gia co don"].code
        'K5a'
    """
    base = _packaged_categories()[1]
    if ward_file is None:
        return base
    try:
        data = _load_yaml(ward_file)
    except yaml.YAMLError as exc:
        raise InputError(f"Cannot read categories file: {exc}", file=ward_file) from exc
    return base.extended(_parse_category_data(data or {}, ward_file, CATEGORY_CODES))


_TOTAL_LABELS = frozenset(
    {"total", "tong", "tong so", "tong cong", "cong", "tong so doi tuong", "toan phuong", "toan xa"}
)


def _lookup_label(folded: str, table: CategoryTable) -> tuple[Any, Any]:
    """Code and implied level of one folded label: exact label first, then patterns in order."""
    entry = table.labels.get(folded)
    if entry is not None:
        return entry.code, entry.disability_level
    for entry in table.patterns:
        if entry.pattern is None:  # ``patterns`` holds only entries built from a pattern
            continue
        m = entry.pattern.search(folded)
        if m is None:
            continue
        groups = m.groups()

        def group(ref: re.Match[str], groups: tuple[str | None, ...] = groups) -> str:
            return groups[int(ref.group(1)) - 1] or ""

        code = _GROUP_REF.sub(group, entry.code)
        # A substituted code that is not a real code maps to nothing rather than to a guess.
        return (code, entry.disability_level) if code in CATEGORY_CODES else (None, None)
    return None, None


def _map_folded(u: pd.Series, table: CategoryTable, allow_total: bool) -> pd.DataFrame:
    # Distinct labels of a ward number in the tens: one lookup per distinct label, not per row.
    pairs = [_lookup_label(v, table) for v in u.tolist()]
    out = pd.DataFrame(pairs, columns=["category", "implied_level"], index=u.index, dtype=object)
    if allow_total:
        out.loc[u.isin(list(_TOTAL_LABELS)), ["category", "implied_level"]] = ["TOTAL", None]
    return out


def map_categories(
    labels: pd.Series, *, table: CategoryTable | None = None, allow_total: bool = False
) -> pd.DataFrame:
    """Map category labels or codes to canonical codes, vectorised over distinct labels.

    Args:
        labels: raw category cells.
        table: the category table (default: the packaged one; see :func:`load_category_table`).
        allow_total: also accept ``total`` / ``Tổng số`` / ``Tổng cộng`` → ``"TOTAL"`` (report table).

    Returns:
        A frame aligned with ``labels``: ``category`` (code, NaN when unmapped or empty),
        ``implied_level`` (disability level the label implies, or NaN) and ``bad`` (a label was
        present but maps to nothing).

    Example:
        >>> map_categories(pd.Series(["Người khuyết tật đặc biệt nặng"])).iloc[0].tolist()
        ['K6', 'especially_severe', False]
    """
    table = table or _packaged_categories()[1]
    folded = fold_series(labels)
    codes, uniques = pd.factorize(folded, use_na_sentinel=True)
    mapped = _map_folded(pd.Series(np.asarray(uniques, dtype=object), dtype="str"), table, allow_total)
    mapped = pd.concat(
        [mapped, pd.DataFrame({"category": [np.nan], "implied_level": [np.nan]})], ignore_index=True
    )
    out = mapped.iloc[np.where(codes < 0, len(mapped) - 1, codes)].reset_index(drop=True)
    out.index = labels.index
    present = labels.notna() & labels.astype("str").str.strip().ne("").fillna(False)
    out["category"] = out["category"].astype("str")
    out["implied_level"] = out["implied_level"].astype("str")
    out["bad"] = (present & out["category"].isna()).astype(bool)
    return out
