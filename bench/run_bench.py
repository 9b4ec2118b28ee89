"""Benchmark (run by hand, not in the tests): province-sized audit and a 100-ward batch.

    .venv/bin/python bench/run_bench.py [--lines 75000] [--residents 1000000] [--wards 100] [--keep]
        [--only province|batch] [--no-quality]

Generates synthetic data with numpy (seeded), runs the real CLI in a subprocess on it, and prints
wall time, CPU time (user + system of the CLI process tree), the load average of the machine
and peak memory (RSS of the CLI process tree, sampled). ``--no-quality`` passes the CLI's flag of
the same name (skip the Great Expectations suites) to time the checks alone. Targets on a 2-core machine:
province dataset end to end under 60 s and 6 GB; the 100-ward batch under 60 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
AS_OF = "2023-02-28"
PERIOD_FROM = "2022-03"  # 12 months of payments
MONTHS = pd.period_range("2022-03", "2023-02", freq="M")


def _ids(rng: np.random.Generator, n: int, birth_years: np.ndarray, female: np.ndarray) -> pd.Series:
    century = (birth_years // 100) - 19
    digit4 = century * 2 + female.astype(int)
    # Six-digit serials, unique within the dataset (a 12-digit ID has exactly six).
    serial = rng.permutation(1_000_000)[:n]
    return pd.Series(
        "019"
        + pd.Series(digit4).astype(str)
        + pd.Series(birth_years % 100).map("{:02d}".format)
        + pd.Series(serial).map("{:06d}".format)
    )


def make_people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``n`` synthetic residents with consistent IDs, names and birth dates."""
    years = rng.integers(1925, 2022, n)
    months = rng.integers(1, 13, n)
    days = rng.integers(1, 29, n)
    female = rng.random(n) < 0.52
    family = np.array(["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Hà", "Nông", "Ma", "Lục", "Triệu"])
    middle = np.array(["Văn", "Thị", "Đức", "Minh", "Thu", "Hữu", "Ngọc", "Kim"])
    given = np.array(
        [
            "An",
            "Bình",
            "Chi",
            "Dũng",
            "Hà",
            "Hùng",
            "Lan",
            "Mai",
            "Nam",
            "Phúc",
            "Quang",
            "Sơn",
            "Thảo",
            "Tuấn",
            "Yến",
        ]
    )
    names = (
        pd.Series(family[rng.integers(0, len(family), n)])
        + " "
        + pd.Series(middle[rng.integers(0, len(middle), n)])
        + " "
        + pd.Series(given[rng.integers(0, len(given), n)])
    )
    birth = (
        pd.Series(years).map("{:04d}".format)
        + "-"
        + pd.Series(months).map("{:02d}".format)
        + "-"
        + pd.Series(days).map("{:02d}".format)
    )
    return pd.DataFrame(
        {
            "national_id": _ids(rng, n, years, female),
            "full_name": names,
            "birth_date": birth,
            "sex": np.where(female, "Nữ", "Nam"),
            "household_id": pd.Series(rng.integers(1, n // 3, n)).map("HK{:07d}".format),
            "address": "Tổ " + pd.Series(rng.integers(1, 40, n)).astype(str),
        }
    )


#: Category mix of a typical province roster: (code, share, birth years, level, coefficient).
#: Ages are chosen so that every line is right for its category through the whole period; the
#: audit then finds only what the data plants (deaths, coincidental namesakes), as in a real ward.
ROSTER = (
    ("K6", 0.30, (1964, 2003), "nặng", 1.5),
    ("K6", 0.10, (1964, 2003), "đặc biệt nặng", 2.0),
    ("C2", 0.10, (1964, 2003), "", 1.0),
    ("K5c", 0.35, (1925, 1939), "", 1.0),
    ("K5a", 0.05, (1945, 1961), "", 1.5),
    ("K1", 0.05, (2009, 2017), "", 1.5),
    ("K2", 0.02, (2004, 2005), "", 1.5),
    ("K8", 0.03, (1964, 2003), "", 1.5),
)


def write_ward(
    folder: Path, rng: np.random.Generator, *, lines: int, residents: int, code: str, name: str
) -> None:
    """One ward (or a province treated as one unit) as canonical CSV files, clean but for deaths."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ward.yml").write_text(
        f'ward_code: "{code}"\nward_name: "{name}"\nprovince_code: "19"\nprovince_name: "Thái Nguyên"\n',
        encoding="utf-8",
    )
    people = make_people(rng, residents)
    year = people["birth_date"].str[:4].astype(int)
    taken = np.zeros(len(people), dtype=bool)
    parts = []
    for code_, share, (y0, y1), level, coef in ROSTER:
        n = max(1, int(round(lines * share)))
        pool = np.flatnonzero(~taken & (year >= y0).to_numpy() & (year <= y1).to_numpy())
        pick = rng.choice(pool, size=min(n, len(pool)), replace=False)
        taken[pick] = True
        parts.append(people.iloc[pick].assign(category=code_, disability_level=level, coefficient=coef))
    ben = pd.concat(parts, ignore_index=True)
    # Each C2 carer cares for one especially severely disabled person (so MISSED_CARE stays quiet).
    dbn = ben.loc[ben["disability_level"] == "đặc biệt nặng", "national_id"].to_numpy()
    carers = np.flatnonzero((ben["category"] == "C2").to_numpy())
    cared = np.full(len(ben), "", dtype=object)
    cared[carers[: len(dbn)]] = dbn[: len(carers)]
    ben = ben.assign(
        record_id=pd.Series(np.arange(len(ben))).map("HS{:07d}".format),
        cared_for_id=cared,
        monthly_amount=(ben["coefficient"] * 360000).astype(int),
        start_month="01/2020",
        status="đang hưởng",
        decision_date="15/01/2020",
        application_date="02/01/2020",
    )
    ben.to_csv(folder / "beneficiaries.csv", index=False)
    people.assign(residence_status="thường trú", poverty_status="").to_csv(
        folder / "residents.csv", index=False
    )
    k = len(MONTHS)
    pd.DataFrame(
        {
            "record_id": np.repeat(ben["record_id"].to_numpy(), k),
            "national_id": np.repeat(ben["national_id"].to_numpy(), k),
            "month": np.tile(MONTHS.strftime("%m/%Y").to_numpy(), len(ben)),
            "amount": np.repeat(ben["monthly_amount"].to_numpy(), k),
        }
    ).to_csv(folder / "payments.csv", index=False)
    # 1 % of residents died in June 2022; beneficiaries among them are still paid (the planted problem).
    dead = people.sample(frac=0.01, random_state=1)[["national_id", "full_name", "birth_date"]]
    dead.assign(death_date="10/06/2022").to_csv(folder / "deaths.csv", index=False)
    k6 = ben.loc[ben["category"] == "K6", ["national_id", "full_name", "birth_date", "disability_level"]]
    k6.assign(issue_date="10/12/2019").to_csv(folder / "disability_certificates.csv", index=False)
    # Every resident of 80 or more who is not on K5c draws a pension (else MISSED_ELDERLY would fire).
    old = people.loc[
        (people["birth_date"] < "1943-03").to_numpy()
        & ~people["national_id"].isin(ben["national_id"]).to_numpy()
    ]
    old[["national_id", "full_name"]].assign(
        benefit="lương hưu", start_month="01/2000", monthly_amount=4500000
    ).to_csv(folder / "pensions.csv", index=False)
    pd.DataFrame({"category": ["Tổng số"], "reported_count": [ben["national_id"].nunique()]}).to_csv(
        folder / "report.csv", index=False
    )


def run_cli(path: Path, out: Path, *, quality: bool = True) -> tuple[float, float, float, int]:
    """Run the CLI; return (wall seconds, CPU seconds, peak RSS in GB of the process tree, exit code)."""
    cmd = [
        str(ROOT / ".venv" / "bin" / "audit-toolkit"),
        "audit",
        str(path),
        "--as-of",
        AS_OF,
        "--from",
        PERIOD_FROM,
        "--out",
        str(out),
    ]
    if not quality:
        cmd.append("--no-quality")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peak = 0
    cpu = 0.0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
            times = ps.cpu_times()
            cpu = max(cpu, times.user + times.system + times.children_user + times.children_system)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    # The exact figure once the process is reaped: its CPU time as seen by its parent.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = max(cpu, usage.ru_utime + usage.ru_stime - _CHILD_CPU[0])
    _CHILD_CPU[0] = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.read().decode() if proc.stderr else "")
    return seconds, cpu, peak / 1e9, proc.returncode


# CPU seconds of children already reaped (getrusage is cumulative over the benchmark).
_CHILD_CPU = [0.0]


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=75_000)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--wards", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep bench/out/ afterwards")
    parser.add_argument("--only", choices=("province", "batch"), default=None)
    parser.add_argument(
        "--no-quality", action="store_true", help="pass --no-quality to the CLI (skip the GX suites)"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(20230228)
    shutil.rmtree(OUT, ignore_errors=True)
    if args.only in (None, "province"):
        t0 = time.perf_counter()
        write_ward(
            OUT / "province", rng, lines=args.lines, residents=args.residents, code="19000", name="Tỉnh mẫu"
        )
        print(f"generated province dataset in {time.perf_counter() - t0:.1f} s")
        secs, cpu, peak, rc = run_cli(OUT / "province", OUT / "reports-province", quality=not args.no_quality)
        print(
            f"province: {args.lines:,} lines, {args.residents:,} residents, {args.lines * len(MONTHS):,} payments: "
            f"{secs:.1f} s wall, {cpu:.1f} s CPU, peak {peak:.2f} GB, exit {rc} ({_load()})"
        )
    if args.only in (None, "batch"):
        for i in range(args.wards):
            write_ward(
                OUT / "batch" / f"ward-{i:03d}",
                rng,
                lines=150,
                residents=3000,
                code=f"{20000 + i:05d}",
                name=f"Phường {i:03d}",
            )
        secs, cpu, peak, rc = run_cli(OUT / "batch", OUT / "reports-batch", quality=not args.no_quality)
        print(
            f"batch: {args.wards} wards of 150 lines / 3,000 residents: {secs:.1f} s wall, {cpu:.1f} s CPU, "
            f"peak {peak:.2f} GB, exit {rc} ({_load()})"
        )
    if not args.keep:
        shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
