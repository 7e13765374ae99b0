"""The hours log of paid, multi-week sessions: the form, the Hours tab, confirmation, payroll.

Once a day from a session's first meeting day until 14 days after its last (the timeline's
Hours log window), :func:`log_hours`:

1. makes the hours-log form once (remembered in the Settings tab) and sends each seated
   student their prefilled link once (``hours_log_link``), from the first meeting day on;
2. reads every response, checks it (:mod:`microintern.domain.hours`) and writes the Hours tab,
   one row per response, in one upsert; the Confirmation and Notes cells are the confirmer's
   and are only ever read;
3. writes each student's confirmed total and pace check on the Participants tab;
4. sends the confirmer (the session's teacher, or its partner, per ``hours.confirmer``) the
   entries waiting for them, at most every ``hours.pending_reminder_days`` while any wait. Each
   of those letters has the day in its key, so a rerun never sends one twice.

:func:`payroll` reads the same sources without writing anything and returns what the payroll
export holds: confirmed, countable hours only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from microintern.config import Backend, ProgramConfig, Session
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key
from microintern.domain.dates import babel_locale
from microintern.domain.forms import FormSpec, FormState
from microintern.domain.hours import (
    ACTIVITY_KEY,
    DATE_KEY,
    FORM_NAME,
    HOURS_KEY,
    STUDENT_KEY,
    CheckedEntry,
    Decision,
    LoggedEntry,
    LogWindow,
    Pace,
    PayLine,
    check_entries,
    confirmed_hours,
    decision_of,
    hours_check,
    hours_form_spec,
    hours_row,
    payroll_lines,
    pending_hours,
    short_name,
    show_hours,
)
from microintern.domain.outbox import UNCONFIRMED, message_key
from microintern.domain.records import Record
from microintern.domain.sessions import text
from microintern.domain.timeline import StepName
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import (
    ProgramContexts,
    day_in,
    long_day,
    partner_letter_language,
    partner_of,
    session_context,
)
from microintern.steps.mailing import Addressed, deliver, guardian_copy, outbox_by_key
from microintern.steps.program_forms import (
    ensure_forms,
    id_setting,
    languages_with_text,
    link_in,
    link_setting,
    read_answers_in,
)
from microintern.steps.sheet.applicants import question_columns, student_addresses
from microintern.steps.sheet.participants import seated_students
from microintern.steps.sheet.settings import read_settings

LINK_LETTER = "hours_log_link"
PENDING_LETTER = "hours_pending"
PENDING_LISTED = 40  # entries listed in one letter; the rest are counted ("and 12 more")


def hours_sessions(config: ProgramConfig, session_ids: Sequence[str] | None = None) -> list[Session]:
    """The sessions (of ``session_ids``, else all) that keep an hours log: those with a target."""
    wanted = None if session_ids is None else set(session_ids)
    return [s for s in config.sessions
            if s.hours_target is not None and (wanted is None or s.id in wanted)]


def hourly_rate(config: ProgramConfig, session: Session) -> Decimal:
    """The session's rate per confirmed hour (its own, else ``hours.hourly_rate``); 0 if unpaid."""
    if not session.paid:
        return Decimal(0)
    rate = session.hourly_rate if session.hourly_rate is not None else config.hours.hourly_rate
    return Decimal(str(rate))


def sheet_link(config: ProgramConfig) -> str:
    """Where the confirmer opens the program sheet (the local backend: the workbook file)."""
    if config.backend is Backend.GOOGLE and config.google.spreadsheet_id:
        return f"https://docs.google.com/spreadsheets/d/{config.google.spreadsheet_id}/edit"
    return (config.resolve(config.local.folder) / "program.xlsx").as_uri()


@dataclass
class HoursBook:
    """Every entry of the log, checked, with what the sheet says about the students."""

    checked: list[CheckedEntry]
    names: dict[str, str]            # applicant id -> "Maya O."
    students: dict[str, str]         # applicant id -> session id (students of hours sessions)
    problems: list[str] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)   # applicant id -> Hours check, once run


