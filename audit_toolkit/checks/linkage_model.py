"""The Fellegi–Sunter model behind POSSIBLE_DUPLICATE: comparisons, blocking, EM, scores.

Pure functions over a *line frame* (one row per beneficiary line: ``name_key, birth_date, yo, sex,
household_id, address, national_id, usable``); no audit context, so the same code serves one ward
and a batch. See docs/possible-duplicates.md for the model as an auditor reads it.

- :func:`prepare` derives the comparison inputs once per line (tokens, date parts, folded address).
- :func:`candidate_pairs` is the union of blocking rules (never all pairs); :func:`random_pairs`
  draws the sample on which ``u`` is measured (fixed seed, canonical order).
- :func:`audit_toolkit.checks.linkage_compare.compare` (own module) gives each pair a level per
  field (``-1`` = missing), vectorised with rapidfuzz's ``process.cpdist`` over whole pair arrays.
- :mod:`audit_toolkit.checks.linkage_estimate` measures ``u`` on the random pairs, runs EM for ``m``
  (a small ward keeps the rule table's priors) and scores each pair: per-field weights (log2 Bayes
  factors) and match probability; it also holds the vetoes.

Row order never matters: lines are put in a canonical order (sorted by their content) before any
sampling or summation.

Example:
    >>> model = load_model()
    >>> prep = prepare(lines)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from audit_toolkit.checks.common import arrow_text
from audit_toolkit.errors import RuleError
from audit_toolkit.normalize import fold_series

__all__ = [
    "COLUMN",
    "Cutoffs",
    "EVEN_ODDS",
    "FAR",
    "FIELDS",
    "LEVELS",
    "Model",
    "Prepared",
    "candidate_pairs",
    "level_index",
    "load_model",
    "prepare",
    "random_pairs",
    "RULES",
    "TRAINING",
]

#: Fields compared, in the order of the comparison matrix's columns and of the explanation.
FIELDS = ("name", "birth", "sex", "address", "national_id")
#: Column of each field in the comparison matrix.
COLUMN = {f: j for j, f in enumerate(FIELDS)}
#: Even odds: a pair above it is more likely one person than two. A bound by definition of the
#: question (never report a pair the model thinks more likely two people), not a setting.
EVEN_ODDS = 0.5

LEVELS: dict[str, tuple[str, ...]] = {
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


def level_index(field: str, name: str) -> int:
    """The index of level ``name`` of ``field`` in the comparison matrix."""
    return LEVELS[field].index(name)


_lvl = level_index

#: An edit distance beyond every cut-off: the value of a pair whose distance was not computed
#: (a sentinel, not a setting; load_model() keeps every edit cut-off below it).
FAR = 9.0


@dataclass(frozen=True)
class Cutoffs:
    """The comparison cut-offs of ``comparisons:`` in the rule table (linkage_compare.py reads them).

    Edit counts are OSA distances (a transposition is one edit); similarities are rapidfuzz's
    Jaro-Winkler (0-1) and token ratios (0-100).
    """

    given_min_edits: int
    given_jaro_winkler: float
    name_typo1_edits: int
    name_typo2_edits: int
    name_jaro_winkler: float
    name_token_sort: float
    birth_typo_edits: int
    address_token_set: float
    address_long_digits: int
    address_digit_edits: int
    national_id_typo_edits: int


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
    em_start_share: float
    cutoffs: Cutoffs
    household_years: int = 12

    def levels(self, field: str) -> tuple[str, ...]:
        """The level names of ``field``, in matrix order."""
        return LEVELS[field]


def _probs(field: str, rows: Any, key: str) -> np.ndarray:
    if not isinstance(rows, dict) or set(rows) != set(LEVELS[field]):
        raise RuleError(
            f"possible_duplicate.yml: field {field!r} must list the levels {', '.join(LEVELS[field])}\n"
            "Fix: restore the packaged table's levels"
        )
    out = np.array([float(rows[lv][key]) for lv in LEVELS[field]], dtype="float64")
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
        cut = doc["comparisons"]
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
            em_start_share=float(est["em_start_share"]),
            cutoffs=Cutoffs(
                given_min_edits=int(cut["given_name"]["min_edits"]),
                given_jaro_winkler=float(cut["given_name"]["jaro_winkler"]),
                name_typo1_edits=int(cut["name"]["typo1_edits"]),
                name_typo2_edits=int(cut["name"]["typo2_edits"]),
                name_jaro_winkler=float(cut["name"]["jaro_winkler"]),
                name_token_sort=float(cut["name"]["token_sort"]),
                birth_typo_edits=int(cut["birth"]["typo_edits"]),
                address_token_set=float(cut["address"]["token_set"]),
                address_long_digits=int(cut["address"]["long_digits"]),
                address_digit_edits=int(cut["address"]["digit_edits"]),
                national_id_typo_edits=int(cut["national_id"]["typo_edits"]),
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleError(
            f"possible_duplicate.yml: missing or malformed entry ({exc})\nFix: compare with the packaged table"
        ) from exc
    if not EVEN_ODDS <= model.threshold < 1.0 or not 0.0 < model.duplicate_rate < 1.0:
        raise RuleError(
            "possible_duplicate.yml: threshold must lie in [0.5, 1) and duplicate_rate in (0, 1)\n"
            "Fix: correct the values"
        )
    if not 0.0 < model.em_start_share < EVEN_ODDS:
        raise RuleError(
            "possible_duplicate.yml: estimation.em_start_share must lie in (0, 0.5)\nFix: correct it"
        )
    edits = (
        model.cutoffs.given_min_edits,
        model.cutoffs.name_typo1_edits,
        model.cutoffs.name_typo2_edits,
        model.cutoffs.birth_typo_edits,
        model.cutoffs.address_digit_edits,
        model.cutoffs.national_id_typo_edits,
    )
    if not all(0 <= e < FAR for e in edits):
        raise RuleError(
            f"possible_duplicate.yml: comparisons: edit counts must lie in [0, {FAR:g})\nFix: correct them"
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
    #: Per field, how often each digit 0-9 occurs in each value (filled by the comparisons on first use).
    digit_counts: dict[str, np.ndarray] = field(default_factory=dict)


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


def _date_texts(dates: pd.Series) -> pd.Series:
    """``dates.dt.strftime("%Y%m%d")``, formatting each distinct date once (NaT stays missing)."""
    at, uniques = pd.factorize(dates, use_na_sentinel=True)
    texts = pd.Series(uniques).dt.strftime("%Y%m%d").to_numpy(dtype=object, na_value=None)
    return pd.Series(_spread(texts, at), index=dates.index, dtype="str")


def _spread(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``values[codes]`` as an object array, None where a code is ``-1`` (per-distinct results, spread back)."""
    slots = np.concatenate([np.asarray(values, dtype=object), np.array([None], dtype=object)])
    return slots[np.where(codes < 0, len(values), codes)]


