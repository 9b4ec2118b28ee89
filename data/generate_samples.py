"""Generate the synthetic sample wards and their expected findings.

Five wards of the former thành phố Bắc Kạn (tỉnh Bắc Kạn, before the 2025 merger) are written to
``data/sample/`` in five shapes the data contract allows, and the findings the toolkit must report
for them are written to ``data/expected/``:

* ``phung-chi-kien/`` (01843): a folder of XLSX files with Vietnamese file names, title rows,
  Vietnamese headers and an STT column; it reproduces the ward's own report (149 beneficiaries).
* ``song-cau.xlsx`` (01837): one workbook, one sheet per table, title rows, a ``Tổng cộng`` row and a
  ``ward`` sheet.
* ``duc-xuan/`` (01840): CSV files with canonical names and headers, UTF-8 with BOM.
* ``xuat-hoa/`` (01855): XLSX files with Vietnamese headers, IDs stored as numbers (leading zeros
  lost), some NFD-normalised text and year-only birth dates for elders.
* ``nguyen-thi-minh-khai/`` (01834, an invented code): the printed forms of contract §1a, beneficiaries
  in category sections with the birth date under ``Nam`` | ``Nữ``, payments one sheet per month with a
  ``Ký nhận`` signature column. Built last, so the four other wards' files do not change.

Every person is synthetic. The generator is an independent oracle: it builds a model of each ward
(people, benefit lines, payments, registers), plants known problems, and computes the expected
findings from the model with its own plain-Python reading of ``docs/check-semantics.md``. It also
checks that the findings it computes are exactly the ones it declared when planting (a planted
problem with an undeclared side effect stops the generator). It never imports the toolkit's checks
or loader.

Run: ``.venv/bin/python data/generate_samples.py [--out DIR]`` (``DIR`` defaults to ``data/``;
``DIR/sample`` and ``DIR/expected`` are rewritten).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import io
import random
import re
import shutil
import sys
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import holidays
import openpyxl
from openpyxl.styles import Alignment, Font

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from audit_toolkit.months import month_num  # noqa: E402  (month arithmetic only; no checks, no loader)

# ==================================================================================================
# RULES THE ORACLE RELIES ON (all in one place; cite, do not scatter)
# Source: /work/shared/domain/social-assistance-rules.md §1.1, §1.2, §1.4, §5.1; check-semantics.md.
# ==================================================================================================
#: Standard social-assistance level, NĐ 20/2021/NĐ-CP Art. 4.2: 360,000 VND/month from 2021-07-01
#: to 2024-06-30 (the whole sample period). NĐ 76/2024 raises it to 500,000 from 2024-07-01.
STANDARD_LEVEL = 360_000
#: Audit parameters of the sample wards (Makefile `demo`: --as-of 2023-02-28 --from 2022-01).
AS_OF = dt.date(2023, 2, 28)
P_START = month_num(2022, 1)
P_END = month_num(2023, 2)  # month(as_of)
PERIOD = list(range(P_START, P_END + 1))
#: Province code of Bắc Kạn in the 12-digit personal ID (digits 1-3), TT 07/2016/TT-BCA: 006.
BAC_KAN_ID_PREFIX = "006"
#: 3-digit province codes of the ID (rules §5.1), used to judge digits 1-3.
PROVINCE_ID_CODES = {
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020", "022", "024", "025",
    "026", "027", "030", "031", "033", "034", "035", "036", "037", "038", "040", "042", "044", "045", "046", "048",
    "049", "051", "052", "054", "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
    "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
}  # fmt: skip
#: Decision deadline for applications before 2025-07-01 (NĐ 20/2021 Art. 8): 22 working days.
DECISION_DEADLINE_WD = 22
#: Minimum ages by category (NĐ 20/2021 Art. 5): K5a 60, K5b 75, K5c 80.
MIN_AGE = {"K5a": 60, "K5b": 75, "K5c": 80}
#: Age limits (check-semantics AGE_OUT): K1/K3 16 (K1 studying: 22), K2 22, K7 3.
AGE_LIMIT = {"K1": 16, "K3": 16, "K2": 22, "K7": 3}


def expected_coefficient(cat: str, level: str | None, age: int, *, studying: bool = False) -> float | None:
    """Coefficient of NĐ 20/2021 Art. 6.1 (K*) and Art. 20 (C2) for an age in completed years.

    None where the rules give no coefficient (K6 mild, K5c under 80, K1 of 16+ not studying, ...):
    such lines are INELIGIBLE / AGE_OUT, and WRONG_COEFFICIENT is not raised for them.
    """
    if cat == "K1":
        if age < 4:
            return 2.5
        if age < 16:
            return 1.5
        return 1.5 if studying and age < 22 else None
    if cat == "K2":
        return 1.5 if 16 <= age < 22 else None
    if cat == "K4":
        return 1.0  # per child; the samples' single parents raise one child
    if cat == "K5a":
        return None if age < 60 else (1.5 if age < 80 else 2.0)
    if cat == "K5c":
        return 1.0 if age >= 80 else None
    if cat == "K6":
        child_or_elder = age < 16 or age >= 60
        if level == "ĐBN":
            return 2.5 if child_or_elder else 2.0
        if level == "nặng":
            return 2.0 if child_or_elder else 1.5
        return None  # nhẹ: no monthly allowance (Art. 5.6)
    if cat == "C2":
        return 1.0  # household directly caring for a person with especially severe disability
    raise ValueError(cat)


def stackable(a: str, b: str) -> bool:
    """Lines that may be active together (NĐ 20/2021 Art. 6.2): any C* line; K4 with K5*/K6/K8."""
    if a.startswith("C") or b.startswith("C"):
        return True
    pair = {a, b}
    return "K4" in pair and len(pair) == 2 and bool(pair & {"K5a", "K5b", "K5c", "K5d", "K6", "K8"})


# ==================================================================================================
# Small helpers
# ==================================================================================================
_VN_HOLIDAYS = holidays.country_holidays("VN", years=range(2014, 2024), observed=True)


def working_days(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: Monday-Friday minus Vietnamese public holidays."""
    n, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        if d.weekday() < 5 and d not in _VN_HOLIDAYS:
            n += 1
    return n


def add_working_days(start: dt.date, n: int) -> dt.date:
    d = start
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5 and d not in _VN_HOLIDAYS:
            n -= 1
    return d


def ym(m: int) -> tuple[int, int]:
    y, mo = divmod(m, 12)
    return y, mo + 1


def mstr(m: int) -> str:
    y, mo = ym(m)
    return f"{mo:02d}/{y}"


def month_of(d: dt.date) -> int:
    return month_num(d.year, d.month)


def age_in(m: int, birth: dt.date) -> int:
    """Completed years on the last day of month m (a birthday in m counts)."""
    y, mo = ym(m)
    return y - birth.year - (1 if mo < birth.month else 0)


def birthday_month(birth: dt.date, age: int) -> int:
    return month_num(birth.year + age, birth.month)


@functools.cache
def name_key(name: str) -> str:
    s = unicodedata.normalize("NFC", name).casefold().replace("đ", "d")
    s = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
    s = re.sub(r"[^0-9a-z ]+", " ", s)
    return " ".join(s.split())


