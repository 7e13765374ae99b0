"""The hours log of paid, multi-week programs: entries, their flags, what counts, and payroll.

Students log their hours on a short form (their id is filled in by the link they received): the
date they worked, how many hours, what they did. Every response becomes one row of the Hours tab
and is checked; an entry carries every flag that applies, each with its reason:

- duplicate (never counts): same student, date, hours and activity as an earlier entry, a
  resubmission: "duplicate of <key>";
- same day (counts when confirmed): same student and date as an earlier entry, other hours or
  activity: "possible duplicate of <key>";
- over the day's maximum (counts when confirmed): the student's entries of that date that could
  count add up to more than ``hours.max_hours_per_day``; each of them is flagged;
- future date (never counts): a date after the day the entry was logged;
- outside the program (counts when confirmed): before the first meeting's date or more than
  14 days after the last meeting's;
- bad input (never counts): the date or the hours cannot be read; the reason names the field;
- unknown student (never counts): the id is not a student of a session with an hours log;
- not the student (never counts): with verified respondents, the signed-in address that sent it
  is not the student's own (someone changed the prefilled id).

Nothing counts by itself: an entry counts only when the confirmer (the teacher or the partner)
writes ``confirmed`` in its Confirmation cell, and a flag on it is what they are asked to look
at. Duplicates, future dates, unreadable entries and unknown students never count, whatever the
Confirmation says: a resubmission would pay the same work twice, a future date cannot have been
worked, and the others have no number or nobody to pay.

Pure: no I/O and no clock; the time is always passed in.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from microintern.config import ProgramConfig, QuestionKind, Session, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import same_student
from microintern.domain.dates import DATE_TIME
from microintern.domain.forms import FormQuestion, FormSpec, form_name_in, question_id
from microintern.domain.records import Record
from microintern.domain.timeline import STEPS, StepName

FORM_NAME = "hours"
STUDENT_KEY = "applicant_id"
DATE_KEY = "date_worked"
HOURS_KEY = "hours"
ACTIVITY_KEY = "activity"

MAX_ENTRY_HOURS = Decimal(24)
CENT = Decimal("0.01")
# Google Sheets refuses cells over 50,000 characters; an activity is cut well before that.
MAX_ACTIVITY_CHARS = 5000
# The log stays open (and entries count as inside the program) this many days after the last
# meeting: the Hours log step's closing day on the timeline.
DAYS_AFTER_LAST_MEETING = next(s.closes_day for s in STEPS if s.name is StepName.HOURS_LOG)

STAMP = DATE_TIME


def _question(key: str, title: str, kind: QuestionKind, required: bool = True) -> FormQuestion:
    return FormQuestion(key, question_id(f"{FORM_NAME}:{key}"), title, kind, required)


# The form's texts are data: templates/forms/hours.<language>.yaml (config.form_texts).


def hours_form_spec(config: ProgramConfig, language: str | None = None) -> FormSpec:
    """The hours-log form in ``language`` (default: the program's): the student's id
    (prefilled), the date, the hours, what they did. A configured ``hours.form_title`` names
    the default language's form."""
    default = config.program.default_language
    language = language or default
    text = config.form_texts.text_or_default(FORM_NAME, language, default)
    title = (config.hours.form_title if language == default else None) or \
        text["title"].format(program=text_in(config.program.name, language))
    return FormSpec(title, (
        _question(STUDENT_KEY, text[STUDENT_KEY], QuestionKind.SHORT_TEXT),
        _question(DATE_KEY, text[DATE_KEY], QuestionKind.DATE),
        _question(HOURS_KEY, text[HOURS_KEY], QuestionKind.NUMBER),
        _question(ACTIVITY_KEY, text[ACTIVITY_KEY], QuestionKind.PARAGRAPH),
    ), name=form_name_in(FORM_NAME, language, default),
        verified_email=config.application.verified_respondents)


# --- entries and flags ----------------------------------------------------------------------------


class Flag(StrEnum):
    """Why an entry is not simply counted once confirmed."""

    DUPLICATE = "duplicate"
    SAME_DAY = "same day"
    OVER_DAILY_MAX = "over daily max"
    FUTURE_DATE = "future date"
    OUTSIDE_PROGRAM = "outside the program"
    BAD_INPUT = "bad input"
    UNKNOWN_STUDENT = "unknown student"
    NOT_THE_STUDENT = "not the student"


NEVER_COUNTS = frozenset({Flag.DUPLICATE, Flag.FUTURE_DATE, Flag.BAD_INPUT, Flag.UNKNOWN_STUDENT,
                          Flag.NOT_THE_STUDENT})
"""Flags that keep an entry out of every total even when it is confirmed."""


class Decision(StrEnum):
    """The confirmer's word on an entry (the Confirmation column)."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    PENDING = "pending"  # blank: nobody has decided yet


@dataclass(frozen=True)
class Finding:
    """One flag on an entry, with the reason the sheet shows."""

    flag: Flag
    reason: str


@dataclass(frozen=True)
class LoggedEntry:
    """One hours-log response as it came in (answers as typed)."""

    key: str                 # the form response id
    applicant_id: str
    submitted_at: datetime   # aware
    date_text: str
    hours_text: str
    activity: str
    respondent_email: str | None = None   # the signed-in address the form verified, if collected


@dataclass(frozen=True)
class LogWindow:
    """The days an hours-log entry may fall on for one session (inclusive)."""

    first: date
    last: date

    @classmethod
    def of(cls, session: Session) -> LogWindow:
        """From the first meeting's date to the last meeting's date + the log's closing days."""
        starts = session.meeting_starts()
        return cls(starts[0].date(), starts[-1].date() + timedelta(days=DAYS_AFTER_LAST_MEETING))


@dataclass(frozen=True)
class CheckedEntry:
    """An entry after every check: what it says, its flags and the confirmer's decision."""

    entry: LoggedEntry
    applicant_id: str        # the known student's id ("" when unknown)
    session_id: str          # "" when the student is unknown
    work_date: date | None
    hours: Decimal | None
    findings: tuple[Finding, ...]
    decision: Decision

    @property
    def key(self) -> str:
        """The entry's key: its form response id."""
        return self.entry.key

    @property
    def flags(self) -> frozenset[Flag]:
        """The flags on the entry."""
        return frozenset(f.flag for f in self.findings)

    @property
    def never_counts(self) -> bool:
        """True when no decision can make the entry count."""
        return bool(self.flags & NEVER_COUNTS) or self.hours is None

    @property
    def countable(self) -> bool:
        """True when the entry's hours are in the student's confirmed total."""
        return self.decision is Decision.CONFIRMED and not self.never_counts

    @property
    def pending(self) -> bool:
        """True when the entry waits for the confirmer: undecided and able to count."""
        return self.decision is Decision.PENDING and not self.never_counts

    @property
    def week(self) -> str:
        """The ISO week the entry counts in ("2027-W14"); blank without a readable date."""
        return iso_week(self.work_date) if self.work_date else ""

    def flag_text(self) -> str:
        """The Flags cell: every reason, joined by "; "."""
        return "; ".join(f.reason for f in self.findings)


def iso_week(day: date) -> str:
    """The ISO week of ``day`` as "2027-W14"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


_ISO_DATE = re.compile(r"^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})$")
_US_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")   # a linked sheet's export (en-US)
_NUMBER = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$")   # ASCII digits, no exponent
_DECIMAL_COMMA = re.compile(r"^[0-9]+,[0-9]{1,2}$")             # "2,5" (never "1,000")
_UNIT = re.compile(r"\s*(?:h|hr|hrs|hour|hours|horas?)\.?$", re.IGNORECASE)


def parse_work_date(text: str) -> date | None:
    """A date as Forms answers it (2027-04-06) or a sheet export shows it (4/6/2027); else None."""
    value = text.strip()
    iso = _ISO_DATE.match(value)
    us = _US_DATE.match(value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if us:
            return date(int(us[3]), int(us[1]), int(us[2]))
    except ValueError:
        return None
    return None


def parse_hours(text: str) -> Decimal | None:
    """Hours as a positive number of at most 24 with at most 2 decimals ("2.5", "2,5", "3 h").

    Returns None for anything else: words, zero or less, more than 24, exponents, 2.333.
    """
    value = _UNIT.sub("", text.strip())
    if _DECIMAL_COMMA.match(value):
        value = value.replace(",", ".")
    if not _NUMBER.match(value):
        return None
    try:
        hours = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return None
    if hours <= 0 or hours > MAX_ENTRY_HOURS or hours != hours.quantize(CENT):
        return None
    return hours


def decision_of(cell: object) -> Decision | None:
    """The Confirmation cell as a decision: blank is pending; None for anything unreadable."""
    value = "" if cell is None else str(cell).strip().casefold()
    if not value:
        return Decision.PENDING
    for decision in (Decision.CONFIRMED, Decision.REJECTED):
        if value == decision.value:
            return decision
    return None


def show_hours(value: Decimal) -> str:
    """Hours as people write them: 18, 2.5, 12.25."""
    text = f"{value.quantize(CENT):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _same_activity(text: str) -> str:
    return " ".join(text.split()).casefold()


def _local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def check_entries(entries: Iterable[LoggedEntry], students: Mapping[str, str],
                  windows: Mapping[str, LogWindow], decisions: Mapping[str, Decision], *,
                  max_per_day: Decimal, zone: tzinfo,
                  addresses: Mapping[str, str] | None = None) -> list[CheckedEntry]:
    """Every entry with every flag that applies, oldest submission first.

    ``students`` maps each known student's id to their session, ``windows`` each session to its
    log window, ``decisions`` each entry key to the confirmer's decision (absent = pending).
    Student ids are matched without regard to case or surrounding spaces. With ``addresses``
    (student id -> their address, verified respondents), an entry whose signed-in address is not
    that student's never counts: the prefilled id was changed to log hours as someone else.
    """
    by_folded = {applicant.strip().casefold(): (applicant, session)
                 for applicant, session in students.items()}
    ordered = sorted(entries, key=lambda e: (e.submitted_at, e.key))
    found: dict[str, list[Finding]] = {}
    parsed: list[tuple[LoggedEntry, str, str, date | None, Decimal | None]] = []
    first_of_day: dict[tuple[str, date], str] = {}
    seen: dict[tuple[str, date, Decimal, str], str] = {}
    for entry in ordered:
        findings = found.setdefault(entry.key, [])
        work_date = parse_work_date(entry.date_text)
        hours = parse_hours(entry.hours_text)
        if work_date is None:
            findings.append(Finding(Flag.BAD_INPUT, f"Date worked: {_quoted(entry.date_text)} is not a "
                                    "date (write it as 2027-04-06)"))
        if hours is None:
            findings.append(Finding(Flag.BAD_INPUT, f"Hours: {_quoted(entry.hours_text)} is not a number "
                                    f"of hours above 0 and at most {MAX_ENTRY_HOURS} (for example 2.5)"))
        applicant, session = by_folded.get(entry.applicant_id.strip().casefold(), ("", ""))
        if not applicant:
            findings.append(Finding(Flag.UNKNOWN_STUDENT, f"unknown student id {_quoted(entry.applicant_id)}"
                                    " (not a student of a session with an hours log)"))
        elif addresses is not None and not same_student(entry.respondent_email, addresses.get(applicant)):
            findings.append(Finding(Flag.NOT_THE_STUDENT, "not the student: the signed-in address that "
                                    f"sent it is not {applicant}'s (the id was changed); never counts"))
        if work_date is not None:
            logged_on = _local_day(entry.submitted_at, zone)
            if work_date > logged_on:
                findings.append(Finding(Flag.FUTURE_DATE, f"future date: {work_date.isoformat()} is after "
                                        f"the day it was logged ({logged_on.isoformat()})"))
            window = windows.get(session)
            if window is not None and not window.first <= work_date <= window.last:
                findings.append(Finding(Flag.OUTSIDE_PROGRAM, "outside the program "
                                        f"({window.first.isoformat()} to {window.last.isoformat()})"))
        # A future-dated entry never counts: it is not compared, so the real one logged later
        # is not called its duplicate.
        # Nor is an entry someone else sent: a copy sent first must not make the student's own
        # entry its "duplicate".
        skip = any(f.flag in (Flag.FUTURE_DATE, Flag.NOT_THE_STUDENT) for f in findings)
        if applicant and work_date is not None and hours is not None and not skip:
            exact = (applicant, work_date, hours, _same_activity(entry.activity))
            day = (applicant, work_date)
            if exact in seen:
                findings.append(Finding(Flag.DUPLICATE, f"duplicate of {seen[exact]}"))
            elif day in first_of_day:
                findings.append(Finding(Flag.SAME_DAY, f"possible duplicate of {first_of_day[day]} "
                                        "(same date, other hours or activity)"))
            seen.setdefault(exact, entry.key)
            first_of_day.setdefault(day, entry.key)
        parsed.append((entry, applicant, session, work_date, hours))

    # The day's maximum: the student's entries of one date that could count, added up. The
    # confirmer's decisions play no part, so a flag never comes or goes when someone decides.
    day_totals: dict[tuple[str, date], list[tuple[str, Decimal]]] = {}
    for entry, applicant, _session, work_date, hours in parsed:
        flags = {f.flag for f in found[entry.key]}
        if not applicant or work_date is None or hours is None or flags & NEVER_COUNTS:
            continue
        day_totals.setdefault((applicant, work_date), []).append((entry.key, hours))
    for (_applicant, work_date), logged in day_totals.items():
        total = sum((hours for _, hours in logged), Decimal(0))
        if total > max_per_day:
            reason = (f"over {show_hours(max_per_day)} h on {work_date.isoformat()} "
                      f"({show_hours(total)} h logged that day)")
            for key, _ in logged:
                found[key].append(Finding(Flag.OVER_DAILY_MAX, reason))

    return [CheckedEntry(entry, applicant, session, work_date, hours, tuple(found[entry.key]),
                         decisions.get(entry.key, Decision.PENDING))
            for entry, applicant, session, work_date, hours in parsed]


def _quoted(text: str) -> str:
    shown = " ".join(text.split())
    return repr(shown[:40] + ("..." if len(shown) > 40 else ""))


# --- totals and pace ---------------------------------------------------------------------------


def confirmed_hours(checked: Iterable[CheckedEntry]) -> dict[str, Decimal]:
    """Each student's confirmed, countable hours (students with none are absent)."""
    totals: dict[str, Decimal] = {}
    for item in checked:
        if item.countable and item.hours is not None:
            totals[item.applicant_id] = totals.get(item.applicant_id, Decimal(0)) + item.hours
    return totals


def pending_hours(checked: Iterable[CheckedEntry]) -> dict[str, Decimal]:
    """Each student's hours still waiting for the confirmer."""
    totals: dict[str, Decimal] = {}
    for item in checked:
        if item.pending and item.hours is not None:
            totals[item.applicant_id] = totals.get(item.applicant_id, Decimal(0)) + item.hours
    return totals


def weekly_totals(checked: Iterable[CheckedEntry]) -> dict[str, dict[str, Decimal]]:
    """Each student's confirmed, countable hours per ISO week, weeks in order."""
    totals: dict[str, dict[str, Decimal]] = {}
    for item in sorted(checked, key=lambda c: c.week):
        if item.countable and item.hours is not None:
            weeks = totals.setdefault(item.applicant_id, {})
            weeks[item.week] = weeks.get(item.week, Decimal(0)) + item.hours
    return totals


@dataclass(frozen=True)
class Pace:
    """Where a session stands at a moment: meetings held of all, and the program week."""

    target: Decimal
    held: int
    total: int
    week: int

    @property
    def expected(self) -> Decimal:
        """The hours a student should have by now: the target times the share of meetings held."""
        return self.target * self.held / self.total if self.total else self.target

    @classmethod
    def of(cls, session: Session, now: datetime, zone: tzinfo) -> Pace:
        """The pace of ``session`` at ``now``; a meeting is held once its end has passed."""
        starts = session.meeting_starts()
        local = now.astimezone(zone).replace(tzinfo=None)
        length = timedelta(minutes=session.duration_minutes)
        held = sum(1 for start in starts if start + length <= local)
        weeks = (starts[-1].date() - starts[0].date()).days // 7 + 1
        week = min(max((local.date() - starts[0].date()).days // 7 + 1, 1), weeks)
        return cls(Decimal(str(session.hours_target or 0)), held, len(starts), week)


def hours_check(confirmed: Decimal, pace: Pace, pending: Decimal = Decimal(0)) -> str:
    """The Hours check cell: over the target, under the expected pace, or on track.

    "over target: 33 of 30 h" when past the target; "under target: 12 of 30 h by week 4" when
    below the pace (target × meetings held ÷ meetings in all); else "on track: 18 of 30 h".
    Hours waiting for the confirmer are added in brackets.
    """
    figures = f"{show_hours(confirmed)} of {show_hours(pace.target)} h"
    if confirmed > pace.target:
        text = f"over target: {figures}"
    elif confirmed < pace.expected:
        text = f"under target: {figures} by week {pace.week}"
    else:
        text = f"on track: {figures}"
    if pending > 0:
        text += f" ({show_hours(pending)} h waiting for confirmation)"
    return text


# --- the sheet ---------------------------------------------------------------------------------


def short_name(first: str, last: str) -> str:
    """A student as staff letters and the Hours tab show them: "Maya O."."""
    first, last = first.strip(), last.strip()
    return f"{first} {last[0]}." if first and last else first or last


def hours_row(item: CheckedEntry, student: str, zone: tzinfo) -> Record:
    """The tool's cells of the entry's Hours row (never Confirmation or Notes)."""
    entry = item.entry
    # One kind of line break: a workbook stores CRLF as LF, and a rerun must compare equal.
    activity = entry.activity.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(activity) > MAX_ACTIVITY_CHARS:
        activity = activity[:MAX_ACTIVITY_CHARS] + " [cut: the full answer is in the form]"
    hours: str | float | int = entry.hours_text.strip()
    if item.hours is not None:
        hours = int(item.hours) if item.hours == item.hours.to_integral() else float(item.hours)
    return {
        sheet.ENTRY_KEY: entry.key,
        sheet.SESSION_ID: item.session_id,
        sheet.APPLICANT_ID: item.applicant_id or entry.applicant_id.strip(),
        "Student": student,
        sheet.SUBMITTED: entry.submitted_at.astimezone(zone).strftime(STAMP),
        sheet.WORK_DATE: item.work_date.isoformat() if item.work_date else entry.date_text.strip(),
        sheet.WEEK: item.week,
        sheet.HOURS_LOGGED: hours,
        sheet.ACTIVITY: activity,
        sheet.HOURS_FLAGS: item.flag_text(),
    }


# --- payroll -----------------------------------------------------------------------------------

PAYROLL_COLUMNS = ("Student ID", "Session ID", "Confirmed hours", "Rate", "Amount", "Currency")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PayLine:
    """One student's pay for one session: confirmed, countable hours times the hourly rate."""

    applicant_id: str
    session_id: str
    hours: Decimal
    rate: Decimal
    currency: str

    @property
    def amount(self) -> Decimal:
        """Hours × rate, rounded half up to the cent (Decimal arithmetic throughout)."""
        return (self.hours * self.rate).quantize(CENT, rounding=ROUND_HALF_UP)


def payroll_lines(checked: Iterable[CheckedEntry], rates: Mapping[str, Decimal],
                  currency: str) -> list[PayLine]:
    """One line per student with confirmed hours in a session of ``rates``, by session then id."""
    totals: dict[tuple[str, str], Decimal] = {}
    for item in checked:
        if item.countable and item.hours is not None and item.session_id in rates:
            key = (item.session_id, item.applicant_id)
            totals[key] = totals.get(key, Decimal(0)) + item.hours
    return [PayLine(applicant, session, hours, rates[session], currency)
            for (session, applicant), hours in sorted(totals.items())]


def csv_safe(value: str) -> str:
    """A value a spreadsheet will not run: one starting with = + - @ (or a tab/CR) gets a quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _money(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(CENT) else f"{value.normalize():f}"


def payroll_csv(lines: Sequence[PayLine]) -> str:
    """The payroll export: a header, then one row per line; numbers with 2 decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PAYROLL_COLUMNS)
    for line in lines:
        writer.writerow([csv_safe(line.applicant_id), csv_safe(line.session_id), _money(line.hours),
                         _money(line.rate), f"{line.amount:.2f}", csv_safe(line.currency)])
    return out.getvalue()
