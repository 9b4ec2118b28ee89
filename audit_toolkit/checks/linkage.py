"""POSSIBLE_DUPLICATE: two lines whose holders are probably one person under mistyped details.

A question for the ward, not an accusation (severity low, ``amount_vnd`` 0). Complements
DUPLICATE_PERSON (which stays exactly as it is): lines of different or missing IDs, active in a
common month of the period, not stacking (``RuleSet.stackable``), scored by the Fellegi–Sunter
model of :mod:`audit_toolkit.checks.linkage_model` (name, birth date, sex, address/household, ID).
A pair is reported when its match probability reaches the rule table's threshold and no veto applies;
pairs whose lines DUPLICATE_ID or DUPLICATE_PERSON already put in one group are not repeated.

Each finding explains itself: the probability and, per field, the comparison level and its weight
(log2 Bayes factor) — in ``detail`` and in ``evidence`` (the report draws a small waterfall table).
The detail also says what would have been overpaid if the ward confirms one person: the due amount
of the lower line (as DUPLICATE_PERSON ranks lines) over the months both lines are active.

The batch step :func:`find_cross_ward_possible_duplicates` runs the same model over the lines of all
wards and reports pairs of lines of different wards (``summary/findings.csv``).

Example:
    >>> raw = find_possible_duplicates(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext, check
from audit_toolkit.checks.common import born_text
from audit_toolkit.checks.duplicates import (
    person_rule_pairs,
    same_id_pairs,
    ward_person_rule_pairs,
    ward_same_id_pairs,
)
from audit_toolkit.checks.lines import (
    components,
    line_frame,
    losing_months,
    months_of_lines,
    not_stacking,
    pair_money,
    price_months,
)
from audit_toolkit.checks.linkage_compare import compare
from audit_toolkit.checks.linkage_estimate import Params, estimate, score, vetoed
from audit_toolkit.checks.linkage_model import (
    FIELDS,
    Model,
    candidate_pairs,
    load_model,
    prepare,
    random_pairs,
)
from audit_toolkit.findings import empty_raw, new_raw, sort_sources
from audit_toolkit.messages import fmt_vnd, render, t

__all__ = [
    "Scored",
    "find_cross_ward_possible_duplicates",
    "find_possible_duplicates",
    "possible_duplicate_frame",
    "score_lines",
]

CHECK_ID = "POSSIBLE_DUPLICATE"
#: Display only: a probability that would round to 100.0 % is written "99.9+" (never "certain").
_SHOWN_AS_CERTAIN = 0.9995
#: Decimal places of the match probability in the evidence JSON.
_PROB_DIGITS = 4


@dataclass(frozen=True)
class Scored:
    """Pairs at or above the threshold: ``a, b`` (line keys), ``prob``, levels and weights per field."""

    pairs: pd.DataFrame
    params: Params
    prior_weight: float
    candidates: int


def _with_model_columns(ctx: AuditContext, lines: pd.DataFrame) -> pd.DataFrame:
    """Add ``sex`` and a content tiebreak (canonical order of otherwise identical lines)."""
    src = ctx.lines
    sex = src["sex"] if "sex" in src else pd.Series(pd.NA, index=src.index, dtype="str")
    # Texts of each distinct (category, start, coefficient) once: a list has only a few of them.
    # The coefficient is told apart by its bits (0.0 and -0.0 write differently).
    coef = src["coefficient"].to_numpy(dtype="float64", na_value=np.nan)
    parts = [
        pd.factorize(src["category"])[0],
        pd.factorize(src["start_m"])[0],
        pd.factorize(coef.view(np.int64))[0],
    ]
    key = np.zeros(len(src), dtype=np.int64)
    for codes in parts:
        key = key * (int(codes.max(initial=-1)) + 2) + (codes.astype(np.int64) + 1)
    at, _ = pd.factorize(key)
    heads = src.iloc[np.unique(at, return_index=True)[1]]
    texts = (
        heads["category"].astype("str").fillna("")
        + "|"
        + heads["start_m"].astype("str").fillna("")
        + "|"
        + heads["coefficient"].astype("str").fillna("")
    )
    tiebreak = texts.to_numpy(dtype=object)[at]
    return lines.assign(sex=sex.astype("str").to_numpy(), tiebreak=tiebreak)


def _model_lines(ctx: AuditContext) -> tuple[AuditContext, pd.DataFrame]:
    """The context with the ward's undated rows (:func:`_with_undated`) and its line frame with the
    model's columns: made once per ward for POSSIBLE_DUPLICATE and for the batch's cross-ward
    frame (:func:`possible_duplicate_frame`), which the worker makes right after the checks."""
    made: tuple[AuditContext, pd.DataFrame] = ctx.memo("possible_duplicate_lines", _make_model_lines)
    return made


def _make_model_lines(ctx: AuditContext) -> tuple[AuditContext, pd.DataFrame]:
    full = _with_undated(ctx)
    return full, _with_model_columns(full, line_frame(full))


def score_lines(
    lines: pd.DataFrame,
    *,
    model: Model | None = None,
    min_prob: float | None = None,
    undated: np.ndarray | None = None,
) -> Scored:
    """Score the candidate pairs of ``lines`` and keep those at or above the threshold, not vetoed.

    Args:
        lines: one row per line: ``key, name_key, birth_date, yo, sex, household_id, address,
            national_id, usable`` (optionally ``tiebreak``).
        model: the model settings (default: the packaged rule table).
        min_prob: keep pairs from this probability instead of the threshold (the benchmark uses it).
        undated: per line, whether it is a row kept without its birth date
            (:attr:`audit_toolkit.io.loader.WardData.undated`). The model is estimated on the other
            lines alone, exactly as without them; then the pairs with an undated line are scored
            with those parameters (their birth date compares as missing: weight 0).

    Returns:
        :class:`Scored` with one row per kept pair (``a < b`` by canonical position).
    """
    model = model or load_model()
    if undated is None or not undated.any():
        return _score(lines, model, min_prob)
    dated = _score(lines.loc[~undated], model, min_prob)
    more = _score(lines, model, min_prob, params=dated.params, only=undated)
    return Scored(
        pd.concat([dated.pairs, more.pairs], ignore_index=True),
        dated.params,
        dated.prior_weight,
        dated.candidates + more.candidates,
    )


def _score(
    lines: pd.DataFrame,
    model: Model,
    min_prob: float | None,
    *,
    params: Params | None = None,
    only: np.ndarray | None = None,
) -> Scored:
    """:func:`score_lines` on one set of lines; with ``params``, no estimation, and with ``only``,
    just the pairs with at least one line of ``only`` (a mask over ``lines``)."""
    prep = prepare(lines)
    ca, cb, rules = candidate_pairs(prep, max_block=model.max_block)
    if only is not None:
        mine = np.asarray(only, dtype=bool)[prep.order]
        sel = mine[ca] | mine[cb]
        ca, cb, rules = ca[sel], cb[sel], rules[sel]
    gamma = compare(prep, ca, cb, model.cutoffs)
    if params is None:
        ra, rb = random_pairs(len(prep.order), model.random_pairs, model.seed)
        params = estimate(gamma, rules, compare(prep, ra, rb, model.cutoffs), len(prep.order), model)
    weights, prob, prior_w = score(prep, ca, cb, gamma, params)
    keep = (prob >= (model.threshold if min_prob is None else min_prob)) & ~vetoed(prep, ca, cb, gamma, model)
    keys = lines["key"].to_numpy(dtype=np.int64)[prep.order]
    out = pd.DataFrame({"a": keys[ca[keep]], "b": keys[cb[keep]], "prob": prob[keep]})
    for j, f in enumerate(FIELDS):
        out[f"level_{f}"] = gamma[keep, j]
        out[f"w_{f}"] = weights[keep, j]
    return Scored(out.reset_index(drop=True), params, prior_w, len(ca))


def _with_undated(ctx: AuditContext) -> AuditContext:
    """The context whose beneficiaries also hold the ward's undated rows (after the readable ones).

    ``ctx`` itself when there are none. The readable lines keep their ``line_idx``; the undated rows
    follow, so ``line_idx >= len(ctx.lines)`` marks them (:func:`_undated_mask`).
    """
    extra = ctx.ward.undated
    if extra is None or extra.empty:
        return ctx
    ben = ctx.table("beneficiaries")
    rows = pd.concat([ben, extra.reindex(columns=ben.columns)], ignore_index=True)
    ward = replace(ctx.ward, tables={**ctx.ward.tables, "beneficiaries": rows}, undated=None)
    return replace(ctx, ward=ward, extras=dict(ctx.extras))


def _undated_mask(ctx: AuditContext, lines: pd.DataFrame) -> np.ndarray:
    """Per row of ``lines`` (of :func:`_with_undated`'s context), whether it is an undated row."""
    return np.asarray(lines["line_idx"].to_numpy(dtype=np.int64) >= len(ctx.table("beneficiaries")))


def _already_reported(known: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """Pairs both of whose lines are in one group of ``known`` (the DUPLICATE_ID / DUPLICATE_PERSON pairs)."""
    if known.empty or pairs.empty:
        return np.zeros(len(pairs), dtype=bool)
    comp = components(known["a"].to_numpy(), known["b"].to_numpy())
    ga = pairs["a"].map(comp).to_numpy(dtype="float64", na_value=np.nan)
    gb = pairs["b"].map(comp).to_numpy(dtype="float64", na_value=np.nan)
    return np.asarray(~np.isnan(ga) & (ga == gb), dtype=bool)


def _ordered_by_key(pairs: pd.DataFrame) -> pd.DataFrame:
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    swap = a > b
    out = pairs.copy()
    out["a"], out["b"] = np.where(swap, b, a), np.where(swap, a, b)
    return out


# --------------------------------------------------------------------------------------- findings


def _weight_text(w: float, lang: str) -> str:
    text = f"{w:+.1f}"
    return text.replace(".", ",") if lang == "vi" else text


def _prob_text(p: float, lang: str) -> str:
    text = f"{100 * p:.1f}".rstrip("0").rstrip(".") if p < _SHOWN_AS_CERTAIN else f"{100 * p:.2f}"
    top = p >= _SHOWN_AS_CERTAIN
    text = "99,9+" if top and lang == "vi" else ("99.9+" if top else text)
    return text.replace(".", ",") if lang == "vi" else text


def _explain(
    levels: Sequence[int], weights: Sequence[float], lang: str
) -> tuple[str, list[dict[str, object]]]:
    """One pair's comparison per field: the sentence and the evidence records."""
    model = load_model()
    parts, fields = [], []
    for f, level, w in zip(FIELDS, levels, weights, strict=True):
        name = "missing" if level < 0 else model.levels(f)[level]
        label = t(f"linkage.level.{f}.{name}", lang)
        parts.append(f"{t(f'linkage.field.{f}', lang)}: {label} ({_weight_text(w, lang)})")
        fields.append({"field": f, "level": name, "label": label, "weight": round(w, 2)})
    return "; ".join(parts), fields


def _describe(lines: pd.DataFrame, keys: np.ndarray, lang: str) -> pd.Series:
    """One short description per line key (name, ID, birth date, category, source)."""
    sub = lines.set_index("key").loc[keys]
    undated = sub["undated"].to_numpy(dtype=bool) if "undated" in sub else np.zeros(len(sub), dtype=bool)
    frame = pd.DataFrame(
        {
            "name": sub["full_name"].fillna("?").astype("str").to_numpy(),
            "id": sub["national_id"]
            .astype("object")
            .where(sub["national_id"].notna(), t("duplicates.no_id", lang))
            .to_numpy(),
            "born": born_text(sub.rename(columns={"yo": "birth_date_year_only"}), lang)
            .where(~undated, t("linkage.born_undated", lang))
            .to_numpy(),
            "category": sub["category"].fillna("?").astype("str").to_numpy(),
            "source": sub["source"].to_numpy(),
        },
        index=keys,
    )
    return render("linkage.line", lang, frame)


def _raw(
    lines: pd.DataFrame,
    found: pd.DataFrame,
    money: pd.DataFrame,
    scored: Scored,
    lang: str,
    *,
    cross: bool,
    ward_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One raw finding per group of connected pairs.

    ``found``: pairs ``a, b, group, prob, level_*, w_*``; ``money``: per group ``months, amount``.
    """
    if found.empty:
        return empty_raw()
    found = found.sort_values(["group", "a", "b"], kind="stable").reset_index(drop=True)
    keys = np.unique(np.concatenate([found["a"].to_numpy(), found["b"].to_numpy()]))
    described = dict(zip(keys.tolist(), _describe(lines, keys, lang).tolist(), strict=True))
    # Plain per-key columns: one dict lookup per member instead of a frame per group.
    sub = lines.set_index("key").loc[keys]
    person = sub["person_key"].astype("object")
    # An undated row without a valid ID has no person key: the row is its subject (as for
    # UNREADABLE_ROW), so that two such findings never merge.
    person = person.where(person.notna(), "row:" + sub["source"].astype("str"))

    def column(name: str) -> dict[int, Any]:
        values = sub[name].astype("object")
        return dict(zip(keys.tolist(), values.where(values.notna(), None).tolist(), strict=True))

    source, category = column("source"), column("category")
    pk = dict(zip(keys.tolist(), person.tolist(), strict=True))
    name, nid = column("full_name"), column("national_id")
    ward_of = column("ward") if cross else {}
    level_cols = found[[f"level_{f}" for f in FIELDS]].to_numpy(dtype=np.int64)
    weight_cols = found[[f"w_{f}" for f in FIELDS]].to_numpy(dtype="float64")
    a_all, b_all = found["a"].to_numpy(dtype=np.int64), found["b"].to_numpy(dtype=np.int64)
    prob_all = found["prob"].to_numpy(dtype="float64")
    groups = found["group"].to_numpy(dtype=np.int64)
    cuts = np.flatnonzero(np.diff(groups)) + 1
    records = []
    for rows in np.split(np.arange(len(found)), cuts):
        group = int(groups[rows[0]])
        members = sorted({*a_all[rows].tolist(), *b_all[rows].tolist()})
        pks = sorted({str(pk[k]) for k in members})
        cats = sorted({str(category[k]) for k in members if category[k] is not None})
        explains, evidence_pairs = [], []
        for i in rows.tolist():
            explain, fields = _explain(level_cols[i].tolist(), weight_cols[i].tolist(), lang)
            src_a, src_b = str(source[int(a_all[i])]), str(source[int(b_all[i])])
            prob = _prob_text(float(prob_all[i]), lang)
            explains.append(t("linkage.pair", lang, a=src_a, b=src_b, prob=prob, explain=explain))
            evidence_pairs.append(
                {
                    "a": src_a,
                    "b": src_b,
                    "match_probability": round(float(prob_all[i]), _PROB_DIGITS),
                    "prior_weight": round(scored.prior_weight, 2),
                    "fields": fields,
                }
            )
        known = group in money.index
        months = int(money["months"].get(group, 0)) if known else 0
        amount = float(money["amount"].get(group, 0.0)) if known else 0.0
        values = {
            "n": len(members),
            "lines": "; ".join(described[k] for k in members),
            "prob": _prob_text(float(prob_all[rows].min()), lang),
            "pairs": " ".join(explains),
            "months": months,
            "amount": fmt_vnd(amount, lang),
        }
        if cross:
            wards = sorted({str(ward_of[k]) for k in members})
            names = ward_names or {}
            values["wards"] = ", ".join(f"{names.get(w, w)} ({w})" for w in wards)
        # The first line by (person key, source) names the finding.
        first = min(members, key=lambda k: (str(pk[k]), str(source[k])))
        ids = [str(nid[k]) for k in members if nid[k] is not None]
        records.append(
            {
                "check_id": CHECK_ID,
                "person_key": pks[0],
                "national_id": ids[0] if ids else "",
                "full_name": str(name[first]) if name[first] is not None else "",
                "sources": sort_sources([str(source[k]) for k in members]),
                "detail": t("linkage.detail.cross" if cross else "linkage.detail", lang, **values),
                "amount_vnd": 0.0,
                "discriminator": "|".join(pks[1:] + cats),
                "category": ", ".join(cats),
                "evidence": {
                    "parameters": scored.params.source,
                    "pairs": evidence_pairs,
                    "overlap_months": months,
                    "overpaid_if_confirmed_vnd": round(amount),
                },
            }
        )
    return new_raw(records)


def _grouped(pairs: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` with ``group`` = the smallest line key of its connected component."""
    comp = components(pairs["a"].to_numpy(), pairs["b"].to_numpy())
    return pairs.assign(group=pairs["a"].map(comp).to_numpy(dtype=np.int64))


@check(CHECK_ID)
def find_possible_duplicates(ctx: AuditContext) -> pd.DataFrame:
    """Probably one person on non-stacking lines active together, under mistyped details.

    One finding per group of connected pairs; ``amount_vnd`` 0; the detail gives each pair's
    probability with the per-field levels and weights, and the due amount of the lower lines over
    the overlapping months (what would have been overpaid if the ward confirms one person).
    """
    full, lines = _model_lines(ctx)
    if len(lines) < 2:
        return empty_raw()
    undated = _undated_mask(ctx, lines)
    lines = lines.assign(undated=undated)
    scored = score_lines(lines, undated=undated)
    pairs = _ordered_by_key(scored.pairs)
    # DUPLICATE_ID / DUPLICATE_PERSON read the readable lines only.
    if full is ctx:
        # The ward's own pair rules, made once for DUPLICATE_ID / DUPLICATE_PERSON (same frame).
        known = pd.concat([ward_same_id_pairs(ctx), ward_person_rule_pairs(ctx)], ignore_index=True)
    else:
        readable = lines.loc[~undated]
        known = pd.concat([same_id_pairs(readable), person_rule_pairs(readable)], ignore_index=True)
    pairs = pairs.loc[~_already_reported(known, pairs)].reset_index(drop=True)
    if pairs.empty:
        return empty_raw()
    keep = not_stacking(pairs[["a", "b"]], lines, full)
    pairs = pairs.merge(keep, on=["a", "b"])
    if pairs.empty:
        return empty_raw()
    rows, lm, _, rank = pair_money(full, lines, pairs[["a", "b"]])
    if rows.empty:
        return empty_raw()
    # Only pairs whose lines are active together in a month of the period.
    pairs = pairs.merge(rows[["a", "b"]].drop_duplicates(), on=["a", "b"])
    pairs = _grouped(pairs)
    ends = pd.concat(
        [
            pairs[["a", "group"]].set_axis(["key", "group"], axis=1),
            pairs[["b", "group"]].set_axis(["key", "group"], axis=1),
        ]
    )
    group = ends.drop_duplicates("key").set_index("key")["group"]
    rows = rows.merge(pairs[["a", "b"]], on=["a", "b"])
    losers = losing_months(rows, rank)
    due = lm[["key", "m", "due"]]
    lost = losers.merge(due, on=["key", "m"], how="left").assign(group=lambda f: f["key"].map(group))
    money = pd.DataFrame(
        {
            "months": rows.assign(group=rows["a"].map(group)).groupby("group")["m"].nunique(),
            "amount": lost.groupby("group")["due"].sum(),
        }
    ).fillna(0.0)
    return _raw(lines, pairs, money, scored, ctx.lang, cross=False)


# ------------------------------------------------------------------------------------- cross-ward


def possible_duplicate_frame(ctx: AuditContext) -> pd.DataFrame:
    """The slim line frame of one ward that the batch step needs (picklable, no context).

    The line frame of the duplicate checks plus ``sex``, ``tiebreak``, ``first_m`` / ``last_m`` (first
    and last active month of the ward's period, NA when never active), ``monthly_due`` (the due
    amount in ``last_m``, for the estimate of what a confirmed duplicate overpaid) and ``undated``
    (a row kept without its birth date, :attr:`audit_toolkit.io.loader.WardData.undated`).
    """
    full, lines = _model_lines(ctx)
    lines = lines.assign(undated=_undated_mask(ctx, lines))
    lm = price_months(
        months_of_lines(full, lines["line_idx"].to_numpy(dtype=np.int64)), full.rules, full.ward.province_code
    )
    span = lm.groupby("line_idx")["m"].agg(["min", "max"])
    last = lm.sort_values(["line_idx", "m"]).drop_duplicates("line_idx", keep="last").set_index("line_idx")
    lines["first_m"] = span["min"].reindex(lines["line_idx"]).astype("Int64").to_numpy()
    lines["last_m"] = span["max"].reindex(lines["line_idx"]).astype("Int64").to_numpy()
    lines["monthly_due"] = (
        last["due_nominal"].reindex(lines["line_idx"]).fillna(0.0).to_numpy(dtype="float64")
    )
    return lines.drop(columns="key")


def find_cross_ward_possible_duplicates(
    frames: Sequence[pd.DataFrame],
    *,
    stackable: Callable[..., pd.Series],
    lang: str = "vi",
    ward_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """POSSIBLE_DUPLICATE across wards: the model over all lines of a batch, pairs of different wards.

    Args:
        frames: one :func:`possible_duplicate_frame` per ward.
        stackable: ``RuleSet.stackable`` of the batch's rules (which pairs of lines may both be paid).
        lang: language of the details.
        ward_names: ward id → name, for the detail.

    Returns:
        Raw findings (``check_id = POSSIBLE_DUPLICATE``), ``sources`` prefixed with the ward id. The
        overpaid estimate is the lower line's monthly due (at its last active month) × the months both
        lines are active in their wards' periods.

    Example:
        >>> raw = find_cross_ward_possible_duplicates([frame_a, frame_b], stackable=rules.stackable)  # doctest: +SKIP
    """
    frames = [f for f in frames if len(f)]
    if len(frames) < 2:
        return empty_raw()
    lines = pd.concat(frames, ignore_index=True)
    # Sources named with their ward (``01843/beneficiaries:12``): one text operation over the batch.
    lines["source"] = lines["ward"].astype("str") + "/" + lines["source"].astype("str")
    lines["key"] = np.arange(len(lines), dtype=np.int64)
    undated = lines["undated"].to_numpy(dtype=bool) if "undated" in lines else None
    scored = score_lines(lines, undated=undated)
    pairs = _ordered_by_key(scored.pairs)
    ward = lines["ward"].to_numpy(dtype=object)
    pairs = pairs.loc[ward[pairs["a"].to_numpy()] != ward[pairs["b"].to_numpy()]]
    dated = lines if undated is None else lines.loc[~undated]
    known = pd.concat([same_id_pairs(dated), person_rule_pairs(dated)], ignore_index=True)
    pairs = pairs.loc[~_already_reported(known, pairs)].reset_index(drop=True)
    if pairs.empty:
        return empty_raw()
    a, b = lines.loc[pairs["a"]], lines.loc[pairs["b"]]
    ok = stackable(  # RuleSet.stackable, passed in to keep the frames context-free
        a["category"].to_numpy(dtype=object),
        b["category"].to_numpy(dtype=object),
        a["cared_for_id"].to_numpy(dtype=object),
        b["cared_for_id"].to_numpy(dtype=object),
    ).to_numpy(dtype=bool)
    first = np.maximum(
        a["first_m"].to_numpy(dtype="float64", na_value=np.nan),
        b["first_m"].to_numpy(dtype="float64", na_value=np.nan),
    )
    last = np.minimum(
        a["last_m"].to_numpy(dtype="float64", na_value=np.nan),
        b["last_m"].to_numpy(dtype="float64", na_value=np.nan),
    )
    months = np.nan_to_num(last - first + 1, nan=0.0)
    keep = ~ok & (months > 0)
    pairs = pairs.loc[keep].reset_index(drop=True)
    if pairs.empty:
        return empty_raw()
    months = months[keep]
    due = np.minimum(a["monthly_due"].to_numpy()[keep], b["monthly_due"].to_numpy()[keep])
    pairs = _grouped(pairs.assign(months=months.astype("int64"), overpaid=months * due))
    money = pairs.groupby("group").agg(months=("months", "max"), amount=("overpaid", "sum"))
    return _raw(lines, pairs, money, scored, lang, cross=True, ward_names=ward_names)
