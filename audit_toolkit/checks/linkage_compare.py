"""Field comparisons of the POSSIBLE_DUPLICATE model: each pair of lines gets one level per field.

Exact agreements are integer-code comparisons; rapidfuzz (``process.cpdist``, one C call over a whole
array of pairs) runs only on the pairs they leave open, and on each distinct pair of values once.
The levels and their order are :data:`audit_toolkit.checks.linkage_model.FIELDS` and
``Model.levels``; docs/possible-duplicates.md describes them.

Example:
    >>> gamma = compare(prep, a, b)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from audit_toolkit.checks.linkage_model import COLUMN, FAR, FIELDS, Cutoffs, Prepared, level_index, load_model

__all__ = ["compare"]

_lvl = level_index


def _cp(scorer: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pairwise scores of two equal-length str arrays, one rapidfuzz C call (no Python loop)."""
    if not len(x):
        return np.zeros(0, dtype="float64")
    return np.asarray(process.cpdist(x.tolist(), y.tolist(), scorer=scorer, workers=1), dtype="float64")


@dataclass
class _Pairs:
    """The pairs one :func:`compare` call measures, and the distinct value pairs found so far per
    pair of fields (``inverse`` over all pairs, a position of each distinct one): several scorers and
    masks read the same name pairs, hashed once."""

    prep: Prepared
    a: np.ndarray
    b: np.ndarray
    distinct: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def of(self, fa: str, fb: str) -> tuple[np.ndarray, np.ndarray]:
        """``(inverse, first)`` of the value pairs ``(text[fa][a], text[fb][b])`` of all pairs."""
        if (fa, fb) not in self.distinct:
            code_a, code_b = self.prep.code[fa], self.prep.code[fb]
            key = (code_a[self.a] + 1) * (int(code_b.max(initial=0)) + 2) + (code_b[self.b] + 1)
            self.distinct[(fa, fb)] = _distinct(key)
        return self.distinct[(fa, fb)]


