"""Duplicates: one person on lines that may not be paid together, in one ward or across wards.

Checks (``../shared/spec/checks.md``, read as in ``docs/check-semantics.md``):

- ``DUPLICATE_ID``: one usable ID on two or more lines, active in a common month of the period,
  that do not stack (``RuleSet.stackable``).
- ``DUPLICATE_PERSON``: the same person under different or missing IDs: ``name_key``s equal or
  one edit apart AND the same full birth date, or (a year-only birth date) the same year and the
  same household or normalised address.
- ``CROSS_WARD_DUPLICATE`` (batch, not registered with ``@check``): either rule on lines of
  different wards active in the same month: :func:`find_cross_ward_duplicates`.

Pairs are never built all-against-all: same-ID pairs come from a join on the ID; name pairs from
joins inside blocks (birth date; year + household; year + address), further split by the first or
last ``_PIECE`` letters of the name (one edit leaves one of them intact), and only those candidate
pairs are measured with rapidfuzz's Levenshtein distance in one vectorised call.

Money: in each overlapping month, of two lines that may not stack the lower one (lower due amount,
i.e. coefficient × level; ties: the one that received less) is the one that should not have been
paid; ``amount_vnd`` sums what it received (payments when the ward supplied them and the line can
be tied to payments, else its due amount) over the months of the period where it overlaps.

Example:
    >>> raw = find_duplicate_ids(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from audit_toolkit.checks.base import AuditContext, check, inner_join
from audit_toolkit.checks.common import arrow_text, born_text, coefs_text, group_lists
from audit_toolkit.checks.lines import (
    components,
    line_frame,
    losing_months,
    months_of_lines,
    not_stacking,
    ordered_pairs,
    overlapping_months,
    paid_months,
    pair_money,
    price_months,
)
from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import fmt_month, fmt_vnd, render, t
from audit_toolkit.normalize import fold_series

__all__ = [
    "find_cross_ward_duplicates",
    "find_duplicate_ids",
    "find_duplicate_people",
    "person_rule_pairs",
    "same_id_pairs",
    "ward_person_rule_pairs",
    "ward_same_id_pairs",
]

#: Letters of the name's start / end used to split a block; names shorter than twice this are
#: compared with every short name of their block (a single edit cannot touch both ends otherwise).
_PIECE = 4


# ------------------------------------------------------------------------------------ pair rules
def same_id_pairs(lines: pd.DataFrame) -> pd.DataFrame:
    """Pairs ``(a, b)`` of lines carrying the same usable ID (a join on the ID, never all pairs)."""
    with_id = lines.loc[lines["usable"], ["key", "national_id"]]
    with_id = with_id.loc[with_id["national_id"].duplicated(keep=False)]
    if with_id.empty:
        return pd.DataFrame({"a": pd.Series(dtype="int64"), "b": pd.Series(dtype="int64")})
    pairs = with_id.merge(with_id, on="national_id", suffixes=("_a", "_b"))
    return ordered_pairs(pairs.rename(columns={"key_a": "a", "key_b": "b"}))


def ward_same_id_pairs(ctx: AuditContext) -> pd.DataFrame:
    """:func:`same_id_pairs` of the ward's :func:`line_frame`, made once per context."""
    pairs: pd.DataFrame = ctx.memo("same_id_pairs", lambda c: same_id_pairs(line_frame(c)))
    return pairs.copy(deep=False)


def ward_person_rule_pairs(ctx: AuditContext) -> pd.DataFrame:
    """:func:`person_rule_pairs` of the ward's :func:`line_frame`, made once per context."""
    pairs: pd.DataFrame = ctx.memo("person_rule_pairs", lambda c: person_rule_pairs(line_frame(c)))
    return pairs.copy(deep=False)


