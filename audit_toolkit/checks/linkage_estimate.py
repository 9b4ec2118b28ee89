"""Estimation and scoring of the POSSIBLE_DUPLICATE model: u, m by EM, the match share, weights, vetoes.

Pure numpy, deterministic (sums over arrays in the canonical order of
:func:`audit_toolkit.checks.linkage_model.prepare`). docs/possible-duplicates.md explains the recipe.

Example:
    >>> params = estimate(gamma, rules, gamma_random, n, load_model())  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audit_toolkit.checks.linkage_model import (
    COLUMN,
    EVEN_ODDS,
    FIELDS,
    LEVELS,
    RULES,
    TRAINING,
    Model,
    Prepared,
    level_index,
)

__all__ = ["Params", "estimate", "prior_share", "score", "vetoed"]

_lvl = level_index

#: Log-odds are clipped to ±this many bits before ``2 ** x``: beyond it the probability is 0 or 1 to
#: double precision anyway, and the clip avoids overflow (numerical, not a setting).
_LOG2_CLAMP = 60.0
#: EM's match share stays below this cap so that ``log2(λ / (1 − λ))`` stays finite (numerical).
_MAX_EM_SHARE = 0.999


@dataclass(frozen=True)
class Params:
    """Estimated parameters: ``m``/``u`` per field and level, ``lam`` (prior match share), and how."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    lam: float
    source: str  # "em" or "rule_table"
    iterations: int


