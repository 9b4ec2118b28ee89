"""Field-visit sample: which beneficiaries the committee visits at home.

A reproducible random sample of ``n`` people with a line active at ``as_of``, stratified by category
with proportional allocation (every category gets at least one visit while ``n`` allows), plus
everyone with a high-severity finding, always, on top of the ``n`` (the random draw is taken from the
other people, so known problems never crowd out the random visits that find unknown ones). The same data and seed
always give the same sample, whatever the order of the rows (people are ordered by ``person_key``
before the draw).

Example:
    >>> sample = field_visit_sample(result, result.findings, n=10, seed=0)  # doctest: +SKIP
    >>> sample[["full_name", "category", "reason"]]  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import line_kind
from audit_toolkit.checks.common import isin_keys
from audit_toolkit.roster import PERSON_FIELDS

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult

__all__ = ["SAMPLE_COLUMNS", "allocate", "field_visit_sample"]

#: Columns of the sample frame, in this order: who (as on the roster), then why they were drawn.
SAMPLE_COLUMNS = ["person_key", *PERSON_FIELDS, "category", "source", "reason", "checks"]

_PERSON_FIELDS = [*PERSON_FIELDS, "category"]

# Monthly allowance lines first: a person's K line names their stratum, not their care-support line.
_KIND_ORDER = {"K": 0, "HTXH": 1, "C": 2}


def allocate(sizes: pd.Series, n: int) -> pd.Series:
    """Split ``n`` draws between strata proportionally to ``sizes`` (largest remainder).

    Every stratum gets at least one draw while ``n`` allows (when ``n`` is smaller than the number
    of strata, the largest strata get one each); no stratum gets more than its size.

    Args:
        sizes: people per stratum (index = stratum), all positive.
        n: draws to allocate.

    Returns:
        Draws per stratum (same index), summing to ``min(n, sizes.sum())``.

    Example:
        >>> allocate(pd.Series({"K1": 2, "K5c": 10, "K6": 8}), 5).to_dict()
        {'K1': 1, 'K5c': 2, 'K6': 2}
    """
    sizes = sizes.astype("int64")
    n = int(min(max(n, 0), int(sizes.sum())))
    alloc = pd.Series(0, index=sizes.index, dtype="int64")
    if n == 0 or sizes.empty:
        return alloc
    # Stable order: largest stratum first, then by name, so ties break the same way every time.
    order = sorted(sizes.index, key=lambda k: (-int(sizes[k]), str(k)))
    if n < len(sizes):
        alloc[order[:n]] = 1
        return alloc
    quota = sizes * n / sizes.sum()
    alloc = np.minimum(np.maximum(np.floor(quota).astype("int64"), 1), sizes)
    # Settle the rounding one draw at a time (at most a few per stratum): take back from the
    # strata most above their quota, hand out to those most below it, never below 1 nor above size.
    while int(alloc.sum()) > n:
        over = (alloc - quota).where(alloc > 1)
        alloc[over.idxmax()] -= 1
    while int(alloc.sum()) < n:
        under = (quota - alloc).where(alloc < sizes)
        alloc[under.idxmax()] += 1
    return pd.Series(alloc, dtype="int64")


def _people(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per person: their first monthly-allowance line, with every row of theirs as source.

    A person's lines are ordered by kind (:data:`_KIND_ORDER`), then as listed; people by
    ``person_key``. Computed on positions (one sort of three integer keys, one take of the person
    columns) rather than by sorting and de-duplicating the wide roster frame.
    """
    made = lines["kind"] if "kind" in lines else line_kind(lines["category"])
    kind = pd.Series(made, index=lines.index).astype("str")
    # One comparison per kind (three), not Series.map: a Python call per row on pandas 3 str columns.
    kind_order = np.full(len(lines), 9, dtype=np.int64)
    for name, rank in _KIND_ORDER.items():
        kind_order[(kind == name).fillna(False).to_numpy(dtype=bool)] = rank
    if "source" in lines:
        source = lines["source"]
    else:
        source = "beneficiaries:" + lines["_row"].astype("int64").astype(str)
    keys = lines["person_key"]
    codes, _ = pd.factorize(keys, sort=True)  # in the order of the keys; missing: -1, sorted last
    codes = np.where(codes < 0, codes.max(initial=-1) + 1, codes)
    order = np.lexsort((np.arange(len(lines)), kind_order, codes))
    ranked = codes[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]]) if len(order) else order
    firsts = order[starts]
    where = lines.columns.get_indexer(pd.Index([c for c in _PERSON_FIELDS if c in lines]))
    people = lines.iloc[firsts, where].reindex(columns=_PERSON_FIELDS)
    people.index = pd.Index(keys.iloc[firsts], name="person_key")
    # Each person's distinct sources in that order, joined: most people have one line, so only the
    # people with several distinct sources are joined one by one.
    texts = source.to_numpy(dtype=object)[order]
    src_codes, _ = pd.factorize(pd.Series(texts, dtype=object))
    pair = ranked.astype(np.int64) * (int(src_codes.max(initial=0)) + 2) + (src_codes + 1)
    _, seen = np.unique(pair, return_index=True)
    kept = np.zeros(len(order), dtype=bool)
    kept[seen] = True
    joined = texts[starts].copy()
    bounds = np.r_[starts, len(order)]
    # The rows without a key are one "person" (sorted last) whose sources are not gathered.
    missing = keys.iloc[firsts].isna().to_numpy()
    joined[missing] = np.nan
    counts = np.add.reduceat(kept.astype(np.int64), starts) if len(order) else starts
    for i in np.flatnonzero((counts > 1) & ~missing).tolist():
        lo, hi = bounds[i], bounds[i + 1]
        joined[i] = ";".join(texts[lo:hi][kept[lo:hi]].tolist())
    people["source"] = pd.Series(joined, index=people.index, dtype=source.dtype)
    return people