def lev(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def valid12(nid: str | None) -> bool:
    return bool(nid) and len(nid) == 12 and nid.isdigit()  # type: ignore[arg-type]


def fmt_date(d: dt.date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def money(coef: float) -> int:
    return int(round(STANDARD_LEVEL * coef))


# ==================================================================================================
# Model
# ==================================================================================================
@dataclass(eq=False)
class Person:
    name: str
    birth: dt.date
    sex: str  # "M" / "F"
    nid: str | None
    household: str
    address: str
    year_only: bool = False
    poverty: str | None = None  # "nghèo" / "cận nghèo"
    residence: str = "thường trú"
    moved_out: dt.date | None = None
    in_residents: bool = True
    row: int = 0  # residents row, set when written


@dataclass(eq=False)
class Line:
    rid: str
    person: Person
    cat: str
    name: str
    birth: dt.date
    year_only: bool
    sex: str
    nid: str | None
    household: str
    address: str
    level: str | None = None  # "ĐBN" / "nặng" / "nhẹ"
    coef: float | None = None
    amount: int | None = None
    start_m: int | None = None
    end_m: int | None = None
    status: str = "đang hưởng"
    end_reason: str | None = None
    studying: bool | None = None
    cared_for: str | None = None
    app_date: dt.date | None = None
    dec_date: dt.date | None = None
    dec_no: str | None = None
    note: str | None = None
    pay: dict[int, tuple[int, bool]] = field(default_factory=dict)  # month -> (amount, received)
    raw: dict[str, str] = field(default_factory=dict)  # cell overrides (unreadable values)
    unreadable: bool = False
    row: int = 0

    def active(self, m: int) -> bool:
        if self.status == "thôi hưởng" and self.end_m is None:
            return False
        return (self.start_m is None or self.start_m <= m) and (self.end_m is None or m < self.end_m)

    def suspended(self, m: int) -> bool:
        if self.status != "tạm dừng":
            return False
        return m >= (self.end_m if self.end_m is not None else P_END)

    def received(self) -> dict[int, int]:
        return {m: a for m, (a, ok) in self.pay.items() if ok and P_START <= m <= P_END}

    def person_key(self) -> str:
        return pkey(self.nid, self.name, self.birth, self.year_only)


def pkey(nid: str | None, name: str, birth: dt.date, year_only: bool) -> str:
    if valid12(nid):
        return f"id:{nid}"
    return f"nb:{name_key(name)}|{birth.year if year_only else birth.isoformat()}"


@dataclass(eq=False)
class Death:
    nid: str | None
    name: str
    birth: dt.date
    death: dt.date
    reg: dt.date
    year_only: bool = False
    row: int = 0


@dataclass(eq=False)
class Cert:
    nid: str
    name: str
    birth: dt.date
    level: str
    issue: dt.date
    kind: str
    row: int = 0


@dataclass(eq=False)
class Pension:
    nid: str
    name: str
    benefit: str
    start_m: int
    amount: int
    row: int = 0


@dataclass
class Declared:
    check: str
    ref: Any  # Line, Person or "report:<CAT>"
    note: str


@dataclass
class Finding:
    check: str
    key: str
    nid: str
    name: str
    amount: int = 0
    rows: list[str] = field(default_factory=list)
    note: str = ""


# ==================================================================================================
# Names and IDs (synthetic)
# ==================================================================================================
FAMILY = ["Hoàng", "Nông", "Ma", "Lường", "Triệu", "Hà", "Lý", "Đàm", "Bàn", "Dương", "Lục", "Hứa", "Nguyễn",
          "Trần", "Lê", "Phạm", "Vũ", "Đặng", "Bế", "La", "Hầu", "Mã", "Lâm", "Chu", "Đinh", "Mông", "Tô"]  # fmt: skip
MIDDLE = {"M": ["Văn", "Đức", "Ngọc", "Minh", "Quang", "Hữu", "Xuân", "Công", "Thế", "Đình"],
          "F": ["Thị", "Thu", "Thanh", "Ngọc", "Hồng", "Kim", "Minh", "Bích", "Thúy", "Diệu"]}  # fmt: skip
GIVEN = {"M": ["Tâm", "Dũng", "Hùng", "Sơn", "Hải", "Long", "Thắng", "Cường", "Tuấn", "Nam", "Bình", "Toàn", "Phúc",
               "Khải", "Lâm", "Quý", "Định", "Chiến", "Hưng", "Kiên", "Thành", "Tú", "Vinh", "Đông", "Pả", "Slao",
               "Lịch", "Nghĩa", "Trung", "Hậu", "Khang", "Mạnh"],
         "F": ["Lan", "Hoa", "Mai", "Hương", "Nhung", "Thảo", "Hạnh", "Liên", "Nga", "Thủy", "Yến", "Duyên", "Phượng",
               "Hằng", "Loan", "Vân", "Ngân", "Huyền", "Chi", "Hiền", "Dung", "Tuyết", "Lụa", "Chuyên", "Nhàn",
               "Quyên", "Thêm", "Sáu", "Ngần", "Khuyên"]}  # fmt: skip


class Registry:
    """Global uniqueness of IDs and name keys across the four wards (no accidental duplicates)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self.names: set[str] = set()

    def new_id(self, sex: str, year: int, prefix: str = BAC_KAN_ID_PREFIX) -> str:
        d4 = (0 if sex == "M" else 1) + (2 if year >= 2000 else 0)
        while True:
            nid = f"{prefix}{d4}{year % 100:02d}{self.rng.randrange(10**6):06d}"
            if nid not in self.ids:
                self.ids.add(nid)
                return nid

    def new_name(self, sex: str) -> str:
        while True:
            n = f"{self.rng.choice(FAMILY)} {self.rng.choice(MIDDLE[sex])} {self.rng.choice(GIVEN[sex])}"
            k = name_key(n)
            if k not in self.names:
                self.names.add(k)
                return n

    def reserve_name(self, name: str) -> str:
        k = name_key(name)
        if k in self.names:
            raise ValueError(f"name already used: {name}")
        self.names.add(k)
        return name


# ==================================================================================================
# Ward builder
# ==================================================================================================
LEVEL_WORD = {"ĐBN": "đặc biệt nặng", "nặng": "nặng", "nhẹ": "nhẹ"}
DISABILITY_TYPES = ["Vận động", "Nghe, nói", "Nhìn", "Thần kinh, tâm thần", "Trí tuệ", "Khác"]


class Ward:
    def __init__(
        self, code: str, name: str, slug: str, prefix: str, reg: Registry, rng: random.Random
    ) -> None:
        self.code, self.name, self.slug, self.prefix = code, name, slug, prefix
        self.reg, self.rng = reg, rng
        self.people: list[Person] = []
        self.lines: list[Line] = []
        self.deaths: list[Death] = []
        self.certs: list[Cert] = []
        self.pensions: list[Pension] = []
        self.report: list[tuple[str, str, int]] = []  # (category code or "TOTAL", description, count)
        self.report_rows: dict[str, int] = {}
        self.declared: list[Declared] = []
        self.unreadable_notes: list[tuple[Line, str, str]] = []  # (line, column, note)
        self._n_rec = 0
        self._n_hh = 0
        self._n_dec = 0

    # -- people ------------------------------------------------------------------------------------
    def household(self) -> tuple[str, str]:
        self._n_hh += 1
        to = self.rng.randint(1, 12)
        return f"{self.prefix}-H{self._n_hh:04d}", f"Tổ {to}, {self.name}"

    def person(
        self,
        *,
        age: tuple[int, int] | None = None,
        birth: dt.date | None = None,
        sex: str | None = None,
        name: str | None = None,
        ok: Callable[[dt.date], bool] | None = None,
        hh: tuple[str, str] | None = None,
        **kw: Any,
    ) -> Person:
        rng = self.rng
        sex = sex or rng.choice("MF")
        if birth is None:
            assert age is not None
            while True:
                a = rng.randint(age[0], age[1])
                b = dt.date(AS_OF.year - a, 1, 1) + dt.timedelta(days=rng.randrange(365))
                if b.month == 2 and b.day == 29:
                    continue
                if age_in(P_END, b) == a and (ok is None or ok(b)):
                    birth = b
                    break
        name = self.reg.reserve_name(name) if name else self.reg.new_name(sex)
        nid = kw.pop("nid", None) or self.reg.new_id(sex, birth.year)
        hh = hh or self.household()
        p = Person(name=name, birth=birth, sex=sex, nid=nid, household=hh[0], address=hh[1], **kw)
        self.people.append(p)
        return p

    # -- lines ---------------------------------------------------------------------------------------
    def rid(self) -> str:
        self._n_rec += 1
        return f"{self.prefix}-{self._n_rec:04d}"

    def decision(self, apply: dt.date, wd: int | None = None) -> tuple[dt.date, dt.date, str]:
        wd = wd if wd is not None else self.rng.randint(5, 15)
        dec = add_working_days(apply, wd)
        self._n_dec += 1
        return apply, dec, f"{self._n_dec:03d}/QĐ-UBND"

    def line(self, p: Person, cat: str, *, level: str | None = None, start: int | None = None, pay: bool = True,
             coef: float | None = None, late: bool = False, cert_issue: dt.date | None = None,
             **kw: Any) -> Line:  # fmt: skip
        """A clean line: right coefficient, roster amount, decision on time, paid every active month."""
        rng = self.rng
        studying = kw.get("studying")
        if coef is None:
            coef = expected_coefficient(cat, level, age_in(P_END, p.birth), studying=bool(studying))
            assert coef is not None, (cat, level, p)
        if start is None:
            start = self._default_start(p, cat, cert_issue)
        # the application precedes the decision; the decision falls in the start month or just before
        if cat == "K6" and cert_issue is not None:
            apply = cert_issue + dt.timedelta(days=rng.randint(3, 12))
        else:
            y, mo = ym(start)
            apply = dt.date(y, mo, 1) - dt.timedelta(days=rng.randint(12, 25))
            if cat in MIN_AGE and birthday_month(p.birth, MIN_AGE[cat]) <= start:
                apply = max(apply, dt.date(p.birth.year + MIN_AGE[cat], p.birth.month, 1))
        if start >= P_START - 72 or rng.random() < 0.8:
            app, dec, no = self.decision(apply, rng.randint(40, 55) if late else None)
        else:
            app, dec, no = None, None, None  # old files without dates (before the NĐ 20 lists)
        if dec is not None and not late and cat != "K6" and cat not in MIN_AGE:
            start = max(start, month_of(dec)) if month_of(dec) <= P_END else start
        ln = Line(rid=kw.pop("rid", None) or self.rid(), person=p, cat=cat, name=p.name, birth=p.birth,
                  year_only=p.year_only, sex=p.sex, nid=p.nid, household=p.household, address=p.address,
                  level=level, coef=coef, amount=money(coef), start_m=start, app_date=app, dec_date=dec,
                  dec_no=no, **kw)  # fmt: skip
        if pay:
            self.pay_all(ln)
        self.lines.append(ln)
        return ln

    def _default_start(self, p: Person, cat: str, cert_issue: dt.date | None) -> int:
        rng = self.rng
        lo = month_num(2016, 1)
        if cat in MIN_AGE:
            lo = max(lo, birthday_month(p.birth, MIN_AGE[cat]))
        if cat == "K1":
            lo = max(lo, month_of(p.birth) + 2)
        if cat == "K6" and cert_issue is not None:
            return month_of(cert_issue)
        hi = max(lo, P_START - 1)
        return rng.randint(lo, hi)

    def pay_all(self, ln: Line, upto: int = P_END) -> None:
        for m in PERIOD:
            if m <= upto and ln.active(m) and not ln.suspended(m):
                ln.pay[m] = (money(ln.coef or 0), True)

    def cert(self, p: Person, level: str, issue: dt.date) -> Cert:
        c = Cert(nid=p.nid or "", name=p.name, birth=p.birth, level=level, issue=issue,
                 kind=self.rng.choice(DISABILITY_TYPES))  # fmt: skip
        self.certs.append(c)
        return c

    def k6(self, p: Person, level: str, *, issue: dt.date | None = None, **kw: Any) -> Line:
        """A K6 person: certificate of the level, then a line from the certificate month."""
        if issue is None:
            lo = max(dt.date(2014, 1, 1), p.birth + dt.timedelta(days=400))
            span = (dt.date(2021, 10, 1) - lo).days
            issue = lo + dt.timedelta(days=self.rng.randrange(max(span, 1)))
        self.cert(p, level, issue)
        return self.line(p, "K6", level=level, cert_issue=issue, **kw)

    def pension(self, p: Person, benefit: str = "lương hưu", start: int | None = None) -> Pension:
        start = start or self.rng.randint(month_num(2000, 1), month_num(2015, 12))
        pe = Pension(nid=p.nid or "", name=p.name, benefit=benefit, start_m=start,
                     amount=self.rng.randrange(2_500_000, 7_000_000, 50_000))  # fmt: skip
        self.pensions.append(pe)
        return pe

    def death(self, p: Person, when: dt.date, *, with_id: bool = True) -> Death:
        d = Death(nid=p.nid if with_id else None, name=p.name, birth=p.birth, death=when,
                  reg=when + dt.timedelta(days=self.rng.randint(2, 20)), year_only=p.year_only)  # fmt: skip
        self.deaths.append(d)
        return d

    def declare(self, check: str, ref: Any, note: str) -> None:
        self.declared.append(Declared(check, ref, note))


# ==================================================================================================
# Clean population
# ==================================================================================================
def stable(cat: str, level: str | None, studying: bool = False) -> Callable[[dt.date], bool]:
    """Birth dates whose coefficient does not change inside the period (no band crossed)."""

    def ok(b: dt.date) -> bool:
        first = expected_coefficient(cat, level, age_in(P_START, b), studying=studying)
        last = expected_coefficient(cat, level, age_in(P_END, b), studying=studying)
        return first is not None and first == last

    return ok


def clean_k6(w: Ward, n: int, level: str, *, with_carer: bool = False) -> list[Line]:
    out = []
    for _ in range(n):
        r = w.rng.random()
        age = (6, 15) if r < 0.12 else (17, 59) if r < 0.7 else (61, 92)
        p = w.person(age=age, ok=stable("K6", level))
        ln = w.k6(p, level)
        out.append(ln)
        if with_carer:
            carer_for(w, p, ln)
    return out


def carer_for(w: Ward, p: Person, k6line: Line, carer: Person | None = None, **kw: Any) -> Line:
    """A C2 line held by a family member of the same household, cared_for_id = the disabled person."""
    if carer is None:
        carer = w.person(age=(25, 70), hh=(p.household, p.address))
    start = max(k6line.start_m or P_START, month_num(2016, 1))
    start = w.rng.randint(start, max(start, P_START - 1))
    return w.line(carer, "C2", start=start, cared_for=p.nid, **kw)


def clean_k5c(w: Ward, n: int, *, year_only: bool = False) -> list[Line]:
    out = []
    for _ in range(n):
        p = w.person(age=(81, 98), ok=stable("K5c", None))
        if year_only:
            p.birth, p.year_only = dt.date(p.birth.year, 1, 1), True
        out.append(w.line(p, "K5c"))
    return out


def clean_k5a(w: Ward, n: int) -> list[Line]:
    out = []
    for _ in range(n):
        p = w.person(age=(62, 78), ok=stable("K5a", None), poverty="nghèo")
        out.append(w.line(p, "K5a"))
    return out


def clean_k1(w: Ward, n: int, young: bool = False) -> list[Line]:
    out = []
    for _ in range(n):
        age = (1, 2) if young else (5, 14)
        p = w.person(age=age, ok=stable("K1", None))
        out.append(w.line(p, "K1"))
    return out


def other_residents(w: Ward, n: int, *, pensioners80: int) -> None:
    """Residents who are not beneficiaries: children, adults, elders under 80, and 80+ pensioners."""
    rng = w.rng
    for _ in range(pensioners80):
        p = w.person(age=(80, 95))
        w.pension(p, rng.choice(["lương hưu", "trợ cấp BHXH"]))
    for i in range(n):
        band = i % 4
        age = [(0, 15), (16, 45), (46, 64), (65, 79)][band]
        p = w.person(age=age, ok=lambda b: age_in(P_END, b) < 80)
        if band >= 2 and rng.random() < 0.25:
            w.pension(p, rng.choice(["lương hưu", "trợ cấp BHXH"]))


# ==================================================================================================
# Planted problems (generic, one function per check; every function declares what it plants)
# ==================================================================================================
def plant_unreadable(w: Ward) -> None:
    """Three rows the loader cannot read: a bad date, an unknown category label, a non-numeric amount."""
    p = w.person(age=(66, 74), birth=None, ok=stable("K5a", None), poverty="nghèo")
    bad = f"31/02/{p.birth.year}"
    p.birth = dt.date(p.birth.year, 2, 28)  # the register has the real date
    ln = w.line(p, "K5a")
    ln.raw["birth_date"] = bad
    ln.unreadable = True
    w.unreadable_notes.append((ln, "birth_date", f"birth date {bad} does not exist (February has no 31st)"))

    p = w.person(age=(38, 52))
    ln = w.line(p, "K4", coef=1.0)  # placeholder category: the label written is unknown
    ln.raw["category"] = "Hỗ trợ đột xuất"
    ln.unreadable = True
    w.unreadable_notes.append((ln, "category", "category label 'Hỗ trợ đột xuất' maps to no category code"))

    p = w.person(age=(6, 13), ok=stable("K1", None))
    ln = w.line(p, "K1")
    ln.raw["monthly_amount"] = "năm trăm bốn mươi nghìn"
    ln.unreadable = True
    w.unreadable_notes.append((ln, "monthly_amount", "monthly amount written in words, not a number"))


def plant_id_invalid(w: Ward, carers: list[Line], *, bad_prefix: bool = False) -> None:
    """A carer line without an ID, and a carer whose ID is 11 digits (or has no province prefix)."""
    a, b = carers[0], carers[1]
    a.nid = None
    w.declare("ID_INVALID", a, "Care-support (C2) line with the national ID left empty.")
    if bad_prefix:
        nid = "003" + b.nid[3:]  # type: ignore[index]
        b.nid = nid
        w.declare(
            "ID_INVALID", b, "C2 carer's ID starts with 003, which is no province code (should be 006)."
        )
    else:
        b.nid = b.nid[:7] + b.nid[8:]  # type: ignore[index]
        w.declare("ID_INVALID", b, "C2 carer's ID has 11 digits (one digit dropped when typing).")


def plant_id_mismatch(w: Ward, k6_lines: list[Line], k5c_lines: list[Line]) -> None:
    """An ID whose sex digit contradicts the sex; an ID whose year digits contradict the birth year."""
    ln = k6_lines[0]
    nid = ln.nid
    assert nid is not None
    wrong = nid[:3] + str(int(nid[3]) ^ 1) + nid[4:]
    w.reg.ids.add(wrong)
    ln.nid = ln.person.nid = wrong
    for c in w.certs:
        if c.nid == nid:
            c.nid = wrong
    w.declare("ID_MISMATCH", ln, "The 4th digit of the ID gives the other sex than the one recorded.")
    ln = k5c_lines[0]
    nid = ln.nid
    assert nid is not None
    yy = f"{(ln.birth.year + 10) % 100:02d}"
    wrong = nid[:4] + yy + nid[6:]
    w.reg.ids.add(wrong)
    ln.nid = ln.person.nid = wrong
    w.declare("ID_MISMATCH", ln, f"Digits 4-6 of the ID say born 19{yy}, the record says {ln.birth.year}.")


def plant_id_conflict(w: Ward, k6_line: Line, carer_line: Line) -> None:
    """A pension record under a K6 person's ID with another name; a carer written with a neighbour's ID."""
    other = w.reg.new_name("M" if k6_line.sex == "F" else "F")
    w.pensions.append(Pension(nid=k6_line.nid or "", name=other, benefit="trợ cấp BHXH", start_m=month_num(2012, 5),
                              amount=2_150_000))  # fmt: skip
    w.declare("ID_CONFLICT", k6_line,
              f"The pension register carries this ID for '{other}', another person.")  # fmt: skip
    # the neighbour: same sex and birth year (so the ID matches the carer's sex/year), other name/date
    c = carer_line
    nb_birth = dt.date(c.birth.year, 12 if c.birth.month < 6 else 1, 15)
    neighbour = w.person(birth=nb_birth, sex=c.sex)
    c.nid = neighbour.nid
    w.declare("ID_CONFLICT", c,
              f"The carer's ID belongs to resident {neighbour.name} (born {fmt_date(neighbour.birth)}).")  # fmt: skip


def plant_duplicate_id(w: Ward, kind: str, start2: int) -> Line:
    """One ID on two non-stacking lines (K6+K5c, K5c twice or K5a+K5c)."""
    if kind == "K6+K5c":
        p = w.person(age=(82, 90), ok=stable("K6", "nặng"))
        a = w.k6(p, "nặng")
        b = w.line(p, "K5c", start=start2)
        note = "Same ID on a K6 line and a K5c line (only the higher K6 allowance is payable)."
    elif kind == "K5c+K5c":
        p = w.person(age=(83, 92), ok=stable("K5c", None))
        a = w.line(p, "K5c")
        b = w.line(p, "K5c", start=start2)
        note = "Same ID on two K5c lines (listed again under a new decision)."
    else:  # K5a+K5c
        p = w.person(age=(82, 90), ok=stable("K5a", None), poverty="nghèo")
        a = w.line(p, "K5a")
        b = w.line(p, "K5c", start=start2)
        note = "Same ID on a K5a line and a K5c line (only the higher K5a allowance is payable)."
    w.declare("DUPLICATE_ID", (a, b), note)
    return b


def plant_duplicate_person(w: Ward, kind: str, start2: int) -> Line:
    """The same elder on two K5c lines under a one-letter typo + other ID, or without an ID."""
    if kind == "year_only":
        p = w.person(age=(83, 92), ok=stable("K5c", None))
        a = w.line(p, "K5c")
        b = w.line(p, "K5c", start=start2)
        b.birth, b.year_only = dt.date(p.birth.year, 1, 1), True
        b.nid = w.reg.new_id(p.sex, p.birth.year)
        w.declare("DUPLICATE_PERSON", (a, b),
                  "Listed twice: second line with year-only birth date, another ID, same household.")  # fmt: skip
        return b
    if kind == "typo":  # a given name ending in n or m, so that the typo swaps n and m (Kiên -> Kiêm)
        name = w.reg.new_name("F")
        while not re.search(r"[^nhg][nm]$", name):
            name = w.reg.new_name("F")
        w.reg.names.discard(name_key(name))
        p = w.person(age=(82, 93), ok=stable("K5c", None), name=name, sex="F")
    else:
        p = w.person(age=(82, 93), ok=stable("K5c", None))
    a = w.line(p, "K5c")
    b = w.line(p, "K5c", start=start2)
    if kind == "typo":
        typo = p.name[:-1] + ("m" if p.name.endswith("n") else "n")
        w.reg.reserve_name(typo)
        b.name = typo
        b.nid = w.reg.new_id(p.sex, p.birth.year)
        w.declare(
            "DUPLICATE_PERSON",
            (a, b),
            f"Listed twice: second line as '{typo}' (one-letter typo) with another ID, same birth date.",
        )
    else:
        b.nid = None
        w.declare(
            "DUPLICATE_PERSON", (a, b), "Listed twice: second line without an ID, same name and birth date."
        )
        w.declare("ID_INVALID", b, "The duplicate K5c line has no national ID.")
    return b


def plant_missed_elderly(w: Ward, *, just_turned: int) -> None:
    p = w.person(age=(84, 90))
    w.declare("MISSED_ELDERLY", p, "Resident aged 80+ with no pension and on no list.")
    b = dt.date(ym(just_turned)[0] - 80, ym(just_turned)[1], 9)
    p = w.person(birth=b)
    assert age_in(P_END, p.birth) == 80
    w.declare("MISSED_ELDERLY", p, f"Resident who turned 80 in {mstr(just_turned)}, no pension, not listed.")


def plant_missed_disability(w: Ward) -> None:
    p = w.person(age=(30, 55))
    w.cert(p, "nặng", dt.date(2022, 5, 16))
    w.declare("MISSED_DISABILITY", p, "Certificate of severe disability issued 16/05/2022, no K6 line.")
    p = w.person(age=(8, 14))
    w.cert(p, "đặc biệt nặng", dt.date(2021, 11, 3))
    w.declare("MISSED_DISABILITY", p, "Child with a certificate of especially severe disability, no K6 line.")


def plant_missed_care(w: Ward, n: int = 2) -> list[Line]:
    out = []
    for i in range(n):
        p = w.person(age=(20, 55) if i == 0 else (62, 80), ok=stable("K6", "ĐBN"))
        ln = w.k6(p, "ĐBN")
        w.declare("MISSED_CARE", ln, "K6 especially severe line with no C2/C3 care-support line (question).")
        out.append(ln)
    return out


def plant_deceased(w: Ward, cat: str, died: dt.date, *, with_id: bool = True) -> Line:
    if cat == "K5c":
        p = w.person(age=(84, 95), ok=stable("K5c", None))
        ln = w.line(p, "K5c")
    else:
        p = w.person(age=(30, 58), ok=stable("K6", "nặng"))
        ln = w.k6(p, "nặng")
    w.death(p, died, with_id=with_id)
    how = "by ID" if with_id else "by name and birth date (the death record has no ID)"
    w.declare("DECEASED_ACTIVE", ln, f"Died {fmt_date(died)} (matched {how}); line still active and paid.")
    return ln


def plant_moved(w: Ward, p: Person, ln: Line, moved: dt.date) -> None:
    p.residence, p.moved_out = "đã chuyển đi", moved
    w.declare("MOVED_ACTIVE", ln, f"Moved out {fmt_date(moved)}; line still active and paid.")


def plant_age_out(w: Ward, turned16: int) -> Line:
    y, mo = ym(turned16)
    p = w.person(birth=dt.date(y - 16, mo, 11))
    ln = w.line(p, "K1", coef=1.5, studying=False)
    w.declare("AGE_OUT", ln, f"K1 child turned 16 in {mstr(turned16)}, not studying, still paid.")
    return ln


def plant_paid_after_end(w: Ward) -> list[Line]:
    # a K1 line ended (no longer eligible) from 10/2022, paid for 10-11/2022
    p = w.person(age=(7, 13), ok=stable("K1", None))
    a = w.line(p, "K1", pay=False)
    a.status, a.end_m, a.end_reason = "thôi hưởng", month_num(2022, 10), "không đủ điều kiện"
    w.pay_all(a)
    for m in (month_num(2022, 10), month_num(2022, 11)):
        a.pay[m] = (money(a.coef or 0), True)
    w.declare(
        "PAID_AFTER_END", a, "Line ended from 10/2022 (no longer eligible) but paid for 10 and 11/2022."
    )
    # a K1 line suspended from 12/2022, paid for 12/2022
    p = w.person(age=(6, 12), ok=stable("K1", None))
    b = w.line(p, "K1", pay=False)
    b.status, b.end_m = "tạm dừng", month_num(2022, 12)
    w.pay_all(b)
    b.pay[month_num(2022, 12)] = (money(b.coef or 0), True)
    w.declare("PAID_AFTER_END", b, "Line suspended from 12/2022 but paid for 12/2022.")
    return [a, b]


def plant_ineligible(w: Ward) -> None:
    p = w.person(age=(25, 50))
    ln = w.k6(p, "nhẹ", coef=1.5)
    w.declare("INELIGIBLE", ln, "K6 line at level 'nhẹ' (mild disability gives no monthly allowance).")
    p = w.person(age=(76, 78))
    ln = w.line(p, "K5c", coef=1.0, start=month_num(2021, 6))
    w.declare("INELIGIBLE", ln, f"K5c line for a person aged {age_in(P_END, p.birth)} (under 80).")


def plant_wrong_coefficient(w: Ward, turned4: int, turned80: int) -> None:
    y, mo = ym(turned4)
    p = w.person(birth=dt.date(y - 4, mo, 17))
    ln = w.line(p, "K1", coef=2.5, start=month_of(p.birth) + 3)
    w.declare(
        "WRONG_COEFFICIENT",
        ln,
        f"Child turned 4 in {mstr(turned4)}, still at coefficient 2.5 (should be 1.5).",
    )
    y, mo = ym(turned80)
    p = w.person(birth=dt.date(y - 80, mo, 5), poverty="nghèo")
    ln = w.line(p, "K5a", coef=1.5, start=month_num(2019, 4))
    w.declare(
        "WRONG_COEFFICIENT", ln, f"K5a elder turned 80 in {mstr(turned80)}, still at 1.5 (should be 2.0)."
    )


def plant_wrong_amount(w: Ward, k6a: Line, k6b: Line, months: Iterable[int], paid: int) -> None:
    months = list(months)
    for m in months:
        k6a.pay[m] = (paid, True)
    w.declare(
        "WRONG_AMOUNT",
        k6a,
        f"Paid {paid:,} instead of {money(k6a.coef or 0):,} for {len(months)} months.".replace(",", "."),
    )
    k6b.amount = (k6b.amount or 0) + 180_000
    w.declare("WRONG_AMOUNT", k6b,
              f"Roster amount {k6b.amount:,} does not equal 360.000 x {k6b.coef} (payments are right).".replace(",", "."))  # fmt: skip


def plant_unpaid(w: Ward, a: Line, b: Line, gap: list[int], unreceived: list[int]) -> None:
    for m in gap:
        del a.pay[m]
    w.declare(
        "UNPAID_MONTHS", a, f"No payment for {len(gap)} consecutive months {mstr(gap[0])}-{mstr(gap[-1])}."
    )
    for m in unreceived:
        b.pay[m] = (b.pay[m][0], False)
    w.declare(
        "UNPAID_MONTHS", b, f"Payments marked not received for {mstr(unreceived[0])}-{mstr(unreceived[-1])}."
    )


def plant_late(w: Ward, apply1: dt.date, apply2: dt.date) -> None:
    """Two new lines decided far beyond 22 working days (one across Tết)."""
    for i, apply in enumerate((apply1, apply2)):
        if i == 0:
            # just turned 80 before applying; K5c from the decision month
            b = dt.date(apply.year - 80, max(1, apply.month - 2), 3)
            p = w.person(birth=b)
            wd = 45
        else:
            p = w.person(age=(30, 55), ok=stable("K6", "nặng"))
            wd = 50
        dec = add_working_days(apply, wd)
        start = month_of(dec)
        if i == 0:
            ln = w.line(p, "K5c", start=start)
        else:
            w.cert(p, "nặng", apply - dt.timedelta(days=20))
            ln = w.line(p, "K6", level="nặng", start=month_of(apply - dt.timedelta(days=20)))
        ln.app_date, ln.dec_date = apply, dec
        ln.pay.clear()
        w.pay_all(ln)
        n = working_days(apply, dec)
        assert n > DECISION_DEADLINE_WD + 10
        w.declare("LATE_DECISION", ln,
                  f"Application {fmt_date(apply)}, decision {fmt_date(dec)}: {n} working days (limit 22).")  # fmt: skip


# ==================================================================================================
# The four wards
# ==================================================================================================
def _common(w: Ward, k6_nang: list[Line], k5c: list[Line], carers: list[Line], *, bad_prefix: bool,
            dup_id: str, dup_person: tuple[str, ...], died: tuple[dt.date, dt.date], late: tuple[dt.date, dt.date],
            turned4: int, turned80: int, just80: int, turned16: int, wa_months: list[int], wa_paid: int,
            gap: list[int], unreceived: list[int]) -> None:  # fmt: skip
    """Plants shared by every ward (each with the ward's own dates and amounts)."""
    plant_unreadable(w)
    plant_id_invalid(w, carers, bad_prefix=bad_prefix)
    plant_id_mismatch(w, k6_nang[0:1], k5c[0:1])
    plant_id_conflict(w, k6_nang[1], carers[2])
    plant_duplicate_id(w, dup_id, month_num(2022, 5))
    for i, kind in enumerate(dup_person):
        plant_duplicate_person(w, kind, month_num(2022, 3 + 2 * i) if kind == "typo" else month_num(2021, 9))
    plant_missed_elderly(w, just_turned=just80)
    plant_missed_disability(w)
    plant_missed_care(w)
    plant_deceased(w, "K5c", died[0])
    plant_deceased(w, "K6", died[1], with_id=False)
    plant_age_out(w, turned16)
    plant_paid_after_end(w)
    plant_ineligible(w)
    plant_wrong_coefficient(w, turned4, turned80)
    plant_wrong_amount(w, k6_nang[2], k6_nang[3], wa_months, wa_paid)
    plant_unpaid(w, k6_nang[4], k5c[1], gap, unreceived)
    plant_late(w, *late)
    # a moved K6 person (not the cross-ward one)
    ln = k6_nang[5]
    plant_moved(w, ln.person, ln, dt.date(2022, 9, 19))


def build_phung_chi_kien(reg: Registry, rng: random.Random) -> Ward:
    w = Ward("01843", "phường Phùng Chí Kiên", "phung-chi-kien", "PCK", reg, rng)
    # K6 especially severe people with a carer (C2) in the household: the report's 26 C2 lines.
    clean_k6(w, 26, "ĐBN", with_carer=True)
    carers = [ln for ln in w.lines if ln.cat == "C2"]
    k6_nang = clean_k6(w, 61, "nặng")
    k5c = clean_k5c(w, 14)
    clean_k1(w, 1)
    _common(w, k6_nang, k5c, carers, bad_prefix=False, dup_id="K6+K5c", dup_person=("typo", "missing"),
            died=(dt.date(2022, 8, 14), dt.date(2022, 11, 3)), late=(dt.date(2022, 1, 10), dt.date(2022, 8, 1)),
            turned4=month_num(2022, 6), turned80=month_num(2022, 10), just80=month_num(2023, 2),
            turned16=month_num(2022, 8), wa_months=[month_num(2022, m) for m in (3, 4, 5)], wa_paid=500_000,
            gap=[month_num(2022, m) for m in (4, 5, 6)], unreceived=[month_num(2022, m) for m in (9, 10, 11, 12)])  # fmt: skip
    # a second DUPLICATE_ID (K6 + K5c) so that the report's category counts exceed the people by two
    plant_duplicate_id(w, "K6+K5c", month_num(2021, 3))
    # the person who moved to Sông Cầu in 06/2022 and is still paid here (MOVED_ACTIVE + cross-ward)
    p = w.person(age=(83, 90), ok=stable("K5c", None))
    ln = w.line(p, "K5c")
    plant_moved(w, p, ln, dt.date(2022, 6, 20))
    w.cross_moved = ln  # type: ignore[attr-defined]
    # clean edge cases
    p = w.person(birth=dt.date(1943, 2, 25))  # turns 80 in the as-of month, listed from 02/2023
    w.line(p, "K5c", start=P_END)
    p = w.person(birth=dt.date(1940, 1, 1), year_only=True)  # year-only elder birth date
    w.line(p, "K5c", start=month_num(2020, 9))
    p = w.person(age=(64, 70), ok=stable("K5a", None), poverty="nghèo", nid=f"095{rng.randrange(10**6):06d}")
    w.line(p, "K5a")  # 9-digit CMND: valid before 2025
    p = w.person(age=(86, 90))  # died 12/2022, still in the register, never listed
    w.death(p, dt.date(2022, 12, 7))
    p = w.person(age=(40, 50))  # certificate issued 10 days before as-of: not yet "missed"
    w.cert(p, "nặng", dt.date(2023, 2, 18))
    p = w.person(age=(30, 60))
    w.cert(p, "nhẹ", dt.date(2020, 6, 1))  # mild: no allowance due
    other_residents(w, 120, pensioners80=8)
    return w


def build_song_cau(reg: Registry, rng: random.Random, moved_from: Line) -> Ward:
    w = Ward("01837", "phường Sông Cầu", "song-cau", "SC", reg, rng)
    clean_k6(w, 5, "ĐBN", with_carer=True)
    carers = [ln for ln in w.lines if ln.cat == "C2"]
    k6_nang = clean_k6(w, 12, "nặng")
    k5c = clean_k5c(w, 7)
    clean_k5a(w, 1)
    clean_k1(w, 1, young=True)
    _common(w, k6_nang, k5c, carers, bad_prefix=False, dup_id="K5c+K5c", dup_person=("typo",),
            died=(dt.date(2022, 5, 30), dt.date(2022, 10, 12)), late=(dt.date(2022, 2, 14), dt.date(2022, 6, 6)),
            turned4=month_num(2022, 9), turned80=month_num(2022, 7), just80=month_num(2022, 12),
            turned16=month_num(2022, 11), wa_months=[month_num(2022, m) for m in (7, 8)], wa_paid=810_000,
            gap=[month_num(2022, m) for m in (1, 2, 3)], unreceived=[month_num(2022, m) for m in (6, 7, 8)])  # fmt: skip
    # edge: K4 single mother who is also K6 (stacks legally); K6 mother also holding C2 for her child
    p = w.person(age=(30, 40), sex="F", ok=stable("K6", "nặng"), poverty="nghèo")
    w.k6(p, "nặng")
    w.line(p, "K4", start=month_num(2021, 4))
    mother = w.person(age=(35, 45), sex="F", ok=stable("K6", "nặng"))
    w.k6(mother, "nặng")
    child = w.person(age=(7, 12), ok=stable("K6", "ĐBN"), hh=(mother.household, mother.address))
    kline = w.k6(child, "ĐBN")
    carer_for(w, child, kline, carer=mother)
    # edge: death in the last month of the period, line ended from 03/2023, paid for 02/2023
    p = w.person(age=(84, 92), ok=stable("K5c", None))
    ln = w.line(p, "K5c", pay=False)
    ln.status, ln.end_m, ln.end_reason = "thôi hưởng", P_END + 1, "chết"
    w.pay_all(ln)
    w.death(p, dt.date(2023, 2, 9))
    # the person who moved here from Phùng Chí Kiên in 06/2022 (listed here from 07/2022)
    src = moved_from.person
    p = w.person(birth=src.birth, sex=src.sex, nid=src.nid, name=None)
    reg.names.discard(name_key(p.name))
    p.name = src.name
    w.line(p, "K5c", start=month_num(2022, 7))
    w.cross_moved = w.lines[-1]  # type: ignore[attr-defined]
    other_residents(w, 45, pensioners80=3)
    return w


def build_duc_xuan(reg: Registry, rng: random.Random) -> Ward:
    w = Ward("01840", "phường Đức Xuân", "duc-xuan", "DX", reg, rng)
    clean_k6(w, 4, "ĐBN", with_carer=True)
    carers = [ln for ln in w.lines if ln.cat == "C2"]
    k6_nang = clean_k6(w, 10, "nặng")
    k5c = clean_k5c(w, 8)
    clean_k5a(w, 2)
    clean_k1(w, 2)
    _common(w, k6_nang, k5c, carers, bad_prefix=True, dup_id="K6+K5c", dup_person=("missing",),
            died=(dt.date(2022, 3, 21), dt.date(2022, 12, 28)), late=(dt.date(2022, 1, 17), dt.date(2022, 4, 4)),
            turned4=month_num(2022, 4), turned80=month_num(2022, 12), just80=month_num(2022, 9),
            turned16=month_num(2022, 5), wa_months=[month_num(2022, m) for m in (10, 11, 12)], wa_paid=360_000,
            gap=[month_num(2022, m) for m in (8, 9, 10, 11)], unreceived=[month_num(2023, 1), month_num(2023, 2)])  # fmt: skip
    # edge: K1 aged 17, studying (continues to 22)
    p = w.person(age=(17, 17), ok=lambda b: age_in(P_START, b) >= 16)
    w.line(p, "K1", studying=True, start=month_num(2018, 9))
    # edge: K1 child who turned 16 in 07/2022, line ended from 08/2022
    p = w.person(birth=dt.date(2006, 7, 22))
    ln = w.line(p, "K1", coef=1.5, pay=False, start=month_num(2017, 3), studying=False)
    ln.status, ln.end_m, ln.end_reason = "thôi hưởng", month_num(2022, 8), "hết tuổi"
    w.pay_all(ln)
    # edge: child who turned 4 in 06/2022: 2.5 line ended, 1.5 line from the birthday month
    p = w.person(birth=dt.date(2018, 6, 3))
    a = w.line(p, "K1", coef=2.5, start=month_num(2019, 2), pay=False)
    a.status, a.end_m, a.note = "thôi hưởng", month_num(2022, 6), "Điều chỉnh hệ số từ 06/2022"
    w.pay_all(a)
    w.line(p, "K1", coef=1.5, start=month_num(2022, 6), rid=a.rid + "A")
    # the elder listed in Xuất Hóa too, under another ID (cross-ward by name + birth date)
    p = w.person(birth=dt.date(1939, 3, 10), sex="M")
    w.line(p, "K5c", start=month_num(2019, 6))
    w.cross_nb = w.lines[-1]  # type: ignore[attr-defined]
    other_residents(w, 45, pensioners80=3)
    return w


def build_xuat_hoa(reg: Registry, rng: random.Random, twin: Line) -> Ward:
    w = Ward("01855", "phường Xuất Hóa", "xuat-hoa", "XH", reg, rng)
    clean_k6(w, 4, "ĐBN", with_carer=True)
    carers = [ln for ln in w.lines if ln.cat == "C2"]
    k6_nang = clean_k6(w, 10, "nặng")
    k5c = clean_k5c(w, 4) + clean_k5c(w, 5, year_only=True)
    clean_k5a(w, 2)
    clean_k1(w, 1)
    _common(w, k6_nang, k5c, carers, bad_prefix=True, dup_id="K5a+K5c", dup_person=("year_only", "typo"),
            died=(dt.date(2022, 7, 2), dt.date(2022, 9, 15)), late=(dt.date(2022, 1, 24), dt.date(2022, 10, 3)),
            turned4=month_num(2022, 11), turned80=month_num(2022, 6), just80=month_num(2023, 1),
            turned16=month_num(2022, 10), wa_months=[month_num(2022, m) for m in (1, 2)], wa_paid=600_000,
            gap=[month_num(2022, m) for m in (10, 11, 12)], unreceived=[month_num(2022, m) for m in (2, 3, 4)])  # fmt: skip
    # edge: K5a elder who turned 80 in 03/2022: 1.5 line ended, 2.0 line from the birthday month
    p = w.person(birth=dt.date(1942, 3, 14), poverty="nghèo")
    a = w.line(p, "K5a", coef=1.5, start=month_num(2018, 5), pay=False)
    a.status, a.end_m, a.note = "thôi hưởng", month_num(2022, 3), "Điều chỉnh hệ số từ 03/2022"
    w.pay_all(a)
    w.line(p, "K5a", coef=2.0, start=month_num(2022, 3), rid=a.rid + "A")
    # the elder also listed in Đức Xuân, here under another ID, from 04/2022
    src = twin.person
    p = w.person(birth=src.birth, sex=src.sex)
    reg.names.discard(name_key(p.name))
    p.name = src.name
    w.line(p, "K5c", start=month_num(2022, 4))
    w.cross_nb = w.lines[-1]  # type: ignore[attr-defined]
    other_residents(w, 45, pensioners80=3)
    # year-only birth dates for elders on the roster (the register keeps the full date unless year-only)
    return w


def build_nguyen_thi_minh_khai(reg: Registry, rng: random.Random) -> Ward:
    """The fifth ward, written in the printed-form layouts (contract §1a): built last, so the random
    stream of the four other wards, and their files, do not change."""
    w = Ward("01834", "phường Nguyễn Thị Minh Khai", "nguyen-thi-minh-khai", "MK", reg, rng)
    clean_k6(w, 4, "ĐBN", with_carer=True)
    carers = [ln for ln in w.lines if ln.cat == "C2"]
    k6_nang = clean_k6(w, 9, "nặng")
    k5c = clean_k5c(w, 5) + clean_k5c(w, 2, year_only=True)
    clean_k5a(w, 2)
    clean_k1(w, 2)
    _common(w, k6_nang, k5c, carers, bad_prefix=False, dup_id="K6+K5c", dup_person=("typo", "missing"),
            died=(dt.date(2022, 4, 18), dt.date(2022, 10, 27)), late=(dt.date(2022, 3, 7), dt.date(2022, 9, 12)),
            turned4=month_num(2022, 7), turned80=month_num(2022, 11), just80=month_num(2022, 10),
            turned16=month_num(2022, 6), wa_months=[month_num(2022, m) for m in (5, 6, 7)], wa_paid=450_000,
            gap=[month_num(2022, m) for m in (2, 3, 4)], unreceived=[month_num(2022, m) for m in (10, 11)])  # fmt: skip
    # edge: K4 single mother (its own section in the form)
    p = w.person(age=(28, 38), sex="F", ok=stable("K4", None), poverty="nghèo")
    w.line(p, "K4", start=month_num(2020, 2))
    other_residents(w, 40, pensioners80=3)
    return w


# ==================================================================================================
# Oracle: the findings of the model under docs/check-semantics.md
# ==================================================================================================
def _match_line(nid: str | None, name: str, birth: dt.date, year_only: bool, ln: Line) -> bool:
    if valid12(nid) and valid12(ln.nid):
        return nid == ln.nid
    if name_key(name) != name_key(ln.name):
        return False
    if year_only or ln.year_only:
        return birth.year == ln.birth.year
    return birth == ln.birth


def same_person(a: Line, b: Line) -> bool:
    """The DUPLICATE_PERSON rule: names within one edit AND the same full birth date, or, where a
    birth date is year-only, the same year and the same household or address."""
    if a.year_only or b.year_only:
        if a.birth.year != b.birth.year or (a.household != b.household and a.address != b.address):
            return False
    elif a.birth != b.birth:
        return False
    return lev(name_key(a.name), name_key(b.name)) <= 1


def oracle(w: Ward) -> dict[tuple[str, str], Finding]:
    lines = [ln for ln in w.lines if not ln.unreadable]
    out: dict[tuple[str, str], Finding] = {}

    def add(
        check: str, ln_or_p: Any, amount: int = 0, rows: Iterable[str] = (), key: str | None = None
    ) -> None:
        if isinstance(ln_or_p, Line):
            k, nid, name = ln_or_p.person_key(), ln_or_p.nid or "", ln_or_p.name
        elif isinstance(ln_or_p, Person):
            k, nid, name = (
                pkey(ln_or_p.nid, ln_or_p.name, ln_or_p.birth, ln_or_p.year_only),
                ln_or_p.nid or "",
                ln_or_p.name,
            )
        else:
            k, nid, name = str(ln_or_p), "", ""
        k = key or k
        f = out.setdefault((check, k), Finding(check, k, nid, name))
        f.amount += amount
        for r in rows:
            if r not in f.rows:
                f.rows.append(r)

    def brow(ln: Line) -> str:
        return f"beneficiaries:{ln.row}"

    def due(ln: Line, m: int) -> int:
        if ln.coef is not None:
            return money(ln.coef)
        c = expected_coefficient(ln.cat, ln.level, age_in(m, ln.birth), studying=bool(ln.studying))
        return money(c or 0)

    # UNREADABLE_ROW: the row names nobody (its person cannot be trusted); matched by its row
    for ln, _col, _note in w.unreadable_notes:
        add("UNREADABLE_ROW", f"row:{ln.row}", 0, [brow(ln)])
    # ID_INVALID / ID_MISMATCH
    for ln in lines:
        nid = ln.nid
        if (
            not nid
            or not nid.isdigit()
            or len(nid) not in (9, 12)
            or (len(nid) == 12 and nid[:3] not in PROVINCE_ID_CODES)
        ):
            add("ID_INVALID", ln, 0, [brow(ln)])
        if valid12(nid):
            d = int(nid[3])  # type: ignore[index]
            sex = "F" if d % 2 else "M"
            year = (d // 2 + 19) * 100 + int(nid[4:6])  # type: ignore[index]
            if sex != ln.sex or year != ln.birth.year:
                add("ID_MISMATCH", ln, 0, [brow(ln)])
    # ID_CONFLICT
    recs: dict[str, list[tuple[str, str, dt.date | None, bool]]] = defaultdict(list)
    for ln in lines:
        if valid12(ln.nid):
            recs[ln.nid].append((brow(ln), ln.name, ln.birth, ln.year_only))  # type: ignore[index]
    for p in w.people:
        if p.in_residents and valid12(p.nid):
            recs[p.nid].append((f"residents:{p.row}", p.name, p.birth, p.year_only))  # type: ignore[index]
    for d in w.deaths:
        if valid12(d.nid):
            recs[d.nid].append((f"deaths:{d.row}", d.name, d.birth, d.year_only))  # type: ignore[index]
    for c in w.certs:
        if valid12(c.nid):
            recs[c.nid].append((f"disability_certificates:{c.row}", c.name, c.birth, False))
    for pe in w.pensions:
        if valid12(pe.nid):
            recs[pe.nid].append((f"pensions:{pe.row}", pe.name, None, False))
    for nid, rs in recs.items():
        bad = False
        for i in range(len(rs)):
            for j in range(i + 1, len(rs)):
                a, b = rs[i], rs[j]
                if lev(name_key(a[1]), name_key(b[1])) > 1:
                    bad = True
                elif a[2] and b[2]:
                    if (a[3] or b[3]) and a[2].year != b[2].year or not (a[3] or b[3]) and a[2] != b[2]:
                        bad = True
        if bad:
            # rows: the beneficiary lines with the ID and the register records that contradict them
            bl = [ln for ln in lines if ln.nid == nid]
            ref = rs[0]
            rows = [r[0] for r in rs if r[0].startswith("beneficiaries:")] + [
                r[0]
                for r in rs
                if not r[0].startswith("beneficiaries:")
                and (lev(name_key(r[1]), name_key(ref[1])) > 1 or (r[2] is not None and r[2] != ref[2]))
            ]
            add("ID_CONFLICT", bl[0] if bl else f"id:{nid}", 0, rows)
    # DUPLICATE_ID / DUPLICATE_PERSON
    for i, a in enumerate(lines):
        for b in lines[i + 1 :]:
            if stackable(a.cat, b.cat):
                continue
            common = [m for m in PERIOD if a.active(m) and b.active(m)]
            if not common:
                continue
            same_id = valid12(a.nid) and a.nid == b.nid
            if not same_id and not same_person(a, b):
                continue
            ca = a.coef if a.coef is not None else 0
            cb = b.coef if b.coef is not None else 0
            low = b if cb <= ca else a
            if ca == cb:
                assert all(a.received().get(m) == b.received().get(m) for m in common), (a.name, b.name)
            amount = sum(low.received().get(m, 0) for m in common)
            # the finding names the line whose person key sorts first ("id:" before "nb:")
            first = min((a, b), key=lambda ln: (ln.person_key(), ln.row))
            rows = [brow(ln) for ln in sorted((a, b), key=lambda ln: ln.row)]
            add("DUPLICATE_ID" if same_id else "DUPLICATE_PERSON", first, amount, rows)
    # register matching
    dead: list[tuple[Death, list[Line]]] = [
        (d, [ln for ln in lines if _match_line(d.nid, d.name, d.birth, d.year_only, ln)]) for d in w.deaths
    ]
    residents = [p for p in w.people if p.in_residents]

    def person_lines(p: Person) -> list[Line]:
        return [ln for ln in lines if _match_line(p.nid, p.name, p.birth, p.year_only, ln)]

    def is_dead(p: Person) -> bool:
        return any(
            (valid12(d.nid) and d.nid == p.nid)
            or (not valid12(d.nid) and name_key(d.name) == name_key(p.name) and d.birth == p.birth)
            for d in w.deaths
        )

    stop: dict[int, int] = {}  # id(line) -> last payable month (death / move / age limit)

    def set_stop(ln: Line, m: int) -> None:
        stop[id(ln)] = min(stop.get(id(ln), 10**9), m)

    # DECEASED_ACTIVE
    for d, dl in dead:
        dm = month_of(d.death)
        for ln in dl:
            set_stop(ln, dm)
        hit = [
            ln
            for ln in dl
            if any(ln.active(m) for m in range(dm + 1, P_END + 1)) or any(m > dm for m in ln.received())
        ]
        if hit:
            amount = sum(a for ln in dl for m, a in ln.received().items() if m > dm)
            add("DECEASED_ACTIVE", hit[0], amount, [brow(ln) for ln in hit])
    # MOVED_ACTIVE
    for p in residents:
        if p.residence != "đã chuyển đi" or p.moved_out is None:
            continue
        mm = month_of(p.moved_out)
        pl = person_lines(p)
        for ln in pl:
            set_stop(ln, mm)
        hit = [
            ln
            for ln in pl
            if any(ln.active(m) for m in range(mm + 1, P_END + 1)) or any(m > mm for m in ln.received())
        ]
        if hit:
            amount = sum(a for ln in pl for m, a in ln.received().items() if m > mm)
            add("MOVED_ACTIVE", hit[0], amount, [brow(ln) for ln in hit])
    # AGE_OUT
    for ln in lines:
        limit = AGE_LIMIT.get(ln.cat)
        if limit is None:
            continue
        if ln.cat == "K1" and ln.studying:
            limit = 22
        lm = birthday_month(ln.birth, limit)
        set_stop(ln, lm)
        if any(ln.active(m) for m in range(lm + 1, P_END + 1)) or any(m > lm for m in ln.received()):
            add("AGE_OUT", ln, sum(a for m, a in ln.received().items() if m > lm), [brow(ln)])
    # PAID_AFTER_END
    for ln in lines:
        bad = {
            m: a
            for m, a in ln.received().items()
            if (ln.end_m is not None and m >= ln.end_m) or ln.suspended(m)
        }
        if bad:
            add("PAID_AFTER_END", ln, sum(bad.values()), [brow(ln)])
    # MISSED_ELDERLY / MISSED_DISABILITY
    pension_ids = {pe.nid for pe in w.pensions if pe.start_m <= P_END}
    for p in residents:
        if is_dead(p) or p.residence == "đã chuyển đi":
            continue
        pl = [ln for ln in person_lines(p) if ln.active(P_END)]
        if age_in(P_END, p.birth) >= 80 and p.nid not in pension_ids and not pl:
            add("MISSED_ELDERLY", p, 0, [f"residents:{p.row}"])
        pc = [
            c
            for c in w.certs
            if (valid12(c.nid) and c.nid == p.nid)
            or (not valid12(c.nid) and name_key(c.name) == name_key(p.name))
        ]
        if pc:
            latest = max(pc, key=lambda c: c.issue)
            if latest.level in ("nặng", "đặc biệt nặng") and latest.issue <= AS_OF - dt.timedelta(days=30):
                if not any(ln.cat == "K6" for ln in pl):
                    add("MISSED_DISABILITY", p, 0, [f"residents:{p.row}"])
    # MISSED_CARE
    care = [ln for ln in lines if ln.cat in ("C2", "C3") and ln.active(P_END)]
    for ln in lines:
        if ln.cat == "K6" and ln.level == "ĐBN" and ln.active(P_END):
            if not any(c.cared_for == ln.nid or c.household == ln.household for c in care):
                add("MISSED_CARE", ln, 0, [brow(ln)])
    # INELIGIBLE
    for ln in lines:
        if not ln.active(P_END):
            continue
        age = age_in(P_END, ln.birth)
        reasons = []
        if ln.cat == "K6" and ln.level == "nhẹ":
            reasons.append("mild")
        if ln.cat == "K5c" and (age < 80 or any(pe.nid == ln.nid for pe in w.pensions)):
            reasons.append("k5c")
        if ln.cat == "K5a" and age < 60:
            reasons.append("k5a")
        if (
            ln.cat in ("K1", "K3", "K7")
            and ln.start_m is not None
            and age_in(ln.start_m, ln.birth) >= AGE_LIMIT[ln.cat]
        ):
            reasons.append("limit at start")
        if (
            ln.cat in MIN_AGE
            and ln.start_m is not None
            and ln.start_m < birthday_month(ln.birth, MIN_AGE[ln.cat])
        ):
            reasons.append("start before min age")
        if ln.cat == "K6" and ln.start_m is not None:
            sev = [
                c.issue
                for c in w.certs
                if c.level != "nhẹ"
                and (c.nid == ln.nid or (not valid12(ln.nid) and name_key(c.name) == name_key(ln.name)))
            ]
            if sev and ln.start_m < month_of(min(sev)):
                reasons.append("before certificate")
            if not sev and ln.level != "nhẹ":
                raise AssertionError(f"K6 line without a severe certificate: {ln.name}")
        if reasons:
            add("INELIGIBLE", ln, sum(ln.received().values()), [brow(ln)])
    # WRONG_COEFFICIENT
    for ln in lines:
        if not ln.active(P_END) or ln.coef is None:
            continue
        exp = expected_coefficient(ln.cat, ln.level, age_in(P_END, ln.birth), studying=bool(ln.studying))
        if exp is None or exp == ln.coef:
            continue
        amount = 0
        for m in PERIOD:
            if ln.active(m):
                e = expected_coefficient(ln.cat, ln.level, age_in(m, ln.birth), studying=bool(ln.studying))
                if e is not None:
                    amount += int(round((ln.coef - e) * STANDARD_LEVEL))
        add("WRONG_COEFFICIENT", ln, amount, [brow(ln)])
    # WRONG_AMOUNT
    for ln in lines:
        rows, amount, hit = [brow(ln)], 0, False
        if ln.active(P_END) and ln.amount is not None and ln.amount != due(ln, P_END):
            hit = True
        for m, a in ln.received().items():
            if m > stop.get(id(ln), 10**9) or (ln.end_m is not None and m >= ln.end_m) or ln.suspended(m):
                continue
            if a != due(ln, m):
                hit, amount = True, amount + a - due(ln, m)
        if hit:
            add("WRONG_AMOUNT", ln, amount, rows)
    # UNPAID_MONTHS
    for ln in lines:
        missing = [
            m for m in PERIOD
            if ln.active(m) and not ln.suspended(m) and m <= stop.get(id(ln), 10**9) and m not in ln.received()
        ]  # fmt: skip
        if missing:
            add("UNPAID_MONTHS", ln, -sum(due(ln, m) for m in missing), [brow(ln)])
    # LATE_DECISION
    for ln in lines:
        if ln.app_date and ln.dec_date and working_days(ln.app_date, ln.dec_date) > DECISION_DEADLINE_WD:
            add("LATE_DECISION", ln, 0, [brow(ln)])
    # REPORT_MISMATCH
    act = [ln for ln in lines if ln.active(P_END)]
    counts = {cat: len({ln.person_key() for ln in act if ln.cat == cat}) for cat in {ln.cat for ln in act}}
    total = len({ln.person_key() for ln in act})
    reported = {cat: n for cat, _d, n in w.report}
    for cat, n in reported.items():
        row = f"report:{w.report_rows[cat]}"
        if cat == "TOTAL":
            if n != total or n != sum(v for c, v in reported.items() if c != "TOTAL"):
                add("REPORT_MISMATCH", f"report:{cat}", 0, [row])
        elif n != counts.get(cat, 0):
            add("REPORT_MISMATCH", f"report:{cat}", 0, [row])
    missing_rows = set(counts) - set(reported)
    assert not missing_rows, f"{w.code}: categories without a report row: {missing_rows}"
    return out


def active_counts(w: Ward) -> tuple[dict[str, int], int]:
    act = [ln for ln in w.lines if not ln.unreadable and ln.active(P_END)]
    counts = {cat: len({ln.person_key() for ln in act if ln.cat == cat}) for cat in {ln.cat for ln in act}}
    return counts, len({ln.person_key() for ln in act})


# ==================================================================================================
# Writing: shapes of the four wards
# ==================================================================================================
CAT_ORDER = ["K1", "K2", "K4", "K5a", "K5c", "K6", "C2"]
REPORT_DESC = {
    "TOTAL": "Tổng số đối tượng hưởng trợ cấp hằng tháng",
    "K1": "Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng (trẻ mồ côi)",
    "K4": "Người đơn thân nghèo đang nuôi con",
    "K5a": "Người cao tuổi cô đơn thuộc hộ nghèo",
    "K5c": "Người từ đủ 80 tuổi không có lương hưu, trợ cấp BHXH",
    "K6": "Người khuyết tật nặng, đặc biệt nặng",
    "C2": "Hộ gia đình có người khuyết tật đặc biệt nặng nhận kinh phí chăm sóc",
}
LABELS = {
    # ward -> (category, level) -> label written in the "Đối tượng" column
    "PCK": {("K6", "ĐBN"): "Người khuyết tật đặc biệt nặng", ("K6", "nặng"): "Người khuyết tật nặng",
            ("K6", "nhẹ"): "Người khuyết tật", "K5c": "Người cao tuổi từ đủ 80 tuổi", "K5a": "Người già cô đơn",
            "K1": "Trẻ mồ côi", "C2": "Kinh phí chăm sóc", "K4": "Người đơn thân nghèo đang nuôi con"},
    "SC": {("K6", "ĐBN"): "NKT ĐBN", ("K6", "nặng"): "NKT nặng", ("K6", "nhẹ"): "NKT", "K5c": "NCT trên 80 tuổi",
           "K5a": "NCT cô đơn", "K1": "Trẻ em mồ côi", "C2": "Hỗ trợ kinh phí chăm sóc", "K4": "K4"},
    "MK": {("K6", "ĐBN"): "Người khuyết tật đặc biệt nặng", ("K6", "nặng"): "Người khuyết tật nặng",
           ("K6", "nhẹ"): "Người khuyết tật", "K5c": "Người cao tuổi từ đủ 80 tuổi", "K5a": "Người già cô đơn",
           "K1": "Trẻ mồ côi", "C2": "Kinh phí chăm sóc", "K4": "Người đơn thân nghèo đang nuôi con"},
    "XH": {("K6", "ĐBN"): "Điều 5 khoản 6", ("K6", "nặng"): "Điều 5 khoản 6", ("K6", "nhẹ"): "Điều 5 khoản 6",
           "K5c": "Điều 5 khoản 5 điểm c", "K5a": "Điều 5 khoản 5 điểm a", "K1": "Điều 5 khoản 1",
           "C2": "Kinh phí chăm sóc", "K4": "Điều 5 khoản 4"},
}  # fmt: skip


def label(prefix: str, ln: Line) -> str:
    if "category" in ln.raw:
        return ln.raw["category"]
    if prefix == "DX":
        return ln.cat
    table = LABELS[prefix]
    return table.get((ln.cat, ln.level or ""), table.get(ln.cat, ln.cat))  # type: ignore[return-value]


@dataclass
class Shape:
    """How one ward writes its values."""

    prefix: str
    date: Callable[[dt.date | None], Any]
    year_only: Callable[[dt.date], Any]
    month: Callable[[int | None], Any]
    pay_month: Callable[[int], Any]
    ident: Callable[[str | None], Any]
    coef: Callable[[float | None], Any]
    text: Callable[[str | None], Any]
    paid: Callable[[bool], str]
    yes_no: Callable[[bool | None], str]


def _none(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else f(v)


def _xl_date(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)


def _xl_month(m: int) -> dt.datetime:
    y, mo = ym(m)
    return dt.datetime(y, mo, 1)


def _nfd_sometimes(prefix: str) -> Callable[[str | None], str | None]:
    def f(s: str | None) -> str | None:
        # decided by the text itself (not by a counter), so that every run writes the same cells
        if s is None:
            return None
        return unicodedata.normalize("NFD", s) if len(s) % 3 == 0 else s

    return f


SHAPES = {
    "PCK": Shape("PCK", _none(fmt_date), lambda d: str(d.year), _none(mstr), mstr, lambda s: s, lambda c: c,
                 lambda s: s, lambda ok: "có" if ok else "không", lambda v: "" if v is None else ("có" if v else "không")),
    "SC": Shape("SC", _none(_xl_date), lambda d: str(d.year), _none(mstr), lambda m: f"Tháng {ym(m)[1]}/{ym(m)[0]}",
                lambda s: s, lambda c: None if c is None else str(c).replace(".", ","), lambda s: s,
                lambda ok: "Đã nhận" if ok else "Chưa nhận", lambda v: "" if v is None else ("x" if v else "")),
    "DX": Shape("DX", _none(fmt_date), lambda d: str(d.year), _none(lambda m: f"{ym(m)[0]}-{ym(m)[1]:02d}"),
                lambda m: f"{ym(m)[0]}-{ym(m)[1]:02d}", lambda s: s, lambda c: c, lambda s: s,
                lambda ok: "có" if ok else "không", lambda v: "" if v is None else ("có" if v else "không")),
    "MK": Shape("MK", _none(fmt_date), lambda d: str(d.year), _none(mstr), mstr, lambda s: s, lambda c: c,
                lambda s: s, lambda ok: "có" if ok else "không", lambda v: "" if v is None else ("có" if v else "không")),
    "XH": Shape("XH", _none(_xl_date), lambda d: str(d.year), _none(_xl_month), _xl_month,
                lambda s: None if not s else (int(s) if s.isdigit() and len(s) == 12 else s), lambda c: c,
                _nfd_sometimes("XH"), lambda ok: "x" if ok else "chưa", lambda v: "" if v is None else ("có" if v else "không")),
}  # fmt: skip

# Column headers per table: canonical name -> header, by ward. DX writes canonical names.
HEADERS: dict[str, dict[str, dict[str, str]]] = {
    "PCK": {
        "beneficiaries": {"stt": "STT", "record_id": "Mã hồ sơ", "full_name": "Họ và tên", "birth_date": "Ngày sinh",
                          "sex": "Giới tính", "national_id": "Số định danh", "address": "Địa chỉ", "household_id": "Mã hộ",
                          "category": "Đối tượng", "disability_level": "Mức độ khuyết tật", "coefficient": "Hệ số",
                          "monthly_amount": "Mức hưởng", "decision_no": "Số quyết định", "decision_date": "Ngày quyết định",
                          "application_date": "Ngày nộp hồ sơ", "start_month": "Hưởng từ tháng", "status": "Trạng thái",
                          "end_month": "Thôi hưởng từ tháng", "end_reason": "Lý do thôi hưởng", "studying": "Đang đi học",
                          "cared_for_id": "Số định danh người được chăm sóc", "note": "Ghi chú"},
        "payments": {"stt": "STT", "record_id": "Mã hồ sơ", "full_name": "Họ và tên", "national_id": "Số định danh",
                     "month": "Tháng", "amount": "Số tiền", "paid_date": "Ngày chi trả", "paid": "Đã nhận"},
        "residents": {"stt": "STT", "national_id": "Số định danh", "full_name": "Họ và tên", "birth_date": "Ngày sinh",
                      "sex": "Giới tính", "address": "Địa chỉ", "household_id": "Mã hộ",
                      "residence_status": "Tình trạng cư trú", "moved_out_date": "Ngày chuyển đi",
                      "poverty_status": "Hộ nghèo/cận nghèo"},
        "deaths": {"stt": "STT", "national_id": "Số định danh", "full_name": "Họ và tên", "birth_date": "Ngày sinh",
                   "death_date": "Ngày chết", "registration_date": "Ngày đăng ký khai tử"},
        "disability_certificates": {"stt": "STT", "national_id": "Số định danh", "full_name": "Họ và tên",
                                    "birth_date": "Ngày sinh", "disability_level": "Mức độ khuyết tật",
                                    "issue_date": "Ngày cấp giấy xác nhận", "disability_type": "Dạng tật"},
        "pensions": {"stt": "STT", "national_id": "Số định danh", "full_name": "Họ và tên", "benefit": "Loại trợ cấp",
                     "start_month": "Tháng bắt đầu hưởng", "monthly_amount": "Mức hưởng"},
        "report": {"stt": "STT", "category": "Đối tượng", "description": "Diễn giải", "reported_count": "Số đối tượng",
                   "as_of": "Tính đến ngày"},
    },
    "SC": {
        "beneficiaries": {"stt": "STT", "record_id": "Mã số hồ sơ", "full_name": "Họ tên đối tượng", "birth_date": "Ngày sinh",
                          "sex": "Giới tính", "national_id": "CMND/CCCD", "address": "Thôn/Tổ", "household_id": "Mã hộ",
                          "category": "Loại đối tượng", "disability_level": "Mức độ khuyết tật", "coefficient": "Hệ số",
                          "monthly_amount": "Số tiền (đồng/tháng)", "decision_no": "Số QĐ", "decision_date": "Ngày QĐ",
                          "application_date": "Ngày nộp hồ sơ", "start_month": "Thời điểm hưởng", "status": "Trạng thái",
                          "end_month": "Thôi hưởng từ tháng", "end_reason": "Lý do thôi hưởng", "studying": "Đang đi học",
                          "cared_for_id": "CCCD người khuyết tật", "note": "Ghi chú"},
        "payments": {"stt": "STT", "record_id": "Mã số hồ sơ", "full_name": "Họ tên", "national_id": "CMND/CCCD",
                     "month": "Kỳ chi trả", "amount": "Số tiền chi trả", "paid_date": "Ngày nhận",
                     "paid": "Trạng thái chi trả"},
        "residents": {"stt": "STT", "national_id": "Số CCCD", "full_name": "Họ và tên", "birth_date": "Ngày sinh",
                      "sex": "Giới tính", "address": "Thôn/Tổ", "household_id": "Mã hộ",
                      "residence_status": "Tình trạng cư trú", "moved_out_date": "Ngày chuyển đi",
                      "poverty_status": "Phân loại hộ"},
        "deaths": {"stt": "STT", "national_id": "Số CCCD", "full_name": "Họ và tên", "birth_date": "Ngày sinh",
                   "death_date": "Ngày tử vong", "registration_date": "Ngày đăng ký khai tử"},
        "disability_certificates": {"stt": "STT", "national_id": "Số CCCD", "full_name": "Họ và tên", "birth_date": "Ngày sinh",
                                    "disability_level": "Mức độ khuyết tật", "issue_date": "Ngày cấp",
                                    "disability_type": "Dạng tật"},
        "pensions": {"stt": "STT", "national_id": "Số CCCD", "full_name": "Họ và tên", "benefit": "Loại trợ cấp",
                     "start_month": "Tháng bắt đầu hưởng", "monthly_amount": "Mức hưởng"},
        "report": {"stt": "STT", "category": "Đối tượng", "description": "Diễn giải", "reported_count": "Số đối tượng"},
    },
    "XH": {
        "beneficiaries": {"stt": "TT", "record_id": "Mã số", "full_name": "Họ tên đối tượng", "birth_date": "Ngày tháng năm sinh",
                          "sex": "Nam/Nữ", "national_id": "Số CCCD", "address": "Nơi cư trú", "household_id": "Số hộ",
                          "category": "Diện hưởng", "disability_level": "Mức độ khuyết tật", "coefficient": "Hệ số",
                          "monthly_amount": "Mức trợ cấp", "decision_no": "Số QĐ", "decision_date": "Ngày QĐ",
                          "application_date": "Ngày nhận hồ sơ", "start_month": "Ngày hưởng", "status": "Tình trạng hưởng",
                          "end_month": "Dừng hưởng từ tháng", "end_reason": "Lý do giảm", "studying": "Đang học",
                          "cared_for_id": "Số CCCD người được chăm sóc", "note": "Ghi chú"},
        "payments": {"stt": "TT", "record_id": "Mã số", "full_name": "Họ tên", "national_id": "Số CCCD",
                     "month": "Kỳ chi trả", "amount": "Thành tiền", "paid_date": "Ngày nhận", "paid": "Ký nhận"},
        "residents": {"stt": "TT", "national_id": "Số CCCD", "full_name": "Họ và tên", "birth_date": "Ngày tháng năm sinh",
                      "sex": "Nam/Nữ", "address": "Nơi cư trú", "household_id": "Số hộ",
                      "residence_status": "Tình trạng cư trú", "moved_out_date": "Ngày chuyển đi",
                      "poverty_status": "Phân loại hộ"},
        "deaths": {"stt": "TT", "national_id": "Số CCCD", "full_name": "Họ và tên", "birth_date": "Ngày tháng năm sinh",
                   "death_date": "Ngày chết", "registration_date": "Ngày đăng ký"},
        "disability_certificates": {"stt": "TT", "national_id": "Số CCCD", "full_name": "Họ và tên",
                                    "birth_date": "Ngày tháng năm sinh", "disability_level": "Mức độ khuyết tật",
                                    "issue_date": "Ngày cấp", "disability_type": "Dạng tật"},
        "pensions": {"stt": "TT", "national_id": "Số CCCD", "full_name": "Họ và tên", "benefit": "Loại chế độ",
                     "start_month": "Tháng bắt đầu hưởng", "monthly_amount": "Mức hưởng"},
        "report": {"stt": "TT", "category": "Đối tượng", "description": "Diễn giải", "reported_count": "Số lượng"},
    },
}  # fmt: skip
HEADERS["MK"] = HEADERS["PCK"]  # the tidy twin and the other tables; the printed forms are below
HEADERS["DX"] = {
    t: {k: k for k in cols if k not in ("stt", "description")} for t, cols in HEADERS["PCK"].items()
}  # fmt: skip

FILE_NAMES = {
    "PCK": {"beneficiaries": "Danh sách đối tượng", "payments": "Danh sách chi trả", "residents": "Dân cư",
            "deaths": "Khai tử", "disability_certificates": "Giấy xác nhận khuyết tật", "pensions": "Lương hưu",
            "report": "Báo cáo"},
    "MK": {"beneficiaries": "Danh sách đối tượng", "payments": "Danh sách chi trả", "residents": "Dân cư",
           "deaths": "Khai tử", "disability_certificates": "Giấy xác nhận khuyết tật", "pensions": "Lương hưu",
           "report": "Báo cáo"},
    "XH": {"beneficiaries": "danh_sach_doi_tuong", "payments": "danh_sach_chi_tra", "residents": "dan_cu",
           "deaths": "khai_tu", "disability_certificates": "giay_xac_nhan_khuyet_tat", "pensions": "luong_huu",
           "report": "bao_cao"},
}  # fmt: skip
TITLES = {
    "beneficiaries": "DANH SÁCH ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI HƯỞNG TRỢ CẤP HẰNG THÁNG",
    "payments": "DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI HẰNG THÁNG (THÁNG 01/2022 - 02/2023)",
    "residents": "DANH SÁCH DÂN CƯ (TRÍCH CƠ SỞ DỮ LIỆU DÂN CƯ)",
    "deaths": "DANH SÁCH ĐĂNG KÝ KHAI TỬ",
    "disability_certificates": "DANH SÁCH CẤP GIẤY XÁC NHẬN KHUYẾT TẬT",
    "pensions": "DANH SÁCH NGƯỜI HƯỞNG LƯƠNG HƯU, TRỢ CẤP BHXH HẰNG THÁNG",
    "report": "BÁO CÁO SỐ LIỆU ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI HƯỞNG TRỢ CẤP HẰNG THÁNG",
}
SHEET_NAMES = {"beneficiaries": "Danh sách đối tượng", "payments": "Danh sách chi trả", "residents": "Dân cư",
               "deaths": "Khai tử", "disability_certificates": "Giấy xác nhận khuyết tật", "pensions": "Lương hưu",
               "report": "Báo cáo"}  # fmt: skip
#: Rows above the header (title rows + a blank row) per ward shape.
TITLE_ROWS = {"PCK": 4, "SC": 3, "DX": 0, "XH": 1, "MK": 3}
SEX_WORD = {"M": "Nam", "F": "Nữ"}


def ordered_lines(w: Ward) -> list[Line]:
    def key(ln: Line) -> tuple[Any, ...]:
        cat = ln.cat if "category" not in ln.raw else "ZZ"
        return (CAT_ORDER.index(cat) if cat in CAT_ORDER else 99, ln.address, name_key(ln.name), ln.rid)

    return sorted(w.lines, key=key)


def table_records(w: Ward, s: Shape) -> dict[str, list[dict[str, Any]]]:
    """The canonical records of every table, in written order, with rows assigned."""
    first = TITLE_ROWS[s.prefix] + 2  # header row + 1
    out: dict[str, list[dict[str, Any]]] = {}

    def bdate(d: dt.date, yo: bool) -> Any:
        return s.year_only(d) if yo else s.date(d)

    lines = ordered_lines(w)
    recs = []
    for i, ln in enumerate(lines):
        ln.row = first + i
        r = {
            "record_id": ln.rid, "full_name": s.text(ln.name), "birth_date": bdate(ln.birth, ln.year_only),
            "sex": SEX_WORD[ln.sex], "national_id": s.ident(ln.nid), "address": s.text(ln.address),
            "household_id": ln.household, "category": label(s.prefix, ln),
            "disability_level": LEVEL_WORD.get(ln.level or "", None), "coefficient": s.coef(ln.coef),
            "monthly_amount": ln.amount, "decision_no": ln.dec_no, "decision_date": s.date(ln.dec_date),
            "application_date": s.date(ln.app_date), "start_month": s.month(ln.start_m),
            "status": ln.status, "end_month": s.month(ln.end_m), "end_reason": ln.end_reason,
            "studying": s.yes_no(ln.studying), "cared_for_id": s.ident(ln.cared_for), "note": ln.note,
        }  # fmt: skip
        r.update(ln.raw)
        recs.append(r)
    out["beneficiaries"] = recs
    pays = []
    for m in PERIOD:
        y, mo = ym(m)
        for ln in lines:
            if m in ln.pay:
                amount, ok = ln.pay[m]
                pays.append({
                    "record_id": ln.rid, "full_name": s.text(ln.name), "national_id": s.ident(ln.nid),
                    "month": s.pay_month(m), "amount": amount, "paid_date": s.date(dt.date(y, mo, 10)) if ok else None,
                    "paid": s.paid(ok),
                })  # fmt: skip
    out["payments"] = pays
    residents = sorted(
        (p for p in w.people if p.in_residents), key=lambda p: (p.address, p.household, name_key(p.name))
    )
    out["residents"] = []
    for i, p in enumerate(residents):
        p.row = first + i
        out["residents"].append({
            "national_id": s.ident(p.nid), "full_name": s.text(p.name), "birth_date": bdate(p.birth, p.year_only),
            "sex": SEX_WORD[p.sex], "address": s.text(p.address), "household_id": p.household,
            "residence_status": p.residence, "moved_out_date": s.date(p.moved_out), "poverty_status": p.poverty,
        })  # fmt: skip
    out["deaths"] = []
    for i, d in enumerate(sorted(w.deaths, key=lambda d: d.death)):
        d.row = first + i
        out["deaths"].append({
            "national_id": s.ident(d.nid), "full_name": s.text(d.name), "birth_date": bdate(d.birth, d.year_only),
            "death_date": s.date(d.death), "registration_date": s.date(d.reg),
        })  # fmt: skip
    out["disability_certificates"] = []
    for i, c in enumerate(sorted(w.certs, key=lambda c: (c.issue, name_key(c.name)))):
        c.row = first + i
        out["disability_certificates"].append({
            "national_id": s.ident(c.nid), "full_name": s.text(c.name), "birth_date": s.date(c.birth),
            "disability_level": c.level, "issue_date": s.date(c.issue), "disability_type": c.kind,
        })  # fmt: skip
    out["pensions"] = []
    for i, pe in enumerate(sorted(w.pensions, key=lambda pe: (pe.start_m, name_key(pe.name)))):
        pe.row = first + i
        out["pensions"].append({
            "national_id": s.ident(pe.nid), "full_name": s.text(pe.name), "benefit": pe.benefit,
            "start_month": s.month(pe.start_m), "monthly_amount": pe.amount,
        })  # fmt: skip
    out["report"] = []
    for i, (cat, desc, n) in enumerate(w.report):
        w.report_rows[cat] = first + i
        out["report"].append({
            "category": "Tổng số" if cat == "TOTAL" else cat, "description": desc, "reported_count": n,
            "as_of": s.date(AS_OF),
        })  # fmt: skip
    return out


def assign_rows(w: Ward) -> dict[str, list[dict[str, Any]]]:
    return table_records(w, SHAPES[w.prefix])


FIXED_TIME = dt.datetime(2023, 3, 1, 8, 0, 0)


def _fill_sheet(
    ws: Any, w: Ward, table: str, records: list[dict[str, Any]], *, total_row: bool = False
) -> None:
    prefix = w.prefix
    headers = HEADERS[prefix][table]
    cols = list(headers)
    n_title = TITLE_ROWS[prefix]
    if n_title:
        ws.cell(row=1, column=1, value=f"UBND {w.name.upper()}").font = Font(bold=True)
        if n_title >= 2:
            ws.cell(row=2, column=1, value=TITLES[table]).font = Font(bold=True)
        if n_title >= 3:
            ws.cell(row=3, column=1, value=f"(Tính đến ngày {fmt_date(AS_OF)})").alignment = Alignment(
                horizontal="left"
            )
    hr = n_title + 1
    for j, c in enumerate(cols, 1):
        ws.cell(row=hr, column=j, value=headers[c]).font = Font(bold=True)
    for i, r in enumerate(records):
        for j, c in enumerate(cols, 1):
            v = i + 1 if c == "stt" else r.get(c)
            if v is None or v == "":
                continue
            cell = ws.cell(row=hr + 1 + i, column=j, value=v)
            if isinstance(v, dt.datetime):
                cell.number_format = "mm/yyyy" if c in ("start_month", "month", "end_month") else "dd/mm/yyyy"
            elif isinstance(v, int) and c in ("amount", "monthly_amount"):
                cell.number_format = "#,##0"
            elif isinstance(v, int) and c in ("national_id", "cared_for_id"):
                cell.number_format = "0"
    if total_row:
        tr = hr + 1 + len(records)
        ws.cell(row=tr, column=cols.index("full_name") + 1, value="Tổng cộng").font = Font(bold=True)
        col = "monthly_amount" if "monthly_amount" in cols else "amount"
        total = sum(int(r[col]) for r in records if isinstance(r.get(col), int))
        ws.cell(row=tr, column=cols.index(col) + 1, value=total).number_format = "#,##0"
    for j in range(1, len(cols) + 1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = 16


def _save_workbook(wb: Any, path: Path) -> None:
    """Save with fixed document properties and zip timestamps, so that the bytes do not change."""
    wb.properties.creator = "audit_toolkit sample generator"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{stamp}\g<3>", text
                )
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=(2023, 3, 1, 8, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)


def ward_yaml(w: Ward) -> str:
    return (
        f'ward_code: "{w.code}"\n'
        f'ward_name: "{w.name[0].upper() + w.name[1:]}"\n'
        'district_name: "Thành phố Bắc Kạn"\n'
        'province_code: "06"\n'
        'province_name: "Bắc Kạn"\n'
    )


def write_ward(
    w: Ward, tables: dict[str, list[dict[str, Any]]], sample: Path, *, office: bool = True
) -> None:
    """Write a ward in its shape; ``office=False`` writes the printed-form ward (MK) as tidy tables instead."""
    if w.prefix == "MK" and office:
        write_office_ward(w, tables, sample / w.slug)
    elif w.prefix in ("PCK", "XH", "MK"):
        folder = sample / w.slug
        folder.mkdir(parents=True)
        (folder / "ward.yml").write_text(ward_yaml(w), encoding="utf-8")
        for table, recs in tables.items():
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = SHEET_NAMES[table]
            _fill_sheet(ws, w, table, recs)
            _save_workbook(wb, folder / f"{FILE_NAMES[w.prefix][table]}.xlsx")
    elif w.prefix == "SC":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "ward"
        for i, (k, v) in enumerate([("ward_code", w.code), ("ward_name", "Phường Sông Cầu"),
                                    ("province_code", "06"), ("province_name", "Bắc Kạn")], 1):  # fmt: skip
            ws.cell(row=i, column=1, value=k)
            ws.cell(row=i, column=2, value=v)
        for table, recs in tables.items():
            _fill_sheet(
                wb.create_sheet(SHEET_NAMES[table]), w, table, recs, total_row=table == "beneficiaries"
            )
        _save_workbook(wb, sample / f"{w.slug}.xlsx")
    else:  # DX: canonical CSV, UTF-8 with BOM
        folder = sample / w.slug
        folder.mkdir(parents=True)
        (folder / "ward.yml").write_text(ward_yaml(w), encoding="utf-8")
        for table, recs in tables.items():
            cols = list(HEADERS["DX"][table])
            with (folder / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
                wr = csv.writer(fh, lineterminator="\n")
                wr.writerow(cols)
                for r in recs:
                    wr.writerow(["" if r.get(c) is None else r.get(c) for c in cols])


# ==================================================================================================
# The printed-form ward (Nguyễn Thị Minh Khai): category sections, Nam/Nữ birth columns, payments one
# sheet per month with a signature column (data contract §1a)
# ==================================================================================================
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
#: (section label, sub-sections [(label, line filter)], line filter for records directly under it)
OfficeGroup = tuple[str, list[tuple[str, Callable[[Line], bool]]], Callable[[Line], bool] | None]


def _known(cat: str, level: str | None = None) -> Callable[[Line], bool]:
    return lambda ln: "category" not in ln.raw and ln.cat == cat and (level is None or ln.level == level)


OFFICE_SECTIONS: list[OfficeGroup] = [
    ("TRẺ EM DƯỚI 16 TUỔI KHÔNG CÓ NGUỒN NUÔI DƯỠNG", [], _known("K1")),
    ("NGƯỜI TỪ 16 ĐẾN 22 TUỔI ĐANG HỌC", [], _known("K2")),
    ("NGƯỜI ĐƠN THÂN NGHÈO ĐANG NUÔI CON", [], _known("K4")),
    ("NGƯỜI CAO TUỔI", [("Người cao tuổi cô đơn thuộc hộ nghèo", _known("K5a")),
                        ("Người từ đủ 80 tuổi trở lên không có lương hưu, trợ cấp BHXH", _known("K5c"))], None),
    # K6 at level "nhẹ" sits right under the outer section: the level column says it.
    ("NGƯỜI KHUYẾT TẬT", [("Khuyết tật đặc biệt nặng", _known("K6", "ĐBN")),
                          ("Khuyết tật nặng", _known("K6", "nặng"))], _known("K6", "nhẹ")),
    ("HỘ GIA ĐÌNH TRỰC TIẾP CHĂM SÓC NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", [], _known("C2")),
    ("HỖ TRỢ ĐỘT XUẤT", [], lambda ln: ln.raw.get("category") == "Hỗ trợ đột xuất"),
]  # fmt: skip
#: Printed beneficiary form: (canonical column, header); birth_date is split under Nam | Nữ.
OFFICE_BEN = [("stt", "STT"), ("record_id", "Mã hồ sơ"), ("full_name", "Họ và tên"),
              ("birth_M", "Ngày, tháng, năm sinh"), ("birth_F", None), ("national_id", "Số định danh"),
              ("address", "Địa chỉ"), ("household_id", "Mã hộ"), ("disability_level", "Mức độ khuyết tật"),
              ("coefficient", "Hệ số"), ("monthly_amount", "Mức hưởng"), ("decision_no", "Số quyết định"),
              ("decision_date", "Ngày quyết định"), ("application_date", "Ngày nộp hồ sơ"),
              ("start_month", "Hưởng từ tháng"), ("status", "Trạng thái"), ("end_month", "Thôi hưởng từ tháng"),
              ("end_reason", "Lý do thôi hưởng"), ("studying", "Đang đi học"),
              ("cared_for_id", "Số định danh người được chăm sóc"), ("note", "Ghi chú")]  # fmt: skip
OFFICE_PAY = [("stt", "STT"), ("record_id", "Mã hồ sơ"), ("full_name", "Họ và tên"), ("national_id", "Số định danh"),
              ("amount", "Số tiền"), ("signature", "Ký nhận"), ("note", "Ghi chú")]  # fmt: skip


def _office_sheet(ws: Any, rows: list[list[Any]], merges: list[str]) -> None:
    for r in rows:
        ws.append(r)
    for rng_ in merges:
        ws.merge_cells(rng_)
    for j in range(1, len(rows[3]) + 1 if len(rows) > 3 else 2):
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = 16


def office_beneficiaries(w: Ward, records: list[dict[str, Any]]) -> tuple[list[list[Any]], list[str]]:
    """The printed beneficiary form: sets each line's ``row`` to the row it is written on."""
    by_line = dict(zip(ordered_lines(w), records, strict=True))
    width = len(OFFICE_BEN)
    last = openpyxl.utils.get_column_letter(width)
    amount_col = [c for c, _ in OFFICE_BEN].index("monthly_amount")
    rows: list[list[Any]] = [
        [f"UBND {w.name.upper()}"],
        [TITLES["beneficiaries"]],
        [f"(Tính đến ngày {fmt_date(AS_OF)})"],
    ]
    head1 = [h for _, h in OFFICE_BEN]
    head2 = ["Nam" if c == "birth_M" else "Nữ" if c == "birth_F" else None for c, _ in OFFICE_BEN]
    rows += [head1, head2, [f"({i})" for i in range(1, width + 1)]]
    merges = [f"{openpyxl.utils.get_column_letter(j + 1)}4:{openpyxl.utils.get_column_letter(j + 1)}5"
              for j, (c, _) in enumerate(OFFICE_BEN) if not c.startswith("birth_")]  # fmt: skip
    b = [c for c, _ in OFFICE_BEN].index("birth_M") + 1
    merges.append(f"{openpyxl.utils.get_column_letter(b)}4:{openpyxl.utils.get_column_letter(b + 1)}4")
    placed: set[int] = set()
    grand = 0

    def section_row(text: str) -> None:
        rows.append([text] + [None] * (width - 1))
        merges.append(f"A{len(rows)}:{last}{len(rows)}")

    def records_of(keep: Callable[[Line], bool]) -> int:
        total = 0
        for stt, (ln, rec) in enumerate(((ln, r) for ln, r in by_line.items() if keep(ln)), start=1):
            cells: list[Any] = []
            for c, _ in OFFICE_BEN:
                if c == "stt":
                    cells.append(stt)  # numbering restarts in every section
                elif c.startswith("birth_"):
                    cells.append(rec["birth_date"] if ln.sex == c[-1] else None)
                else:
                    v = rec.get(c)
                    cells.append(None if v in (None, "") else v)
            rows.append(cells)
            ln.row = len(rows)
            placed.add(id(ln))
            total += ln.amount if isinstance(rec.get("monthly_amount"), int) and ln.amount else 0
        return total

    n = 0
    for label_, subs, direct in OFFICE_SECTIONS:
        members = [ln for ln in by_line if (direct and direct(ln)) or any(f(ln) for _, f in subs)]
        if not members:
            continue
        roman = ROMAN[n]
        n += 1
        section_row(f"{roman}. {label_}")
        total = records_of(direct) if direct else 0
        for k, (sub_label, keep) in enumerate((s for s in subs if any(s[1](ln) for ln in by_line)), start=1):
            section_row(f"{k}. {sub_label}")
            sub_total = records_of(keep)
            total += sub_total
            # a subtotal written as a bare number in the amount column
            rows.append([None] * amount_col + [sub_total] + [None] * (width - amount_col - 1))
        rows.append(
            [f"Cộng mục {roman}"] + [None] * (amount_col - 1) + [total] + [None] * (width - amount_col - 1)
        )
        grand += total
    assert len(placed) == len(by_line), "a line has no section in the printed form"
    rows.append(["Tổng cộng"] + [None] * (amount_col - 1) + [grand] + [None] * (width - amount_col - 1))
    rows.append([])
    rows.append([None, None, "Người lập biểu"] + [None] * 8 + ["TM. ỦY BAN NHÂN DÂN"])
    rows.append([None, None, "(Ký, ghi rõ họ tên)"] + [None] * 8 + ["CHỦ TỊCH"])
    return rows, merges


def office_payment_sheets(w: Ward) -> dict[str, list[list[Any]]]:
    """One payment sheet per month, the month in the sheet name and the title; a signature column."""
    out: dict[str, list[list[Any]]] = {}
    lines = ordered_lines(w)
    for m in PERIOD:
        y, mo = ym(m)
        name = f"T{mo}-{y}" if y == 2022 else f"Tháng {mo}-{y}"
        rows: list[list[Any]] = [[f"UBND {w.name.upper()}"],
                                 [f"DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI THÁNG {mo:02d} NĂM {y}"], [],
                                 [h for _, h in OFFICE_PAY]]  # fmt: skip
        total = 0
        for ln in lines:
            if m not in ln.pay:
                continue
            amount, ok = ln.pay[m]
            total += amount
            # money not received: in the signature column one month, in the note the next
            sign = None if ok else ("chưa nhận" if mo % 2 == 0 else None)
            note = None if ok or mo % 2 == 0 else "vắng"
            rows.append([len(rows) - 3, ln.rid, ln.name, ln.nid, amount, sign, note])
        rows.append([None, "Tổng cộng", None, None, total, None, None])
        out[name] = rows
    return out


def write_office_ward(w: Ward, tables: dict[str, list[dict[str, Any]]], folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "ward.yml").write_text(ward_yaml(w), encoding="utf-8")
    for table, recs in tables.items():
        wb = openpyxl.Workbook()
        ws = wb.active
        if table == "beneficiaries":
            ws.title = SHEET_NAMES[table]
            _office_sheet(ws, *office_beneficiaries(w, recs))
        elif table == "payments":
            wb.remove(ws)
            for name, rows in office_payment_sheets(w).items():
                _office_sheet(wb.create_sheet(name), rows, [])
        else:
            ws.title = SHEET_NAMES[table]
            _fill_sheet(ws, w, table, recs)
        _save_workbook(wb, folder / f"{FILE_NAMES[w.prefix][table]}.xlsx")


# ==================================================================================================
# Reports, expected findings, main
# ==================================================================================================
def set_report(w: Ward, *, wrong: dict[str, int] | None = None, fixed: dict[str, int] | None = None) -> None:
    counts, total = active_counts(w)
    if fixed is not None:
        assert counts == {k: v for k, v in fixed.items() if k != "TOTAL"}, (counts, fixed)
        assert total == fixed["TOTAL"], (total, fixed)
        values = dict(fixed)
    else:
        values = {"TOTAL": total, **counts}
        for k, dv in (wrong or {}).items():
            values[k] += dv
    order = ["TOTAL"] + [c for c in ["K6", "C2", "K5a", "K1", "K2", "K4", "K5c"] if c in values]
    w.report = [(c, REPORT_DESC[c], values[c]) for c in order]
    cat_sum = sum(v for c, v in values.items() if c != "TOTAL")
    for c in order:
        if c == "TOTAL":
            why = []
            if values[c] != total:
                why.append(f"total {values[c]} but {total} distinct people have an active line")
            if values[c] != cat_sum:
                why.append(f"the category rows add up to {cat_sum}, not to the total {values[c]}")
            if why:
                w.declare("REPORT_MISMATCH", "report:TOTAL", "Report total row: " + "; ".join(why) + ".")
        elif values[c] != counts[c]:
            w.declare(
                "REPORT_MISMATCH",
                f"report:{c}",
                f"Report says {values[c]} for {c}, the records show {counts[c]} people with an active {c} line.",
            )


def declared_findings(w: Ward) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for d in w.declared:
        if isinstance(d.ref, tuple):  # duplicates: the finding names the line whose person key sorts first
            key = min(d.ref, key=lambda ln: (ln.person_key(), ln.row)).person_key()
        elif isinstance(d.ref, Line):
            key = d.ref.person_key()
        elif isinstance(d.ref, Person):
            key = pkey(d.ref.nid, d.ref.name, d.ref.birth, d.ref.year_only)
        else:
            key = d.ref
        assert (d.check, key) not in out, (w.code, d.check, key)
        out[(d.check, key)] = d.note
    for ln, _col, note in w.unreadable_notes:
        out[("UNREADABLE_ROW", f"row:{ln.row}")] = f"Unreadable beneficiary row ({ln.name}): {note}."
    return out


CHECK_ORDER = ["UNREADABLE_ROW", "ID_INVALID", "ID_MISMATCH", "ID_CONFLICT", "DUPLICATE_ID", "DUPLICATE_PERSON",
               "MISSED_ELDERLY", "MISSED_DISABILITY", "MISSED_CARE", "DECEASED_ACTIVE", "MOVED_ACTIVE", "AGE_OUT",
               "PAID_AFTER_END", "INELIGIBLE", "WRONG_COEFFICIENT", "WRONG_AMOUNT", "UNPAID_MONTHS",
               "LATE_DECISION", "REPORT_MISMATCH"]  # fmt: skip
EXPECTED_COLUMNS = ["check_id", "national_id", "full_name", "amount_vnd", "rows", "note"]


def reconcile(
    w: Ward, found: dict[tuple[str, str], Finding], notes: dict[tuple[str, str], str]
) -> list[Finding]:
    extra = sorted(set(found) - set(notes))
    missing = sorted(set(notes) - set(found))
    if extra or missing:
        raise SystemExit(
            f"{w.code}: oracle and plants disagree.\n  undeclared: {extra}\n  not found: {missing}"
        )
    out = []
    for k, f in found.items():
        f.note = notes[k]
        out.append(f)
    out.sort(key=lambda f: (CHECK_ORDER.index(f.check), int(re.sub(r"\D", "", f.rows[0].split(":")[1]) or 0)))
    return out


def write_expected(
    path: Path, findings: list[Finding], rows_fmt: Callable[[Finding], str] | None = None
) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(EXPECTED_COLUMNS)
        for f in findings:
            rows = rows_fmt(f) if rows_fmt else ";".join(f.rows)
            wr.writerow([f.check, f.nid, f.name, f.amount, rows, f.note])


def cross_ward(wards: list[Ward]) -> list[Finding]:
    """CROSS_WARD_DUPLICATE: same valid ID, or the DUPLICATE_PERSON rule, active in the same month in 2+ wards."""
    entries = [(w, ln) for w in wards for ln in w.lines if not ln.unreadable]
    groups: list[list[tuple[Ward, Line]]] = []
    for i, (wa, a) in enumerate(entries):
        for wb, b in entries[i + 1 :]:
            if wa is wb:
                continue
            same = valid12(a.nid) and a.nid == b.nid
            if not same and not same_person(a, b):
                continue
            if any(a.active(m) and b.active(m) for m in PERIOD):
                groups.append([(wa, a), (wb, b)])
    out = []
    for g in groups:
        (wa, a), (wb, b) = sorted(g, key=lambda e: e[1].start_m or 0)
        common = [m for m in PERIOD if a.active(m) and b.active(m)]
        amount = sum(b.received().get(m, 0) for m in common)
        same = a.nid == b.nid
        f = Finding("CROSS_WARD_DUPLICATE", a.person_key(), a.nid or "", a.name, amount,
                    [f"{wa.code}/beneficiaries:{a.row}", f"{wb.code}/beneficiaries:{b.row}"])  # fmt: skip
        f.note = (
            f"Active in {wa.name} and {wb.name} in {len(common)} common months "
            + ("under the same ID (moved without being removed)." if same else "under two different IDs (same name and birth date).")
        )  # fmt: skip
        out.append(f)
    return out


def build_all(seed: int = 20230228) -> list[Ward]:
    rng = random.Random(seed)
    reg = Registry(rng)
    pck = build_phung_chi_kien(reg, rng)
    sc = build_song_cau(reg, rng, pck.cross_moved)  # type: ignore[attr-defined]
    dx = build_duc_xuan(reg, rng)
    xh = build_xuat_hoa(reg, rng, dx.cross_nb)  # type: ignore[attr-defined]
    # Reports. Phùng Chí Kiên: the ward's own figures (94 K6, 26 C2, 2 K5a, 3 K1, 26 K5c, total 149). Two
    # people hold both a K6 and a K5c line (DUPLICATE_ID), so the category rows add up to 151 while the
    # distinct people number 149: the only REPORT_MISMATCH is the total row (categories != total).
    set_report(pck, fixed={"TOTAL": 149, "K6": 94, "C2": 26, "K5a": 2, "K1": 3, "K5c": 26})
    set_report(sc, wrong={"K5c": +1})  # one K5c too many
    set_report(dx, wrong={"TOTAL": -2, "K6": -1})  # total and K6 under-reported
    set_report(xh, wrong={"C2": +1, "K1": -1})
    mk = build_nguyen_thi_minh_khai(reg, rng)
    set_report(mk, wrong={"K5c": -1})
    return [pck, sc, dx, xh, mk]


#: data/sample/batch.yml: the batch's name, the title of the city summary page.
BATCH_YML = """# The batch: every ward folder or workbook beside this file, audited together.
# `name` is the title of the city summary page (summary/index.html).
name: "Thành phố Bắc Kạn (cũ)"
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent, help="folder for sample/ and expected/"
    )
    ap.add_argument("--seed", type=int, default=20230228)
    args = ap.parse_args(argv)
    wards = build_all(args.seed)
    sample, expected = args.out / "sample", args.out / "expected"
    for d in (sample, expected):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    for w in wards:
        tables = assign_rows(w)
        write_ward(w, tables, sample)
        findings = reconcile(w, oracle(w), declared_findings(w))
        checks = {f.check for f in findings}
        assert checks == set(CHECK_ORDER), (w.code, set(CHECK_ORDER) - checks)
        write_expected(expected / f"{w.code}.csv", findings)
    write_expected(expected / "summary.csv", cross_ward(wards))
    (sample / "batch.yml").write_text(BATCH_YML, encoding="utf-8")
    print(f"wrote {sample} and {expected}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
