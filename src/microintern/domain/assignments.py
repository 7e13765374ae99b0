"""Assignments: when each is given and due, whether work came in late, which letters are due.

An assignment follows one meeting of a session (``meeting: 2``, or ``-1`` for the last) and is
due ``due_days`` after it, at the end of that day in the program's time zone. Students hand in
work in one of two ways, whichever comes first: a link in the hand-in form (the Forms API cannot
create file-upload questions), or files put in their own submissions folder on Drive. The
partner (or the teacher) writes feedback and a 1-5 rating in the Assignments tab; the student
gets them by mail once.

Everything here is pure: times come in as arguments, nothing is read or sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from microintern.config import Assignment, ProgramConfig, QuestionKind, Session, text_in
from microintern.domain.dates import DATE, DATE_TIME
from microintern.domain.forms import FormQuestion, FormSpec, form_name_in, question_id
from microintern.domain.records import Cell
from microintern.errors import RowError

FORM_NAME = "hand-in"
STUDENT_KEY = "student_id"
ASSIGNMENT_KEY = "assignment"
LINK_KEY = "link"
NOTE_KEY = "note"

# How a problem line names a field (for staff, in English; the form's own titles are in
# templates/forms/hand-in.<language>.yaml).
LINK_TITLE = "Link to your work (a Google Docs or Drive link, or any web address)"
STUDENT_TITLE = "Student ID (already filled in for you)"
ASSIGNMENT_TITLE = "Which assignment are you handing in?"

LATE_NO = "no"
LATE_YES = "yes"
LATE_MISSING = "missing"
"""The Late column: on time, late, or nothing by the end of the due date."""

STAMP = DATE_TIME
DAY = DATE
MAX_LINK = 2000
RATINGS = ("1", "2", "3", "4", "5")


def submission_key(session_id: str, assignment_id: str, applicant_id: str) -> str:
    """The Assignments tab's row key: ``<session id>:<assignment id>:<applicant id>``."""
    return f"{session_id}:{assignment_id}:{applicant_id}"


def letter_step(letter: str, assignment_id: str) -> str:
    """The letter part of an Outbox key for one assignment, e.g. ``assignment_given:data-cleaning``."""
    return f"{letter}:{assignment_id}"


# --- the hand-in form ----------------------------------------------------------------------------


def assignment_options(config: ProgramConfig, language: str | None = None) -> dict[str, str]:
    """The form's assignment choices: option label → assignment id, in config order.

    Labels are the titles in ``language`` (default: the program's); a title shared by two
    different assignments gets its id added, so every label names exactly one assignment.
    """
    by_id: dict[str, Assignment] = {}
    for session in config.sessions:
        for assignment in config.assignments_of(session):
            by_id.setdefault(assignment.id, assignment)
    shown = {a.id: text_in(a.title, language or config.program.default_language) for a in by_id.values()}
    titles: dict[str, int] = {}
    for title in shown.values():
        titles[title] = titles.get(title, 0) + 1
    return {(title if titles[title] == 1 else f"{title} ({aid})"): aid for aid, title in shown.items()}


def option_label(options: Mapping[str, str], assignment_id: str) -> str:
    """The form label of ``assignment_id`` (see :func:`assignment_options`)."""
    return next(label for label, found in options.items() if found == assignment_id)


# The form's texts are data: templates/forms/hand-in.<language>.yaml (config.form_texts).


def hand_in_spec(config: ProgramConfig, language: str | None = None) -> FormSpec:
    """The hand-in form in ``language`` (default: the program's): the student id and assignment
    (both prefilled), a link, notes. A configured ``assignment.form_title`` names the default
    language's form; the assignments are listed by their titles in the form's language."""
    default = config.program.default_language
    language = language or default
    text = config.form_texts.text_or_default(FORM_NAME, language, default)
    title = (config.assignment.form_title if language == default else None) or \
        text["title"].format(program=text_in(config.program.name, language))

    def q(key: str, text: str, kind: QuestionKind = QuestionKind.SHORT_TEXT, required: bool = False,
          options: tuple[str, ...] = ()) -> FormQuestion:
        return FormQuestion(key, question_id(f"{FORM_NAME}:{key}"), text, kind, required, options)

    # The assignments by their titles in the form's language, each read back as the default
    # form's label (the steps know an assignment by that label).
    default_labels = tuple(assignment_options(config))
    labels = tuple(assignment_options(config, language))
    chosen = FormQuestion(ASSIGNMENT_KEY, question_id(f"{FORM_NAME}:{ASSIGNMENT_KEY}"), text[ASSIGNMENT_KEY],
                          QuestionKind.CHOICE, True, labels,
                          answers_as=default_labels if labels != default_labels else ())
    return FormSpec(title, (
        q(STUDENT_KEY, text[STUDENT_KEY], required=True),
        chosen,
        q(LINK_KEY, text[LINK_KEY], required=True),
        q(NOTE_KEY, text[NOTE_KEY], QuestionKind.PARAGRAPH),
    ), name=form_name_in(FORM_NAME, language, default),
        verified_email=config.application.verified_respondents)


