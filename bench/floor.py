"""The floor: a hand-written pass over the same ward files, for the toolkit to be measured against.

    .venv/bin/python bench/floor.py WARD_FOLDER OUT_CSV [--as-of 2023-02-28] [--from 2022-03]

Plain pyarrow + pandas, no toolkit code: reads the canonical CSV files that ``run_bench.py``
writes (strings only), parses the same Vietnamese formats on unique values (``dd/mm/yyyy`` and ISO
dates, ``mm/yyyy`` months, money, ``Nam``/``Nữ``, status and disability labels, category codes),
runs nine core checks with vectorised joins and writes one findings file. It does none of what
makes the toolkit an audit (unreadable-row bookkeeping, header detection, rules by date, GX,
reports), so it is a lower bound, not a competitor: ``run_bench.py`` prints the ratio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

STANDARD_LEVEL = 360_000  # VND, 2021-07 to 2024-06 (the bench period lies inside)


def read(path: Path) -> pa.Table:
    """Every column as a string (what a ward file holds), read by pyarrow's multithreaded reader."""
    names = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows_after_names=10**9)).column_names
    return pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    )


def on_uniques(col: pa.ChunkedArray, parse: object) -> np.ndarray:
    """Parse each distinct value once (``parse``: pandas Series → numpy array), then take by code."""
    codes, uniques = pd.factorize(col.to_pandas(types_mapper=pd.ArrowDtype), use_na_sentinel=True)
    values = parse(pd.Series(uniques, dtype="str"))  # type: ignore[operator]
    out = np.asarray(values)[np.where(codes < 0, 0, codes)] if len(values) else np.zeros(len(codes))
    if np.issubdtype(out.dtype, np.floating):
        out = np.where(codes < 0, np.nan, out)
    elif np.issubdtype(out.dtype, np.datetime64):
        out = np.where(codes < 0, np.datetime64("NaT"), out)
    return out


def dates(s: pd.Series) -> np.ndarray:
    iso = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    dmy = pd.to_datetime(s, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(dmy).to_numpy(dtype="datetime64[ns]")


def months(s: pd.Series) -> np.ndarray:
    parts = s.str.extract(r"^(\d{1,2})/(\d{4})$").astype("float64")
    return (parts[1] * 12 + parts[0] - 1).to_numpy()


def money(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s.str.replace(r"[.,\s]|đ$", "", regex=True), errors="coerce").to_numpy(
        dtype="float64"
    )


def name_key(s: pd.Series) -> np.ndarray:
    import unicodedata

    def one(text: str) -> str:
        folded = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
        return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())

    return np.array([one(t) for t in s.fillna("")], dtype=object)