def _counts(gamma: np.ndarray, col: int, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    g = gamma[:, col].astype(np.int64)
    ok = g >= 0
    return np.bincount(g[ok], weights=None if weights is None else weights[ok], minlength=k).astype("float64")


def _smooth(counts: np.ndarray, prior: np.ndarray, pseudo: float) -> np.ndarray:
    total = counts.sum()
    prior = prior / prior.sum()
    return np.asarray((counts + pseudo * prior) / (total + pseudo), dtype="float64")


def _em(
    gamma: np.ndarray, fields: list[int], m: dict[str, np.ndarray], u: dict[str, np.ndarray], model: Model
) -> tuple[dict[str, np.ndarray], float, int]:
    """EM for ``m`` of ``fields`` (column indices) and the match share, ``u`` fixed."""
    lam = model.em_start_share  # share of matches among the training block's pairs (re-estimated)
    m = dict(m)
    iterations = 0
    for iterations in range(1, model.max_iterations + 1):  # noqa: B007  (the count is returned)
        logit = np.full(len(gamma), np.log2(lam / (1 - lam)))
        for j in fields:
            f = FIELDS[j]
            g = gamma[:, j].astype(np.int64)
            w = np.log2(m[f] / u[f])
            logit += np.where(g >= 0, w[np.clip(g, 0, None)], 0.0)
        p = 1.0 / (1.0 + np.exp2(-np.clip(logit, -_LOG2_CLAMP, _LOG2_CLAMP)))
        delta = 0.0
        for j in fields:
            f = FIELDS[j]
            new = _smooth(_counts(gamma, j, len(LEVELS[f]), p), model.m[f], model.pseudo_m)
            delta = max(delta, float(np.abs(new - m[f]).max()))
            m[f] = new
        lam = float(min(max(p.mean(), 1e-6), _MAX_EM_SHARE))
        if delta < model.tolerance:
            break
    return m, lam * len(gamma), iterations


def _match_share(
    gamma: np.ndarray,
    m: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
    floor: float,
    all_pairs: int,
    model: Model,
) -> float:
    """The share of ALL pairs of lines that are matches (EM on λ alone, ``m`` and ``u`` fixed).

    Pairs outside the blocks count as non-matches; the share never falls below ``floor`` (the rule
    table's duplicate rate), so a ward without duplicates keeps a sensible prior.
    """
    base = np.zeros(len(gamma))
    for j, f in enumerate(FIELDS):
        g = gamma[:, j].astype(np.int64)
        w = np.log2(m[f] / u[f])
        base += np.where(g >= 0, w[np.clip(g, 0, None)], 0.0)
    lam = floor
    for _ in range(model.max_iterations):
        p = 1.0 / (1.0 + np.exp2(-np.clip(base + np.log2(lam / (1 - lam)), -_LOG2_CLAMP, _LOG2_CLAMP)))
        # Never above even odds: a random pair of lines is not more likely one person than two.
        new = float(min(max(p.sum() / max(all_pairs, 1), floor), EVEN_ODDS))
        if abs(new - lam) <= model.tolerance * lam:
            return new
        lam = new
    return lam


def prior_share(n: int, model: Model) -> float:
    """The rule table's prior share of matching pairs among all ``n (n-1) / 2`` pairs of lines."""
    return float(min(2.0 * model.duplicate_rate / max(n - 1, 1), EVEN_ODDS))


def estimate(gamma: np.ndarray, rules: np.ndarray, gamma_random: np.ndarray, n: int, model: Model) -> Params:
    """``u`` from the random pairs, ``m`` by EM on the training blocks, then the match share.

    ``u`` is smoothed towards the rule table's priors (pseudo-counts). ``m`` is trained as Splink
    does: on the pairs of each rule of :data:`TRAINING`, leaving out the field that rule blocks on
    (it cannot be estimated there), smoothed towards the priors; a field estimated by two sessions
    takes their mean. A session with fewer than ``min_pairs`` pairs or ``min_matches`` expected
    matches changes nothing (a small ward keeps the rule table's ``m``). The match share of the
    candidate pairs is then estimated with ``m`` and ``u`` fixed (no lower than the prior when the
    rule table is used alone). Deterministic: sums run over arrays in canonical order.
    """
    u = {}
    # Too few random pairs (a ward of under ~100 lines): one pair of the ward's own duplicates would
    # move u; the rule table's u are used as they are.
    sampled = len(gamma_random) >= model.min_random_pairs
    for j, f in enumerate(FIELDS):
        k = len(LEVELS[f])
        if model.estimated[f] and sampled:
            u[f] = _smooth(_counts(gamma_random, j, k), model.u[f], model.pseudo_u)
        else:
            u[f] = model.u[f]
    sums: dict[str, list[np.ndarray]] = {f: [] for f in FIELDS}
    total_it = 0
    for rule, left_out in TRAINING:
        inside = (rules & (1 << RULES.index(rule))) != 0
        if inside.sum() < model.min_pairs:
            continue
        fields = [j for j, f in enumerate(FIELDS) if f != left_out and model.estimated[f]]
        m, matches, it = _em(gamma[inside], fields, dict(model.m), u, model)
        total_it += it
        if matches < model.min_matches:
            continue
        for j in fields:
            sums[FIELDS[j]].append(m[FIELDS[j]])
    floor = prior_share(n, model)
    if not any(sums.values()):
        return Params(m=dict(model.m), u=u, lam=floor, source="rule_table", iterations=0)
    m = {f: (np.mean(sums[f], axis=0) if sums[f] else model.m[f]) for f in FIELDS}
    lam = _match_share(gamma, m, u, floor, n * (n - 1) // 2, model)
    return Params(m=m, u=u, lam=lam, source="em", iterations=total_it)


def score(
    prep: Prepared, a: np.ndarray, b: np.ndarray, gamma: np.ndarray, params: Params
) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-pair weights (log2 Bayes factor per field; 0 where missing), match probability, prior weight.

    The exact-name and exact-date levels use term frequencies: their ``u`` is at least the share of
    lines carrying that very name (date), so a common name or a placeholder date like 01/01 weighs
    less than a rare one.
    """
    weights = np.zeros(gamma.shape, dtype="float64")
    for j, f in enumerate(FIELDS):
        g = gamma[:, j].astype(np.int64)
        w = np.log2(params.m[f] / params.u[f])
        weights[:, j] = np.where(g >= 0, w[np.clip(g, 0, None)], 0.0)
    for j, f, tf in ((0, "name", prep.name_tf), (1, "birth", prep.date_tf)):
        exact = gamma[:, j] == 0
        if exact.any():
            u_tf = np.maximum(params.u[f][0], np.maximum(tf[a[exact]], tf[b[exact]]))
            weights[exact, j] = np.log2(params.m[f][0] / u_tf)
    prior_w = float(np.log2(params.lam / (1 - params.lam)))
    total = prior_w + weights.sum(axis=1)
    prob = 1.0 / (1.0 + np.exp2(-np.clip(total, -_LOG2_CLAMP, _LOG2_CLAMP)))
    return weights, prob, prior_w


def vetoed(prep: Prepared, a: np.ndarray, b: np.ndarray, gamma: np.ndarray, model: Model) -> np.ndarray:
    """Pairs never reported: one household (or address) with clearly different given names (twins,
    siblings), or one household with birth years a generation apart (parent and child)."""
    home = gamma[:, COLUMN["address"]]
    same_home = (home == _lvl("address", "household")) | (home == _lvl("address", "agree"))
    given = gamma[:, COLUMN["name"]] == _lvl("name", "given_differs")
    gap = np.abs(prep.year[a] - prep.year[b])
    generation = np.nan_to_num(gap, nan=0.0) >= model.household_years
    return np.asarray(same_home & (given | generation), dtype=bool)
