"""The Fellegi–Sunter model behind POSSIBLE_DUPLICATE: comparisons, blocking, EM, scores.

Pure functions over a *line frame* (one row per beneficiary line: ``name_key, birth_date, yo, sex,
household_id, address, national_id, usable``); no audit context, so the same code serves one ward
and a batch. See docs/possible-duplicates.md for the model as an auditor reads it.

- :func:`prepare` derives the comparison inputs once per line (tokens, date parts, folded address).
- :func:`candidate_pairs` is the union of blocking rules (never all pairs); :func:`random_pairs`
  draws the sample on which ``u`` is measured (fixed seed, canonical order).
- :func:`compare` gives each pair a level per field (``-1`` = missing), vectorised with rapidfuzz's
  ``process.cpdist`` over whole pair arrays.
- :func:`estimate` measures ``u`` on the random pairs and runs EM for ``m`` on the candidate pairs,
  both smoothed towards the rule table's priors (a small ward keeps the priors).
- :func:`score` gives each pair its per-field weights (log2 Bayes factors) and match probability.

Row order never matters: lines are put in a canonical order (sorted by their content) before any
sampling or summation.

Example:
    >>> model = load_model()
    >>> prep = prepare(lines)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from audit_toolkit.errors import RuleError
from audit_toolkit.normalize import fold_series

__all__ = [
    "FIELDS",
    "Model",
    "Params",
    "Prepared",
    "candidate_pairs",
    "compare",
    "estimate",
    "load_model",
    "prepare",
    "prior_share",
    "random_pairs",
    "RULES",
    "TRAINING",
    "score",
]

#: Fields compared, in the order of the comparison matrix's columns and of the explanation.
FIELDS = ("name", "birth", "sex", "address", "national_id")

_LEVELS: dict[str, tuple[str, ...]] = {
    "name": (
        "exact",
        "reordered",
        "dropped_middle",
        "typo1",
        "typo2",
        "fuzzy",
        "partial",
        "given_differs",
        "else",
    ),
    "birth": ("exact", "year_only", "swapped", "one_digit", "same_year", "else"),
    "sex": ("agree", "disagree"),
    "address": ("household", "agree", "fuzzy", "disagree"),
    "national_id": ("one_digit", "disagree"),
}


def _lvl(field: str, name: str) -> int:
    return _LEVELS[field].index(name)


@dataclass(frozen=True)
class Model:
    """The rule table ``rules/data/linkage/possible_duplicate.yml``, validated."""

    threshold: float
    duplicate_rate: float
    min_pairs: int
    min_random_pairs: int
    min_matches: float
    pseudo_m: float
    pseudo_u: float
    random_pairs: int
    max_iterations: int
    tolerance: float
    seed: int
    max_block: int
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    estimated: dict[str, bool]
    household_years: int = 12

    def levels(self, field: str) -> tuple[str, ...]:
        """The level names of ``field``, in matrix order."""
        return _LEVELS[field]


def _probs(field: str, rows: Any, key: str) -> np.ndarray:
    if not isinstance(rows, dict) or set(rows) != set(_LEVELS[field]):
        raise RuleError(
            f"possible_duplicate.yml: field {field!r} must list the levels {', '.join(_LEVELS[field])}\n"
            "Fix: restore the packaged table's levels"
        )
    out = np.array([float(rows[lv][key]) for lv in _LEVELS[field]], dtype="float64")
    if (out <= 0).any() or out.sum() > 1.0 + 1e-9:
        raise RuleError(
            f"possible_duplicate.yml: {field}.{key} must be positive and sum to at most 1\n"
            "Fix: correct the probabilities"
        )
    return out


@cache
def load_model() -> Model:
    """The model settings of the packaged rule table (parsed once per process).

    Raises:
        RuleError: a missing field or level, or probabilities that are not probabilities.
    """
    text = (
        resources.files("audit_toolkit.rules")
        .joinpath("data/linkage/possible_duplicate.yml")
        .read_text(encoding="utf-8")
    )
    doc = yaml.safe_load(text)
    try:
        est = doc["estimation"]
        fields = doc["fields"]
        m = {f: _probs(f, fields[f]["levels"], "m") for f in FIELDS}
        u = {f: _probs(f, fields[f]["levels"], "u") for f in FIELDS}
        model = Model(
            threshold=float(doc["threshold"]["value"]),
            duplicate_rate=float(doc["duplicate_rate"]["value"]),
            household_years=int(doc["vetoes"]["household_generation"]["years"]),
            min_pairs=int(est["min_pairs"]),
            min_random_pairs=int(est["min_random_pairs"]),
            min_matches=float(est["min_matches"]),
            pseudo_m=float(est["pseudo_m"]),
            pseudo_u=float(est["pseudo_u"]),
            random_pairs=int(est["random_pairs"]),
            max_iterations=int(est["max_iterations"]),
            tolerance=float(est["tolerance"]),
            seed=int(est["seed"]),
            max_block=int(est["max_block"]),
            m=m,
            u=u,
            estimated={f: bool(fields[f].get("estimate", True)) for f in FIELDS},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleError(
            f"possible_duplicate.yml: missing or malformed entry ({exc})\nFix: compare with the packaged table"
        ) from exc
    if not 0.5 <= model.threshold < 1.0 or not 0.0 < model.duplicate_rate < 1.0:
        raise RuleError(
            "possible_duplicate.yml: threshold must lie in [0.5, 1) and duplicate_rate in (0, 1)\n"
            "Fix: correct the values"
        )
    return model


# ------------------------------------------------------------------------------------- prepare


@dataclass(frozen=True)
class Prepared:
    """Comparison inputs per line, in canonical order (``order[i]`` = the input row of position i)."""

    order: np.ndarray
    name: np.ndarray  # name_key (object; None = missing)
    first: np.ndarray
    last: np.ndarray
    n_tokens: np.ndarray
    sorted_name: np.ndarray
    initials: np.ndarray
    date8: np.ndarray  # "YYYYMMDD" or None
    year: np.ndarray  # float (nan = missing)
    month: np.ndarray
    day: np.ndarray
    yo: np.ndarray
    sex: np.ndarray
    household: np.ndarray
    address: np.ndarray
    digits: np.ndarray
    nid: np.ndarray  # usable ID or None
    name_tf: np.ndarray  # share of lines with this name_key
    date_tf: np.ndarray  # share of lines with this full birth date
    text: dict[str, np.ndarray]  # str arrays, "" where missing (for rapidfuzz)
    code: dict[str, np.ndarray]  # int codes, -1 where missing (fast equality)
    length: dict[str, np.ndarray]  # text lengths


def _obj(s: pd.Series) -> np.ndarray:
    return np.asarray(s.astype("object").where(s.notna(), None).to_numpy(dtype=object))


def _share(values: np.ndarray) -> np.ndarray:
    """Per line, the share of the OTHER lines of the list (beyond a pair) that carry its value.

    Term-frequency ``u`` for an exact agreement: two lines sharing a value that no third line
    carries are not made less alike by their own two copies (a small ward would otherwise halve
    every weight).
    """
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=1) if (codes >= 0).any() else np.zeros(1, np.int64)
    share = np.zeros(len(values), dtype="float64")
    ok = codes >= 0
    share[ok] = np.maximum(counts[codes[ok]] - 2, 0) / max(len(values), 1)
    return share


def prepare(lines: pd.DataFrame) -> Prepared:
    """Derive the comparison inputs of each line, sorted into a canonical (content) order.

    Args:
        lines: ``name_key, birth_date, yo, sex, household_id, address, national_id, usable``.

    Returns:
        A :class:`Prepared`; positions refer to the canonical order, ``order`` maps them back.
    """
    n = len(lines)
    name = lines["name_key"].astype("str")
    date = lines["birth_date"]
    yo = lines["yo"].fillna(False).to_numpy(dtype=bool)
    full = date.dt.strftime("%Y%m%d")
    date8 = full.where(~lines["yo"].fillna(False).astype(bool))
    address = fold_series(lines["address"]) if n else lines["address"].astype("str")
    sex = lines["sex"].astype("str") if "sex" in lines else pd.Series(pd.NA, index=lines.index, dtype="str")
    nid = lines["national_id"].astype("str").where(lines["usable"].astype(bool))
    # Canonical order: by content, so that shuffled rows give the same positions for the same lines.
    canon = pd.DataFrame(
        {
            "n": name.fillna(""),
            "d": full.fillna(""),
            "y": yo,
            "s": sex.fillna(""),
            "h": lines["household_id"].astype("str").fillna(""),
            "a": address.fillna(""),
            "i": lines["national_id"].astype("str").fillna(""),
            "t": lines["tiebreak"].astype("str").fillna("") if "tiebreak" in lines else "",
        }
    )
    order = np.lexsort([canon[c].to_numpy(dtype=object).astype(str) for c in reversed(canon.columns)])
    order = order.astype(np.int64)

    def pick(s: pd.Series) -> np.ndarray:
        return _obj(s.reset_index(drop=True))[order]

    names = name.reset_index(drop=True).iloc[order].reset_index(drop=True)
    first = names.str.split(" ").str[0]
    last = names.str.split(" ").str[-1]
    n_tokens = names.str.count(" ").add(1).fillna(0).to_numpy(dtype=np.int64)
    # Word order and initials once per distinct name (a province has far fewer names than lines).
    codes, uniques = pd.factorize(names, use_na_sentinel=True)
    words = [str(u).split(" ") for u in uniques]
    sorted_u = np.array([" ".join(sorted(w)) for w in words] + [None], dtype=object)
    initials_u = np.array(["".join(sorted(x[:1] for x in w)) for w in words] + [None], dtype=object)
    pos = np.where(codes < 0, len(uniques), codes)
    sorted_name = pd.Series(sorted_u[pos], dtype=object)
    initials = pd.Series(initials_u[pos], dtype=object)
    d = date.reset_index(drop=True).iloc[order].reset_index(drop=True)
    addr = pick(address)
    digits = pd.Series(addr, dtype="str").str.replace(r"\D", "", regex=True)
    digits = digits.where(digits != "")
    name_arr = _obj(names)
    date_arr = pick(date8)
    parts = {
        "name": name_arr,
        "sorted": _obj(sorted_name),
        "first": _obj(first),
        "last": _obj(last),
        "date8": date_arr,
        "sex": pick(sex),
        "household": pick(lines["household_id"].astype("str")),
        "address": addr,
        "digits": _obj(digits),
        "nid": pick(nid),
    }
    text = {k: np.where(pd.isna(v), "", v).astype(object) for k, v in parts.items()}
    code = {k: pd.factorize(v, use_na_sentinel=True)[0].astype(np.int64) for k, v in parts.items()}
    length = {k: pd.Series(v, dtype=object).str.len().to_numpy(dtype=np.int64) for k, v in text.items()}
    return Prepared(
        text=text,
        code=code,
        length=length,
        order=order,
        name=name_arr,
        first=_obj(first),
        last=_obj(last),
        n_tokens=n_tokens,
        sorted_name=_obj(sorted_name),
        initials=_obj(initials),
        date8=date_arr,
        year=d.dt.year.to_numpy(dtype="float64", na_value=np.nan),
        month=d.dt.month.to_numpy(dtype="float64", na_value=np.nan),
        day=d.dt.day.to_numpy(dtype="float64", na_value=np.nan),
        yo=yo[order],
        sex=pick(sex),
        household=pick(lines["household_id"].astype("str")),
        address=addr,
        digits=_obj(digits),
        nid=pick(nid),
        name_tf=_share(name_arr),
        date_tf=_share(date_arr),
    )


# ------------------------------------------------------------------------------------ blocking


def _block_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer code per line for the combined key (``-1`` where any part is missing)."""
    combined: np.ndarray | None = None
    for col in columns:
        codes, uniques = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
        codes = codes.astype(np.int64)
        if combined is None:
            combined = codes
        else:
            both = np.where((combined < 0) | (codes < 0), -1, combined * (len(uniques) + 1) + codes)
            combined = np.where(both < 0, -1, pd.factorize(both)[0]).astype(np.int64)
    assert combined is not None
    return combined


