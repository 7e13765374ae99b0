"""The demo's hard cases at intake: the applications real programs get and must not mishandle.

Four of the seeded sample applicants are changed, so the demo shows what intake and screening
do with them (the number of applicants stays the same):

* one sends the application twice (the second time with a longer essay, four days later):
  one row, one acknowledgement, and the Resubmitted column says so;
* one types a school address with a Cyrillic letter in it that reads as Latin (a look-alike):
  flagged LOOKALIKE, proposed for review, the acknowledgement held (our mail cannot address it);
* one gives a private address outside the student domain: the acknowledgement is held (the
  public form must not make the program mail strangers);
* one pastes a very long essay: the cell is cut with a visible marker, flagged LONG_ANSWER,
  and the full text is kept in the Long answers tab.

Pure data: who they are is told by :func:`hard_cases`; :func:`check_intake` reads the program
sheet at the end and says, in one line each, what happened to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from microintern.config import ProgramConfig
from microintern.demo.sample_data import SampleApplication
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Record

LONG_ESSAY_CHARACTERS = 60_000
RESUBMITTED_AFTER = timedelta(days=4, hours=3)


@dataclass(frozen=True)
class HardCases:
    """The sample applications with the hard cases in, and which student is which case."""

    applications: list[SampleApplication]
    twice: str          # student id numbers (the answer), the applicant ids come from the tool
    lookalike: str
    outside: str
    long_essay: str
    resubmitted_at: SampleApplication


def _title(config: ProgramConfig, key: str) -> str:
    return next(q.title for q in config.application.questions if q.key == key)


def hard_cases(config: ProgramConfig, sample: Sequence[SampleApplication]) -> HardCases:
    """Change four applicants of ``sample`` (oldest first) into the hard cases; add the resubmission."""
    email_title, essay_title = _title(config, "student_email"), _title(config, "essay")
    id_title = _title(config, "student_id")
    valid = [n for n, app in enumerate(sample) if "@" in app.email]
    # Early applicants, so each case is read in while applications are open, and apart.
    twice, lookalike, outside, long_essay = valid[1], valid[3], valid[5], valid[7]
    apps = list(sample)

    def with_email(app: SampleApplication, address: str) -> SampleApplication:
        return replace(app, email=address, answers={**app.answers, email_title: address})

    local, domain = apps[lookalike].email.split("@", 1)
    apps[lookalike] = with_email(apps[lookalike], _lookalike(local) + "@" + domain)
    apps[outside] = with_email(apps[outside], f"{local.split('.')[0]}.home@mail.example.net")
    essay = apps[long_essay].answers[essay_title]
    apps[long_essay] = replace(apps[long_essay], answers={
        **apps[long_essay].answers,
        essay_title: (essay + " ") * (LONG_ESSAY_CHARACTERS // (len(essay) + 1) + 1)})
    first = apps[twice]
    again = replace(first, submitted_at=first.submitted_at + RESUBMITTED_AFTER, answers={
        **first.answers,
        essay_title: first.answers[essay_title] + " I forgot to say: I also volunteer at the library."})
    apps.append(again)
    apps.sort(key=lambda a: a.submitted_at)
    return HardCases(apps, twice=first.answers[id_title], lookalike=sample[lookalike].answers[id_title],
                     outside=sample[outside].answers[id_title],
                     long_essay=sample[long_essay].answers[id_title], resubmitted_at=again)


# Cyrillic letters that read as Latin ones on screen.
_CYRILLIC = {"o": "\u043e", "a": "\u0430", "e": "\u0435", "c": "\u0441", "p": "\u0440"}


def _lookalike(local: str) -> str:
    """``local`` with its first letter that has a Cyrillic twin swapped for it."""
    for n, letter in enumerate(local):
        if letter in _CYRILLIC:
            return local[:n] + _CYRILLIC[letter] + local[n + 1:]
    return "\u0430" + local


def arriving(cases: HardCases, config: ProgramConfig, day_start: object, day_end: object) -> list[str]:
    """Lines for the hard cases submitted in (``day_start``, ``day_end``]: what the person did."""
    said: list[str] = []
    id_title = _title(config, "student_id")
    for app in cases.applications:
        if not (day_start < app.submitted_at <= day_end):  # type: ignore[operator]
            continue
        student = app.answers[id_title]
        if app is cases.resubmitted_at:
            said.append("(a student sends the application a second time, with a longer essay)")
        elif student == cases.lookalike:
            said.append("(an application arrives from a school address with a Cyrillic letter in it)")
        elif student == cases.outside:
            said.append("(an application arrives from a private address outside the student domain)")
        elif student == cases.long_essay:
            said.append(f"(an application arrives with a {LONG_ESSAY_CHARACTERS:,}-character essay)")
    return said


def check_intake(config: ProgramConfig, cases: HardCases, tabs: dict[str, list[Record]]) -> list[str]:
    """One line per hard case: what the program sheet and the Outbox show for it."""
    id_title = _title(config, "student_id")
    rows = tabs[sheet.APPLICATIONS]
    outbox = tabs[sheet.OUTBOX]

    def of(student: str) -> list[Record]:
        return [r for r in rows if str(r.get(id_title) or "") == student]

    def acknowledgements(applicant: str) -> list[Record]:
        return [r for r in outbox if f"/application_received/{applicant}/" in str(r.get(sheet.OUTBOX_KEY))]

    def ack_state(applicant: str) -> str:
        states = [str(r.get("State") or "") for r in acknowledgements(applicant)]
        return ", ".join(states) or "none"

    lines: list[str] = []
    twice = of(cases.twice)
    if twice:
        row = twice[0]
        applicant = str(row.get(sheet.APPLICANT_ID))
        lines.append(f"sent twice: {len(twice)} row ({applicant}), {len(acknowledgements(applicant))} "
                     f"acknowledgement ({ack_state(applicant)}); Resubmitted: {row.get(sheet.RESUBMITTED)}")
    for label, student in (("look-alike address", cases.lookalike),
                           ("outside the student domain", cases.outside)):
        for row in of(student):
            applicant = str(row.get(sheet.APPLICANT_ID))
            lines.append(f"{label}: {applicant} flagged {row.get(sheet.FLAGS) or '-'}; proposed "
                         f"{row.get(sheet.PROPOSED_DECISION) or '-'}; acknowledgement {ack_state(applicant)}")
    long_answers = tabs.get(sheet.LONG_ANSWERS, [])
    for row in of(cases.long_essay):
        applicant = str(row.get(sheet.APPLICANT_ID))
        parts = [r for r in long_answers if r.get(sheet.APPLICANT_ID) == applicant]
        kept = sum(len(str(r.get(sheet.LONG_ANSWER_TEXT) or "")) for r in parts)
        essay = str(row.get(_title(config, "essay")) or "")
        lines.append(f"very long essay: {applicant} cell cut to {len(essay):,} characters, flagged "
                     f"{row.get(sheet.FLAGS) or '-'}; full text in Long answers ({len(parts)} parts, "
                     f"{kept:,} characters)")
    return lines