_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


def work_link(answer: str) -> str | None:
    """The web address a student typed, cleaned up, or None when it is not one.

    ``docs.google.com/...`` gets its ``https://``; only http(s) addresses with a real host name
    are accepted (no ``javascript:``, ``file:``, spaces, or passwords in the address).
    """
    text = answer.strip()
    if not text or len(text) > MAX_LINK or any(c.isspace() for c in text):
        return None
    if "://" not in text:
        if ":" in text.split("/", 1)[0]:
            return None  # a scheme we do not take, e.g. "javascript:..."
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
        _ = parts.port  # raises for a port that is not a number
    except (ValueError, UnicodeError):
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        return None
    return text if _HOST.match(host) else None


@dataclass(frozen=True)
class HandIn:
    """One usable hand-in form answer."""

    response_id: str
    submitted_at: datetime
    applicant_id: str
    assignment_id: str
    link: str
    note: str


@dataclass(frozen=True)
class HandInProblem:
    """A form answer that could not be used, and for whom (when known)."""

    message: str
    applicant_id: str = ""
    assignment_id: str = ""
    # What the Assignments tab's Work cell says about it (no typed text).
    work_note: str = "(a hand-in form answer could not be used: see the run's problems)"


def read_hand_in(response_id: str, submitted_at: datetime, by_key: Mapping[str, str],
                 options: Mapping[str, str]) -> HandIn | HandInProblem:
    """One hand-in form answer (answers by question key), or what is wrong with it.

    The problem names the response and the field, never the text the student typed.
    """
    where = "hand-in form"
    applicant = by_key.get(STUDENT_KEY, "").strip()
    label = by_key.get(ASSIGNMENT_KEY, "").strip()
    if not applicant:
        return HandInProblem(str(RowError(where, response_id, STUDENT_TITLE, "no student id")))
    assignment = options.get(label)
    if assignment is None:
        return HandInProblem(str(RowError(where, response_id, ASSIGNMENT_TITLE,
                                          "not one of the program's assignments")), applicant)
    link = work_link(by_key.get(LINK_KEY, ""))
    if link is None:
        return HandInProblem(str(RowError(where, response_id, LINK_TITLE, "not a web address")),
                             applicant, assignment, "(a hand-in form answer had no usable link)")
    return HandIn(response_id, submitted_at, applicant, assignment, link, by_key.get(NOTE_KEY, "").strip())


# --- dates ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dated:
    """One assignment of one session with its dates (local days)."""

    session_id: str
    assignment: Assignment
    given_on: date   # the day of the meeting it follows
    due: date


def dated_assignments(config: ProgramConfig, session: Session,
                      starts: Sequence[datetime] | None = None) -> list[Dated]:
    """The session's assignments dated from its meetings.

    ``starts`` are the meetings as the Sessions tab has them now (the config's when None). A
    meeting number past the last meeting (the coordinator removed meetings) means the last one.
    """
    meetings = [s.date() for s in (session.meeting_starts() if starts is None else starts)]
    dated: list[Dated] = []
    for assignment in config.assignments_of(session):
        index = assignment.meeting - 1 if assignment.meeting > 0 else len(meetings) - 1
        given = meetings[min(index, len(meetings) - 1)]
        dated.append(Dated(session.id, assignment, given, given + timedelta(days=assignment.due_days)))
    return dated


def due_end(due: date, zone: ZoneInfo) -> datetime:
    """The moment work stops being on time: the local midnight after the due date."""
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=zone)