def read_book(ctx: StepContext, tabs: Mapping[str, list[Record]], specs: Mapping[str, FormSpec],
              forms: Mapping[str, FormState]) -> HoursBook:
    """Read every language's form (language → spec, and → form, for those that exist) and check
    the responses against the Participants and Hours tabs."""
    config = ctx.config
    logging = {s.id for s in hours_sessions(config)}
    students = {text(r.get(sheet.APPLICANT_ID)): text(r.get(sheet.SESSION_ID))
                for r in tabs[sheet.PARTICIPANTS]
                if text(r.get(sheet.APPLICANT_ID)) and text(r.get(sheet.SESSION_ID)) in logging}
    questions = question_columns(config)
    names: dict[str, str] = {}
    for row in tabs[sheet.APPLICATIONS]:
        applicant = text(row.get(sheet.APPLICANT_ID))
        if applicant in students:
            answers = answers_by_key(row, questions)
            names[applicant] = short_name(answers.get("first_name", ""), answers.get("last_name", ""))
    problems: list[str] = []
    decisions: dict[str, Decision] = {}
    for row in tabs[sheet.HOURS]:
        key = text(row.get(sheet.ENTRY_KEY))
        if not key:
            continue
        decision = decision_of(row.get(sheet.CONFIRMATION))
        if decision is None:
            problems.append(f"Hours row {key}: {sheet.CONFIRMATION} {text(row.get(sheet.CONFIRMATION))!r} "
                            "is neither confirmed nor rejected; treated as waiting")
            decision = Decision.PENDING
        decisions[key] = decision
    entries: list[LoggedEntry] = []
    for answers in read_answers_in(ctx, {language: specs[language] for language in forms}, forms):
        given = answers.by_key
        entries.append(LoggedEntry(
            key=answers.response_id, applicant_id=given.get(STUDENT_KEY, ""),
            submitted_at=answers.submitted_at, date_text=given.get(DATE_KEY, ""),
            hours_text=given.get(HOURS_KEY, ""), activity=given.get(ACTIVITY_KEY, ""),
            respondent_email=answers.respondent_email))
    windows = {s.id: LogWindow.of(s) for s in hours_sessions(config)}
    checked = check_entries(entries, students, windows, decisions,
                            max_per_day=Decimal(str(config.hours.max_hours_per_day)), zone=config.zone,
                            addresses=student_addresses(tabs, questions)
                            if config.application.verified_respondents else None)
    return HoursBook(checked, names, students, problems)


