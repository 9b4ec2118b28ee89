"""The findings frame: what every check returns and every export reads.

A check returns *raw findings* (see ``RAW_COLUMNS``); :func:`finalize` merges the rows of one person
per check into one finding, adds severity, ward, legal basis and a stable ``finding_id``, and sorts.

Example:
    >>> raw = new_raw([{"check_id": "ID_INVALID", "person_key": "nb:an|1950", "national_id": "",
    ...                 "full_name": "Nguyễn Văn An", "sources": ["beneficiaries:7"],
    ...                 "detail": "…", "amount_vnd": 0.0, "discriminator": ""}])
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

__all__ = [
    "FINDING_COLUMNS",
    "NAME_MATCH_PREFIX",
    "RAW_COLUMNS",
    "SEVERITY_ORDER",
    "empty_raw",
    "finalize",
    "finding_id",
    "new_raw",
    "sort_sources",
]

#: The columns of findings.csv, in this order (data-contract §5), then the extra ones.
FINDING_COLUMNS = [
    "finding_id",
    "check_id",
    "severity",
    "ward",
    "national_id",
    "full_name",
    "source",
    "detail",
    "amount_vnd",
    "legal_basis",
    "category",
    "person_key",
    "evidence",
]

#: What a check function returns. ``severity`` may override the catalogue severity (ID_INVALID's
#: outdated CMND is ``low``); ``category`` and ``evidence`` are optional.
RAW_COLUMNS = [
    "check_id",
    "person_key",
    "national_id",
    "full_name",
    "sources",
    "detail",
    "amount_vnd",
    "discriminator",
    "category",
    "severity",
    "evidence",
]

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

#: ``person_key`` prefix of a person identified by name + birth date (no valid national ID on the
#: record, see ``io.convert.person_keys``): findings about them say so in ``detail``.
NAME_MATCH_PREFIX = "nb:"

#: Catalogue sentences with which a check itself says a match was made on name + birth date.
_SAYS_MATCHED_BY_NAME = ("stale.matched_by_name",)

_SOURCE_RE = re.compile(r"^(?P<table>[^:]*):(?P<row>\d+)$")


_EMPTY_RAW: pd.DataFrame | None = None


def empty_raw() -> pd.DataFrame:
    """An empty raw findings frame with the right columns (a fresh copy: callers may add to it)."""
    global _EMPTY_RAW
    if _EMPTY_RAW is None:
        # Built once per process: building a frame from eleven Series costs ≈ 3 ms, and the
        # checks ask for an empty frame ≈ 40 times per ward; copying the empty one costs ≈ 0.1 ms.
        _EMPTY_RAW = pd.DataFrame({c: pd.Series(dtype="object") for c in RAW_COLUMNS})
    return _EMPTY_RAW.copy()


def new_raw(records: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Build a raw findings frame from records or a frame, filling optional columns."""
    frame = records.copy() if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    if frame.empty:
        return empty_raw()
    for col in RAW_COLUMNS:
        if col not in frame.columns:
            frame[col] = "" if col in ("discriminator", "category", "severity", "national_id") else None
    frame["amount_vnd"] = pd.to_numeric(frame["amount_vnd"], errors="coerce").fillna(0.0).astype("float64")
    return frame[RAW_COLUMNS + [c for c in frame.columns if c not in RAW_COLUMNS]]


def sort_sources(sources: Iterable[str]) -> list[str]:
    """Unique ``table:row`` references, by table then numeric row."""

    def key(src: str) -> tuple[str, int, str]:
        m = _SOURCE_RE.match(src)
        return (m["table"], int(m["row"]), "") if m else (src, 0, src)

    return sorted(set(s for s in sources if s), key=key)


def finding_id(ward_id: str, check_id: str, person_key: str, discriminator: str) -> str:
    """Stable id: the same input and parameters always give the same id.

    Row numbers are deliberately not part of it, so that a finding keeps its id when the ward
    re-sorts its list between two audits (``audit-toolkit compare`` relies on this).
    """
    text = "|".join([ward_id, check_id, person_key or "", discriminator or ""])
    return "F" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12].upper()


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        return [v for v in value.split(";") if v]
    return [str(v) for v in value]


def _first_text(values: Iterable[Any]) -> str:
    for v in values:
        if isinstance(v, str) and v:
            return v
    return ""


def _join_details(values: Iterable[Any]) -> str:
    seen: list[str] = []
    for v in values:
        if isinstance(v, str) and v and v not in seen:
            seen.append(v)
    return " ".join(seen)


def _merge_evidence(values: Iterable[Any]) -> str:
    merged: dict[str, Any] = {}
    for v in values:
        if isinstance(v, dict):
            merged.update(v)
        elif isinstance(v, str) and v:
            merged.update(json.loads(v))
    return json.dumps(merged, ensure_ascii=False, sort_keys=True, default=str) if merged else ""