def lateness(handed_in: datetime | None, due: date, now: datetime, zone: ZoneInfo) -> str:
    """The Late column: ``no``/``yes`` for work in, ``missing`` after the due date, else blank."""
    end = due_end(due, zone)
    if handed_in is not None:
        return LATE_YES if handed_in >= end else LATE_NO
    return LATE_MISSING if now >= end else ""


def stamp(moment: datetime, zone: ZoneInfo) -> str:
    """A time as the Assignments tab shows it (local ``YYYY-MM-DD HH:MM``)."""
    return moment.astimezone(zone).strftime(STAMP)


def parse_stamp(cell: Cell, zone: ZoneInfo) -> datetime | None:
    """A tab's ``YYYY-MM-DD HH:MM`` cell (local time) as an aware time; None if blank or unreadable."""
    if isinstance(cell, datetime):
        return cell if cell.tzinfo else cell.replace(tzinfo=zone)
    text = "" if cell is None else str(cell).strip()
    for pattern, length in (("%Y-%m-%d %H:%M:%S", 19), (STAMP, 16)):
        try:
            return datetime.strptime(text[:length], pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    return None


def first_arrival(arrivals: Iterable[datetime | None]) -> datetime | None:
    """The earliest of the times work was seen (form answer, folder files, the tab's record)."""
    found = [a for a in arrivals if a is not None]
    return min(found) if found else None


# --- the partner's columns -----------------------------------------------------------------------


def parse_rating(cell: Cell, key: str) -> str:
    """The Rating column as ``"1"``..``"5"``, or blank.

    Raises :class:`RowError` naming the row (its key) and the field for anything else.
    """
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return ""
    if isinstance(cell, bool):
        raise RowError("Assignments", key, "Rating", "a whole number from 1 to 5")
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        try:
            value = float(str(cell).strip())
        except ValueError:
            raise RowError("Assignments", key, "Rating", "a whole number from 1 to 5") from None
    if not value.is_integer() or str(int(value)) not in RATINGS:
        raise RowError("Assignments", key, "Rating", "a whole number from 1 to 5")
    return str(int(value))


# --- which letters are due -----------------------------------------------------------------------


def given_due(item: Dated, today: date) -> bool:
    """The assignment letter goes from the day of the meeting it follows until the due date."""
    return item.given_on <= today <= item.due


def reminder_due(item: Dated, today: date, days_before: int, handed_in: bool,
                 given_sent_on: date | None) -> bool:
    """One reminder ``days_before`` the due date (or later that day range) if nothing came in.

    Only after the assignment letter went out on an earlier day, so a student never gets both
    on the same morning.
    """
    if handed_in or given_sent_on is None or given_sent_on >= today:
        return False
    return item.due - timedelta(days=days_before) <= today <= item.due


@dataclass(frozen=True)
class Waiting:
    """A hand-in still waiting for the partner's feedback."""

    key: str
    student: str          # first name and last initial
    assignment: str       # its title
    handed_in: date
    overdue_since: date   # handed in + the reminder delay


def waiting_for_feedback(rows: Iterable[tuple[str, str, str, date | None, str, str]], today: date,
                         after_days: int) -> list[Waiting]:
    """Hand-ins that have had no feedback for ``after_days`` or more, oldest first.

    Each row is (key, student, assignment title, handed-in day, partner feedback, feedback sent).
    """
    found = []
    for key, student, title, handed_in, feedback, sent in rows:
        if handed_in is None or feedback.strip() or sent.strip():
            continue
        overdue = handed_in + timedelta(days=after_days)
        if today >= overdue:
            found.append(Waiting(key, student, title, handed_in, overdue))
    return sorted(found, key=lambda w: (w.handed_in, w.student.casefold(), w.assignment))


def partner_reminder_due(waiting: Sequence[Waiting], last_sent: date | None, today: date,
                         every_days: int) -> bool:
    """Remind the partner today? When something waits, and it is the first reminder, a hand-in
    became overdue since the last one, or the last one is ``every_days`` old."""
    if not waiting:
        return False
    if last_sent is None or last_sent + timedelta(days=every_days) <= today:
        return True
    return any(w.overdue_since > last_sent for w in waiting)


def student_label(first_name: str, last_name: str) -> str:
    """How staff letters and the tab name a student: first name and last initial ("Maya O.")."""
    last = last_name.strip()
    return f"{first_name.strip()} {last[:1].upper()}." if last else first_name.strip()