def _shown(value: object) -> str:
    """A cell as the sheet shows it, so that 3, 3.0 and a re-read 3 compare equal."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{Decimal(str(value)).normalize():f}"
    return "" if value is None else str(value).strip()


def _changed(before: Record | None, after: Record) -> bool:
    if before is None:
        return True
    return any(_shown(before.get(k)) != _shown(v) for k, v in after.items())


def _hours_rows(ctx: StepContext, book: HoursBook, tabs: Mapping[str, list[Record]],
                sessions: set[str]) -> list[Record]:
    existing = {text(r.get(sheet.ENTRY_KEY)): r for r in tabs[sheet.HOURS] if r.get(sheet.ENTRY_KEY)}
    rows: list[Record] = []
    for item in book.checked:
        if item.session_id and item.session_id not in sessions:
            continue  # another session's run writes it
        row = hours_row(item, book.names.get(item.applicant_id, ""), ctx.config.zone)
        if _changed(existing.get(item.key), row):
            rows.append(row)
    return rows


def _participant_rows(ctx: StepContext, book: HoursBook, tabs: Mapping[str, list[Record]],
                      sessions: Sequence[Session]) -> list[Record]:
    config = ctx.config
    confirmed, waiting = confirmed_hours(book.checked), pending_hours(book.checked)
    paces = {s.id: Pace.of(s, ctx.now, config.zone) for s in sessions}
    rows: list[Record] = []
    for row in tabs[sheet.PARTICIPANTS]:
        applicant = text(row.get(sheet.APPLICANT_ID))
        session = book.students.get(applicant)
        if session not in paces:
            continue
        total = confirmed.get(applicant, Decimal(0))
        update: Record = {
            sheet.APPLICANT_ID: applicant,
            sheet.CONFIRMED_HOURS: int(total) if total == total.to_integral() else float(total),
            sheet.HOURS_CHECK: hours_check(total, paces[session], waiting.get(applicant, Decimal(0))),
        }
        book.checks[applicant] = str(update[sheet.HOURS_CHECK])
        if _changed(row, update):
            rows.append(update)
    return rows


def hours_context(config: ProgramConfig, session: Session, language: str) -> dict[str, Any]:
    """The ``hours`` of the hours-log letter in ``language``: target, daily cap, pay rate, last day."""
    window = LogWindow.of(session)
    rate = hourly_rate(config, session)
    return {
        "target": show_hours(Decimal(str(session.hours_target or 0))),
        "max_per_day": show_hours(Decimal(str(config.hours.max_hours_per_day))),
        "rate": format_currency(rate, config.hours.currency, locale=babel_locale(language)) if rate else "",
        "until": day_in(window.last, language),
        "by_partner": config.hours.confirmer == "partner",
    }


def _link_letters(ctx: StepContext, tabs: Mapping[str, list[Record]], sessions: Sequence[Session],
                  specs: Mapping[str, FormSpec], forms: Mapping[str, FormState]) -> list[Addressed]:
    config = ctx.config
    today = ctx.now.astimezone(config.zone).date()
    started = [s for s in sessions if s.meeting_starts()[0].date() <= today <= LogWindow.of(s).last]
    program = ProgramContexts(config)
    items: list[Addressed] = []
    for student in seated_students(config, tabs, [s.id for s in started]):
        session = config.session(student.session_id)
        language, family = student.language, student.family_reads
        # The form in the letter's language: its questions read as the letter does.
        contexts = {reader: {**program(reader), "applicant": dict(student.applicant),
                             "session": session_context(config, session, language=reader),
                             "hours": hours_context(config, session, reader),
                             "links": {"hours_log": link_in(reader, specs, forms,
                                                            {STUDENT_KEY: student.applicant_id})}}
                    for reader in {language, family}}
        # A family that reads another language gets its own message (mailing.split_for_family).
        items.append(Addressed(
            message_key(config.program.id, LINK_LETTER, student.applicant_id, session.id),
            StepName.HOURS_LOG.value, student.applicant_id, student.student_email, LINK_LETTER, language,
            contexts[language], cc=guardian_copy(ctx, student.guardian_email),
            family_language=family, family_context=contexts[family]))
    return items


def _last_pending_letter(outbox: Mapping[str, Record], session_id: str) -> tuple[date | None, str]:
    """The day and Outbox state of the session's latest pending-entries letter (None, "" if none)."""
    last: tuple[date | None, str] = (None, "")
    for key, row in outbox.items():
        parts = key.split("/")
        if len(parts) == 4 and parts[3] == session_id and parts[1].startswith(f"{PENDING_LETTER}-"):
            try:
                day = date.fromisoformat(parts[1][len(PENDING_LETTER) + 1:])
            except ValueError:
                continue
            if last[0] is None or day > last[0]:
                last = (day, text(row.get("State")))
    return last


def pending_letter_day(last: date | None, last_state: str, today: date, every_days: int) -> date | None:
    """The day whose pending-entries letter belongs to today's run, or None when none is due.

    A letter left unconfirmed (``sending`` or ``drafted``) by a run that died is that run's
    letter: it is handed back so the Outbox confirms or finishes it (never a second one).
    Today's own letter is returned again on a rerun (the Outbox skips it); a new one is due
    ``every_days`` after the last.
    """
    if last is not None and last_state in UNCONFIRMED:
        return last
    if last is None or last == today or today >= last + timedelta(days=every_days):
        return today
    return None


def confirmer_of(config: ProgramConfig, session: Session) -> tuple[str, str, str]:
    """Who confirms the session's hours: (recipient id, address, name), the partner or the teacher."""
    if config.hours.confirmer == "partner":
        partner = partner_of(config, session)
        return partner.id, partner.contact.email, partner.contact.name
    return f"teacher-{session.id}", session.teacher.email, session.teacher.name