def _merge_groups(raw: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per group of ``keys`` (in order of first appearance): texts, amounts, evidence, sources.

    Most groups hold one raw row: those are merged by the same helpers called on that row alone
    (one Python call per finding); only the groups of several rows go through a per-group
    ``groupby.agg``, whose fixed cost per group took seconds for a province's findings.
    """
    has_ward = "ward" in raw.columns
    group = raw.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    single = np.bincount(group)[group] == 1
    texts = ["national_id", "full_name", "category", "severity"] + (["ward"] if has_ward else [])
    one = raw.loc[single]
    parts = {
        "national_id": [_first_text((v,)) for v in one["national_id"].tolist()],
        "full_name": [_first_text((v,)) for v in one["full_name"].tolist()],
        "detail": [_join_details((v,)) for v in one["detail"].tolist()],
        "category": [_first_text((v,)) for v in one["category"].tolist()],
        "severity": [_first_text((v,)) for v in one["severity"].tolist()],
        "evidence": [_merge_evidence((v,)) for v in one["evidence"].tolist()],
        "ward_override": [_first_text((v,)) for v in one["ward"].tolist()] if has_ward else [""] * len(one),
        "source": [";".join(sort_sources(_as_list(v))) for v in one["sources"].tolist()],
    }
    singles = pd.DataFrame(parts, index=pd.Index(group[single]), dtype="str")
    several = raw.loc[~single].assign(_group=group[~single])
    if len(several):
        grouped = several.groupby("_group", sort=True)
        agg = {c: (c, _first_text) for c in texts if c != "ward"}
        many = grouped.agg(
            detail=("detail", _join_details),
            evidence=("evidence", _merge_evidence),
            ward_override=("ward", _first_text) if has_ward else ("check_id", lambda s: ""),
            **agg,
        )
        many["source"] = grouped["sources"].agg(
            lambda s: ";".join(sort_sources(x for v in s for x in _as_list(v)))
        )
        merged = pd.concat([singles, many[list(parts)].astype("str")]).sort_index()
    else:
        merged = singles.sort_index()
    first = raw.assign(_group=group).drop_duplicates("_group").set_index("_group")
    amounts = raw.groupby(group, sort=True)["amount_vnd"].sum()
    out = first[keys].join(merged)
    # "detail" is a unique column, so get_loc gives its integer position.
    detail_pos = cast(int, out.columns.get_loc("detail"))
    out.insert(detail_pos + 1, "amount_vnd", amounts.reindex(out.index).to_numpy())
    return out.reset_index(drop=True)


def _note_name_matching(detail: pd.Series, person_key: pd.Series, lang: str) -> pd.Series:
    """``detail`` with the "matched on name" sentence appended where the person has no valid ID."""
    from audit_toolkit.messages import t

    by_name = person_key.str.startswith(NAME_MATCH_PREFIX).fillna(False).to_numpy(dtype=bool, copy=True)
    if not by_name.any():
        return detail
    note = t("matching.by_name", lang)
    text = detail.fillna("").astype("str")
    for key in _SAYS_MATCHED_BY_NAME:
        # The check already said it matched on names (a register record): say it once only.
        said = text.str.contains(t(key, lang).strip(), regex=False).fillna(False).to_numpy(dtype=bool)
        by_name &= ~said
    joined = text.where(text == "", text + " ") + note
    return text.where(~by_name, joined)


def finalize(
    raw: pd.DataFrame,
    *,
    ward: str,
    ward_id: str,
    severities: Mapping[str, str],
    legal_bases: Mapping[str, str],
    check_order: Sequence[str],
    lang: str | None = None,
) -> pd.DataFrame:
    """Merge raw findings into one finding per person per check and give them their final shape.

    Args:
        raw: concatenated raw findings of all checks (``RAW_COLUMNS``).
        ward: the ward label written in the ``ward`` column (code or name).
        ward_id: the ward's stable identifier, part of every ``finding_id``.
        severities: default severity per check id (from the catalogue).
        legal_bases: legal basis per check id in the report language.
        check_order: catalogue order, used to sort.
        lang: when given, every finding about a person matched on name + birth date (``person_key``
            starting with :data:`NAME_MATCH_PREFIX`: no valid national ID on the records) ends with
            the catalogue's sentence ``matching.by_name`` in this language, so a reader knows the
            match is weaker than one on IDs. Done here, once, rather than in every check.

    Returns:
        A frame with ``FINDING_COLUMNS``; ``amount_vnd`` as integer VND.
    """
    if raw.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FINDING_COLUMNS}).astype(
            {"amount_vnd": "int64"}
        )
    raw = new_raw(raw)
    raw["discriminator"] = raw["discriminator"].fillna("").astype(str)
    raw["person_key"] = raw["person_key"].fillna("").astype(str)
    keys = ["check_id", "person_key", "discriminator"]
    out = _merge_groups(raw, keys)
    out["severity"] = out["severity"].where(out["severity"] != "", out["check_id"].map(severities))
    # A raw finding may name its own ward(s) (the batch's cross-ward findings list every ward).
    out["ward"] = out["ward_override"].where(out["ward_override"] != "", ward)
    out["legal_basis"] = out["check_id"].map(legal_bases).fillna("")
    out["amount_vnd"] = out["amount_vnd"].round().astype("int64")
    if lang is not None:
        out["detail"] = _note_name_matching(out["detail"], out["person_key"], lang)
    out["finding_id"] = [
        finding_id(ward_id, c, p, d)
        for c, p, d in zip(out["check_id"], out["person_key"], out["discriminator"], strict=True)
    ]
    order = {c: i for i, c in enumerate(check_order)}
    out["_sev"] = out["severity"].map(SEVERITY_ORDER).fillna(9)
    out["_chk"] = out["check_id"].map(order).fillna(len(order))
    out = out.sort_values(["_sev", "_chk", "source", "finding_id"], kind="stable").reset_index(drop=True)
    return out[FINDING_COLUMNS]
