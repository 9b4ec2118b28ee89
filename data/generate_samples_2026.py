"""Generate the 2025–2026 sample batch and its expected findings.

Two synthetic wards of tỉnh Thái Nguyên after the 2025 merger (province code 19) are written to
``data/sample-2026/``, audited over 01/2025–06/2026 as of 30/06/2026:

* ``bac-kan/`` (phường Bắc Kạn, 01843): one XLSX per table with Vietnamese file names, title rows,
  Vietnamese headers, category labels, Excel date cells; its payment list carries catch-up
  (``Truy lĩnh từ tháng`` / ``Truy lĩnh đến tháng``) and recovered (``Truy thu``) money.
* ``duc-xuan/`` (phường Đức Xuân, 01840): CSV files with canonical names and headers, category codes.

``data/sample-2026/rates.yml`` gives the batch a provincial standard level and social-pension level
above the national ones from 01/2026 (a synthetic example, not a real resolution).

The expected findings (``data/expected-2026/<ward_code>.csv``) are NOT computed by the toolkit: every
planted problem is written here together with its finding, whose amount is plain arithmetic over the
payments this generator itself wrote (month by month, with the levels in the block below). Every other
line is built clean — right coefficient, every active month paid at the level of that month — and
``check_clean`` re-verifies that before anything is written. The generator never imports the toolkit's
checks or loader (only ``audit_toolkit.months`` through ``generate_samples``).

Run: ``.venv/bin/python data/generate_samples_2026.py [--out DIR]`` (``DIR`` defaults to ``data/``;
``DIR/sample-2026`` and ``DIR/expected-2026`` are rewritten).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate_samples as gs  # noqa: E402  (names, month arithmetic, byte-stable workbooks; no checks)

from audit_toolkit.months import month_num  # noqa: E402  (month arithmetic only; no checks, no loader)

name_key = gs.name_key
fmt_date = gs.fmt_date

# ==================================================================================================
# RULES THE EXPECTED FINDINGS RELY ON (cite, do not scatter)
# Source: /work/shared/domain/social-assistance-rules.md §1.1, §1.2, §1.4, §3; checks.md v2 conventions
# "Standard level", "Social pension", "Payment month"; data-contract.md v2 §1a, §1b.
# ==================================================================================================
AS_OF = dt.date(2026, 6, 30)
P_START = month_num(2025, 1)
P_END = month_num(2026, 6)  # month(as_of)
PERIOD = list(range(P_START, P_END + 1))
#: National standard level from 2024-07-01 (NĐ 76/2024/NĐ-CP): 500,000 VND.
NATIONAL_STANDARD = 500_000
#: National social-pension level from 2025-07-01 (Luật BHXH 41/2024/QH15, NĐ 176/2025/NĐ-CP): 500,000 VND.
NATIONAL_SOCIAL_PENSION = 500_000
HTXH_FROM = month_num(2025, 7)
#: K5b and K5c no longer exist from 2025-07 (their holders move to the social pension).
ENDED_CATEGORIES = {"K5b", "K5c"}
#: The batch's rates.yml (synthetic example): the province pays more from 2026-01-01.
PROVINCE_FROM = month_num(2026, 1)
PROVINCE_STANDARD = 600_000
PROVINCE_SOCIAL_PENSION = 550_000
SYNTHETIC_BASIS = "Nghị quyết HĐND tỉnh Thái Nguyên (ví dụ tổng hợp, không phải văn bản thật)"
#: Social pension: 75+, or 70+ in a poor/near-poor household (Luật BHXH 41/2024 Điều 21).
HTXH_AGE, HTXH_AGE_POOR = 75, 70
POOR = {"nghèo", "cận nghèo"}


def standard(m: int) -> int:
    """Standard level of month m in this batch (national, then the rates.yml level)."""
    return PROVINCE_STANDARD if m >= PROVINCE_FROM else NATIONAL_STANDARD


def social_pension(m: int) -> int:
    """Social-pension level of month m in this batch."""
    assert m >= HTXH_FROM
    return PROVINCE_SOCIAL_PENSION if m >= PROVINCE_FROM else NATIONAL_SOCIAL_PENSION


def coefficient(cat: str, level: str | None, age: int) -> float:
    """NĐ 20/2021 Art. 6.1 and Art. 20 (only the bands this batch uses)."""
    if cat == "K6":
        child_or_elder = age < 16 or age >= 60
        if level == "ĐBN":
            return 2.5 if child_or_elder else 2.0
        return 2.0 if child_or_elder else 1.5
    if cat == "K1":
        return 2.5 if age < 4 else 1.5
    if cat == "K5a":
        return 2.0 if age >= 80 else 1.5
    if cat in ("K5c", "C2", "HTXH"):
        return 1.0
    if cat == "C4":  # taking in a K1 child aged 4 to under 16
        return 1.5
    raise ValueError(cat)


ym = gs.ym


def mstr(m: int) -> str:
    return gs.mstr(m)


def mspan(months: list[int]) -> str:
    return mstr(months[0]) if len(months) == 1 else f"{mstr(months[0])}-{mstr(months[-1])}"


def age_in(m: int, birth: dt.date) -> int:
    return gs.age_in(m, birth)


def vnd(n: int) -> str:
    return f"{n:,}".replace(",", ".")


# ==================================================================================================
# Model
# ==================================================================================================
@dataclass(eq=False)
class Person:
    name: str
    birth: dt.date
    sex: str
    nid: str
    household: str
    address: str
    poverty: str = "không"
    residence: str = "thường trú"
    moved_out: dt.date | None = None
    row: int = 0


@dataclass(eq=False)
class Pay:
    """One payment row. ``month`` is the payment list's month; ``cover`` the months a catch-up row is for."""

    month: int
    amount: int
    cover: tuple[int, int] | None = None
    recovered: int = 0  # Truy thu: money taken back, for the month ``recovered_for``
    recovered_for: int | None = None
    received: bool = True
    row: int = 0

    def months_for(self) -> dict[int, int]:
        """Money by the month it is FOR (data-contract §1a: a lump split equally over its months)."""
        out: dict[int, int] = defaultdict(int)
        if self.cover is None:
            out[self.month] += self.amount
        else:
            months = list(range(self.cover[0], self.cover[1] + 1))
            share, rest = divmod(self.amount, len(months))
            assert rest == 0, "lumps here split evenly"
            for m in months:
                out[m] += share
        if self.recovered:
            assert self.recovered_for is not None
            out[self.recovered_for] -= self.recovered
        return out