def _distinct(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hash-based distinct keys (no sort): ``inverse`` per key and ``first``, a position of each distinct one."""
    inverse, uniq = pd.factorize(key)
    first = np.empty(len(uniq), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    return inverse, first


def _on(pairs: _Pairs, mask: np.ndarray, fill: float, scorer: Any, fa: str, fb: str) -> np.ndarray:
    """``scorer`` between ``text[fa][a]`` and ``text[fb][b]`` where ``mask`` holds (``fill`` elsewhere).

    Only the pairs that decide are scored, and each distinct pair of values once (namesakes repeat
    the same pair of names many times in a large list). A mask over a large share of the pairs reads
    the distinct value pairs of all pairs (made once per pair of fields); a small one hashes its own.
    """
    out = np.full(len(mask), fill, dtype="float64")
    n = int(np.count_nonzero(mask))
    if not n:
        return out
    prep, a, b = pairs.prep, pairs.a, pairs.b
    if (fa, fb) in pairs.distinct or n * _SHARE_FOR_ALL >= len(mask):
        inverse_all, first_all = pairs.of(fa, fb)
        inverse = inverse_all[mask]
        wanted = np.zeros(len(first_all), dtype=bool)
        wanted[inverse] = True
        ids = np.flatnonzero(wanted)
        at = first_all[ids]
        scores = np.zeros(len(first_all), dtype="float64")
        scores[ids] = _cp(scorer, prep.text[fa][a[at]], prep.text[fb][b[at]])
        out[mask] = scores[inverse]
        return out
    ia, ib = a[mask], b[mask]
    key = (prep.code[fa][ia] + 1) * (int(prep.code[fb].max(initial=0)) + 2) + (prep.code[fb][ib] + 1)
    inverse, first = _distinct(key)
    out[mask] = _cp(scorer, prep.text[fa][ia[first]], prep.text[fb][ib[first]])[inverse]
    return out


#: A mask over at least 1/this of the pairs reads the distinct value pairs of all pairs (:func:`_on`).
_SHARE_FOR_ALL = 2


def _digit_counts(text: np.ndarray) -> np.ndarray:
    """Per value, how many times each digit 0-9 occurs (one row per value)."""
    if not len(text):
        return np.zeros((0, 10), dtype=np.int16)
    chars = np.asarray(text.astype(str))
    width = max(int(chars.dtype.itemsize // np.dtype("U1").itemsize), 1)
    digit = chars.view(np.uint32).reshape(len(chars), width).astype(np.int64) - ord("0")
    is_digit = (digit >= 0) & (digit < 10)
    # One count pass: cell (value, digit) of a flat (values × 10) table.
    cell = (np.arange(len(chars), dtype=np.int64)[:, None] * 10 + digit)[is_digit]
    counts = np.bincount(cell, minlength=len(chars) * 10).reshape(len(chars), 10)
    return counts.astype(np.int16)


def _within(pairs: _Pairs, mask: np.ndarray, field: str, k: float) -> np.ndarray:
    """Whether ``text[field][a]`` and ``text[field][b]`` are at most ``k`` OSA edits apart (False off ``mask``).

    An edit changes the digit counts of a value by at most 2 in total, so pairs whose counts differ
    by more than ``2k`` are decided without rapidfuzz (most pairs of different IDs or dates).
    """
    prep, a, b = pairs.prep, pairs.a, pairs.b
    if field not in prep.digit_counts:
        # Once per field and list: the candidate pairs and the random pairs read the same counts.
        prep.digit_counts[field] = _digit_counts(prep.text[field])
    counts = prep.digit_counts[field]
    maybe = mask.copy()
    maybe[mask] = np.abs(counts[a[mask]] - counts[b[mask]]).sum(axis=1) <= 2 * k
    return _on(pairs, maybe, FAR, OSA.distance, field, field) <= k


def _clearly_differ(pairs: _Pairs, mask: np.ndarray, fa: str, fb: str, cut: Cutoffs) -> np.ndarray:
    """Two name tokens that are not one token mistyped: several edits apart and not alike."""
    far = _on(pairs, mask, 0.0, OSA.distance, fa, fb) >= cut.given_min_edits
    return far & (_on(pairs, far, 1.0, JaroWinkler.similarity, fa, fb) < cut.given_jaro_winkler)


def compare(prep: Prepared, a: np.ndarray, b: np.ndarray, cutoffs: Cutoffs | None = None) -> np.ndarray:
    """The comparison matrix: one row per pair, one column per field of :data:`FIELDS`.

    Values are level indices of :meth:`Model.levels` (``-1`` = missing on either side). Exact
    agreements are integer-code comparisons; rapidfuzz runs only on the pairs they leave open.
    ``cutoffs`` default to the packaged rule table's (``comparisons:``).
    """
    cut = cutoffs or load_model().cutoffs
    k = len(a)
    out = np.full((k, len(FIELDS)), -1, dtype=np.int8)
    if not k:
        return out
    pairs = _Pairs(prep, a, b)
    out[:, COLUMN["name"]] = _compare_names(pairs, cut)
    out[:, COLUMN["birth"]] = _compare_births(pairs, cut)
    sa, sb = prep.code["sex"][a], prep.code["sex"][b]
    agree, disagree = _lvl("sex", "agree"), _lvl("sex", "disagree")
    out[:, COLUMN["sex"]] = np.where((sa >= 0) & (sb >= 0), np.where(sa == sb, agree, disagree), -1)
    out[:, COLUMN["address"]] = _compare_addresses(pairs, cut)
    ia, ib = prep.code["nid"][a], prep.code["nid"][b]
    both = (ia >= 0) & (ib >= 0)
    # A 12-digit ID and a 9-digit CMND are two documents of possibly one person: not a disagreement.
    both &= prep.length["nid"][a] == prep.length["nid"][b]
    differ = both & (ia != ib)
    near = _within(pairs, differ, "nid", cut.national_id_typo_edits)
    one_digit, other = _lvl("national_id", "one_digit"), _lvl("national_id", "disagree")
    out[:, COLUMN["national_id"]] = np.where(differ, np.where(near, one_digit, other), -1)
    return out


def _compare_names(pairs: _Pairs, cut: Cutoffs) -> np.ndarray:
    prep, a, b = pairs.prep, pairs.a, pairs.b
    ca, cb = prep.code["name"][a], prep.code["name"][b]
    known = (ca >= 0) & (cb >= 0)
    exact = known & (ca == cb)
    reordered = known & ~exact & (prep.code["sorted"][a] == prep.code["sorted"][b])
    todo = known & ~exact & ~reordered
    # Edit distances on the name as written and with its words sorted (a swapped surname and given
    # name with a typo is still a typo): the better of the two.
    osa = np.minimum(
        _on(pairs, todo, FAR, OSA.distance, "name", "name"),
        _on(pairs, todo, FAR, OSA.distance, "sorted", "sorted"),
    )
    shorter = np.minimum(prep.n_tokens[a], prep.n_tokens[b])
    differ_count = prep.n_tokens[a] != prep.n_tokens[b]
    # Read only where the token counts differ (a dropped middle name, a partial name).
    token_set = _on(pairs, todo & differ_count, 0.0, fuzz.token_set_ratio, "name", "name")
    same_given = prep.code["last"][a] == prep.code["last"][b]
    dropped = todo & (token_set >= 100) & differ_count & (shorter >= 2) & same_given
    typo1 = todo & ~dropped & (osa <= cut.name_typo1_edits)
    partial = todo & ~dropped & ~typo1 & (token_set >= 100) & differ_count & (shorter == 1)
    rest = todo & ~dropped & ~typo1 & ~partial
    given = _given_differs(pairs, rest, cut)
    typo2 = rest & ~given & (osa <= cut.name_typo2_edits)
    open_ = rest & ~given & ~typo2
    jw = np.maximum(
        _on(pairs, open_, 0.0, JaroWinkler.similarity, "name", "name"),
        _on(pairs, open_, 0.0, JaroWinkler.similarity, "sorted", "sorted"),
    )
    near = jw >= cut.name_jaro_winkler
    sort_ratio = _on(pairs, open_ & ~near, 0.0, fuzz.token_sort_ratio, "name", "name")
    fuzzy = open_ & (near | (sort_ratio >= cut.name_token_sort))
    level = np.select(
        [exact, reordered, dropped, typo1, partial, given, typo2, fuzzy],
        [_lvl("name", x) for x in ("exact", "reordered", "dropped_middle", "typo1", "partial")]
        + [_lvl("name", x) for x in ("given_differs", "typo2", "fuzzy")],
        default=_lvl("name", "else"),
    )
    return np.where(known, level, -1)


def _given_differs(pairs: _Pairs, mask: np.ndarray, cut: Cutoffs) -> np.ndarray:
    """The given names (last tokens) clearly differ, and neither is the other's first token (a name
    written surname last is the same person, not a different given name)."""
    out: np.ndarray = mask & _clearly_differ(pairs, mask, "last", "last", cut)
    out &= _clearly_differ(pairs, out, "last", "first", cut)
    out &= _clearly_differ(pairs, out, "first", "last", cut)
    return out


def _compare_births(pairs: _Pairs, cut: Cutoffs) -> np.ndarray:
    prep, a, b = pairs.prep, pairs.a, pairs.b
    ya, yb = prep.year[a], prep.year[b]
    known = ~(np.isnan(ya) | np.isnan(yb))
    either_yo = prep.yo[a] | prep.yo[b]
    full = known & ~either_yo
    exact = full & (prep.code["date8"][a] == prep.code["date8"][b])
    swapped = (
        full
        & ~exact
        & (prep.day[a] == prep.month[b])
        & (prep.month[a] == prep.day[b])
        & (prep.day[a] != prep.month[a])
        & (ya == yb)
    )
    close = _within(pairs, full & ~exact & ~swapped, "date8", cut.birth_typo_edits)
    level = np.select(
        [exact, either_yo & (ya == yb), swapped, full & close, full & (ya == yb)],
        [_lvl("birth", x) for x in ("exact", "year_only", "swapped", "one_digit", "same_year")],
        default=_lvl("birth", "else"),
    )
    return np.where(known, level, -1)


def _compare_addresses(pairs: _Pairs, cut: Cutoffs) -> np.ndarray:
    prep, a, b = pairs.prep, pairs.a, pairs.b
    ha, hb = prep.code["household"][a], prep.code["household"][b]
    aa, ab = prep.code["address"][a], prep.code["address"][b]
    h_known = (ha >= 0) & (hb >= 0)
    a_known = (aa >= 0) & (ab >= 0)
    household = h_known & (ha == hb)
    agree = ~household & a_known & (aa == ab)
    todo = a_known & ~household & ~agree
    ratio = _on(pairs, todo, 0.0, fuzz.token_set_ratio, "address", "address")
    close = todo & (ratio >= cut.address_token_set)
    xa, xb = prep.code["digits"][a], prep.code["digits"][b]
    # Numbers carry the address (tổ 3 ≠ tổ 13): fuzzy only when the digits agree, or differ by a few
    # typos in long numbers (house number + postcode).
    long_digits = np.minimum(prep.length["digits"][a], prep.length["digits"][b]) >= cut.address_long_digits
    d_far = _on(pairs, close & (xa != xb) & long_digits, FAR, OSA.distance, "digits", "digits")
    digits_ok = (xa == xb) | (d_far <= cut.address_digit_edits)
    level = np.select(
        [household, agree, close & digits_ok],
        [_lvl("address", x) for x in ("household", "agree", "fuzzy")],
        default=_lvl("address", "disagree"),
    )
    return np.where(h_known | a_known, level, -1)