def _pairs_within(codes: np.ndarray) -> np.ndarray:
    """All pairs ``(i, j)``, ``i < j``, of positions sharing a code (``-1`` never pairs), as ``i * N + j``."""
    n = len(codes)
    pos = np.flatnonzero(codes >= 0)
    if len(pos) < 2:
        return np.zeros(0, dtype=np.int64)
    pos = pos[np.argsort(codes[pos], kind="stable")]
    c = codes[pos]
    bounds = np.flatnonzero(np.diff(c)) + 1
    ends = np.append(bounds, len(c))
    group_end = np.repeat(ends, np.diff(np.concatenate(([0], ends))))
    after = group_end - np.arange(len(c)) - 1  # partners after each position in its group
    total = int(after.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    left = np.repeat(np.arange(len(c)), after)
    step = np.arange(total) - np.repeat(np.cumsum(after) - after, after)
    right = left + 1 + step
    a, b = pos[left], pos[right]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    out: np.ndarray = lo.astype(np.int64) * n + hi.astype(np.int64)
    return out


#: Blocking rules, by name (docs/possible-duplicates.md). EM trains on the first two, each with the
#: field it blocks on left out (Splink's recipe: a field used to block cannot be estimated there).
RULES = (
    "birth_date",
    "name_ends_year",
    "name_ends_day_month",
    "initials_day_month",
    "initials_year_day_month",
    "year_household",
    "family_given2_year",
    "given_family2_year",
    "name_ends",
    "year_given",
    "year_address",
    "family_given2",
    "given_family2",
    "address_initials",
)
#: Broad rules (the last six of :data:`RULES`): a block of more than ``Model.max_block`` lines under one
#: of them is a key too common to tell people apart (a common name in a province); its pairs then come
#: only from the narrow rules. Deterministic, and keeps the work proportional to the list.
BROAD = frozenset(
    {"name_ends", "year_given", "year_address", "family_given2", "given_family2", "address_initials"}
)
TRAINING = (("birth_date", "birth"), ("name_ends", "name"))


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a mask: numpy's hash-based unique is slower on int64 here)."""
    out = np.sort(values, kind="stable")
    if len(out):
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


def _prefix(values: np.ndarray, k: int) -> np.ndarray:
    return _obj(pd.Series(values, dtype="str").str.slice(0, k))


def candidate_pairs(prep: Prepared, *, max_block: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The union of the blocking rules' pairs, each once, sorted (positions ``a < b``).

    Rules (:data:`RULES`). Narrow: same full birth date; same first and last name token (either
    order) and birth year; same first and last name token and unordered {day, month}; same name
    initials and birth day and month; same initials, birth year and unordered {day, month}; same birth
    year and household; same family name, first two letters of the given name and birth year; same
    given name, first two letters of the family name and birth year. Broad (:data:`BROAD`, blocks of at
    most ``max_block`` lines): same first and last name token; same birth year and given name; same
    birth year and folded address; same family name and first two letters of the given name; same given
    name and first two letters of the family name; same folded address and name initials.

    Returns:
        ``(a, b, rules)``: positions and, per pair, a bit mask of the rules that produced it.
    """
    n = len(prep.order)
    none: Any = None  # numpy stubs: an object fill is valid in np.where but not ArrayLike
    ends = np.where(
        pd.isna(prep.first) | pd.isna(prep.last),
        none,
        np.where(prep.first.astype(str) < prep.last.astype(str), prep.first, prep.last),
    )
    ends2 = np.where(pd.isna(ends), none, np.where(ends == prep.first, prep.last, prep.first))
    full = ~prep.yo
    day = np.where(full, prep.day, np.nan)
    month = np.where(full, prep.month, np.nan)
    dm_lo, dm_hi = np.fmin(day, month), np.fmax(day, month)
    keys = [
        (np.where(full, prep.date8, none),),
        (ends, ends2, prep.year),
        (ends, ends2, dm_lo, dm_hi),
        (prep.initials, month, day),
        (prep.initials, prep.year, dm_lo, dm_hi),
        (prep.year, prep.household),
        (prep.first, _prefix(prep.last, 2), prep.year),
        (prep.last, _prefix(prep.first, 2), prep.year),
        (ends, ends2),
        (prep.year, prep.last),
        (prep.year, prep.address),
        (prep.first, _prefix(prep.last, 2)),
        (prep.last, _prefix(prep.first, 2)),
        (prep.address, prep.initials),
    ]
    found = []
    for name, cols in zip(RULES, keys, strict=True):
        codes = _block_codes(*cols)
        if name in BROAD and len(codes):
            sizes = np.bincount(codes[codes >= 0], minlength=1)
            codes = np.where((codes >= 0) & (sizes[np.clip(codes, 0, None)] > max_block), -1, codes)
        found.append(_pairs_within(codes))
    pairs = _unique(np.concatenate(found))
    mask = np.zeros(len(pairs), dtype=np.int64)
    for r, codes in enumerate(found):
        if len(codes):
            mask[np.searchsorted(pairs, _unique(codes))] |= 1 << r
    size = max(n, 1)
    return (pairs // size).astype(np.int64), (pairs % size).astype(np.int64), mask


def random_pairs(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct positions for measuring ``u``: all pairs when few, else a seeded sample."""
    total = n * (n - 1) // 2
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if total <= size:
        a, b = np.triu_indices(n, k=1)
        return a.astype(np.int64), b.astype(np.int64)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, size=size)
    b = rng.integers(0, n - 1, size=size)
    b = b + (b >= a)  # never a line with itself
    return np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)