@dataclass(eq=False)
class Line:
    rid: str
    person: Person
    cat: str
    level: str | None
    coef: float
    amount: int  # roster monthly amount
    start_m: int
    end_m: int | None = None
    status: str = "đang hưởng"
    end_reason: str | None = None
    studying: bool | None = None
    cared_for: Person | None = None
    app_date: dt.date | None = None
    dec_date: dt.date | None = None
    dec_no: str | None = None
    note: str | None = None
    label: str | None = None  # the category as the ward wrote it, when not the usual label
    pays: list[Pay] = field(default_factory=list)
    planted: bool = False  # exempt from check_clean
    row: int = 0

    def active(self, m: int) -> bool:
        return self.start_m <= m and (self.end_m is None or m < self.end_m)

    def due(self, m: int) -> int:
        base = social_pension(m) if self.cat == "HTXH" else standard(m)
        return round(base * self.coef)

    def received(self) -> dict[int, int]:
        """Received money by the month it is for, inside the period."""
        out: dict[int, int] = defaultdict(int)
        for p in self.pays:
            if p.received:
                for m, a in p.months_for().items():
                    if P_START <= m <= P_END:
                        out[m] += a
        return dict(out)


@dataclass(eq=False)
class Death:
    person: Person
    date: dt.date
    reg: dt.date
    row: int = 0


@dataclass(eq=False)
class Cert:
    person: Person
    level: str
    issue: dt.date
    kind: str
    row: int = 0


@dataclass(eq=False)
class Pension:
    person: Person
    benefit: str
    start_m: int
    amount: int
    row: int = 0


@dataclass
class Expected:
    check: str
    person: Person | None
    amount: int
    refs: list[Any]  # Line (beneficiaries row), Person (residents row) or "report:<cat>"
    note: str
    feature: str  # which toolkit feature the finding depends on (see data/README.md)


LEVEL_WORD = {"ĐBN": "đặc biệt nặng", "nặng": "nặng"}
DISABILITY_TYPES = ["Vận động", "Nghe, nói", "Nhìn", "Thần kinh, tâm thần", "Trí tuệ", "Khác"]


class Ward:
    def __init__(self, code: str, name: str, slug: str, prefix: str, shape: str, rng: random.Random,
                 names: set[str], ids: set[str]) -> None:  # fmt: skip
        self.code, self.name, self.slug, self.prefix, self.shape = code, name, slug, prefix, shape
        self.rng, self.names, self.ids = rng, names, ids
        self.people: list[Person] = []
        self.lines: list[Line] = []
        self.deaths: list[Death] = []
        self.certs: list[Cert] = []
        self.pensions: list[Pension] = []
        self.expected: list[Expected] = []
        self.cross: list[Expected] = []  # CROSS_WARD_DUPLICATE findings (summary.csv), refs (ward, line)
        self.report_rows: dict[str, int] = {}
        self._n = {"hh": 0, "rid": 0, "dec": 0}

    # -- people ------------------------------------------------------------------------------------
    def household(self, poverty: str = "không") -> tuple[str, str, str]:
        self._n["hh"] += 1
        return f"{self.prefix}-H{self._n['hh']:04d}", f"Tổ {self.rng.randint(1, 14)}, {self.name}", poverty

    def new_name(self, sex: str) -> str:
        while True:
            n = f"{self.rng.choice(gs.FAMILY)} {self.rng.choice(gs.MIDDLE[sex])} {self.rng.choice(gs.GIVEN[sex])}"
            if name_key(n) not in self.names:
                self.names.add(name_key(n))
                return n

    def new_id(self, sex: str, year: int) -> str:
        d4 = (0 if sex == "M" else 1) + (2 if year >= 2000 else 0)  # TT 07/2016/TT-BCA: sex and century
        while True:
            nid = f"006{d4}{year % 100:02d}{self.rng.randrange(10**6):06d}"  # born in (former) Bắc Kạn: 006
            if nid not in self.ids:
                self.ids.add(nid)
                return nid

    def person(self, *, age: int | None = None, birth: dt.date | None = None, sex: str | None = None,
               hh: tuple[str, str, str] | None = None, **kw: Any) -> Person:  # fmt: skip
        rng = self.rng
        sex = sex or rng.choice("MF")
        if birth is None:
            assert age is not None
            while True:
                b = dt.date(AS_OF.year - age - 1, 7, 1) + dt.timedelta(days=rng.randrange(365))
                if age_in(P_END, b) == age and not (b.month == 2 and b.day == 29):
                    birth = b
                    break
        hh = hh or self.household(kw.pop("poverty", "không"))
        p = Person(name=self.new_name(sex), birth=birth, sex=sex, nid=self.new_id(sex, birth.year),
                   household=hh[0], address=hh[1], poverty=hh[2], **kw)  # fmt: skip
        self.people.append(p)
        return p

    def family(self, p: Person, n: int = 1) -> list[Person]:
        """Other members of p's household, aged 20-55 (no one the missed-elderly rule can concern)."""
        hh = (p.household, p.address, p.poverty)
        return [self.person(age=self.rng.randint(20, 55), hh=hh) for _ in range(n)]

    # -- lines -------------------------------------------------------------------------------------
    def line(self, p: Person, cat: str, *, level: str | None = None, start: int, coef: float | None = None,
             dates: tuple[dt.date, dt.date] | None = None, pay: bool = True, **kw: Any) -> Line:  # fmt: skip
        rng = self.rng
        if coef is None:
            last = min(P_END, (kw.get("end_m") or P_END + 1) - 1)
            age_of = kw["cared_for"] if cat == "C4" else p
            coef = coefficient(cat, level, age_in(last, age_of.birth))
        if dates is None:
            y, mo = ym(start)
            app = dt.date(y, mo, 1) - dt.timedelta(days=rng.randint(8, 20))
            dates = (app, app + dt.timedelta(days=rng.randint(3, 7)))  # < 10 working days, always on time
        self._n["rid"] += 1
        self._n["dec"] += 1
        base = social_pension(P_END) if cat == "HTXH" else standard(P_END)
        ln = Line(rid=f"{self.prefix}-{self._n['rid']:04d}", person=p, cat=cat, level=level, coef=coef,
                  amount=round(base * coef), start_m=start, app_date=dates[0], dec_date=dates[1],
                  dec_no=f"{self._n['dec']:03d}/QĐ-UBND", **kw)  # fmt: skip
        if ln.end_m is not None and ln.end_m <= P_END:
            ln.amount = ln.due(ln.end_m - 1) if ln.end_m - 1 >= P_START else ln.amount
        if pay:
            self.pay_all(ln)
        self.lines.append(ln)
        return ln

    def pay_all(self, ln: Line, *, skip: set[int] | None = None, upto: int = P_END) -> None:
        for m in PERIOD:
            if m <= upto and ln.active(m) and m not in (skip or set()):
                ln.pays.append(Pay(m, ln.due(m)))

    def cert(self, p: Person, level: str, issue: dt.date) -> Cert:
        c = Cert(p, level, issue, self.rng.choice(DISABILITY_TYPES))
        self.certs.append(c)
        return c

    def k6(self, p: Person, level: str, **kw: Any) -> Line:
        """A certificate, then a K6 line from the certificate's month."""
        issue = dt.date(2016, 3, 1) + dt.timedelta(days=self.rng.randrange(2900))  # 2016 .. early 2024
        issue = max(issue, p.birth + dt.timedelta(days=800))
        self.cert(p, LEVEL_WORD[level], issue)
        app = issue + dt.timedelta(days=self.rng.randint(2, 10))
        return self.line(p, "K6", level=level, start=gs.month_of(issue),
                         dates=(app, app + dt.timedelta(days=self.rng.randint(3, 7))), **kw)  # fmt: skip

    def pension(self, p: Person, benefit: str = "lương hưu", amount: int | None = None) -> Pension:
        pe = Pension(p, benefit, self.rng.randint(month_num(2000, 1), month_num(2015, 12)),
                     amount if amount is not None else self.rng.randrange(2_500_000, 7_000_000, 50_000))  # fmt: skip
        self.pensions.append(pe)
        return pe

    def death(self, p: Person, when: dt.date) -> Death:
        d = Death(p, when, when + dt.timedelta(days=self.rng.randint(2, 15)))
        self.deaths.append(d)
        return d

    def expect(self, check: str, person: Person | None, amount: int, refs: list[Any], note: str,
               feature: str) -> None:  # fmt: skip
        self.expected.append(Expected(check, person, amount, refs, note, feature))

    def start_after(self, lo: int, hi: int = month_num(2024, 12)) -> int:
        return self.rng.randint(lo, max(lo, hi))