def confirmer_language(ctx: StepContext, session: Session) -> str:
    """The language of the confirmer's letter: a confirming partner's (else English); a teacher's English."""
    if ctx.config.hours.confirmer != "partner":
        return "en"
    return partner_letter_language(ctx.letters, PENDING_LETTER, partner_of(ctx.config, session),
                                   ctx.config.program.default_language)


@dataclass(frozen=True)
class PendingEntry:
    """One entry waiting for the confirmer, as their letter lists it."""

    student: str             # "Maya O." (the applicant id when the sheet has no name)
    date: str                # the day worked, ISO ("" when unreadable)
    hours: Decimal | None
    flags: str               # the Flags cell ("" when none)


def _letter_day(iso: str, language: str) -> str:
    # The letters' date format ("May 11, 2027"), not the sheet's ISO layout; text that is no
    # ISO day is shown as the sheet has it.
    try:
        return long_day(date.fromisoformat(iso.strip()), language)
    except ValueError:
        return iso


def pending_context(waiting: Sequence[PendingEntry], never_count: int,
                    language: str = "en") -> dict[str, Any]:
    """The ``pending`` of the confirmer's letter: the first entries listed, all counted and totalled.

    ``waiting`` in the letter's order; ``never_count`` the session's entries no decision can count;
    each day worked is written as the letters in ``language`` write a date.
    """
    entries = [{"student": e.student, "date": _letter_day(e.date, language),
                "hours": show_hours(e.hours) if e.hours is not None else "", "flags": e.flags}
               for e in waiting[:PENDING_LISTED]]
    return {"entries": entries, "count": len(waiting), "more": max(0, len(waiting) - PENDING_LISTED),
            "hours": show_hours(sum((e.hours or Decimal(0) for e in waiting), Decimal(0))),
            "flagged": sum(1 for e in waiting if e.flags), "never_count": never_count}


# The Flags cell's reasons (domain.hours' wording) of the flags that keep an entry out of every
# total (NEVER_COUNTS): how the sheet alone tells an entry that waits from one that never counts.
_NEVER_COUNTS_REASONS = ("duplicate of", "future date:", "Date worked:", "Hours:", "unknown student id",
                         "not the student:")


def pending_on_sheet(session: Session, rows: Sequence[Record]) -> tuple[list[PendingEntry], int]:
    """The session's entries waiting for the confirmer as the Hours tab shows them, and how many never count.

    What a preview of the confirmer's letter lists, without reading the form: the rows the last
    run wrote, in the letter's order.
    """
    waiting: list[tuple[tuple[str, str, str, str], PendingEntry]] = []
    never = 0
    for row in rows:
        if text(row.get(sheet.SESSION_ID)) != session.id or not text(row.get(sheet.ENTRY_KEY)):
            continue
        logged = row.get(sheet.HOURS_LOGGED)
        hours = (Decimal(str(logged)) if isinstance(logged, int | float) and not isinstance(logged, bool)
                 else None)
        flags = text(row.get(sheet.HOURS_FLAGS))
        if hours is None or any(reason.startswith(_NEVER_COUNTS_REASONS) for reason in flags.split("; ")):
            never += 1
            continue
        if decision_of(row.get(sheet.CONFIRMATION)) not in (Decision.PENDING, None):
            continue
        name, applicant = text(row.get("Student")), text(row.get(sheet.APPLICANT_ID))
        day = text(row.get(sheet.WORK_DATE))
        waiting.append(((name, applicant, day, text(row.get(sheet.ENTRY_KEY))),
                        PendingEntry(name or applicant, day, hours, flags)))
    return [entry for _, entry in sorted(waiting, key=lambda pair: pair[0])], never


