"""Identity and duplicates: which rows are the same student, and which one of them is kept."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import normalised_address
from microintern.domain.screening.model import Applicant, Flag, FlagCode
from microintern.domain.screening.proposals import coordinator_decision

_WORD = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def _name_key(text: str) -> str:
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text.casefold()))


def _student_id(a: Applicant) -> str:
    student_id = "".join(a.answers.get("student_id", "").split()).casefold()
    # "n/a", "none", "-": placeholders are not ids and must not tie strangers together.
    return student_id if any(c.isdigit() for c in student_id) else ""


def _identity_keys(a: Applicant, student_id: str) -> list[tuple[str, str]]:
    keys = []
    if student_id:
        keys.append(("student id", student_id))
    if a.student_email_ok:
        # Case, spaces, and Gmail's dots and +tags aside: one mailbox is one student.
        keys.append(("email", normalised_address(a.student_email)))
    return keys


def _name_and_school(a: Applicant) -> str:
    first = _name_key(a.answers.get("first_name", ""))
    last = _name_key(a.answers.get("last_name", ""))
    school = _name_key(a.answers.get("school", ""))
    return f"{first}\x00{last}\x00{school}" if first and last and school else ""


def _kept_because(keeper: Applicant, other: Applicant) -> str:
    if coordinator_decision(keeper.record.get(sheet.DECISION)) is not None:
        return "the submission the coordinator decided"
    if keeper.submitted and other.submitted and keeper.submitted < other.submitted:
        return "an earlier submission"
    return "the submission kept"


def mark_duplicates(applicants: Sequence[Applicant]) -> None:
    """Mark every row but the first of the same student DUPLICATE.

    The same student: the same student id, or the same valid email (Gmail dots and +tags
    aside), or the same name and school (accents, case and punctuation aside) unless the two
    gave different student ids, since two students at one school can share a name. Links are
    transitive. The row kept is the one the coordinator decided, else the earliest: it holds
    the applicant id the student was acknowledged under (intake merges a resubmission into that
    row; rows left to link here are older imports or name-and-school matches).
    """
    parent = list(range(len(applicants)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    ids = [_student_id(a) for a in applicants]
    keys = [_identity_keys(a, sid) for a, sid in zip(applicants, ids, strict=True)]
    names = [_name_and_school(a) for a in applicants]
    first_with: dict[tuple[str, str], int] = {}
    for i, own in enumerate(keys):
        for key in own:
            j = first_with.setdefault(key, i)
            if j != i:
                link(i, j)
    same_name: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            same_name.setdefault(name, []).append(i)
    for members in same_name.values():
        if len(members) > 1 and len({ids[i] for i in members if ids[i]}) <= 1:
            for i in members[1:]:
                link(i, members[0])

    groups: dict[int, list[int]] = {}
    for i in range(len(applicants)):
        groups.setdefault(root(i), []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        # Keep a decided row, else the earliest; an unreadable time counts as the latest.
        kept = min(members, key=lambda i: (
            coordinator_decision(applicants[i].record.get(sheet.DECISION)) is None,
            applicants[i].submitted.timestamp() if applicants[i].submitted else math.inf,
            applicants[i].applicant_id,
        ))
        keeper = applicants[kept]
        kept_keys = dict(keys[kept])
        for i in members:
            if i == kept:
                continue
            basis = [kind for kind, value in keys[i] if kept_keys.get(kind) == value]
            if names[i] and names[i] == names[kept]:
                basis.append("name and school")
            how = f"same {' and '.join(basis)}" if basis else "linked through another submission"
            applicants[i].duplicate_of = keeper.applicant_id
            applicants[i].flags.insert(0, Flag(
                FlagCode.DUPLICATE,
                f"{how} as {keeper.applicant_id}, {_kept_because(keeper, applicants[i])} (kept)",
                blocks=True,
            ))