def birthday_month(birth: dt.date, age: int) -> int:
    return month_num(birth.year + age, birth.month)


def born_turning(age: int, m: int, rng: random.Random) -> dt.date:
    """A birth date whose ``age``-th birthday falls in month m."""
    y, mo = ym(m)
    return dt.date(y - age, mo, rng.randint(2, 27))


# ==================================================================================================
# Clean population (the background every ward has)
# ==================================================================================================
def clean_background(w: Ward, *, k6_severe: int, k6_elder: int, k6_dbn: int, k1: int, k5a: int, htxh: int,
                     converted: int, pensioners: int, elders_70_74: int) -> None:  # fmt: skip
    rng = w.rng
    for _ in range(k6_severe):  # adults 25-55: coefficient 1.5 all period
        p = w.person(age=rng.randint(25, 55))
        w.family(p, rng.randint(0, 2))
        w.k6(p, "nặng")
    for _ in range(k6_elder):  # 64-86: coefficient 2.0 all period
        p = w.person(age=rng.randint(64, 86))
        w.family(p, 1)
        w.k6(p, "nặng")
    for _ in range(k6_dbn):  # especially severe adult + a family carer on C2 (no MISSED_CARE)
        p = w.person(age=rng.randint(22, 50))
        carer = w.family(p, 1)[0]
        k = w.k6(p, "ĐBN")
        w.line(carer, "C2", start=k.start_m, cared_for=p)
    for _ in range(k1):  # orphans aged 6-13 at as_of: 1.5 all period; an adult relative in the household
        p = w.person(age=rng.randint(6, 13))
        w.family(p, 1)
        w.line(
            p, "K1", start=w.start_after(max(month_num(2019, 1), gs.month_of(p.birth) + 50)), studying=None
        )
    for _ in range(k5a):  # lonely elders 62-69 of poor households
        p = w.person(age=rng.randint(62, 69), poverty="nghèo")
        w.line(p, "K5a", start=w.start_after(max(month_num(2019, 1), birthday_month(p.birth, 60))))
    for _ in range(htxh):  # social pension from 2025-07, aged 77-90, no pension
        p = w.person(age=rng.randint(77, 90))
        w.family(p, 1)
        w.line(p, "HTXH", start=HTXH_FROM)
    for _ in range(converted):  # K5c until 06/2025, then HTXH from 07/2025: the conversion done right
        convert_k5c(w, w.person(age=rng.randint(83, 94)))
    for _ in range(pensioners):  # 75+ residents with a pension and no line: not missed
        w.pension(w.person(age=rng.randint(75, 92)))
    for _ in range(elders_70_74):  # 70-74, not poor, no pension, no line: not entitled, not missed
        w.person(age=rng.randint(70, 74))


def convert_k5c(w: Ward, p: Person, switch: int = HTXH_FROM) -> tuple[Line, Line]:
    k5c = w.line(p, "K5c", start=w.start_after(max(month_num(2017, 1), birthday_month(p.birth, 80))),
                 end_m=switch, status="thôi hưởng", end_reason="chuyển sang trợ cấp hưu trí xã hội")  # fmt: skip
    htxh = w.line(p, "HTXH", start=switch)
    return k5c, htxh


# ==================================================================================================
# Plants. Each one writes its records AND its expected finding (amount by explicit arithmetic).
# ==================================================================================================
F_SPLIT = "law-checks: catch-up/recovered money split by month (data-contract §1a)"
F_RATES = "law-rates: rates.yml levels (data-contract §1b)"
F_HTXH = "law-checks: HTXH part of INELIGIBLE"
F_ENDED = "law-checks: CATEGORY_ENDED"
F_CARE = "law-checks: CARED_FOR_GONE"
F_EMPTY = "law-rates: empty means unknown (studying)"
F_NONE = "existing check"


def plant_k5c_still_paid(w: Ward) -> None:
    """K5c line never converted, paid at the standard level x 1.0 through 06/2026."""
    p = w.person(age=w.rng.randint(84, 90))
    ln = w.line(
        p, "K5c", start=w.start_after(max(month_num(2017, 1), birthday_month(p.birth, 80))), planted=True
    )
    months = [m for m in PERIOD if m >= HTXH_FROM]
    # paid standard(m) x 1.0; HTXH would pay social_pension(m): 500,000 - 500,000 = 0 in 07-12/2025,
    # 600,000 - 550,000 = 50,000 in each month of 01-06/2026.
    amount = sum(ln.received()[m] - social_pension(m) for m in months)
    assert amount == 6 * (PROVINCE_STANDARD - PROVINCE_SOCIAL_PENSION)
    w.expect(
        "CATEGORY_ENDED",
        p,
        amount,
        [ln],
        f"K5c line still active and paid {mspan(months)}; HTXH would have paid "
        f"{vnd(PROVINCE_SOCIAL_PENSION)} instead of {vnd(PROVINCE_STANDARD)} in 2026.",
        F_ENDED + "; " + F_RATES,
    )