def _encode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text (``""`` where missing), code (``-1`` where missing; first appearance order, as
    ``pandas.factorize``) and length in characters of an object array of str / None, through Arrow."""
    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    codes = pc.fill_null(arr.dictionary_encode().indices, -1).to_numpy(zero_copy_only=False)
    filled = pc.fill_null(arr, "")
    text = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=object)
    length = pc.utf8_length(filled).to_numpy(zero_copy_only=False)
    return text, np.asarray(codes, dtype=np.int64), np.asarray(length, dtype=np.int64)


#: The fields of :attr:`Prepared.text` / ``code`` / ``length``, in their order.
_PARTS = ("name", "sorted", "first", "last", "date8", "sex", "household", "address", "digits", "nid")


def _text_field(
    values: pd.Series, order: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A text column taken in ``order`` (None: as it is): its values (None where missing) and
    :func:`_encode`'s text, code and length, read from the Arrow storage without a round trip
    through Python objects."""
    arr = arrow_text(values.reset_index(drop=True))
    if order is not None:
        arr = arr.take(pa.array(order, type=pa.int64()))
    obj = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
    text = obj.copy()
    text[np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = ""
    codes = pc.fill_null(arr.dictionary_encode().indices, -1).to_numpy(zero_copy_only=False)
    length = pc.utf8_length(pc.fill_null(arr, "")).to_numpy(zero_copy_only=False)
    return obj, text, np.asarray(codes, dtype=np.int64), np.asarray(length, dtype=np.int64)


def _text_ranks(values: pd.Series) -> np.ndarray:
    """Per value, its rank among the distinct ``str(value)`` (numpy's string order, equal texts tie).

    Sorting by these ranks orders rows exactly as sorting by ``values.astype(str)`` does, without
    a numpy string array per column: Arrow ranks a text column (UTF-8 byte order is code-point
    order, numpy's), other columns are ranked on their distinct values.
    """
    if isinstance(values.dtype, pd.StringDtype) and not values.isna().any():
        text = arrow_text(values)
        # numpy ignores trailing NULs ("a\0" == "a"); Arrow does not: such rare values go the long way.
        if not pc.any(pc.ends_with(text, "\0")).as_py():
            return np.asarray(pc.rank(text, sort_keys="ascending", tiebreaker="dense"), dtype=np.int64)
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    texts = np.asarray(uniques, dtype=object).astype(str)
    ranks: np.ndarray = np.searchsorted(np.unique(texts), texts)[codes]
    return ranks


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
    full = _date_texts(date)
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
    order = np.lexsort([_text_ranks(canon[c]) for c in reversed(canon.columns)])
    order = order.astype(np.int64)

    names = name.reset_index(drop=True).iloc[order].reset_index(drop=True)
    # Tokens, word order and initials once per distinct name (a province has far fewer names than lines).
    codes, uniques = pd.factorize(names, use_na_sentinel=True)
    words = [str(u).split(" ") for u in uniques]
    pos = np.where(codes < 0, len(uniques), codes)
    first = pd.Series(np.array([w[0] for w in words] + [None], dtype=object)[pos], dtype=object)
    last = pd.Series(np.array([w[-1] for w in words] + [None], dtype=object)[pos], dtype=object)
    n_tokens = np.array([len(w) for w in words] + [0], dtype=np.int64)[pos]
    sorted_u = np.array([" ".join(sorted(w)) for w in words] + [None], dtype=object)
    initials_u = np.array(["".join(sorted(x[:1] for x in w)) for w in words] + [None], dtype=object)
    sorted_name = pd.Series(sorted_u[pos], dtype=object)
    initials = pd.Series(initials_u[pos], dtype=object)
    d = date.reset_index(drop=True).iloc[order].reset_index(drop=True)
    # Text columns straight from their Arrow storage, in canonical order: values, text, code, length.
    columns = {
        "name": _text_field(names, None),
        "date8": _text_field(date8, order),
        "sex": _text_field(sex, order),
        "household": _text_field(lines["household_id"].astype("str"), order),
        "address": _text_field(address, order),
        "nid": _text_field(nid, order),
    }
    addr = columns["address"][0]
    # The digits of each distinct address once (addresses repeat: a ward has few streets).
    at_addr, addresses = pd.factorize(addr, use_na_sentinel=True)
    digits_u = pd.Series(addresses, dtype="str").str.replace(r"\D", "", regex=True)
    digits = _spread(_obj(digits_u.where(digits_u != "")), at_addr)
    name_arr, date_arr, sex_arr = columns["name"][0], columns["date8"][0], columns["sex"][0]
    household, nid_arr = columns["household"][0], columns["nid"][0]
    first_arr, last_arr, sorted_arr = _obj(first), _obj(last), _obj(sorted_name)
    built = {"sorted": sorted_arr, "first": first_arr, "last": last_arr, "digits": digits}
    encoded = {k: c[1:] for k, c in columns.items()} | {k: _encode(v) for k, v in built.items()}
    encoded = {k: encoded[k] for k in _PARTS}
    return Prepared(
        text={k: e[0] for k, e in encoded.items()},
        code={k: e[1] for k, e in encoded.items()},
        length={k: e[2] for k, e in encoded.items()},
        order=order,
        name=name_arr,
        first=first_arr,
        last=last_arr,
        n_tokens=n_tokens,
        sorted_name=sorted_arr,
        initials=_obj(initials),
        date8=date_arr,
        year=d.dt.year.to_numpy(dtype="float64", na_value=np.nan),
        month=d.dt.month.to_numpy(dtype="float64", na_value=np.nan),
        day=d.dt.day.to_numpy(dtype="float64", na_value=np.nan),
        yo=yo[order],
        sex=sex_arr,
        household=household,
        address=addr,
        digits=digits,
        nid=nid_arr,
        name_tf=_share(name_arr),
        date_tf=_share(date_arr),
    )


# ------------------------------------------------------------------------------------ blocking


def _block_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer code per line for the combined key (``-1`` where any part is missing)."""
    return _combined_codes([_column_codes(col) for col in columns])


def _column_codes(col: np.ndarray) -> tuple[np.ndarray, int]:
    """One column's codes (``-1`` = missing) and its number of distinct values."""
    codes, uniques = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques)