def month_of(ts: np.ndarray) -> np.ndarray:
    t = pd.DatetimeIndex(ts)
    return (t.year * 12 + t.month - 1).to_numpy(dtype="float64")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ward", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--as-of", default="2023-02-28")
    parser.add_argument("--from", dest="period_from", default="2022-03")
    args = parser.parse_args()
    started = time.perf_counter()
    as_of = np.datetime64(args.as_of, "ns")
    asof_m = int(month_of(np.array([as_of]))[0])
    y, m = (int(x) for x in args.period_from.split("-"))
    first_m = y * 12 + m - 1
    folder: Path = args.ward

    raw = {
        name: read(folder / f"{name}.csv") for name in ("beneficiaries", "residents", "payments", "deaths")
    }
    raw["certs"] = read(folder / "disability_certificates.csv")
    raw["pensions"] = read(folder / "pensions.csv")

    b = raw["beneficiaries"]
    ben = pd.DataFrame(
        {
            "national_id": pc.utf8_trim_whitespace(b["national_id"]).to_pandas(),
            "full_name": b["full_name"].to_pandas(),
            "birth": on_uniques(b["birth_date"], dates),
            "category": b["category"].to_pandas(),
            "level": on_uniques(
                b["disability_level"],
                lambda s: s.map({"nặng": "severe", "đặc biệt nặng": "especially_severe"}).to_numpy(
                    dtype=object
                ),
            ),
            "coefficient": on_uniques(
                b["coefficient"], lambda s: pd.to_numeric(s, errors="coerce").to_numpy()
            ),
            "amount": on_uniques(b["monthly_amount"], money),
            "start_m": on_uniques(b["start_month"], months),
            "active": on_uniques(b["status"], lambda s: (s.str.casefold() == "đang hưởng").to_numpy()),
            "record_id": b["record_id"].to_pandas(),
        }
    )
    ben["name_key"] = on_uniques(b["full_name"], name_key)
    ben["line"] = np.arange(len(ben))
    r = raw["residents"]
    res = pd.DataFrame(
        {
            "national_id": r["national_id"].to_pandas(),
            "birth": on_uniques(r["birth_date"], dates),
            "sex": on_uniques(r["sex"], lambda s: s.map({"Nam": "M", "Nữ": "F"}).to_numpy(dtype=object)),
        }
    )
    p = raw["payments"]
    pay = pd.DataFrame(
        {
            "record_id": p["record_id"].to_pandas(),
            "m": on_uniques(p["month"], months),
            "amount": on_uniques(p["amount"], money),
        }
    )
    d = raw["deaths"]
    deaths = pd.DataFrame(
        {"national_id": d["national_id"].to_pandas(), "died": on_uniques(d["death_date"], dates)}
    )
    certs = raw["certs"]["national_id"].to_pandas()
    pensions = raw["pensions"]["national_id"].to_pandas()

    found: list[pd.DataFrame] = []

    def add(check: str, frame: pd.DataFrame, amount: pd.Series | float = 0.0) -> None:
        found.append(
            pd.DataFrame(
                {"check_id": check, "national_id": frame["national_id"].to_numpy(), "amount_vnd": amount}
            )
        )

    # 1 ID_INVALID: not 12 digits
    add("ID_INVALID", ben.loc[~ben["national_id"].str.fullmatch(r"\d{12}").fillna(False)])
    # 2 DUPLICATE_ID: one ID on several lines
    add("DUPLICATE_ID", ben.loc[ben["national_id"].duplicated(keep=False)].drop_duplicates("national_id"))
    # 3 DUPLICATE_PERSON: same name and birth date under different IDs
    grp = ben.groupby(["name_key", "birth"])["national_id"].transform("nunique")
    add("DUPLICATE_PERSON", ben.loc[grp > 1])
    # 4 DECEASED_ACTIVE + 5 paid after death (money: payments for months after the death month)
    dead = ben.merge(deaths, on="national_id")
    dead = dead.loc[dead["active"] & (dead["died"] <= as_of)]
    dead_m = month_of(dead["died"].to_numpy())
    add("DECEASED_ACTIVE", dead)
    paid = pay.merge(dead.assign(dm=dead_m)[["record_id", "national_id", "dm"]], on="record_id")
    after = paid.loc[paid["m"] > paid["dm"]]
    add(
        "PAID_AFTER_END",
        after.groupby("national_id", as_index=False)["amount"].sum(),
        after.groupby("national_id")["amount"].sum().to_numpy(),
    )
    # 6 MISSED_ELDERLY: residents 80+ on no list and drawing no pension
    age = (asof_m - month_of(res["birth"].to_numpy())) // 12
    old = res.loc[
        (age >= 80) & ~res["national_id"].isin(ben["national_id"]) & ~res["national_id"].isin(pensions)
    ]
    add("MISSED_ELDERLY", old)
    # 7 MISSED_DISABILITY: certificate holders not listed
    add("MISSED_DISABILITY", pd.DataFrame({"national_id": certs.loc[~certs.isin(ben["national_id"])]}))
    # 8 WRONG_AMOUNT: amount paid differs from coefficient × standard level
    due = ben[["record_id", "national_id", "coefficient"]].assign(due=ben["coefficient"] * STANDARD_LEVEL)
    pd_ = pay.merge(due, on="record_id")
    wrong = pd_.loc[(pd_["amount"] - pd_["due"]).abs() > 0.5]
    add("WRONG_AMOUNT", wrong.drop_duplicates("national_id"))
    # 9 UNPAID_MONTHS: months of the period an active line was not paid for
    k = asof_m - first_m + 1
    lm = pd.DataFrame(
        {
            "record_id": np.repeat(ben["record_id"].to_numpy(), k),
            "m": np.tile(np.arange(first_m, asof_m + 1), len(ben)),
        }
    )
    lm = lm.loc[np.repeat(ben["active"].to_numpy() & (ben["start_m"].to_numpy() <= asof_m), k)]
    unpaid = lm.merge(
        pay[["record_id", "m"]].drop_duplicates(), on=["record_id", "m"], how="left", indicator=True
    )
    unpaid = unpaid.loc[unpaid["_merge"] == "left_only"].merge(
        ben[["record_id", "national_id"]], on="record_id"
    )
    add("UNPAID_MONTHS", unpaid.drop_duplicates("national_id"))

    findings = pd.concat(found, ignore_index=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    findings.to_csv(args.out, index=False, encoding="utf-8-sig")
    print(f"floor: {len(findings):,} findings, {len(res):,} residents, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