def plant_k5c_new_after_end(w: Ward) -> None:
    """A new line labelled with the old `NCT 80+` from 09/2025: read as K5c, an ended category."""
    p = w.person(age=w.rng.randint(81, 86))
    start = month_num(2025, 9)
    ln = w.line(p, "K5c", start=start, label="NCT 80+", planted=True)
    months = [m for m in PERIOD if m >= start]
    # 4 x (500,000 - 500,000) + 6 x (600,000 - 550,000)
    amount = sum(ln.received()[m] - social_pension(m) for m in months)
    assert amount == 6 * (PROVINCE_STANDARD - PROVINCE_SOCIAL_PENSION)
    w.expect(
        "CATEGORY_ENDED",
        p,
        amount,
        [ln],
        f"New line from {mstr(start)} under the old label 'NCT 80+' (K5c, a category ended in 07/2025): "
        "should be HTXH.",
        F_ENDED + "; " + F_RATES,
    )


def plant_k5c_converted_late(w: Ward) -> None:
    """K5c paid 07-12/2025, converted to HTXH only from 01/2026: ended category, no money at stake."""
    p = w.person(age=w.rng.randint(84, 90))
    k5c, _ = convert_k5c(w, p, switch=PROVINCE_FROM)
    k5c.planted = True
    months = [m for m in PERIOD if HTXH_FROM <= m < PROVINCE_FROM]
    amount = sum(k5c.received()[m] - social_pension(m) for m in months)
    assert amount == 0
    w.expect("CATEGORY_ENDED", p, amount, [k5c],
             f"K5c line paid for {mspan(months)}, converted to HTXH only from {mstr(PROVINCE_FROM)} "
             "(same level: 0 VND).", F_ENDED)  # fmt: skip


def plant_htxh_ineligible(w: Ward, kind: str) -> None:
    rng = w.rng
    start = HTXH_FROM if kind != "pension" else month_num(2025, 9)
    if kind == "age72_not_poor":
        p = w.person(age=72, poverty="không")
        why = "HTXH line for a person aged 72 whose household is neither poor nor near-poor."
    elif kind == "age68":
        p = w.person(age=68, poverty="nghèo")
        why = "HTXH line for a person aged 68 (under 70), poor household."
    else:
        p = w.person(age=rng.randint(78, 85))
        pe = w.pension(p, "lương hưu", 3_200_000)
        why = f"HTXH line for a person who receives a retirement pension of {vnd(pe.amount)} VND (above the level)."
    ln = w.line(p, "HTXH", start=start, planted=True)
    # never entitled in the period: every payment received is overpaid
    amount = sum(ln.received().values())
    w.expect("INELIGIBLE", p, amount, [ln], why, F_HTXH)


def plant_htxh_pension_below(w: Ward) -> None:
    """A monthly BHXH benefit below the social-pension level does not disqualify: no finding."""
    p = w.person(age=w.rng.randint(78, 86))
    w.pension(p, "trợ cấp BHXH", 300_000)
    w.line(p, "HTXH", start=HTXH_FROM)


def plant_missed_elderly(w: Ward, kind: str) -> None:
    if kind == "75+":
        p = w.person(age=w.rng.randint(76, 84))
        note = (
            f"Resident aged {age_in(P_END, p.birth)}, no pension, on no list (social pension from 07/2025)."
        )
    else:
        p = w.person(age=71, poverty="nghèo")
        note = "Resident aged 71 in a poor household, no pension, on no list (social pension from 07/2025)."
    w.expect("MISSED_ELDERLY", p, 0, [p], note, F_NONE)


def plant_duplicate_k6_htxh(w: Ward) -> None:
    """K6 (coefficient 2.0) and HTXH both paid 07-12/2025; HTXH ended from 01/2026 (the lower line loses)."""
    p = w.person(age=w.rng.randint(77, 84))
    k6 = w.k6(p, "nặng")
    ht = w.line(p, "HTXH", start=HTXH_FROM, end_m=PROVINCE_FROM, status="thôi hưởng",
                end_reason="không đủ điều kiện", planted=True)  # fmt: skip
    months = [m for m in PERIOD if k6.active(m) and ht.active(m)]
    amount = sum(ht.received()[m] for m in months)
    assert amount == 6 * NATIONAL_SOCIAL_PENSION
    w.expect("DUPLICATE_ID", p, amount, [k6, ht],
             f"Same ID on a K6 line and an HTXH line in {mspan(months)} (only the higher K6 allowance is payable).",
             F_NONE)  # fmt: skip


def plant_arrears_correct(w: Ward) -> None:
    """Turned 75 in 07/2025, decided in 09/2025, paid 07-09/2025 as one lump in the 10/2025 list."""
    b = born_turning(75, HTXH_FROM, w.rng)
    p = w.person(birth=b)
    ln = w.line(p, "HTXH", start=HTXH_FROM, dates=(dt.date(2025, 9, 8), dt.date(2025, 9, 15)), pay=False,
                planted=True)  # fmt: skip
    oct_ = month_num(2025, 10)
    ln.pays.append(Pay(oct_, 3 * NATIONAL_SOCIAL_PENSION, cover=(HTXH_FROM, month_num(2025, 9))))
    w.pay_all(ln, skip=set(range(HTXH_FROM, oct_)))
    assert all(ln.received()[m] == ln.due(m) for m in PERIOD if ln.active(m))  # a late but correct payment


def plant_arrears_twice(w: Ward) -> None:
    """K1 child: 08/2025 not paid, 09/2025 paid; a lump for 08-09/2025 in the 10/2025 list pays 09 twice."""
    p = w.person(age=w.rng.randint(7, 12))
    w.family(p, 1)
    ln = w.line(p, "K1", start=w.start_after(month_num(2020, 1)), pay=False, planted=True)
    aug, sep = month_num(2025, 8), month_num(2025, 9)
    w.pay_all(ln, skip={aug})
    ln.pays.append(Pay(month_num(2025, 10), 2 * ln.due(aug), cover=(aug, sep)))
    got = ln.received()
    amount = sum(got[m] - ln.due(m) for m in PERIOD)
    assert amount == ln.due(sep) and got[aug] == ln.due(aug)
    w.expect("WRONG_AMOUNT", p, amount, [ln],
             f"Catch-up lump for {mspan([aug, sep])} paid in {mstr(month_num(2025, 10))} although "
             f"{mstr(sep)} had already been paid: {mstr(sep)} paid twice.", F_SPLIT)  # fmt: skip


def plant_recovered(w: Ward) -> None:
    """K6: 03/2025 paid twice in one row, the excess recovered (Truy thu) in the 05/2025 list: no finding."""
    p = w.person(age=w.rng.randint(30, 50))
    ln = w.k6(p, "nặng", pay=False, planted=True)
    mar, may = month_num(2025, 3), month_num(2025, 5)
    for m in PERIOD:
        if m == mar:
            ln.pays.append(Pay(m, 2 * ln.due(m)))
        elif m == may:
            ln.pays.append(Pay(m, ln.due(m), recovered=ln.due(mar), recovered_for=mar))
        else:
            ln.pays.append(Pay(m, ln.due(m)))
    assert all(ln.received()[m] == ln.due(m) for m in PERIOD)