def field_visit_sample(
    result_or_lines: AuditResult | pd.DataFrame,
    findings: pd.DataFrame,
    *,
    n: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw the people to visit at home.

    Args:
        result_or_lines: an :class:`~audit_toolkit.audit.AuditResult`, or the roster lines
            (``AuditContext.lines``: needs ``person_key``, ``category`` and ``active_asof``; a frame
            without ``active_asof`` is taken as all active).
        findings: the findings frame (``person_key``, ``severity``, ``check_id``).
        n: people to draw at random among those without a high-severity finding (everyone with a
            high-severity finding comes on top).
        seed: seed of the random generator; the same seed gives the same sample.

    Returns:
        A frame with :data:`SAMPLE_COLUMNS`, one row per person: ``reason`` is ``"high_finding"``
        (with the high-severity ``checks`` joined by ``", "``) or ``"random"``. Sorted by reason
        (high findings first), category, then name.

    Example:
        >>> field_visit_sample(result, result.findings, n=5, seed=1)  # doctest: +SKIP
    """
    if isinstance(result_or_lines, pd.DataFrame):
        lines = result_or_lines
    else:
        from audit_toolkit.roster import roster_summary

        lines = roster_summary(result_or_lines).lines
    lines = lines.loc[lines["person_key"].notna() & (lines["person_key"].astype(str) != "")]
    active = lines["active_asof"].fillna(False).astype(bool) if "active_asof" in lines else True
    no_people = pd.DataFrame(columns=[*_PERSON_FIELDS, "source"])
    population = (
        _people(lines.loc[active] if isinstance(active, pd.Series) else lines) if len(lines) else no_people
    )

    # Everyone with a high-severity finding: their roster details where known, else the finding's.
    high = findings.loc[
        (findings["severity"] == "high")
        & findings["person_key"].notna()
        & (findings["person_key"].astype(str) != "")
        & ~findings["person_key"].astype(str).str.startswith("report:")
    ]
    # Each person's high-severity checks in order of first appearance, joined (one join per person).
    firsts = high[["person_key", "check_id"]].drop_duplicates()
    high_checks = firsts.groupby("person_key", sort=True)["check_id"].agg(", ".join)
    # Their roster details: from their own lines (every line of theirs, active or not).
    theirs = lines.loc[isin_keys(lines["person_key"], high_checks.index.to_series())]
    everyone = _people(theirs) if len(theirs) else no_people
    forced = everyone.reindex(high_checks.index)
    from_findings = high.drop_duplicates("person_key").set_index("person_key")
    unknown = forced["full_name"].isna()
    if unknown.any():
        keys = forced.index[unknown]
        for col in ("national_id", "full_name", "source", "category"):
            if col in from_findings:
                values = from_findings.loc[keys, col].map(lambda v: v if isinstance(v, str) and v else np.nan)
                forced.loc[keys, col] = values.astype(forced[col].dtype) if col in forced else values
    # A finding without a name (an unreadable row) cannot be visited: it is fixed in the file.
    forced = forced.loc[forced["full_name"].notna() & (forced["full_name"].astype(str) != "")]
    forced["reason"] = "high_finding"
    forced["checks"] = high_checks

    # The random draw: the rest of the population, stratified by category.
    pool = population.loc[~population.index.isin(forced.index)].sort_index()
    draws = max(int(n), 0)
    strata = pool["category"].fillna("").astype(str)
    alloc = allocate(strata.value_counts(), draws)
    rng = np.random.default_rng(seed)
    draw = pd.Series(rng.random(len(pool)), index=pool.index)
    rank = draw.groupby(strata.to_numpy()).rank(method="first").astype("int64")
    quota = (
        alloc.reindex(strata.to_numpy()).fillna(0).to_numpy(dtype="int64")
    )  # per person: their stratum's draws
    chosen = pool.loc[rank.to_numpy() <= quota].copy()
    chosen["reason"] = "random"
    chosen["checks"] = ""

    parts = [f for f in (forced, chosen) if len(f)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SAMPLE_COLUMNS})
    sample = pd.concat(parts)
    sample.index.name = "person_key"
    sample = sample.reset_index()
    sample["_reason"] = (sample["reason"] != "high_finding").astype("int64")
    sample = sample.sort_values(
        ["_reason", "category", "full_name", "person_key"], kind="stable", na_position="last"
    )
    out: pd.DataFrame = sample.reindex(columns=SAMPLE_COLUMNS).reset_index(drop=True)
    return out