# ----------------------------------------------------------------------------------- comparing


def _cp(scorer: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pairwise scores of two equal-length str arrays, one rapidfuzz C call (no Python loop)."""
    if not len(x):
        return np.zeros(0, dtype="float64")
    return np.asarray(process.cpdist(x.tolist(), y.tolist(), scorer=scorer, workers=1), dtype="float64")


def _on(
    prep: Prepared, mask: np.ndarray, fill: float, scorer: Any, fa: str, a: np.ndarray, fb: str, b: np.ndarray
) -> np.ndarray:
    """``scorer`` between ``text[fa][a]`` and ``text[fb][b]`` where ``mask`` holds (``fill`` elsewhere).

    Only the pairs that decide are scored, and each distinct pair of values once (namesakes repeat
    the same pair of names many times in a large list).
    """
    out = np.full(len(mask), fill, dtype="float64")
    if not mask.any():
        return out
    ca, cb = prep.code[fa][a[mask]], prep.code[fb][b[mask]]
    key = (ca + 1) * (int(prep.code[fb].max(initial=0)) + 2) + (cb + 1)
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    xa, xb = prep.text[fa][a[mask]][first], prep.text[fb][b[mask]][first]
    out[mask] = _cp(scorer, xa, xb)[inverse]
    return out


def _clearly_differ(
    prep: Prepared, mask: np.ndarray, fa: str, a: np.ndarray, fb: str, b: np.ndarray
) -> np.ndarray:
    """Two name tokens that are not one token mistyped: two or more edits apart and not alike."""
    far = _on(prep, mask, 0.0, OSA.distance, fa, a, fb, b) >= 2
    return far & (_on(prep, far, 1.0, JaroWinkler.similarity, fa, a, fb, b) < 0.9)


def compare(prep: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The comparison matrix: one row per pair, one column per field of :data:`FIELDS`.

    Values are level indices of :meth:`Model.levels` (``-1`` = missing on either side). Exact
    agreements are integer-code comparisons; rapidfuzz runs only on the pairs they leave open.
    """
    k = len(a)
    out = np.full((k, len(FIELDS)), -1, dtype=np.int8)
    if not k:
        return out
    out[:, 0] = _compare_names(prep, a, b)
    out[:, 1] = _compare_births(prep, a, b)
    sa, sb = prep.code["sex"][a], prep.code["sex"][b]
    out[:, 2] = np.where((sa >= 0) & (sb >= 0), np.where(sa == sb, 0, 1), -1)
    out[:, 3] = _compare_addresses(prep, a, b)
    ia, ib = prep.code["nid"][a], prep.code["nid"][b]
    both = (ia >= 0) & (ib >= 0)
    # A 12-digit ID and a 9-digit CMND are two documents of possibly one person: not a disagreement.
    both &= prep.length["nid"][a] == prep.length["nid"][b]
    differ = both & (ia != ib)
    near = _on(prep, differ, 9.0, OSA.distance, "nid", a, "nid", b) <= 1
    out[:, 4] = np.where(differ, np.where(near, 0, 1), -1)
    return out


def _compare_names(prep: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ca, cb = prep.code["name"][a], prep.code["name"][b]
    known = (ca >= 0) & (cb >= 0)
    exact = known & (ca == cb)
    reordered = known & ~exact & (prep.code["sorted"][a] == prep.code["sorted"][b])
    todo = known & ~exact & ~reordered
    # Edit distances on the name as written and with its words sorted (a swapped surname and given
    # name with a typo is still a typo): the better of the two.
    osa = np.minimum(
        _on(prep, todo, 9.0, OSA.distance, "name", a, "name", b),
        _on(prep, todo, 9.0, OSA.distance, "sorted", a, "sorted", b),
    )
    token_set = _on(prep, todo, 0.0, fuzz.token_set_ratio, "name", a, "name", b)
    shorter = np.minimum(prep.n_tokens[a], prep.n_tokens[b])
    differ_count = prep.n_tokens[a] != prep.n_tokens[b]
    same_given = prep.code["last"][a] == prep.code["last"][b]
    dropped = todo & (token_set >= 100) & differ_count & (shorter >= 2) & same_given
    typo1 = todo & ~dropped & (osa <= 1)
    partial = todo & ~dropped & ~typo1 & (token_set >= 100) & differ_count & (shorter == 1)
    rest = todo & ~dropped & ~typo1 & ~partial
    given = _given_differs(prep, a, b, rest)
    typo2 = rest & ~given & (osa <= 2)
    open_ = rest & ~given & ~typo2
    jw = np.maximum(
        _on(prep, open_, 0.0, JaroWinkler.similarity, "name", a, "name", b),
        _on(prep, open_, 0.0, JaroWinkler.similarity, "sorted", a, "sorted", b),
    )
    sort_ratio = _on(prep, open_ & (jw < 0.88), 0.0, fuzz.token_sort_ratio, "name", a, "name", b)
    fuzzy = open_ & ((jw >= 0.88) | (sort_ratio >= 85))
    level = np.select(
        [exact, reordered, dropped, typo1, partial, given, typo2, fuzzy],
        [_lvl("name", x) for x in ("exact", "reordered", "dropped_middle", "typo1", "partial")]
        + [_lvl("name", x) for x in ("given_differs", "typo2", "fuzzy")],
        default=_lvl("name", "else"),
    )
    return np.where(known, level, -1)


def _given_differs(prep: Prepared, a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The given names (last tokens) clearly differ, and neither is the other's first token (a name
    written surname last is the same person, not a different given name)."""
    out: np.ndarray = mask & _clearly_differ(prep, mask, "last", a, "last", b)
    out &= _clearly_differ(prep, out, "last", a, "first", b)
    out &= _clearly_differ(prep, out, "first", a, "last", b)
    return out


def _compare_births(prep: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
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
    osa = _on(prep, full & ~exact & ~swapped, 9.0, OSA.distance, "date8", a, "date8", b)
    level = np.select(
        [exact, either_yo & (ya == yb), swapped, full & (osa <= 1), full & (ya == yb)],
        [_lvl("birth", x) for x in ("exact", "year_only", "swapped", "one_digit", "same_year")],
        default=_lvl("birth", "else"),
    )
    return np.where(known, level, -1)


def _compare_addresses(prep: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ha, hb = prep.code["household"][a], prep.code["household"][b]
    aa, ab = prep.code["address"][a], prep.code["address"][b]
    h_known = (ha >= 0) & (hb >= 0)
    a_known = (aa >= 0) & (ab >= 0)
    household = h_known & (ha == hb)
    agree = ~household & a_known & (aa == ab)
    todo = a_known & ~household & ~agree
    ratio = _on(prep, todo, 0.0, fuzz.token_set_ratio, "address", a, "address", b)
    close = todo & (ratio >= 80)
    xa, xb = prep.code["digits"][a], prep.code["digits"][b]
    # Numbers carry the address (tổ 3 ≠ tổ 13): fuzzy only when the digits agree, or differ by at most
    # two typos in long numbers (house number + postcode).
    long_digits = np.minimum(prep.length["digits"][a], prep.length["digits"][b]) >= 4
    d_close = _on(prep, close & (xa != xb) & long_digits, 9.0, OSA.distance, "digits", a, "digits", b) <= 2
    digits_ok = (xa == xb) | d_close
    level = np.select([household, agree, close & digits_ok], [0, 1, 2], default=3)
    return np.where(h_known | a_known, level, -1)


# ---------------------------------------------------------------------------------- estimating


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
    lam = 0.1  # share of matches among the training block's pairs (re-estimated)
    m = dict(m)
    iterations = 0
    for iterations in range(1, model.max_iterations + 1):  # noqa: B007  (the count is returned)
        logit = np.full(len(gamma), np.log2(lam / (1 - lam)))
        for j in fields:
            f = FIELDS[j]
            g = gamma[:, j].astype(np.int64)
            w = np.log2(m[f] / u[f])
            logit += np.where(g >= 0, w[np.clip(g, 0, None)], 0.0)
        p = 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))
        delta = 0.0
        for j in fields:
            f = FIELDS[j]
            new = _smooth(_counts(gamma, j, len(_LEVELS[f]), p), model.m[f], model.pseudo_m)
            delta = max(delta, float(np.abs(new - m[f]).max()))
            m[f] = new
        lam = float(min(max(p.mean(), 1e-6), 0.999))
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
        p = 1.0 / (1.0 + np.exp2(-np.clip(base + np.log2(lam / (1 - lam)), -60, 60)))
        new = float(min(max(p.sum() / max(all_pairs, 1), floor), 0.5))
        if abs(new - lam) <= model.tolerance * lam:
            return new
        lam = new
    return lam


def prior_share(n: int, model: Model) -> float:
    """The rule table's prior share of matching pairs among all ``n (n-1) / 2`` pairs of lines."""
    return float(min(2.0 * model.duplicate_rate / max(n - 1, 1), 0.5))


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
        k = len(_LEVELS[f])
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
    prob = 1.0 / (1.0 + np.exp2(-np.clip(total, -60, 60)))
    return weights, prob, prior_w


def vetoed(prep: Prepared, a: np.ndarray, b: np.ndarray, gamma: np.ndarray, model: Model) -> np.ndarray:
    """Pairs never reported: one household (or address) with clearly different given names (twins,
    siblings), or one household with birth years a generation apart (parent and child)."""
    same_home = (gamma[:, 3] == _lvl("address", "household")) | (gamma[:, 3] == _lvl("address", "agree"))
    given = gamma[:, 0] == _lvl("name", "given_differs")
    gap = np.abs(prep.year[a] - prep.year[b])
    generation = np.nan_to_num(gap, nan=0.0) >= model.household_years
    return np.asarray(same_home & (given | generation), dtype=bool)