def plant_care_after_death(w: Ward) -> None:
    """K6 especially severe person died 15/11/2025; K6 line and the family's C2 line still paid."""
    p = w.person(age=w.rng.randint(25, 45))
    carer = w.family(p, 1)[0]
    k6 = w.k6(p, "ĐBN", planted=True)
    c2 = w.line(carer, "C2", start=k6.start_m, cared_for=p, planted=True)
    died = dt.date(2025, 11, 15)
    w.death(p, died)
    after = [m for m in PERIOD if m > gs.month_of(died)]
    k6_amount = sum(k6.received()[m] for m in after)
    c2_amount = sum(c2.received()[m] for m in after)
    assert k6_amount == 2 * (NATIONAL_STANDARD + 6 * PROVINCE_STANDARD)  # 1,000,000 + 6 x 1,200,000
    assert c2_amount == NATIONAL_STANDARD + 6 * PROVINCE_STANDARD  # 500,000 + 6 x 600,000
    w.expect(
        "DECEASED_ACTIVE",
        p,
        k6_amount,
        [k6],
        f"Died {fmt_date(died)}; K6 line still active and paid.",
        F_NONE + "; " + F_RATES,
    )
    w.expect("CARED_FOR_GONE", carer, c2_amount, [c2],
             f"C2 care line paid after the person cared for ({p.name}) died on {fmt_date(died)}.",
             F_CARE + "; " + F_RATES)  # fmt: skip


def plant_c4_after_16(w: Ward) -> None:
    """K1 child turned 16 in 09/2025 (line ended from 10/2025); the foster carer's C4 line paid on."""
    turned = month_num(2025, 9)
    child = w.person(birth=born_turning(16, turned, w.rng))
    carer = w.family(child, 1)[0]
    k1 = w.line(child, "K1", start=w.start_after(month_num(2019, 1), month_num(2022, 12)), end_m=turned + 1,
                status="thôi hưởng", end_reason="hết tuổi", studying=False, coef=1.5)  # fmt: skip
    c4 = w.line(carer, "C4", start=k1.start_m, cared_for=child, coef=1.5, planted=True)
    after = [m for m in PERIOD if m > turned]
    amount = sum(c4.received()[m] for m in after)
    assert amount == round(1.5 * (3 * NATIONAL_STANDARD + 6 * PROVINCE_STANDARD))  # 3 x 750,000 + 6 x 900,000
    w.expect(
        "CARED_FOR_GONE",
        carer,
        amount,
        [c4],
        f"C4 care line for {child.name}, who turned 16 in {mstr(turned)}, still paid.",
        F_CARE + "; " + F_RATES,
    )


def plant_age_out_empty_studying(w: Ward, turned: int = month_num(2025, 12)) -> None:
    """K1 child turned 16 in ``turned``, `studying` cell EMPTY (unknown, not yes): still paid."""
    child = w.person(birth=born_turning(16, turned, w.rng))
    w.family(child, 1)
    ln = w.line(child, "K1", start=w.start_after(month_num(2019, 1), month_num(2022, 12)), studying=None,
                coef=1.5, planted=True)  # fmt: skip
    amount = sum(ln.received()[m] for m in PERIOD if m > turned)  # DX: 6 x 900,000; BK: 4 x 900,000
    w.expect("AGE_OUT", child, amount, [ln],
             f"K1 child turned 16 in {mstr(turned)}, studying cell empty (unknown), still paid.",
             (F_EMPTY if w.shape == "csv" else F_NONE + " (an empty xlsx cell already reads as unknown)")
             + "; " + F_RATES)  # fmt: skip


def plant_deceased_htxh(w: Ward) -> None:
    p = w.person(age=w.rng.randint(80, 90))
    ln = w.line(p, "HTXH", start=HTXH_FROM, planted=True)
    died = dt.date(2026, 2, 10)
    w.death(p, died)
    amount = sum(ln.received()[m] for m in PERIOD if m > gs.month_of(died))  # 4 x 550,000
    w.expect(
        "DECEASED_ACTIVE",
        p,
        amount,
        [ln],
        f"Died {fmt_date(died)}; HTXH line still active and paid.",
        F_NONE + "; " + F_RATES,
    )


def plant_clean_death(w: Ward) -> None:
    """HTXH elder died 12/08/2025, line ended from 09/2025, nothing paid after: no finding."""
    p = w.person(age=w.rng.randint(80, 90))
    w.line(p, "HTXH", start=HTXH_FROM, end_m=month_num(2025, 9), status="thôi hưởng", end_reason="chết")
    w.death(p, dt.date(2025, 8, 12))


def plant_moved(w: Ward) -> None:
    p = w.person(age=w.rng.randint(30, 50))
    ln = w.k6(p, "nặng", planted=True)
    moved = dt.date(2025, 9, 20)
    p.residence, p.moved_out = "đã chuyển đi", moved
    amount = sum(ln.received()[m] for m in PERIOD if m > gs.month_of(moved))  # 3 x 750,000 + 6 x 900,000
    w.expect(
        "MOVED_ACTIVE",
        p,
        amount,
        [ln],
        f"Moved out {fmt_date(moved)}; K6 line still active and paid.",
        F_NONE + "; " + F_RATES,
    )


def plant_unpaid(w: Ward, cat: str, gap: list[int]) -> None:
    if cat == "K6":
        p = w.person(age=w.rng.randint(30, 50))
        ln = w.k6(p, "nặng", pay=False, planted=True)
    else:
        p = w.person(age=w.rng.randint(78, 88))
        ln = w.line(p, "HTXH", start=HTXH_FROM, pay=False, planted=True)
    w.pay_all(ln, skip=set(gap))
    amount = -sum(ln.due(m) for m in gap)
    w.expect(
        "UNPAID_MONTHS",
        p,
        amount,
        [ln],
        f"No payment for {len(gap)} consecutive months {mspan(gap)}.",
        F_NONE + ("; " + F_RATES if gap[0] >= PROVINCE_FROM else ""),
    )


def plant_level_not_applied(w: Ward, cat: str, months: list[int]) -> None:
    """The 2026 provincial level not applied: paid at the national level in the given 2026 months."""
    if cat == "K6":
        p = w.person(age=w.rng.randint(66, 74))
        ln = w.k6(p, "nặng", pay=False, planted=True)
        ln.amount = round(NATIONAL_STANDARD * ln.coef)  # roster not updated either
        national = NATIONAL_STANDARD
    else:
        p = w.person(age=w.rng.randint(78, 88))
        ln = w.line(p, "HTXH", start=HTXH_FROM, pay=False, planted=True)
        national = NATIONAL_SOCIAL_PENSION
    for m in PERIOD:
        if ln.active(m):
            ln.pays.append(Pay(m, round(national * ln.coef) if m in months else ln.due(m)))
    amount = sum(ln.received()[m] - ln.due(m) for m in PERIOD if ln.active(m))
    w.expect("WRONG_AMOUNT", p, amount, [ln],
             f"Paid {vnd(round(national * ln.coef))} instead of {vnd(ln.due(months[0]))} for {mspan(months)} "
             "(the province's 2026 level not applied).", F_RATES)  # fmt: skip