def _block_pairs(frame: pd.DataFrame, block: list[str]) -> pd.DataFrame:
    """Candidate pairs inside ``block``: same start or same end of the name (or both names short).

    Self-joins on integer codes (:func:`audit_toolkit.checks.base.inner_join`, ordered as a merge),
    not DataFrame merges: a ward's blocks are small, and a merge costs milliseconds of fixed overhead.
    """
    keys = frame["key"].to_numpy(dtype=np.int64)
    names = arrow_text(frame["name_key"])
    lengths = np.asarray(pc.utf8_length(names).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    long_names = lengths >= 2 * _PIECE
    short_names = (lengths <= 2 * _PIECE) & (lengths >= 0)
    base = _codes_of([frame[c].to_numpy() for c in block])
    pre = pd.factorize(pc.utf8_slice_codeunits(names, 0, _PIECE).to_numpy(zero_copy_only=False))[0]
    suf = pd.factorize(pc.utf8_slice_codeunits(names, -_PIECE).to_numpy(zero_copy_only=False))[0]
    found = []
    for part, extra in ((long_names, pre), (long_names, suf), (short_names, None)):
        pos = np.flatnonzero(part)
        if len(pos) < 2:
            continue
        codes = base[pos] if extra is None else _codes_of([base[pos], extra[pos]])
        li, ri = inner_join(codes, codes)
        a, b = keys[pos[li]], keys[pos[ri]]
        keep = a < b
        found.append(pd.DataFrame({"a": a[keep], "b": b[keep]}))
    if not found:
        return pd.DataFrame({"a": pd.Series(dtype="int64"), "b": pd.Series(dtype="int64")})
    return pd.concat(found, ignore_index=True)


def _codes_of(columns: list[np.ndarray]) -> np.ndarray:
    """One integer code per distinct combination of ``columns`` (``-1`` where any part is missing)."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        merged = np.where((combined < 0) | (codes < 0), -1, combined * (len(uniques) + 1) + codes)
        combined = np.where(merged < 0, -1, pd.factorize(merged)[0]).astype(np.int64)
    return combined


def person_rule_pairs(lines: pd.DataFrame) -> pd.DataFrame:
    """Pairs of lines that the DUPLICATE_PERSON rule calls one person (IDs not considered).

    ``name_key``s equal or within one edit (rapidfuzz Levenshtein ≤ 1), AND the same full birth
    date, or, when either birth date is year-only, the same year and the same ``household_id`` or
    the same normalised address. Compared only inside blocks (birth date; year + household; year +
    address), so the work follows the block sizes, not the square of the list.

    Args:
        lines: a frame with ``key, name_key, birth_date, yo, year, household_id, address``.

    Returns:
        ``a, b`` (keys, ``a < b``).
    """
    named = lines.loc[lines["name_key"].notna() & lines["birth_date"].notna()]
    named = named.assign(date=named["birth_date"])
    # Addresses matter only in years that have a year-only birth date: fold only those.
    years = named.loc[named["yo"], "year"].unique()
    near = named["year"].isin(years).to_numpy(dtype=bool) & named["address"].notna().to_numpy(dtype=bool)
    address_key = pd.Series(np.nan, index=named.index, dtype="str")
    if near.any():
        address_key.loc[near] = fold_series(named.loc[near, "address"])
    named = named.assign(address_key=address_key)
    candidates = [_block_pairs(named.loc[~named["yo"]], ["date"])]
    for col in ("household_id", "address_key"):
        part = named.loc[named[col].notna()]
        if len(part) < 2 or not part["yo"].any():
            continue
        pairs = _block_pairs(part, ["year", col])
        yo = named.set_index("key")["yo"]
        either = yo.reindex(pairs["a"]).to_numpy() | yo.reindex(pairs["b"]).to_numpy()
        candidates.append(pairs.loc[either])
    pairs = pd.concat(candidates, ignore_index=True).drop_duplicates()
    if pairs.empty:
        return pairs.reset_index(drop=True)
    names = named.set_index("key")["name_key"]
    dist = process.cpdist(
        names.reindex(pairs["a"]).tolist(),
        names.reindex(pairs["b"]).tolist(),
        scorer=Levenshtein.distance,
        score_cutoff=2,
        workers=1,
    )
    return ordered_pairs(pairs.loc[np.asarray(dist) <= 1])


# --------------------------------------------------------------------------------------- findings


def _line_items(lines: pd.DataFrame, lang: str, *, with_person: bool) -> pd.Series:
    """One short description per line (category, coefficient, start, row; optionally who)."""
    fields = pd.DataFrame(
        {
            "category": lines["category"].fillna("?").astype("str"),
            # The checks' one coefficient format (common.coef_text); an empty cell says so.
            "coef": coefs_text(lines["coefficient"], lang).where(
                lines["coefficient"].notna().to_numpy(), t("duplicates.no_coefficient", lang)
            ),
            "start": lines["start_m"].map(lambda m: fmt_month(m, lang) if pd.notna(m) else "?"),
            "source": lines["source"],
            "name": lines["full_name"].fillna("?").astype("str"),
            "id": lines["national_id"]
            .astype("object")
            .where(lines["national_id"].notna(), t("duplicates.no_id", lang)),
            "born": born_text(lines.rename(columns={"yo": "birth_date_year_only"}), lang),
        },
        index=lines.index,
    )
    key = "duplicates.line.person" if with_person else "duplicates.line"
    return render(key, lang, fields)


def _findings(
    group: pd.Series,
    rows: pd.DataFrame,
    losers: pd.DataFrame,
    lines: pd.DataFrame,
    values: pd.DataFrame,
    pays: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per group (an ID, or a component): months, amount, basis and sources, and the member lines.

    ``group`` maps a line key to its group; ``rows`` are the pair-month rows, ``losers`` the
    ``(key, m)`` whose value counts, ``values`` the ``key, m, value, basis`` rows, ``pays`` the
    ``key, m, source`` payment rows. Returns ``(out, members)``: ``out`` has one row per group
    (index = group) with ``months``, ``amount_vnd``, ``basis`` (paid / due / mixed) and ``sources``;
    ``members`` has ``group, key`` of every line involved.
    """
    involved = pd.concat(
        [rows[["a", "m"]].set_axis(["key", "m"], axis=1), rows[["b", "m"]].set_axis(["key", "m"], axis=1)]
    ).drop_duplicates()
    involved["group"] = involved["key"].map(group)
    lost = losers.merge(values[["key", "m", "value", "basis"]], on=["key", "m"], how="left")
    lost["group"] = lost["key"].map(group)
    lost["value"] = lost["value"].fillna(0.0)
    out = pd.DataFrame({"months": involved.groupby("group")["m"].nunique()})
    out["amount_vnd"] = lost.groupby("group")["value"].sum().reindex(out.index).fillna(0.0)
    kinds = lost.drop_duplicates(["group", "basis"]).groupby("group")["basis"]
    basis = kinds.first().where(kinds.nunique() == 1, "mixed")
    out["basis"] = basis.reindex(out.index).fillna("due")
    members = involved[["group", "key"]].drop_duplicates().sort_values(["group", "key"])
    line_src = members.assign(source=members["key"].map(lines.set_index("key")["source"]))[
        ["group", "source"]
    ]
    pay_src = pays.merge(involved, on=["key", "m"])[["group", "source"]]
    src = (
        pd.concat([line_src, pay_src], ignore_index=True)
        .drop_duplicates()
        .sort_values("group", kind="stable")
    )
    out["sources"] = group_lists(src["group"], src["source"]).reindex(out.index)
    return out, members.reset_index(drop=True)


def _finish(
    found: tuple[pd.DataFrame, pd.DataFrame],
    lines: pd.DataFrame,
    lang: str,
    *,
    check_id: str,
    detail_key: str,
    with_person: bool,
    others: str = "lines",
    ward_names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Render the details and shape the raw findings frame (one row per group), vectorised."""
    out, members = found
    mem = members.join(lines.set_index("key"), on="key")
    mem = mem.assign(item=_line_items(mem, lang, with_person=with_person))
    first = mem.sort_values(["group", "person_key", "source"], kind="stable").groupby("group", sort=False)
    cats = mem.loc[mem["category"].notna()].drop_duplicates(["group", "category"])
    cats = cats.sort_values(["group", "category"])
    by_group = mem.groupby("group", sort=False)
    fields = pd.DataFrame(index=out.index)
    fields["name"] = first["full_name"].first().reindex(out.index)
    fields["id"] = first["national_id"].first().reindex(out.index)
    person_key = first["person_key"].min().reindex(out.index)
    category = group_lists(cats["group"], cats["category"]).map(", ".join).reindex(out.index).fillna("")
    fields["n"] = by_group.size().reindex(out.index)
    mem = mem.sort_values(["group", "key"], kind="stable")
    fields["lines"] = group_lists(mem["group"], mem["item"]).map("; ".join).reindex(out.index)
    amount_fields = pd.DataFrame(
        {
            "months": out["months"].astype("int64"),
            "amount": out["amount_vnd"].map(lambda v: fmt_vnd(v, lang)),
            "others": t(f"duplicates.others.{others}", lang),
        },
        index=out.index,
    )
    amount_text = pd.Series("", index=out.index, dtype="str")
    for basis in ("paid", "due", "mixed"):
        mask = out["basis"] == basis
        if mask.any():
            amount_text.loc[mask] = render(f"duplicates.amount.{basis}", lang, amount_fields.loc[mask])
    fields["amount_text"] = amount_text
    if ward_names is not None:
        wards = mem.drop_duplicates(["group", "ward"]).sort_values(["group", "key"])
        wards = wards.assign(label=wards["ward"].map(lambda w: f"{ward_names.get(w, w)} ({w})"))
        fields["wards"] = group_lists(wards["group"], wards["label"]).map(", ".join).reindex(out.index)
        fields["n_wards"] = wards.groupby("group").size().reindex(out.index)
    national_id = fields["id"].astype("object").where(fields["id"].notna(), "").astype("str")
    full_name = fields["name"].astype("object").where(fields["name"].notna(), "").astype("str")
    fields["name"] = full_name.replace("", "?")
    fields["id"] = national_id.replace("", t("duplicates.no_id", lang))
    raw = pd.DataFrame(
        {
            "check_id": check_id,
            "person_key": person_key.astype("str"),
            "national_id": national_id,
            "full_name": full_name,
            "sources": out["sources"],
            "detail": render(detail_key, lang, fields),
            "amount_vnd": out["amount_vnd"].astype("float64"),
            "discriminator": "",
            "category": category,
        },
        index=out.index,
    )
    return new_raw(raw.reset_index(drop=True))


def _same_id_losers(ctx: AuditContext) -> tuple[pd.DataFrame, ...] | None:
    """Rows, line-months, payments and losing months of the same-ID pairs (DUPLICATE_ID; once per
    context, DUPLICATE_PERSON leaves those months to it). Each caller gets shallow copies."""
    found: tuple[pd.DataFrame, ...] | None = ctx.memo("same_id_losers", _compute_same_id_losers)
    return None if found is None else tuple(frame.copy(deep=False) for frame in found)


def _compute_same_id_losers(ctx: AuditContext) -> tuple[pd.DataFrame, ...] | None:
    lines = line_frame(ctx)
    pairs = not_stacking(ward_same_id_pairs(ctx), lines, ctx)
    if pairs.empty:
        return None
    rows, lm, pays, rank = pair_money(ctx, lines, pairs)
    if rows.empty:
        return None
    return rows, lm, pays, losing_months(rows, rank)


@check("DUPLICATE_ID")
def find_duplicate_ids(ctx: AuditContext) -> pd.DataFrame:
    """One usable ID on two or more lines, active in a common month of the period, that do not stack.

    One finding per ID. ``amount_vnd``: what the lower line of each non-stacking pair received
    (else its due amount) in the months where both are active.
    """
    lines = line_frame(ctx)
    found = _same_id_losers(ctx)
    if found is None:
        return empty_raw()
    rows, lm, pays, losers = found
    group = lines.set_index("key")["national_id"]
    found = _findings(group, rows, losers, lines, lm, pays)
    raw = _finish(
        found, lines, ctx.lang, check_id="DUPLICATE_ID", detail_key="duplicates.same_id", with_person=False
    )
    ids = found[0].index.astype("str")
    raw["person_key"] = "id:" + ids
    raw["national_id"] = ids
    return raw


@check("DUPLICATE_PERSON")
def find_duplicate_people(ctx: AuditContext) -> pd.DataFrame:
    """The same person (by the name and birth rule) on non-stacking lines under different or missing IDs.

    Pairs of lines carrying the same usable ID are left to DUPLICATE_ID, and so are the months a
    line is already counted there. One finding per group of lines (connected pairs);
    ``person_key`` is the smallest person key of the group.
    """
    lines = line_frame(ctx)
    pairs = ward_person_rule_pairs(ctx)
    if pairs.empty:
        return empty_raw()
    by_key = lines.set_index("key")
    ida, idb = (
        by_key["national_id"].reindex(pairs["a"]).to_numpy(),
        by_key["national_id"].reindex(pairs["b"]).to_numpy(),
    )
    ua, ub = by_key["usable"].reindex(pairs["a"]).to_numpy(), by_key["usable"].reindex(pairs["b"]).to_numpy()
    pairs = pairs.loc[~(ua & ub & (ida == idb))].reset_index(drop=True)
    pairs = not_stacking(pairs, lines, ctx)
    if pairs.empty:
        return empty_raw()
    rows, lm, pays, rank = pair_money(ctx, lines, pairs)
    if rows.empty:
        return empty_raw()
    losers = losing_months(rows, rank)
    same_id = _same_id_losers(ctx)
    if same_id is not None:
        counted = same_id[3].assign(_c=True)
        losers = losers.merge(counted, on=["key", "m"], how="left")
        losers = losers.loc[losers["_c"].isna(), ["key", "m"]]
    comp = components(rows["a"].to_numpy(), rows["b"].to_numpy())
    group = pd.Series(comp)
    found = _findings(group, rows, losers, lines, lm, pays)
    return _finish(
        found, lines, ctx.lang, check_id="DUPLICATE_PERSON", detail_key="duplicates.person", with_person=True
    )


# ------------------------------------------------------------------------------------- cross-ward


def find_cross_ward_duplicates(contexts: Sequence[AuditContext]) -> pd.DataFrame:
    """``CROSS_WARD_DUPLICATE``: one person on non-stacking lines of two or more wards in the same month.

    The same usable ID, or the DUPLICATE_PERSON rule, on lines of different wards that are active
    in a common month (each ward's own period). One finding per person (connected lines across
    wards); ``sources`` are prefixed with the ward id (``01843/beneficiaries:12``) and the detail
    names every ward. ``amount_vnd``: in each overlapping month, what the later ward received (else
    its due amount), the ward whose lines for the person start earliest being kept (ties: ward id).

    Args:
        contexts: the audit contexts of the wards of one batch (same rules and as-of date).

    Returns:
        Raw findings (``findings.RAW_COLUMNS``) with ``check_id = CROSS_WARD_DUPLICATE``.

    Example:
        >>> raw = find_cross_ward_duplicates([ctx_a, ctx_b])  # doctest: +SKIP
    """
    if len(contexts) < 2:
        return empty_raw()
    frames, offset = [], 0
    for ctx in contexts:
        frames.append(line_frame(ctx, offset=offset, prefix=f"{ctx.ward.ward_id}/"))
        offset += len(ctx.lines)
    lines = pd.concat(frames, ignore_index=True)
    pairs = pd.concat([same_id_pairs(lines), person_rule_pairs(lines)], ignore_index=True)
    ward = lines.set_index("key")["ward"]
    pairs = pairs.loc[ward.reindex(pairs["a"]).to_numpy() != ward.reindex(pairs["b"]).to_numpy()]
    pairs = ordered_pairs(pairs)
    if pairs.empty:
        return empty_raw()
    pairs = not_stacking(pairs, lines, contexts[0])
    if pairs.empty:
        return empty_raw()
    keys = np.unique(np.concatenate([pairs["a"].to_numpy(), pairs["b"].to_numpy()]))
    parts: dict[tuple[str, str | None], list[tuple[int, int, pd.DataFrame]]] = {}
    off = 0
    for i, (ctx, frame) in enumerate(zip(contexts, frames, strict=True)):
        mine = keys[(keys >= off) & (keys < off + len(frame))]
        if len(mine):
            group_key = (str(getattr(ctx.rules, "version", id(ctx.rules))), ctx.ward.province_code)
            parts.setdefault(group_key, []).append((i, off, months_of_lines(ctx, mine - off)))
        off += len(frame)
    # Price once per rule set and province: the rules' fixed cost per call is paid once, not per ward.
    lms, pays_all = [], []
    for (_, province), items in parts.items():
        big = pd.concat([lm.assign(_w=i) for i, _, lm in items], ignore_index=True)
        big = price_months(big, contexts[items[0][0]].rules, province)
        for i, off_i, _ in items:
            lm, pays = paid_months(
                contexts[i], big.loc[big["_w"] == i].drop(columns="_w").reset_index(drop=True)
            )
            lms.append(lm.assign(key=lm["line_idx"] + off_i))
            prefix = f"{contexts[i].ward.ward_id}/"
            pays_all.append(
                pays.assign(key=pays["line_idx"] + off_i, source=prefix + pays["source"].astype("str"))
            )
    lm = pd.concat(lms, ignore_index=True)
    pays = pd.concat(pays_all, ignore_index=True)
    rows = overlapping_months(pairs, lm)
    if rows.empty:
        return empty_raw()
    comp = pd.Series(components(rows["a"].to_numpy(), rows["b"].to_numpy()))
    # Rank by ward: the ward whose lines for this person start earliest is kept (no start = earliest).
    attrs = lines.set_index("key")
    member = pd.DataFrame({"key": comp.index, "group": comp.to_numpy()})
    member["ward"] = attrs["ward"].reindex(member["key"]).to_numpy()
    member["start"] = attrs["start_m"].reindex(member["key"]).fillna(-1).astype("int64").to_numpy()
    first = member.groupby(["group", "ward"])["start"].min().rename("ward_start").reset_index()
    first = first.sort_values(["group", "ward_start", "ward"])
    first["ward_rank"] = first.groupby("group").cumcount()
    member = member.merge(first[["group", "ward", "ward_rank"]], on=["group", "ward"])
    ward_rank = member.set_index("key")["ward_rank"]
    lm = lm.loc[lm["key"].isin(ward_rank.index)].reset_index(drop=True)
    rank = pd.Series(
        ward_rank.reindex(lm["key"]).to_numpy(dtype="int64"),
        index=pd.MultiIndex.from_frame(lm[["key", "m"]]),
    )
    losers = losing_months(rows, rank)
    found = _findings(comp, rows, losers, lines, lm, pays)
    return _finish(
        found,
        lines,
        contexts[0].lang,
        check_id="CROSS_WARD_DUPLICATE",
        detail_key="duplicates.cross",
        with_person=True,
        others="wards",
        ward_names={ctx.ward.ward_id: ctx.ward.ward_name for ctx in contexts},
    )


# The name tests/checks/test_linkage.py imports (the line frame now lives in checks/lines.py).
_line_frame = line_frame
