"""Identity and record validity: rows that could not be read, and national IDs that are missing,
malformed, contradict the record, or are shared by different people.

Checks (``../shared/spec/checks.md``, read as in ``docs/check-semantics.md``):

- ``UNREADABLE_ROW``: one finding per row the loader could not read.
- ``ID_INVALID``: a beneficiary without a usable ID: missing, not 12 digits, an unknown province
  code, or a 9-digit CMND after the date it stopped being valid (severity low).
- ``ID_MISMATCH``: a 12-digit ID whose 4th digit (sex, century) or 5th-6th digits (birth year)
  contradict the recorded sex or birth year.
- ``ID_CONFLICT``: one ID carried by records (beneficiaries and the registers) that show
  different people: names more than one edit apart, or different birth dates.

Example:
    >>> raw = find_invalid_ids(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from audit_toolkit.checks.base import AuditContext, check, inner_join, row_refs
from audit_toolkit.checks.common import arrow_text, born_text, group_lists, isin_keys, text_isin, usable_ids
from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import catalogue as messages
from audit_toolkit.messages import fmt_date, render, t

__all__ = [
    "REGISTER_TABLES",
    "cmnd_valid_until",
    "find_id_conflicts",
    "find_id_mismatches",
    "find_invalid_ids",
    "find_unreadable_rows",
    "one_per_person",
    "render",
]

#: Register tables whose records can carry a national ID (besides the beneficiaries).
REGISTER_TABLES = ("residents", "deaths", "disability_certificates", "pensions")

_ID12 = r"\d{12}"


def _year_only(frame: pd.DataFrame) -> pd.Series:
    if "birth_date_year_only" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["birth_date_year_only"].fillna(False).astype(bool)


def _text(series: pd.Series) -> pd.Series:
    """A text column with missing values as ``""`` (for findings and messages)."""
    return series.astype("object").where(series.notna(), "").astype("str")


# --------------------------------------------------------------------------------- UNREADABLE_ROW


_PART = re.compile(r"^(?P<column>[^:;]+): (?P<phrase>.*?)(?: '(?P<value>.*)')?$", re.DOTALL)


def _reason_patterns() -> list[tuple[re.Pattern[str], str]]:
    """English reason templates of the catalogue as regexes (``{other}`` fields become groups)."""
    patterns = []
    for key, text in messages("en").items():
        if key.startswith("identity.reason."):
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(text))
            patterns.append((re.compile(f"^{regex}$", re.IGNORECASE), key))
    return patterns


def _translate_reasons(reasons: pd.Series, lang: str) -> pd.Series:
    """Loader reasons in the report language.

    The loader writes ``"<column>: <reason> '<value>'"`` parts (English) joined by ``"; "``. Each
    reason that matches an ``identity.reason.*`` message (its English text) is translated; the
    column name and the value are kept verbatim; anything unknown is kept as written, never guessed.
    """
    patterns = _reason_patterns()

    def phrase(text: str) -> str:
        for regex, key in patterns:
            m = regex.match(text)
            if m:
                return t(key, lang, **m.groupdict())
        return text

    def one(text: str) -> str:
        out = []
        for part in (p.strip() for p in text.split("; ")):
            if not part:
                continue
            m = _PART.match(part)
            if m is None:
                out.append(phrase(part))
                continue
            said = f"{m['column']}: {phrase(m['phrase'])}"
            out.append(said if m["value"] is None else f"{said} “{m['value']}”")
        return "; ".join(out)

    text = reasons.astype("object").where(reasons.notna(), "").astype(str)
    uniques = pd.unique(text)
    mapping = {u: one(u) for u in uniques}
    return text.map(mapping)


@check("UNREADABLE_ROW")
def find_unreadable_rows(ctx: AuditContext) -> pd.DataFrame:
    """One finding per row of ``ctx.ward.unreadable`` (a row the loader removed from its table).

    ``source`` is ``table:row``, ``person_key`` is ``row:<table>:<row>`` (the row is the subject,
    not a person), and the detail names file, sheet, row, column, value and reason. Amount 0.
    """
    bad = ctx.ward.unreadable
    if bad is None or len(bad) == 0:
        return empty_raw()
    bad = bad.reset_index(drop=True)
    row = pd.to_numeric(bad["row"], errors="coerce").astype("Int64")
    row_text = row.astype("str").where(row.notna(), "?")
    table = _text(bad["table"])
    sheet = _text(bad["sheet"])
    sheet_part = pd.Series("", index=bad.index, dtype="str")
    has_sheet = sheet != ""
    if has_sheet.any():
        sheet_part.loc[has_sheet] = render(
            "identity.unreadable.sheet", ctx.lang, pd.DataFrame({"sheet": sheet.loc[has_sheet]})
        )
    fields = pd.DataFrame(
        {
            "file": _text(bad["file"]),
            "sheet_part": sheet_part,
            "row": row_text,
            "column": _text(bad["column"]),
            "value": _text(bad["value"]),
            "reason": _translate_reasons(bad["reason"], ctx.lang),
        }
    )
    out = pd.DataFrame(
        {
            "check_id": "UNREADABLE_ROW",
            "person_key": "row:" + table + ":" + row_text,
            "national_id": _text(bad["national_id"]) if "national_id" in bad else "",
            "full_name": _text(bad["full_name"]) if "full_name" in bad else "",
            "sources": (table + ":" + row_text).map(lambda s: [s]),
            "detail": render("identity.unreadable", ctx.lang, fields),
            "amount_vnd": 0.0,
            "discriminator": "",
        }
    )
    return new_raw(out)


# ------------------------------------------------------------------------------------ ID_INVALID


def cmnd_valid_until(ctx: AuditContext) -> pd.Timestamp | None:
    """Last day a 9-digit CMND is valid, from the rules (``RuleSet.cmnd_valid_until``), else None.

    The date is law (Luật Căn cước 26/2023/QH15 Điều 46), so it comes from the rule tables; while the
    RuleSet does not provide it, 9-digit CMNDs are not reported as outdated (never guessed).
    """
    value = getattr(ctx.rules, "cmnd_valid_until", None)
    if callable(value):
        value = value()
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value)


@check("ID_INVALID")
def find_invalid_ids(ctx: AuditContext) -> pd.DataFrame:
    """Beneficiaries whose ``national_id`` is missing, malformed, of an unknown province, or an
    outdated 9-digit CMND (reported with severity ``low``). One finding per person.
    """
    lines = ctx.lines
    if lines.empty:
        return empty_raw()
    ids = lines["national_id"]
    present = ids.notna() & (ids.astype("str").str.len() > 0)
    id12 = ids.astype("str").str.fullmatch(_ID12).fillna(False).astype(bool) & present
    id9 = ids.astype("str").str.fullmatch(r"\d{9}").fillna(False).astype(bool) & present
    unknown_province = id12 & ~ids.astype("str").str[:3].isin(ctx.rules.province_codes)
    cmnd_until = cmnd_valid_until(ctx)
    outdated = id9 & (cmnd_until is not None and ctx.as_of > cmnd_until)
    kind = pd.Series("", index=lines.index, dtype="str")
    kind = kind.mask(~present, "missing")
    kind = kind.mask(present & ~id12 & ~id9, "format")
    kind = kind.mask(unknown_province, "province")
    kind = kind.mask(outdated, "cmnd")
    hit = lines.loc[kind != ""].copy()
    if hit.empty:
        return empty_raw()
    hit["kind"] = kind.loc[hit.index]
    fields = pd.DataFrame(
        {
            "name": _text(hit["full_name"]),
            "born": born_text(hit, ctx.lang),
            "id": _text(hit["national_id"]),
            "code": _text(hit["national_id"]).str[:3],
            "date": fmt_date(cmnd_until, ctx.lang) if cmnd_until is not None else "",
        },
        index=hit.index,
    )
    detail = pd.Series("", index=hit.index, dtype="str")
    for k in ("missing", "format", "province", "cmnd"):
        mask = hit["kind"] == k
        if mask.any():
            detail.loc[mask] = render(f"identity.invalid.{k}", ctx.lang, fields.loc[mask])
    hit["detail"] = detail
    # One finding per person: a person's lines may carry different problems (one line without an
    # ID, another with a CMND); severity is low only when every problem is an outdated CMND.
    out = one_per_person(hit)
    not_cmnd = (hit["kind"] != "cmnd").groupby(hit["person_key"]).any()
    out["severity"] = np.where(out["person_key"].map(not_cmnd).to_numpy(dtype=bool), "", "low")
    out["check_id"] = "ID_INVALID"
    out["amount_vnd"] = 0.0
    out["discriminator"] = ""
    return new_raw(out)


def one_per_person(hit: pd.DataFrame, key: str = "person_key") -> pd.DataFrame:
    """Collapse lines to one row per ``key``: first ID and name, sources, distinct details and
    categories joined. Vectorised, fast with many findings.
    """
    hit = hit.sort_values([key, "_row"], kind="stable").reset_index(drop=True)
    grouped = hit.groupby(key, sort=True)
    out = pd.DataFrame(
        {
            "national_id": grouped["national_id"].first(),
            "full_name": grouped["full_name"].first(),
        }
    )
    out["sources"] = group_lists(hit[key], hit["source"]).reindex(out.index)
    details = hit.drop_duplicates([key, "detail"])
    out["detail"] = group_lists(details[key], details["detail"]).map(" ".join).reindex(out.index)
    cats = hit.loc[hit["category"].notna()].drop_duplicates([key, "category"]).sort_values([key, "category"])
    out["category"] = group_lists(cats[key], cats["category"]).map(", ".join).reindex(out.index).fillna("")
    out["national_id"] = _text(out["national_id"])
    out["full_name"] = _text(out["full_name"])
    return out.rename_axis(key).reset_index()


# ----------------------------------------------------------------------------------- ID_MISMATCH


@check("ID_MISMATCH")
def find_id_mismatches(ctx: AuditContext) -> pd.DataFrame:
    """Beneficiaries whose 12-digit ID contradicts the recorded sex or birth year.

    Digit 4 gives sex and century, digits 5-6 the year within the century (the decoding table is
    rule data: ``rules.id_digit4``). Sex is compared only when recorded, the year only when a
    birth date (full or year-only) is recorded. One finding per person.
    """
    lines = ctx.lines
    ids = lines["national_id"].astype("str")
    id12 = ids.str.fullmatch(_ID12).fillna(False).astype(bool)
    cand = lines.loc[id12].copy()
    if cand.empty:
        return empty_raw()
    digits = ctx.rules.id_digit4.set_index("digit")
    d4 = cand["national_id"].str[3].astype("int64")
    id_sex = d4.map(digits["sex"])
    id_year = d4.map(digits["century"]).astype("Int64") + cand["national_id"].str[4:6].astype("int64")
    rec_year = cand["birth_date"].dt.year.astype("Int64")
    rec_sex = cand["sex"]
    sex_bad = (rec_sex.notna() & id_sex.notna() & (rec_sex != id_sex)).fillna(False).astype(bool)
    year_bad = (rec_year.notna() & id_year.notna() & (rec_year != id_year)).fillna(False).astype(bool)
    bad = sex_bad | year_bad
    if not bad.any():
        return empty_raw()
    cand = cand.loc[bad]
    sex_bad, year_bad = sex_bad.loc[bad], year_bad.loc[bad]
    lang = ctx.lang
    sex_label = {s: t(f"identity.sex.{s}", lang) for s in ("M", "F")}
    fields = pd.DataFrame(
        {
            "id": cand["national_id"],
            "id_sex": id_sex.loc[bad].map(sex_label).fillna("?"),
            "rec_sex": rec_sex.map(sex_label).fillna("?"),
            "id_year": id_year.loc[bad].astype("str"),
            "rec_year": rec_year.loc[bad].astype("str"),
        },
        index=cand.index,
    )
    part_sex = pd.Series("", index=cand.index, dtype="str")
    part_year = pd.Series("", index=cand.index, dtype="str")
    if sex_bad.any():
        part_sex.loc[sex_bad] = render("identity.mismatch.sex", lang, fields.loc[sex_bad])
    if year_bad.any():
        part_year.loc[year_bad] = render("identity.mismatch.year", lang, fields.loc[year_bad])
    parts = (part_sex + "; " + part_year).str.strip("; ")
    detail = render(
        "identity.mismatch",
        lang,
        pd.DataFrame({"name": _text(cand["full_name"]), "id": cand["national_id"], "parts": parts}),
    )
    out = one_per_person(cand.assign(detail=detail))
    out["check_id"] = "ID_MISMATCH"
    out["amount_vnd"] = 0.0
    out["discriminator"] = ""
    return new_raw(out)


# ----------------------------------------------------------------------------------- ID_CONFLICT


def _records(ctx: AuditContext, ids: pa.Array) -> pd.DataFrame:
    """Records of beneficiaries and registers that carry one of ``ids``, in one frame.

    Columns: ``table, row, ref, national_id, full_name, name_key, birth_date, birth_date_year_only``
    (``source`` is made by :func:`_with_sources` for the few records a finding names).
    """
    frames = []
    for table in ("beneficiaries", *REGISTER_TABLES):
        if not ctx.has(table):
            continue
        df = ctx.table(table)
        if "national_id" not in df or len(df) == 0:
            continue
        keep = text_isin(arrow_text(df["national_id"]), ids)
        if not keep.any():
            continue
        # Only the columns read here travel (a register is wide: filtering it copies every column).
        sub = df[[c for c in _RECORD_COLUMNS if c in df]].loc[keep]
        n = len(sub)
        empty_dates = pd.Series(pd.NaT, index=sub.index, dtype="datetime64[ns]")
        frames.append(
            pd.DataFrame(
                {
                    "table": table,
                    "row": sub["_row"].astype("int64"),
                    "ref": row_refs(sub),
                    "national_id": sub["national_id"].astype("str"),
                    "full_name": sub["full_name"]
                    if "full_name" in sub
                    else pd.Series([np.nan] * n, dtype="str"),
                    "name_key": sub["name_key"]
                    if "name_key" in sub
                    else pd.Series([np.nan] * n, dtype="str"),
                    "birth_date": sub["birth_date"].astype("datetime64[ns]")
                    if "birth_date" in sub
                    else empty_dates,
                    "birth_date_year_only": _year_only(sub),
                }
            )
        )
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


#: The columns of a table that :func:`_records` reads.
_RECORD_COLUMNS = (
    "_row",
    "_ref",
    "national_id",
    "full_name",
    "name_key",
    "birth_date",
    "birth_date_year_only",
)


def _with_sources(records: pd.DataFrame) -> pd.DataFrame:
    """``records`` with ``source`` (``table:row``; a table read from several sheets names the sheet,
    ``payments:T3-2023!12``) instead of ``ref``."""
    where = records["ref"].astype("object").where(records["ref"].notna(), records["row"].astype("str"))
    out = records.assign(source=records["table"] + ":" + where.astype("str"))
    return out.drop(columns="ref")


def _id_codes(records: pd.DataFrame) -> tuple[np.ndarray, pa.Array]:
    """Integer code of each record's ID (equal IDs, equal codes) and the distinct IDs, one Arrow pass."""
    encoded = arrow_text(records["national_id"]).dictionary_encode()
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, encoded.dictionary