def plant_cross_ward(bk: Ward, dx: Ward) -> None:
    """An elder on the social pension in both merged-into wards under one ID (BK from 07/2025, DX from 10/2025).

    She lives in Bắc Kạn (permanent) and is registered as a temporary resident in Đức Xuân, so each ward's
    own audit sees a living resident with a line: only the batch sees the double payment.
    """
    p = bk.person(age=bk.rng.randint(80, 88))
    twin = Person(name=p.name, birth=p.birth, sex=p.sex, nid=p.nid, household="", address="",
                  residence="tạm trú")  # fmt: skip
    twin.household, twin.address, _ = dx.household()
    dx.people.append(twin)
    a = bk.line(p, "HTXH", start=HTXH_FROM)
    b = dx.line(twin, "HTXH", start=month_num(2025, 10))
    common = [m for m in PERIOD if a.active(m) and b.active(m)]
    # Đức Xuân (the later start) paid what Bắc Kạn already paid: 3 x 500,000 + 6 x 550,000
    amount = sum(b.received()[m] for m in common)
    assert amount == 3 * NATIONAL_SOCIAL_PENSION + 6 * PROVINCE_SOCIAL_PENSION
    bk.cross.append(Expected("CROSS_WARD_DUPLICATE", p, amount, [(bk, a), (dx, b)],
                             f"HTXH in {bk.name} from {mstr(a.start_m)} and in {dx.name} from {mstr(b.start_m)} "
                             f"under the same ID ({len(common)} common months).", F_NONE + "; " + F_RATES))  # fmt: skip


# ==================================================================================================
# Wards
# ==================================================================================================
def build_bac_kan(rng: random.Random, names: set[str], ids: set[str]) -> Ward:
    w = Ward("01843", "phường Bắc Kạn", "bac-kan", "BK", "xlsx", rng, names, ids)
    clean_background(w, k6_severe=7, k6_elder=3, k6_dbn=2, k1=3, k5a=2, htxh=5, converted=3, pensioners=3,
                     elders_70_74=2)  # fmt: skip
    p = w.person(age=73, poverty="cận nghèo")  # 70-74 in a near-poor household: entitled
    w.line(p, "HTXH", start=HTXH_FROM)
    plant_k5c_still_paid(w)
    plant_k5c_new_after_end(w)
    plant_htxh_ineligible(w, "age72_not_poor")
    plant_htxh_ineligible(w, "pension")
    plant_missed_elderly(w, "75+")
    plant_duplicate_k6_htxh(w)
    plant_arrears_correct(w)
    plant_arrears_twice(w)
    plant_recovered(w)
    plant_care_after_death(w)
    plant_c4_after_16(w)
    plant_age_out_empty_studying(w, month_num(2026, 2))  # the xlsx rendering of the empty cell
    plant_clean_death(w)
    plant_unpaid(w, "K6", [month_num(2025, 4), month_num(2025, 5)])
    plant_level_not_applied(w, "HTXH", [month_num(2026, m) for m in (1, 2, 3)])
    return w


def build_duc_xuan(rng: random.Random, names: set[str], ids: set[str]) -> Ward:
    w = Ward("01840", "phường Đức Xuân", "duc-xuan", "DX", "csv", rng, names, ids)
    clean_background(w, k6_severe=5, k6_elder=2, k6_dbn=1, k1=2, k5a=1, htxh=4, converted=2, pensioners=2,
                     elders_70_74=2)  # fmt: skip
    p = w.person(age=71, poverty="nghèo")  # 70-74 in a poor household: entitled
    w.line(p, "HTXH", start=HTXH_FROM)
    plant_k5c_converted_late(w)
    plant_htxh_ineligible(w, "age68")
    plant_htxh_pension_below(w)
    plant_missed_elderly(w, "71poor")
    plant_age_out_empty_studying(w)
    plant_deceased_htxh(w)
    plant_moved(w)
    plant_unpaid(w, "HTXH", [month_num(2026, m) for m in (3, 4, 5)])
    plant_level_not_applied(w, "K6", [month_num(2026, m) for m in range(1, 7)])
    return w


def check_clean(w: Ward) -> None:
    """Every line not planted: coefficient right in every active month, every active month paid its due."""
    for ln in w.lines:
        if ln.planted:
            continue
        got = ln.received()
        for m in PERIOD:
            if not ln.active(m):
                assert m not in got, (w.code, ln.rid, m)
                continue
            who = ln.cared_for if ln.cat == "C4" else ln.person
            assert who is not None
            if not (ln.cat == "K1" and age_in(m, who.birth) == 16):  # the limit month is payable
                assert coefficient(ln.cat, ln.level, age_in(m, who.birth)) == ln.coef, (w.code, ln.rid, m)
            assert got.get(m) == ln.due(m), (w.code, ln.rid, m, got.get(m))
        if ln.cat in ENDED_CATEGORIES:
            assert ln.end_m is not None and ln.end_m <= HTXH_FROM, (w.code, ln.rid)
        if ln.cat == "HTXH":
            age = age_in(ln.start_m, ln.person.birth)
            assert age >= HTXH_AGE or (age >= HTXH_AGE_POOR and ln.person.poverty in POOR), (w.code, ln.rid)
            assert not any(
                pe.person is ln.person and pe.amount >= NATIONAL_SOCIAL_PENSION for pe in w.pensions
            )
    # nobody 75+ (70+ poor) alive and resident is without a line or a pension, except the planted ones
    missed = {id(e.person) for e in w.expected if e.check == "MISSED_ELDERLY"}
    dead = {id(d.person) for d in w.deaths}
    holders = {id(ln.person) for ln in w.lines if ln.active(P_END) and ln.cat[0] != "C"}
    pensioned = {id(pe.person) for pe in w.pensions}
    for p in w.people:
        age = age_in(P_END, p.birth)
        due_elder = age >= HTXH_AGE or (age >= HTXH_AGE_POOR and p.poverty in POOR)
        unseen = id(p) not in dead and p.moved_out is None and id(p) not in holders | pensioned
        assert (due_elder and unseen) == (id(p) in missed), (w.code, p.name, age)


# ==================================================================================================
# Writing
# ==================================================================================================
CAT_ORDER = ["K1", "K5a", "K5c", "K6", "HTXH", "C2", "C4"]
LABELS = {("K6", "ĐBN"): "Người khuyết tật đặc biệt nặng", ("K6", "nặng"): "Người khuyết tật nặng",
          ("K1", None): "Trẻ em mồ côi", ("K5a", None): "Người cao tuổi thuộc hộ nghèo không có người phụng dưỡng",
          ("K5c", None): "Người cao tuổi từ đủ 80 tuổi", ("HTXH", None): "Trợ cấp hưu trí xã hội",
          ("C2", None): "Hộ gia đình trực tiếp chăm sóc người khuyết tật đặc biệt nặng",
          ("C4", None): "Người nhận chăm sóc, nuôi dưỡng trẻ em mồ côi"}  # fmt: skip