def _pending_letters(ctx: StepContext, book: HoursBook, outbox: Mapping[str, Record],
                     sessions: Sequence[Session]) -> list[Addressed]:
    config = ctx.config
    today = ctx.now.astimezone(config.zone).date()
    program = ProgramContexts(config)
    items: list[Addressed] = []
    for session in sessions:
        waiting = sorted((c for c in book.checked if c.session_id == session.id and c.pending),
                         key=lambda c: (book.names.get(c.applicant_id, ""), c.applicant_id,
                                        c.work_date or date.min, c.key))
        if not waiting:
            continue
        last, state = _last_pending_letter(outbox, session.id)
        day = pending_letter_day(last, state, today, config.hours.pending_reminder_days)
        if day is None:
            continue
        recipient, address, name = confirmer_of(config, session)
        language = confirmer_language(ctx, session)
        never = sum(1 for c in book.checked if c.session_id == session.id and c.never_counts)
        entries = [PendingEntry(book.names.get(c.applicant_id) or c.applicant_id,
                                c.work_date.isoformat() if c.work_date else "", c.hours, c.flag_text())
                   for c in waiting]
        context = {**program(language), "session": session_context(config, session, language=language),
                   "confirmer": {"name": name}, "pending": pending_context(entries, never, language),
                   "links": {"hours_sheet": sheet_link(config)}}
        key = message_key(config.program.id, f"{PENDING_LETTER}-{day.isoformat()}", recipient, session.id)
        items.append(Addressed(key, StepName.HOURS_LOG.value, recipient, address, PENDING_LETTER, language,
                               context))
    return items


_TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.HOURS, sheet.OUTBOX)


def log_hours(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Read the hours log into the Hours tab, total it on Participants, mail links and pending lists."""
    return keep_hours_log(ctx, session_ids)[0]


def keep_hours_log(ctx: StepContext,
                   session_ids: Sequence[str] | None = None) -> tuple[StepResult, HoursBook | None]:
    """:func:`log_hours`, also returning the checked log (None when no session keeps one)."""
    config = ctx.config
    result = StepResult()
    sessions = hours_sessions(config, session_ids)
    if not sessions:
        result.add("no session with an hours target")
        return result, None
    roster = ctx.ports.roster
    tabs = roster.read_tabs(list(_TABS))
    specs = {language: hours_form_spec(config, language)
             for language in languages_with_text(config, config.form_texts.languages(FORM_NAME))}
    forms = ensure_forms(ctx, specs)
    book = read_book(ctx, tabs, specs, forms)
    result.problems.extend(book.problems)
    ids = {s.id for s in sessions}
    mine = [c for c in book.checked if c.session_id in ids or not c.session_id]
    rows = _hours_rows(ctx, book, tabs, ids)
    if rows:
        roster.upsert(sheet.HOURS, sheet.ENTRY_KEY, rows)
    result.add("entries", len(mine))
    result.add("rows written", len(rows))
    for label, count in (("flagged", sum(1 for c in mine if c.findings)),
                         ("confirmed", sum(1 for c in mine if c.countable)),
                         ("waiting", sum(1 for c in mine if c.pending))):
        if count:
            result.add(label, count)
    participants = _participant_rows(ctx, book, tabs, sessions)
    if participants:
        roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, participants)
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    items = _link_letters(ctx, tabs, sessions, specs, forms)
    items += _pending_letters(ctx, book, outbox, sessions)
    deliver(ctx, items, outbox, result)
    return result, book


def payroll(ctx: StepContext, session_ids: Sequence[str] | None = None) -> list[PayLine]:
    """What the payroll export holds: per student and session, confirmed and countable hours only.

    Reads the form and the sheet and writes no data (the form is not created when missing).
    """
    config = ctx.config
    sessions = hours_sessions(config, session_ids)
    specs = {language: hours_form_spec(config, language)
             for language in languages_with_text(config, config.form_texts.languages(FORM_NAME))}
    settings = read_settings(ctx.ports.roster)
    # Only the forms a run made: payroll reads, it never creates one.
    forms = {language: FormState(settings[id_setting(spec)], settings.get(link_setting(spec), ""))
             for language, spec in specs.items() if settings.get(id_setting(spec))}
    tabs = ctx.ports.roster.read_tabs([sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.HOURS])
    book = read_book(ctx, tabs, specs, forms)
    rates = {s.id: hourly_rate(config, s) for s in sessions}
    return payroll_lines(book.checked, rates, config.hours.currency)