def _ids_of(dictionary: pa.Array, codes: np.ndarray) -> pd.Index:
    """The IDs of ``codes`` (distinct), as a text Index."""
    picked: list[str] = dictionary.take(pa.array(np.unique(codes), type=pa.int64())).to_pylist()
    return pd.Index(picked, dtype="str")


def _distinct_pairs(group: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``(group, value)`` pairs of two integer code arrays (``value >= 0``)."""
    width = int(value.max(initial=0)) + 1
    pairs = np.unique(group * width + value)
    return pairs // width, pairs % width


def _name_conflicts(records: pd.DataFrame) -> pd.Index:
    """IDs whose records carry two ``name_key``s more than one edit apart (compared within the ID)."""
    named = records.loc[records["name_key"].notna()]
    if named.empty:
        return pd.Index([], dtype="str")
    ids, dictionary = _id_codes(named)
    names = arrow_text(named["name_key"]).dictionary_encode()
    name_codes = np.asarray(names.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    # Distinct names per ID; only IDs with two or more can conflict.
    pid, pname = _distinct_pairs(ids, name_codes)
    multi = np.bincount(pid)[pid] > 1
    pid, pname = pid[multi], pname[multi]
    if not len(pid):
        return pd.Index([], dtype="str")
    li, ri = inner_join(pid, pid)
    # Each unordered pair of names once (the distance is symmetric).
    once = pname[li] < pname[ri]
    li, ri = li[once], ri[once]
    text = np.asarray(names.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    dist = process.cpdist(
        text[pname[li]].tolist(), text[pname[ri]].tolist(), scorer=Levenshtein.distance, workers=1
    )
    return _ids_of(dictionary, pid[li][np.asarray(dist) > 1])


def _date_conflicts(records: pd.DataFrame) -> pd.Index:
    """IDs whose records carry different birth years, or different full birth dates."""
    dated = records.loc[records["birth_date"].notna()]
    if dated.empty:
        return pd.Index([], dtype="str")
    ids, dictionary = _id_codes(dated)
    dates = dated["birth_date"].to_numpy(dtype="datetime64[ns]")
    years = dates.astype("datetime64[Y]").astype(np.int64)
    gid, _ = _distinct_pairs(ids, years - years.min())
    bad = gid[np.bincount(gid)[gid] > 1]
    full = ~dated["birth_date_year_only"].to_numpy(dtype=bool)
    if full.any():
        day_codes = pd.factorize(dates[full])[0].astype(np.int64)
        fid, _ = _distinct_pairs(ids[full], day_codes)
        bad = np.concatenate([bad, fid[np.bincount(fid)[fid] > 1]])
    return _ids_of(dictionary, bad)


@check("ID_CONFLICT")
def find_id_conflicts(ctx: AuditContext) -> pd.DataFrame:
    """One usable ID carried by records that show different people.

    Records: the beneficiaries and the registers supplied (residents, deaths, disability
    certificates, pensions). Only IDs carried by at least one beneficiary line are examined (the
    audit is of the beneficiary list; registers are read for evidence). Different people =
    ``name_key``s more than one edit apart (rapidfuzz Levenshtein, compared only within the ID),
    or different full birth dates (a year-only date conflicts only with a different year).
    One finding per ID; ``source`` lists every record carrying it.
    """
    lines = ctx.lines
    ben_ids = lines.loc[usable_ids(lines["national_id"]), "national_id"].astype("str")
    if ben_ids.empty:
        return empty_raw()
    records = _records(ctx, pc.unique(arrow_text(ben_ids)))
    if records.empty:
        return empty_raw()
    # Only IDs with two or more records can conflict: shrink before comparing.
    codes, _ = _id_codes(records)
    multi = np.bincount(codes)[codes] > 1
    if not multi.any():
        return empty_raw()
    records = records.loc[multi]
    bad = _name_conflicts(records).union(_date_conflicts(records))
    if bad.empty:
        return empty_raw()
    rec = _with_sources(records.loc[isin_keys(records["national_id"], bad.to_numpy())])
    lang = ctx.lang
    table_label = {tb: t(f"identity.table.{tb}", lang) for tb in rec["table"].unique()}
    rec["born"] = born_text(rec, lang)
    rec["name"] = _text(rec["full_name"]).replace("", "?")
    rec["where"] = (
        rec["table"].map(table_label) + " " + t("identity.row", lang) + " " + rec["row"].astype("str")
    )
    rec = rec.sort_values(["national_id", "table", "row"], kind="stable")
    # One description per distinct (name, birth date) of the ID, with every row that carries it.
    people = rec.drop_duplicates(["national_id", "name", "born"])[["national_id", "name", "born"]]
    wheres = rec.sort_values(["national_id", "name", "born", "table", "row"], kind="stable")
    where = group_lists(wheres["national_id"] + "|" + wheres["name"] + "|" + wheres["born"], wheres["where"])
    people["where"] = (people["national_id"] + "|" + people["name"] + "|" + people["born"]).map(
        where.map(", ".join)
    )
    people["item"] = render("identity.conflict.record", lang, people[["name", "born", "where"]])
    listing = group_lists(people["national_id"], people["item"]).map("; ".join)
    ben_name = rec.loc[rec["table"] == "beneficiaries"].groupby("national_id")["full_name"].first()
    srcs = group_lists(rec["national_id"], rec["source"])
    out = pd.DataFrame({"national_id": listing.index, "records": listing.to_numpy()})
    out["full_name"] = out["national_id"].map(ben_name).fillna("")
    out["sources"] = out["national_id"].map(srcs)
    out["detail"] = render(
        "identity.conflict", lang, out[["national_id", "records"]].rename(columns={"national_id": "id"})
    )
    out["person_key"] = "id:" + out["national_id"]
    out["check_id"] = "ID_CONFLICT"
    out["amount_vnd"] = 0.0
    out["discriminator"] = ""
    return new_raw(out.drop(columns=["records"]))