REPORT_DESC = {
    "TOTAL": "Tổng số đối tượng hưởng trợ cấp hằng tháng",
    "K1": "Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng (trẻ mồ côi)",
    "K5a": "Người cao tuổi cô đơn thuộc hộ nghèo",
    "K5c": "Người từ đủ 80 tuổi không có lương hưu, trợ cấp BHXH",
    "K6": "Người khuyết tật nặng, đặc biệt nặng",
    "HTXH": "Người hưởng trợ cấp hưu trí xã hội",
    "C2": "Hộ gia đình có người khuyết tật đặc biệt nặng nhận kinh phí chăm sóc",
    "C4": "Người nhận chăm sóc, nuôi dưỡng trẻ em",
}
HEADERS_BK = {
    **gs.HEADERS["PCK"],
    "payments": {"stt": "STT", "record_id": "Mã hồ sơ", "full_name": "Họ và tên", "national_id": "Số định danh",
                 "month": "Tháng", "amount": "Số tiền", "arrears_from": "Truy lĩnh từ tháng",
                 "arrears_to": "Truy lĩnh đến tháng", "recovered": "Truy thu", "paid_date": "Ngày chi trả",
                 "paid": "Đã nhận", "note": "Ghi chú"},
}  # fmt: skip
HEADERS_DX = {
    t: {k: k for k in cols if k not in ("stt", "description")} for t, cols in gs.HEADERS["PCK"].items()
}
FILE_NAMES = gs.FILE_NAMES["PCK"]
TITLES = {**gs.TITLES, "payments": "DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI HẰNG THÁNG (THÁNG 01/2025 - 06/2026)"}
TITLE_ROWS = {"xlsx": 3, "csv": 0}  # rows above the header: UBND line, title, blank
SEX_WORD = {"M": "Nam", "F": "Nữ"}


def _date(w: Ward, d: dt.date | None) -> Any:
    if d is None:
        return None
    return dt.datetime(d.year, d.month, d.day) if w.shape == "xlsx" else fmt_date(d)


def _month(w: Ward, m: int | None) -> Any:
    if m is None:
        return None
    return mstr(m) if w.shape == "xlsx" else f"{ym(m)[0]}-{ym(m)[1]:02d}"


def _yes_no(v: bool | None) -> str:
    return "" if v is None else ("có" if v else "không")


def active_counts(w: Ward) -> tuple[dict[str, set[str]], set[str]]:
    by_cat: dict[str, set[str]] = defaultdict(set)
    for ln in w.lines:
        if ln.active(P_END):
            by_cat[ln.cat].add(ln.person.nid)
    return by_cat, set().union(*by_cat.values())


def table_records(w: Ward) -> dict[str, list[dict[str, Any]]]:
    first = TITLE_ROWS[w.shape] + 2
    lines = sorted(
        w.lines, key=lambda ln: (CAT_ORDER.index(ln.cat), ln.person.address, name_key(ln.person.name))
    )
    out: dict[str, list[dict[str, Any]]] = {"beneficiaries": []}
    for i, ln in enumerate(lines):
        ln.row, p = first + i, ln.person
        out["beneficiaries"].append({
            "record_id": ln.rid, "full_name": p.name, "birth_date": _date(w, p.birth), "sex": SEX_WORD[p.sex],
            "national_id": p.nid, "address": p.address, "household_id": p.household,
            "category": ln.label or (ln.cat if w.shape == "csv" else LABELS[(ln.cat, ln.level if ln.cat == "K6" else None)]),
            "disability_level": LEVEL_WORD.get(ln.level or ""), "coefficient": ln.coef, "monthly_amount": ln.amount,
            "decision_no": ln.dec_no, "decision_date": _date(w, ln.dec_date),
            "application_date": _date(w, ln.app_date), "start_month": _month(w, ln.start_m), "status": ln.status,
            "end_month": _month(w, ln.end_m), "end_reason": ln.end_reason, "studying": _yes_no(ln.studying),
            "cared_for_id": ln.cared_for.nid if ln.cared_for else None, "note": ln.note,
        })  # fmt: skip
    pays: list[tuple[int, int, Line, Pay]] = []
    for j, ln in enumerate(lines):
        for k, pay in enumerate(ln.pays):
            pays.append((pay.month, j * 1000 + k, ln, pay))
    out["payments"] = []
    for i, (m, _, ln, pay) in enumerate(sorted(pays, key=lambda t: (t[0], t[1]))):
        pay.row = first + i
        y, mo = ym(m)
        note = None  # a catch-up row names its months in its own two columns, nowhere else
        if pay.recovered:
            assert pay.recovered_for is not None
            note = f"truy thu T{ym(pay.recovered_for)[1]}/{ym(pay.recovered_for)[0]}"
        out["payments"].append({
            "record_id": ln.rid, "full_name": ln.person.name, "national_id": ln.person.nid, "month": _month(w, m),
            "amount": pay.amount, "arrears_from": _month(w, pay.cover[0]) if pay.cover else None,
            "arrears_to": _month(w, pay.cover[1]) if pay.cover else None, "recovered": pay.recovered or None,
            "paid_date": _date(w, dt.date(y, mo, 10)), "paid": "có" if pay.received else "không", "note": note,
        })  # fmt: skip
    people = sorted(w.people, key=lambda p: (p.address, p.household, name_key(p.name)))
    out["residents"] = []
    for i, p in enumerate(people):
        p.row = first + i
        out["residents"].append({
            "national_id": p.nid, "full_name": p.name, "birth_date": _date(w, p.birth), "sex": SEX_WORD[p.sex],
            "address": p.address, "household_id": p.household, "residence_status": p.residence,
            "moved_out_date": _date(w, p.moved_out), "poverty_status": p.poverty,
        })  # fmt: skip
    out["deaths"] = []
    for i, d in enumerate(sorted(w.deaths, key=lambda d: d.date)):
        d.row = first + i
        out["deaths"].append({
            "national_id": d.person.nid, "full_name": d.person.name, "birth_date": _date(w, d.person.birth),
            "death_date": _date(w, d.date), "registration_date": _date(w, d.reg),
        })  # fmt: skip
    out["disability_certificates"] = []
    for i, c in enumerate(sorted(w.certs, key=lambda c: (c.issue, name_key(c.person.name)))):
        c.row = first + i
        out["disability_certificates"].append({
            "national_id": c.person.nid, "full_name": c.person.name, "birth_date": _date(w, c.person.birth),
            "disability_level": c.level, "issue_date": _date(w, c.issue), "disability_type": c.kind,
        })  # fmt: skip
    out["pensions"] = []
    for i, pe in enumerate(sorted(w.pensions, key=lambda pe: (pe.start_m, name_key(pe.person.name)))):
        pe.row = first + i
        out["pensions"].append({
            "national_id": pe.person.nid, "full_name": pe.person.name, "benefit": pe.benefit,
            "start_month": _month(w, pe.start_m), "monthly_amount": pe.amount,
        })  # fmt: skip
    by_cat, total = active_counts(w)
    out["report"] = []
    for i, cat in enumerate(["TOTAL"] + [c for c in CAT_ORDER if by_cat.get(c)]):
        w.report_rows[cat] = first + i
        out["report"].append({
            "category": "Tổng số" if cat == "TOTAL" else cat, "description": REPORT_DESC[cat],
            "reported_count": len(total) if cat == "TOTAL" else len(by_cat[cat]), "as_of": _date(w, AS_OF),
        })  # fmt: skip
    # the report adds up: each person holds one non-care line at as_of, carers are other people
    assert sum(len(v) for v in by_cat.values()) == len(total)
    return out