def _combined_codes(columns: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """:func:`_block_codes` of columns already encoded by :func:`_column_codes`."""
    combined: np.ndarray | None = None
    for codes, distinct in columns:
        if combined is None:
            combined = codes
        else:
            both = np.where((combined < 0) | (codes < 0), -1, combined * (distinct + 1) + codes)
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
#: Bits for the rule number in a tagged pair code of :func:`candidate_pairs`.
_RULE_BITS = len(RULES).bit_length()


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
    last2, first2 = _prefix(prep.last, 2), _prefix(prep.first, 2)
    keys = [
        (np.where(full, prep.date8, none),),
        (ends, ends2, prep.year),
        (ends, ends2, dm_lo, dm_hi),
        (prep.initials, month, day),
        (prep.initials, prep.year, dm_lo, dm_hi),
        (prep.year, prep.household),
        (prep.first, last2, prep.year),
        (prep.last, first2, prep.year),
        (ends, ends2),
        (prep.year, prep.last),
        (prep.year, prep.address),
        (prep.first, last2),
        (prep.last, first2),
        (prep.address, prep.initials),
    ]
    # Each column is encoded once, though several rules read it (the keys keep the arrays alive).
    encoded: dict[int, tuple[np.ndarray, int]] = {}
    for cols in keys:
        for col in cols:
            if id(col) not in encoded:
                encoded[id(col)] = _column_codes(col)
    found = []
    for name, cols in zip(RULES, keys, strict=True):
        codes = _combined_codes([encoded[id(col)] for col in cols])
        if name in BROAD and len(codes):
            sizes = np.bincount(codes[codes >= 0], minlength=1)
            codes = np.where((codes >= 0) & (sizes[np.clip(codes, 0, None)] > max_block), -1, codes)
        found.append(_pairs_within(codes))
    # One sort of every rule's pairs tagged with the rule number in the low bits: distinct pairs,
    # and per pair the OR of its rules' bits.
    tagged = np.sort(np.concatenate([(codes << _RULE_BITS) | r for r, codes in enumerate(found)]))
    pair_of = tagged >> _RULE_BITS
    starts = np.flatnonzero(np.concatenate(([True], pair_of[1:] != pair_of[:-1]))) if len(tagged) else tagged
    pairs = pair_of[starts]
    bits = np.left_shift(1, tagged & ((1 << _RULE_BITS) - 1))
    mask = np.bitwise_or.reduceat(bits, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    a, b = np.divmod(pairs, max(n, 1))
    return a.astype(np.int64), b.astype(np.int64), mask.astype(np.int64)


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
