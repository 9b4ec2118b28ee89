"""Lines of the roster as pairs, months and money: what DUPLICATE_*, CROSS_WARD_DUPLICATE and
POSSIBLE_DUPLICATE share (internal to the checks; no ``@check`` here).

- :func:`line_frame`: the columns the pair rules read, one row per line (``key`` unique across wards).
- :func:`ordered_pairs` / :func:`not_stacking`: pairs of line keys in one order, and the pairs whose
  two lines may not both be paid (``RuleSet.stackable``); the pair rules themselves are
  ``duplicates.same_id_pairs`` / ``duplicates.person_rule_pairs``.
- :func:`months_of_lines` / :func:`price_months` / :func:`paid_months` / :func:`month_values`: the
  active months of lines, their due amount (one pricing rule: :mod:`audit_toolkit.checks.facts.money`)
  and what they received; :func:`overlapping_months`, :func:`line_rank`, :func:`losing_months`,
  :func:`components` and :func:`pair_money`: which line of an overlapping pair should not have been paid.

Example:
    >>> pairs = not_stacking(same_id_pairs(frame), frame, ctx)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext
from audit_toolkit.checks.common import isin_keys, usable_ids
from audit_toolkit.checks.facts.care import coefficient_birth_months
from audit_toolkit.checks.facts.money import due_amounts
from audit_toolkit.rules import RuleSet

__all__ = [
    "PAID_MONTHS_COLUMNS",
    "components",
    "line_frame",
    "line_rank",
    "losing_months",
    "month_values",
    "months_of_lines",
    "not_stacking",
    "ordered_pairs",
    "overlapping_months",
    "pair_money",
    "paid_months",
    "price_months",
    "seed_line_frame",
]


_LINE_COLS = [
    "key",
    "ward",
    "line_idx",
    "national_id",
    "usable",
    "full_name",
    "name_key",
    "birth_date",
    "yo",
    "year",
    "household_id",
    "address",
    "category",
    "cared_for_id",
    "coefficient",
    "start_m",
    "person_key",
    "source",
]


# ------------------------------------------------------------------------------------ line frames

#: The memo key of a context's own line frame (:func:`line_frame`).
_LINE_FRAME = "line_frame"


def line_frame(ctx: AuditContext, *, offset: int = 0, prefix: str = "") -> pd.DataFrame:
    """The roster as the pair finders need it; ``key`` = ``offset + line_idx`` (unique in a batch).

    The ward's own frame (no offset, no prefix) is made once per context and shared by
    DUPLICATE_ID, DUPLICATE_PERSON and POSSIBLE_DUPLICATE (each gets a shallow copy: copy on write);
    a batch's frame (CROSS_WARD_DUPLICATE: keys offset, sources prefixed with the ward) is derived
    from it, so a ward audited in a pool worker ships its frame with its slim result
    (:func:`seed_line_frame`) and the batch's process does not build it again.
    """
    shared: pd.DataFrame = ctx.memo(_LINE_FRAME, lambda c: _line_frame(c, offset=0, prefix=""))
    out = shared.copy(deep=False)
    if offset or prefix:
        out["key"] = out["line_idx"].to_numpy(dtype=np.int64) + offset
        out["source"] = prefix + out["source"]
    return out


def seed_line_frame(ctx: AuditContext, frame: pd.DataFrame) -> None:
    """Give ``ctx`` (a slim copy of an audited ward's context) the line frame made for its checks."""
    ctx.memo(_LINE_FRAME, lambda _c: frame)


def _line_frame(ctx: AuditContext, *, offset: int, prefix: str) -> pd.DataFrame:
    lines = ctx.lines
    yo = lines["birth_date_year_only"].fillna(False).astype(bool)
    address = lines["address"] if "address" in lines else pd.Series(np.nan, index=lines.index, dtype="str")
    out = pd.DataFrame(
        {
            "key": lines["line_idx"].to_numpy(dtype=np.int64) + offset,
            "ward": ctx.ward.ward_id,
            "line_idx": lines["line_idx"].to_numpy(dtype=np.int64),
            "national_id": lines["national_id"],
            "usable": usable_ids(lines["national_id"]),
            "full_name": lines["full_name"],
            "name_key": lines["name_key"],
            "birth_date": lines["birth_date"],
            "yo": yo,
            "year": lines["birth_date"].dt.year.astype("Int64"),
            "household_id": lines["household_id"],
            "address": address,
            "category": lines["category"],
            "cared_for_id": lines["cared_for_id"],
            "coefficient": lines["coefficient"],
            "start_m": lines["start_m"],
            "person_key": lines["person_key"],
            "source": prefix + lines["source"],
        },
        index=lines.index,
    )
    return out[_LINE_COLS].reset_index(drop=True)


def ordered_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs with ``a < b``, each once."""
    a = np.minimum(pairs["a"].to_numpy(), pairs["b"].to_numpy())
    b = np.maximum(pairs["a"].to_numpy(), pairs["b"].to_numpy())
    out = pd.DataFrame({"a": a, "b": b})
    return out.loc[out["a"] != out["b"]].drop_duplicates().reset_index(drop=True)


def not_stacking(pairs: pd.DataFrame, lines: pd.DataFrame, ctx: AuditContext) -> pd.DataFrame:
    """Keep the pairs whose two lines may not both be paid (rules: ``stackable``)."""
    if pairs.empty:
        return pairs
    by_key = lines.set_index("key")
    a, b = by_key.loc[pairs["a"]], by_key.loc[pairs["b"]]
    ok = ctx.rules.stackable(
        a["category"].to_numpy(dtype=object),
        b["category"].to_numpy(dtype=object),
        a["cared_for_id"].to_numpy(dtype=object),
        b["cared_for_id"].to_numpy(dtype=object),
    ).to_numpy(dtype=bool)
    return pairs.loc[~ok].reset_index(drop=True)


# ------------------------------------------------------------------------------ months and money


def _assign_ambiguous(ctx: AuditContext, lm: pd.DataFrame, pay: pd.DataFrame) -> pd.DataFrame:
    """Tie payments the shared linking left ambiguous (same ID and category on two lines) to lines.

    Within one ID, category (when the payment has one) and month, the largest payment goes to the
    line with the highest due amount, the next to the next, …; payments beyond the lines stay
    unassigned. Which of two equal lines gets which payment cannot change any amount here.
    """
    amb = pay.loc[pay["line_idx"].isna() & pay["received"] & pay["national_id"].notna() & pay["m"].notna()]
    if amb.empty:
        return pd.DataFrame(columns=["pay_idx", "line_idx"])
    lines = ctx.lines
    cand = lm[["line_idx", "m", "due_nominal"]].copy()
    cand["national_id"] = lines["national_id"].to_numpy(dtype=object)[
        cand["line_idx"].to_numpy(dtype=np.int64)
    ]
    cand["category"] = lines["category"].to_numpy(dtype=object)[cand["line_idx"].to_numpy(dtype=np.int64)]
    cand = cand.loc[isin_keys(cand["national_id"], amb["national_id"].to_numpy(dtype=object))]
    amb = amb.assign(m=amb["m"].astype("int64"), amount=amb["amount"].fillna(0.0))
    out = []
    has_cat = amb["category"].notna()
    for keys, part in (
        (["national_id", "category", "m"], amb.loc[has_cat]),
        (["national_id", "m"], amb.loc[~has_cat]),
    ):
        if part.empty:
            continue
        c = cand.sort_values([*keys, "due_nominal", "line_idx"], ascending=[True] * len(keys) + [False, True])
        c = c.assign(k=c.groupby(keys, sort=False).cumcount())
        p = part.sort_values([*keys, "amount", "pay_idx"], ascending=[True] * len(keys) + [False, True])
        p = p.assign(k=p.groupby(keys, sort=False).cumcount())
        merged = p[[*keys, "k", "pay_idx"]].merge(c[[*keys, "k", "line_idx"]], on=[*keys, "k"])
        out.append(merged[["pay_idx", "line_idx"]])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["pay_idx", "line_idx"])


_CARED_FOR: dict[str, frozenset[str]] = {}


def _cared_for_categories(rules: RuleSet) -> frozenset[str]:
    """Categories whose coefficient follows the cared-for person's age (C3, C4), per rule version."""
    version = str(getattr(rules, "version", id(rules)))
    if version not in _CARED_FOR:
        cats = pd.Series(list(rules.tables["categories"]["code"]), dtype=object)
        whose = rules.age_of(cats).to_numpy()
        _CARED_FOR[version] = frozenset(cats[whose == "cared_for"])
    return _CARED_FOR[version]


def months_of_lines(ctx: AuditContext, line_idx: np.ndarray) -> pd.DataFrame:
    """The active months of the period of the given lines, with what pricing them needs.

    Columns: ``line_idx, m, payable``, ``category``, ``level`` (disability level), ``age`` (age that
    sets the coefficient: the cared-for person's for C3/C4, from :func:`coefficient_birth_months`) and
    ``recorded`` (recorded coefficient).
    """
    lines = ctx.lines
    lm = ctx.line_months
    lm = lm.loc[np.isin(lm["line_idx"].to_numpy(dtype=np.int64), line_idx)].reset_index(drop=True)
    idx = lm["line_idx"].to_numpy(dtype=np.int64)
    lm["category"] = lines["category"].to_numpy(dtype=object)[idx]
    lm["level"] = lines["disability_level"].to_numpy(dtype=object)[idx]
    lm["recorded"] = lines["coefficient"].to_numpy(dtype="float64", na_value=np.nan)[idx]
    age = lm["age"].to_numpy(dtype="float64", na_value=np.nan)
    cared = lm["category"].isin(_cared_for_categories(ctx.rules)).to_numpy(dtype=bool)
    if cared.any():
        # The cared-for person's birth month, as the entitlement checks read it (one fact).
        cb = coefficient_birth_months(ctx)[idx]
        age = np.where(cared, np.floor((lm["m"].to_numpy(dtype="float64") - cb) / 12), age)
    lm["age"] = age
    return lm


def price_months(lm: pd.DataFrame, rules: RuleSet, province_code: str | None) -> pd.DataFrame:
    """Add ``due_nominal`` (coefficient × level: recorded coefficient, else the one the rules give),
    ``due`` (0 in suspended months), and ``value``/``basis`` = due (replaced by :func:`paid_months`)."""
    coef = lm["recorded"].to_numpy(dtype="float64", copy=True)
    need = np.isnan(coef)
    if need.any():
        sub = lm.loc[need]
        coef[need] = rules.expected_coefficient(
            sub["category"], sub["level"], sub["age"], sub["m"].astype("int64")
        ).to_numpy(dtype="float64")
    due = np.nan_to_num(
        due_amounts(rules, lm["category"], lm["m"].astype("int64"), coef, province_code), nan=0.0
    )
    lm["due_nominal"] = due
    lm["due"] = np.where(lm["payable"].to_numpy(dtype=bool), due, 0.0)
    lm["value"] = lm["due"]
    lm["basis"] = "due"
    return lm


#: The columns of ``ctx.payments_linked`` that :func:`paid_months` reads (with the ambiguous
#: payments it ties to lines): all a batch's slim results keep of it (``batch.slim_result``).
PAID_MONTHS_COLUMNS = (
    "pay_idx",
    "line_idx",
    "m",
    "received",
    "amount",
    "source",
    "record_id",
    "national_id",
    "category",
)


def paid_months(ctx: AuditContext, lm: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace ``value`` by what was received when the ward supplied payments.

    Returns ``(lm, pays)``; ``pays`` has ``line_idx, m, source`` of the payment rows counted.
    """
    pays = pd.DataFrame({"line_idx": pd.Series(dtype="int64"), "m": pd.Series(dtype="int64"), "source": []})
    if not ctx.has("payments") or lm.empty:
        return lm, pays
    pay = ctx.payments_linked
    lines = ctx.lines
    idx = lm["line_idx"].to_numpy(dtype=np.int64)
    # A line can be tied to payments by its ID or its record id; one that cannot (no ID, no record id
    # found in the payments) is valued at its due amount: what was paid on it is unknowable here.
    has_id = lines["national_id"].notna().to_numpy(dtype=bool)[idx]
    rec = lines["record_id"].to_numpy(dtype=object)[idx]
    use_paid = has_id.copy()
    ask = ~has_id & pd.notna(rec)
    if ask.any() and "record_id" in pay:
        # Look the few record ids up in the payments (isin over the small side: fast on a province).
        wanted = pd.unique(rec[ask])
        found = pay.loc[pay["record_id"].isin(wanted), "record_id"].unique()
        use_paid[ask] = pd.Series(rec[ask]).isin(found).to_numpy(dtype=bool)
    assigned = _assign_ambiguous(ctx, lm, pay)
    line_of = pay["line_idx"].copy()
    if len(assigned):
        line_of.loc[assigned["pay_idx"].to_numpy(dtype=np.int64)] = assigned["line_idx"].to_numpy(
            dtype=np.int64
        )
    # Only the columns read below travel (payments_linked is wide: every filter copies each column).
    got = pay[["m", "received", "amount", "source"]].assign(line_idx=line_of)
    got = got.loc[got["line_idx"].notna() & got["received"] & got["m"].notna()]
    got = got.assign(line_idx=got["line_idx"].astype("int64"), m=got["m"].astype("int64"))
    got = got.merge(lm[["line_idx", "m"]].astype("int64"), on=["line_idx", "m"])
    received = got.groupby(["line_idx", "m"], as_index=False)["amount"].sum()
    paid_value = (
        lm[["line_idx", "m"]].astype("int64").merge(received, on=["line_idx", "m"], how="left")["amount"]
    ).to_numpy(dtype="float64", na_value=np.nan)
    lm["value"] = np.where(use_paid, np.nan_to_num(paid_value, nan=0.0), lm["due"])
    lm["basis"] = np.where(use_paid, "paid", "due")
    pays = got[["line_idx", "m", "source"]].reset_index(drop=True)
    return lm, pays


def month_values(ctx: AuditContext, line_idx: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For the given lines of one ward, one row per active month of the period, priced and paid.

    Returns:
        ``(lm, pays)``: ``lm`` has ``line_idx, m, due_nominal`` (coefficient × level, for ranking),
        ``value`` (what counts as received: payments when the ward supplied them and the line can
        be tied to payments, else the due amount of payable months) and ``basis`` (``paid``/``due``);
        ``pays`` has ``line_idx, m, source`` of the payment rows counted.
    """
    lm = price_months(months_of_lines(ctx, line_idx), ctx.rules, ctx.ward.province_code)
    return paid_months(ctx, lm)


def overlapping_months(pairs: pd.DataFrame, lm: pd.DataFrame) -> pd.DataFrame:
    """Pair-month rows ``a, b, m`` where both lines of a pair are active (months of the period)."""
    months = lm[["key", "m"]]
    step = pairs.merge(months.rename(columns={"key": "a"}), on="a")
    return step.merge(months.rename(columns={"key": "b"}), on=["b", "m"]).reset_index(drop=True)


def losing_months(rows: pd.DataFrame, rank: pd.Series) -> pd.DataFrame:
    """Distinct ``(key, m)`` of the lower line of each pair-month (``rank``: lower = kept)."""
    ra = rank.reindex(pd.MultiIndex.from_frame(rows[["a", "m"]].set_axis(["key", "m"], axis=1))).to_numpy()
    rb = rank.reindex(pd.MultiIndex.from_frame(rows[["b", "m"]].set_axis(["key", "m"], axis=1))).to_numpy()
    loser = np.where(ra > rb, rows["a"].to_numpy(), rows["b"].to_numpy())
    return pd.DataFrame({"key": loser, "m": rows["m"].to_numpy()}).drop_duplicates().reset_index(drop=True)


def line_rank(lm: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """Rank of each (line, month): higher due first, then the one that received more, then stable
    line attributes (so that the result never depends on the row order of the file)."""
    attrs = lines.set_index("key")
    frame = lm[["key", "m", "due_nominal", "value"]].copy()
    frame["category"] = attrs["category"].reindex(frame["key"]).fillna("").to_numpy()
    frame["start"] = attrs["start_m"].reindex(frame["key"]).fillna(-1).astype("int64").to_numpy()
    frame["source"] = attrs["source"].reindex(frame["key"]).to_numpy()
    frame = frame.sort_values(
        ["m", "due_nominal", "value", "start", "category", "source"],
        ascending=[True, False, False, True, True, True],
        kind="stable",
    )
    frame["rank"] = np.arange(len(frame))
    return frame.set_index(["key", "m"])["rank"]


def components(a: np.ndarray, b: np.ndarray) -> dict[int, int]:
    """Connected components of the graph of edges ``a–b``: node → smallest node of its component."""
    nodes = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    label = np.arange(len(nodes))
    while True:
        low = np.minimum(label[ia], label[ib])
        new = label.copy()
        np.minimum.at(new, ia, low)
        np.minimum.at(new, ib, low)
        new = new[new]  # pointer jumping: converges in few rounds on the small components here
        if np.array_equal(new, label):
            break
        label = new
    return dict(zip(nodes.tolist(), nodes[label].tolist(), strict=True))


def pair_money(
    ctx: AuditContext, lines: pd.DataFrame, pairs: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Series]:
    """Overlap rows, values and payment rows of the lines in ``pairs`` (one ward), and the rank."""
    keys = np.unique(np.concatenate([pairs["a"].to_numpy(), pairs["b"].to_numpy()]))
    lm, pays = month_values(ctx, lines.set_index("key").loc[keys, "line_idx"].to_numpy())
    lm = lm.rename(columns={"line_idx": "key"})  # one ward: key == line_idx
    pays = pays.rename(columns={"line_idx": "key"})
    rows = overlapping_months(pairs, lm)
    return rows, lm, pays, line_rank(lm, lines)