def ward_yaml(w: Ward) -> str:
    return (
        f'ward_code: "{w.code}"\n'
        f'ward_name: "{w.name[0].upper() + w.name[1:]}"\n'
        'province_code: "19"\n'
        'province_name: "Thái Nguyên"\n'
    )


RATES_YML = f"""\
# Levels in force in tỉnh Thái Nguyên for this SYNTHETIC sample batch (data-contract §1b).
# The 2026 provincial levels are an invented example for the sample data, NOT a real resolution:
# do not cite them. Months before 01/2026 use the national levels.
standard_level:          # mức chuẩn trợ giúp xã hội (NĐ 20/2021 Điều 4 khoản 3)
  - {{valid_from: 2026-01-01, amount: {PROVINCE_STANDARD}, legal_basis: "{SYNTHETIC_BASIS}"}}
social_pension:          # mức trợ cấp hưu trí xã hội
  - {{valid_from: 2025-07-01, valid_to: 2026-01-01, amount: {NATIONAL_SOCIAL_PENSION}, legal_basis: "NĐ 176/2025/NĐ-CP"}}
  - {{valid_from: 2026-01-01, amount: {PROVINCE_SOCIAL_PENSION}, legal_basis: "{SYNTHETIC_BASIS}"}}
"""


def write_ward(w: Ward, tables: dict[str, list[dict[str, Any]]], sample: Path) -> None:
    folder = sample / w.slug
    folder.mkdir(parents=True)
    (folder / "ward.yml").write_text(ward_yaml(w), encoding="utf-8")
    if w.shape == "csv":
        for table, recs in tables.items():
            cols = list(HEADERS_DX[table])
            with (folder / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
                wr = csv.writer(fh, lineterminator="\n")
                wr.writerow(cols)
                for r in recs:
                    wr.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
        return
    for table, recs in tables.items():
        headers = HEADERS_BK[table]
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = gs.SHEET_NAMES[table]
        ws.cell(row=1, column=1, value=f"UBND {w.name.upper()}").font = Font(bold=True)
        ws.cell(row=2, column=1, value=TITLES[table]).font = Font(bold=True)
        hr = TITLE_ROWS["xlsx"] + 1
        for j, h in enumerate(headers.values(), 1):
            ws.cell(row=hr, column=j, value=h).font = Font(bold=True)
        for i, r in enumerate(recs):
            for j, c in enumerate(headers, 1):
                v = i + 1 if c == "stt" else r.get(c)
                if v is None or v == "":
                    continue
                cell = ws.cell(row=hr + 1 + i, column=j, value=v)
                if isinstance(v, dt.datetime):
                    cell.number_format = "dd/mm/yyyy"
                elif isinstance(v, int) and c in ("amount", "monthly_amount", "recovered"):
                    cell.number_format = "#,##0"
        gs._save_workbook(wb, folder / f"{FILE_NAMES[table]}.xlsx")


EXPECTED_COLUMNS = gs.EXPECTED_COLUMNS
CHECK_ORDER = ["CROSS_WARD_DUPLICATE", "DUPLICATE_ID", "MISSED_ELDERLY", "DECEASED_ACTIVE", "MOVED_ACTIVE", "AGE_OUT", "CARED_FOR_GONE",
               "CATEGORY_ENDED", "INELIGIBLE", "WRONG_AMOUNT", "UNPAID_MONTHS"]  # fmt: skip


def ref(x: Any) -> str:
    if isinstance(x, tuple):
        return f"{x[0].code}/beneficiaries:{x[1].row}"
    if isinstance(x, Line):
        return f"beneficiaries:{x.row}"
    if isinstance(x, Person):
        return f"residents:{x.row}"
    return str(x)


def write_expected(expected: list[Expected], path: Path) -> None:
    keys = [(e.check, e.person.nid if e.person else "") for e in expected]
    assert len(keys) == len(set(keys)), "one finding per person per check"
    rows = sorted(expected, key=lambda e: (CHECK_ORDER.index(e.check), min(ref(r) for r in e.refs)))
    with path.open("w", encoding="utf-8", newline="") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(EXPECTED_COLUMNS)
        for e in rows:
            p = e.person
            wr.writerow([e.check, p.nid if p else "", p.name if p else "", e.amount,
                         ";".join(ref(r) for r in e.refs), e.note])  # fmt: skip


def build_all(seed: int = 20260630) -> list[Ward]:
    rng = random.Random(seed)
    names: set[str] = set()
    ids: set[str] = set()
    wards = [build_bac_kan(rng, names, ids), build_duc_xuan(rng, names, ids)]
    plant_cross_ward(*wards)
    for w in wards:
        check_clean(w)
    return wards


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                    help="folder for sample-2026/ and expected-2026/")  # fmt: skip
    ap.add_argument("--seed", type=int, default=20260630)
    args = ap.parse_args(argv)
    wards = build_all(args.seed)
    sample, expected = args.out / "sample-2026", args.out / "expected-2026"
    for d in (sample, expected):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    (sample / "rates.yml").write_text(RATES_YML, encoding="utf-8")
    for w in wards:
        write_ward(w, table_records(w), sample)
        write_expected(w.expected, expected / f"{w.code}.csv")
    write_expected([e for w in wards for e in w.cross], expected / "summary.csv")
    print(f"wrote {sample} and {expected}")
    return 0


def features() -> list[tuple[str, str, str, str]]:
    """(ward code, check_id, person, feature) of every expected finding: what each one depends on."""
    return [
        (
            w.code if e.check != "CROSS_WARD_DUPLICATE" else "summary",
            e.check,
            e.person.name if e.person else "",
            e.feature,
        )
        for w in build_all()
        for e in w.expected + w.cross
    ]


if __name__ == "__main__":
    raise SystemExit(main())
