"""Which checks of a ward's audit ran on name matching: people without a valid national ID.

When a record carries no valid ID the loader keys the person on name + birth date
(``person_key`` ``nb:…``, see ``io.convert.person_keys``) and every check matches on that key;
:func:`audit_toolkit.findings.finalize` notes it in each such finding's ``detail``. This module
sums it up per check for the report and the notebook, so a reader sees how much of the audit rests on
names rather than IDs.

Example:
    >>> m = name_matching(result)  # doctest: +SKIP
    >>> m.no_ids, [c.check_id for c in m.checks]  # doctest: +SKIP
    (True, ['ID_INVALID', 'DUPLICATE_PERSON', ...])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from audit_toolkit.findings import NAME_MATCH_PREFIX
from audit_toolkit.messages import t

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult

__all__ = ["NOT_ABOUT_PEOPLE", "NameMatchedCheck", "NameMatching", "name_matching"]

#: Checks about rows or report figures, not people: they never match a person, by ID or by name.
NOT_ABOUT_PEOPLE = frozenset({"UNREADABLE_ROW", "REPORT_MISMATCH"})


@dataclass(frozen=True)
class NameMatchedCheck:
    """One check that ran on name matching: its findings, and how many of them rest on names."""

    check_id: str
    title: str
    findings: int
    by_name: int


@dataclass(frozen=True)
class NameMatching:
    """How the ward's people were matched (see :func:`name_matching`)."""

    lines: int  # lines of the beneficiary list
    lines_without_id: int  # of which carry no valid national ID
    checks: tuple[NameMatchedCheck, ...]  # the checks that ran on name matching

    @property
    def no_ids(self) -> bool:
        """No line has a valid ID: every check matched on names."""
        return self.lines > 0 and self.lines_without_id == self.lines

    def sentence(self, lang: str) -> str:
        """What a reader needs to know, as one sentence of the catalogue."""
        if self.no_ids:
            return t("matching.no_ids", lang)
        if self.lines_without_id:
            return t(
                "matching.some_without_id", lang, count=f"{self.lines_without_id:,}", total=f"{self.lines:,}"
            )
        return t("matching.all_ids", lang)

    def by_check(self) -> dict[str, int]:
        """``check_id`` → findings matched on name, for the checks listed."""
        return {c.check_id: c.by_name for c in self.checks}


def name_matching(result: AuditResult) -> NameMatching:
    """Sum up name matching in one ward's audit.

    A check is listed when it ran and either the ward has no valid ID on any line (then every check
    matched on names, with or without findings) or at least one of its findings is about a person
    matched on name + birth date.

    Args:
        result: the ward's audit.

    Returns:
        The counts of lines without ID and the checks that ran on name matching, in catalogue order.
    """
    lang = result.lang
    from audit_toolkit.roster import roster_summary

    keys = roster_summary(result).lines["person_key"]
    has_id = keys.str.startswith("id:").fillna(False).to_numpy(dtype=bool)
    lines = len(keys)
    without = int(lines - has_id.sum())
    f = result.findings
    by_name = (
        f.loc[f["person_key"].astype("str").str.startswith(NAME_MATCH_PREFIX).fillna(False), "check_id"]
        .value_counts()
        .to_dict()
        if len(f)
        else {}
    )
    everyone = lines > 0 and without == lines
    checks = tuple(
        NameMatchedCheck(
            s.check_id,
            t(f"report.check.{s.check_id}.title", lang),
            int(s.findings),
            int(by_name.get(s.check_id, 0)),
        )
        for s in result.checks
        if s.status == "run"
        and s.check_id not in NOT_ABOUT_PEOPLE
        and (everyone or by_name.get(s.check_id, 0))
    )
    return NameMatching(lines=lines, lines_without_id=without, checks=checks)
