"""Assignments (multi-week sessions): folders, the hand-in form, hand-ins, feedback, reminders.

Every run, for each session with assignments:

- **Folders** (Drive, made once): one per session, "<program> / <session> — submissions", shared
  with the partner (commenter), the teacher and the coordinator (writers) and never with a
  student; inside it one folder per student, shared with that student only (writer), and in
  it one folder per assignment. Students see their own folder and nothing else. The session
  folder's id is kept in the Settings tab and each assignment folder's in the Assignments tab's
  Folder ID column, so a rerun makes no folder twice (and a lost id is found again by name).
- **Access follows the sheet**: who the session folder is shared with is remembered in the
  Settings tab; when the session's partner or teacher changes, the new one is given access and
  the old one's is taken away. ``assignment.access_ends_after_days`` after the session's last
  meeting, the students lose their folders and the partner and teacher the session folder (the
  coordinator keeps it), once.
- **The hand-in form** (one for the program): student id and assignment prefilled, a link to
  the work, notes for the partner. The Forms API cannot make file-upload questions, so files go
  in the student's folder instead: work is handed in by a usable link in the form or by a file
  in the assignment's folder, whichever comes first.
- **The Assignments tab**: one row per student and assignment (Due, Handed in, Late, Work,
  Student note, Folder), tool columns only; the partner or teacher fills Partner feedback and
  Rating, the coordinator Notes.
- **Letters**, exactly once per Outbox key: the assignment from the day of the meeting it
  follows; one reminder ``assignment.student_reminder_days`` before the due date if nothing
  came in; the partner's feedback and rating once Partner feedback is filled (sent once: later
  edits are not sent again); and to the partner and the teacher, the hand-ins still waiting for
  feedback ``assignment.partner_feedback_reminder_days`` after they came in (first name and last
  initial only), at most once a day, again when another hand-in becomes overdue or after the
  same number of days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from microintern.config import ProgramConfig, Session, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import same_student
from microintern.domain.assignments import (
    ASSIGNMENT_KEY,
    DAY,
    LATE_MISSING,
    LATE_YES,
    STUDENT_KEY,
    Dated,
    HandIn,
    HandInProblem,
    Waiting,
    assignment_options,
    dated_assignments,
    first_arrival,
    given_due,
    hand_in_spec,
    lateness,
    letter_step,
    option_label,
    parse_rating,
    parse_stamp,
    partner_reminder_due,
    read_hand_in,
    reminder_due,
    stamp,
    student_label,
    submission_key,
    waiting_for_feedback,
)
from microintern.domain.dates import DATE_TIME
from microintern.domain.forms import FormSpec, FormState
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.records import DriveFile, Record
from microintern.domain.sessions import SessionPlan, text
from microintern.domain.timeline import StepName
from microintern.errors import BackendError, RowError
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import (
    ProgramContexts,
    day_in,
    long_day,
    partner_of,
    session_context,
)
from microintern.steps.mailing import Addressed, deliver, guardian_copy, outbox_by_key
from microintern.steps.program_forms import Answers, ensure_forms, form_languages, link_in, read_answers_in
from microintern.steps.sheet.applicants import question_columns, student_addresses
from microintern.steps.sheet.long_answers import fitted_note
from microintern.steps.sheet.outbox import sent_on
from microintern.steps.sheet.participants import Seated, seated_students
from microintern.steps.sheet.sessions import read_session_plans
from microintern.steps.sheet.settings import (
    access_cell,
    access_ended_setting,
    access_setting,
    folder_setting,
    parse_access,
)

_TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS, sheet.OUTBOX, sheet.ASSIGNMENTS,
         sheet.SETTINGS)
_SENT_STAMP = DATE_TIME

GIVEN = "assignment_given"
REMINDER = "assignment_reminder"
FEEDBACK = "assignment_feedback"
PARTNER_REMINDER = "partner_feedback_reminder"

def access_ends_on(config: ProgramConfig, plan: SessionPlan) -> date | None:
    """The day the session's folders are unshared: the last meeting + ``access_ends_after_days``."""
    if not plan.starts:
        return None
    last = max(plan.starts).astimezone(config.zone).date()
    return last + timedelta(days=config.assignment.access_ends_after_days)


def session_folder_name(config: ProgramConfig, session: Session) -> str:
    """The session's submissions folder: "<program> / <session title> — submissions"."""
    return f"{config.program.name} / {session.title} — submissions"


def student_folder_name(student: Seated) -> str:
    """A student's folder: first name, last initial and applicant id (unique, staff-readable)."""
    label = student_label(student.applicant.get("first_name", ""), student.applicant.get("last_name", ""))
    return f"{label} ({student.applicant_id})"


def _valid(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@dataclass
class _Run:
    """One run's state: what was read, what will be written and sent."""

    ctx: StepContext
    result: StepResult
    outbox: dict[str, Record]
    rows: dict[str, Record]
    settings: dict[str, str]
    hand_ins: dict[tuple[str, str], list[HandIn]]
    unusable: dict[tuple[str, str], list[HandInProblem]]
    specs: dict[str, FormSpec]          # language → the hand-in form in it
    forms: dict[str, FormState]
    options: dict[str, str]
    program: ProgramContexts
    updates: dict[str, Record] = field(default_factory=dict)
    new_settings: dict[str, str] = field(default_factory=dict)
    items: list[Addressed] = field(default_factory=list)
    feedback_keys: dict[str, str] = field(default_factory=dict)   # Outbox key → row key

    @property
    def config(self) -> ProgramConfig:
        return self.ctx.config

    @property
    def today(self) -> date:
        return self.ctx.now.astimezone(self.config.zone).date()

    def key(self, letter: str, recipient: str, session_id: str) -> str:
        """The Outbox key of one letter."""
        return message_key(self.config.program.id, letter, recipient, session_id)

    def fresh(self, key: str) -> bool:
        """True while the Outbox (as read at the start) does not have the letter delivered."""
        row = self.outbox.get(key)
        return row is None or text(row.get("State")) not in DELIVERED

    def set(self, row_key: str, column: str, value: str) -> None:
        """Change one tool cell of the row ``row_key`` if it differs from what the tab holds."""
        before = self.rows.get(row_key, {})
        if text(before.get(column)) != value or row_key not in self.rows:
            self.updates.setdefault(row_key, {sheet.SUBMISSION_KEY: row_key})[column] = value


def _read_hand_ins(answers: Sequence[Answers], options: Mapping[str, str],
                   addresses: Mapping[str, str] | None = None) -> tuple[
        dict[tuple[str, str], list[HandIn]], dict[tuple[str, str], list[HandInProblem]], list[str]]:
    """The form's answers: usable ones and unusable ones by (applicant, assignment), and the
    problems of answers that name no student or assignment.

    With ``addresses`` (verified respondents), an answer whose signed-in address is not the
    student's own is unusable: someone changed the prefilled id to hand in as another student.
    """
    usable: dict[tuple[str, str], list[HandIn]] = {}
    unusable: dict[tuple[str, str], list[HandInProblem]] = {}
    unplaced: list[str] = []
    for answer in answers:
        found = read_hand_in(answer.response_id, answer.submitted_at, answer.by_key, options)
        if (isinstance(found, HandIn) and addresses is not None
                and not same_student(answer.respondent_email, addresses.get(found.applicant_id))):
            found = HandInProblem(str(RowError(
                "hand-in form", answer.response_id, "Student ID",
                "sent by a signed-in address that is not this student's; not counted as their work")),
                found.applicant_id, found.assignment_id,
                "(a hand-in form answer came from another student's account: see the run's problems)")
        if isinstance(found, HandIn):
            usable.setdefault((found.applicant_id, found.assignment_id), []).append(found)
        elif found.applicant_id and found.assignment_id:
            unusable.setdefault((found.applicant_id, found.assignment_id), []).append(found)
        else:
            unplaced.append(found.message)
    return usable, unusable, unplaced


def run_assignments(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Folders, hand-ins, feedback and reminders for the sessions' assignments (see the module)."""
    config = ctx.config
    result = StepResult()
    wanted = [s.id for s in config.sessions if config.assignments_of(s)
              and (session_ids is None or s.id in session_ids)]
    if not wanted:
        return result
    roster = ctx.ports.roster
    # One hand-in form per language; answers on any of them are read alike.
    specs = {language: hand_in_spec(config, language) for language in form_languages(config)}
    forms = ensure_forms(ctx, specs)
    tabs = roster.read_tabs(list(_TABS))
    plans = read_session_plans(ctx, tabs)
    sessions = [config.session(i) for i in wanted if not plans[i].cancelled]
    options = assignment_options(config)
    usable, unusable, unplaced = _read_hand_ins(
        read_answers_in(ctx, specs, forms), options,
        student_addresses(tabs, question_columns(config))
        if config.application.verified_respondents else None)
    everyone = {s.applicant_id for s in seated_students(config, tabs, None)}
    first_with_work = next(s.id for s in config.sessions if config.assignments_of(s))
    if session_ids is None or first_with_work in session_ids:
        # Answers that name no placed student are the program's, reported by one session's run.
        result.problems.extend(unplaced)
        for (applicant, _), found in usable.items():
            if applicant not in everyone:
                result.problems.append(str(RowError("hand-in form", found[0].response_id,
                                                    "Student ID", "not a placed student")))
    settings: dict[str, str] = {}
    for row in tabs[sheet.SETTINGS]:
        name = text(row.get(sheet.SETTING))
        if name:
            settings.setdefault(name, text(row.get(sheet.SETTING_VALUE)))
    rows: dict[str, Record] = {}
    for row in tabs[sheet.ASSIGNMENTS]:
        key = text(row.get(sheet.SUBMISSION_KEY))
        if key:
            rows.setdefault(key, row)
    run = _Run(ctx, result, outbox_by_key(tabs[sheet.OUTBOX]), rows, settings, usable, unusable,
               specs, forms, options, ProgramContexts(config))
    students = seated_students(config, tabs, [s.id for s in sessions])
    for session in sessions:
        _session(run, session, plans[session.id], [s for s in students if s.session_id == session.id])
    if run.new_settings:
        roster.upsert(sheet.SETTINGS, sheet.SETTING,
                      [{sheet.SETTING: k, sheet.SETTING_VALUE: v} for k, v in run.new_settings.items()])
    try:
        delivered = deliver(ctx, run.items, run.outbox, result)
        for outbox_key, row_key in run.feedback_keys.items():
            if text(run.rows.get(row_key, {}).get(sheet.FEEDBACK_SENT)):
                continue
            if not run.fresh(outbox_key):      # delivered by an earlier run: the Outbox says when
                recorded = text(run.outbox[outbox_key].get("Updated"))[:16]
                run.set(row_key, sheet.FEEDBACK_SENT, recorded or stamp(ctx.now, config.zone))
            elif outbox_key in delivered:
                run.set(row_key, sheet.FEEDBACK_SENT, stamp(ctx.now, config.zone))
    finally:
        # Hand-ins and folder ids are written even when a send failed; Feedback sent only for
        # letters known delivered (the next run stamps the others from the Outbox).
        if run.updates:
            roster.upsert(sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY, list(run.updates.values()))
    return result


# --- one session ---------------------------------------------------------------------------------


def _session(run: _Run, session: Session, plan: SessionPlan, students: list[Seated]) -> None:
    config = run.config
    dated = dated_assignments(config, session, plan.starts)
    ends = access_ends_on(config, plan)
    ended = ends is not None and run.today >= ends
    session_folder = _session_folder(run, session, ended) if students else ""
    if session_folder and ended:
        _end_student_access(run, session, session_folder, students)
    waiting_rows: list[tuple[str, str, str, date | None, str, str]] = []
    for student in sorted(students, key=lambda s: s.applicant_id):
        folders = _StudentFolders(run, session_folder if not ended else "", student)
        for item in dated:
            row_key = submission_key(session.id, item.assignment.id, student.applicant_id)
            handed_in, label = _row(run, session, plan, student, item, row_key, folders)
            row = {**run.rows.get(row_key, {}), **run.updates.get(row_key, {})}
            waiting_rows.append((row_key, label, item.assignment.title,
                                 handed_in.astimezone(config.zone).date() if handed_in else None,
                                 text(row.get(sheet.PARTNER_FEEDBACK)), text(row.get(sheet.FEEDBACK_SENT))))
    if session_folder:
        _partner_reminder(run, session, plan, session_folder, waiting_rows)


def _session_folder(run: _Run, session: Session, ended: bool) -> str:
    """The session's folder id: remembered, or found or made; shared with staff only, and with
    the staff the config names now (see :func:`_staff_access`)."""
    setting = folder_setting(session.id)
    remembered = run.settings.get(setting)
    folder_id = remembered or run.ctx.ports.folders.ensure_folder(session_folder_name(run.config, session))
    shared = _staff_access(run, session, folder_id, ended)
    if shared and not remembered:
        run.new_settings[setting] = folder_id
        run.settings[setting] = folder_id
        run.result.add("folders made")
    return folder_id


def _staff_access(run: _Run, session: Session, folder_id: str, ended: bool) -> bool:
    """Share the session folder with today's partner and teacher and the coordinator, and take
    it from a partner or teacher the sheet no longer names; after the end, the coordinator only.

    Who it was shared with is remembered in the Settings tab, so an unchanged sheet costs no
    Drive call. Only access this step gave is taken back; people the coordinator added by hand
    keep theirs. True when Drive took every change (else it is tried on the next run).
    """
    config = run.config
    partner = partner_of(config, session)
    staff = [("the coordinator", config.coordinator.email, "writer")]
    if not ended:
        staff = [("the partner", partner.contact.email, "commenter"),
                 ("the teacher", session.teacher.email, "writer"), *staff]
    wanted: dict[str, str] = {}
    for _, address, role in staff:
        wanted.setdefault(address.casefold(), role)
    label = access_setting(session.id)
    remembered = run.settings.get(label)
    if remembered == access_cell(wanted):
        return True
    folders = run.ctx.ports.folders
    current = {k.casefold(): v for k, v in folders.shared_with(folder_id).items()}
    done = True
    for who, address, role in staff:
        if current.get(address.casefold()) in (role, "owner"):
            continue
        try:
            folders.share(folder_id, address, role)
        except BackendError as exc:
            # e.g. sharing outside the domain is off: said plainly, tried again on the next run.
            done = False
            run.result.problems.append(f"{session.id}: the submissions folder could not be shared with "
                                       f"{who} (Drive answered {exc.code or 'an error'})")
    for address in parse_access(remembered or ""):
        if address in wanted:
            continue
        try:
            if folders.unshare(folder_id, address):
                run.result.add("folder access removed")
        except BackendError as exc:
            done = False
            run.result.problems.append(f"{session.id}: a former partner's or teacher's access to the "
                                       f"submissions folder could not be removed (Drive answered "
                                       f"{exc.code or 'an error'})")
    if done:
        run.new_settings[label] = access_cell(wanted)
        run.settings[label] = access_cell(wanted)
    return done


def _end_student_access(run: _Run, session: Session, session_folder: str,
                        students: Sequence[Seated]) -> None:
    """Take each student's folder from them, once, when the session's access has ended."""
    label = access_ended_setting(session.id)
    if run.settings.get(label):
        return
    folders = run.ctx.ports.folders
    done = True
    for student in students:
        if not _valid(student.student_email):
            continue
        try:
            folder_id = folders.ensure_folder(student_folder_name(student), session_folder)
            if folders.unshare(folder_id, student.student_email):
                run.result.add("folder access removed")
        except (BackendError, OSError, ValueError) as exc:
            done = False
            run.result.problems.append(f"{student.applicant_id}: the submissions folder could not be "
                                       f"unshared ({getattr(exc, 'code', None) or type(exc).__name__})")
    if done:
        day = run.today.isoformat()
        run.new_settings[label] = day
        run.settings[label] = day


class _StudentFolders:
    """A student's folder, found or made (and shared with the student) only when needed."""

    def __init__(self, run: _Run, session_folder: str, student: Seated) -> None:
        # session_folder is "" once access has ended: nothing is made or shared any more.
        self.run, self.session_folder, self.student = run, session_folder, student
        self._id: str | None = None
        self.failed = False

    def assignment_folder(self, item: Dated) -> str:
        """The id of the student's folder for ``item`` ("" when it cannot be made and shared)."""
        student_folder = self._student_folder()
        if not student_folder:
            return ""
        name = option_label(self.run.options, item.assignment.id)
        try:
            return self.run.ctx.ports.folders.ensure_folder(name, student_folder)
        except (OSError, ValueError) as exc:   # the local file system refused the name
            self.run.result.problems.append(
                f"{self.student.applicant_id}: the folder for {item.assignment.id} could not be made "
                f"({type(exc).__name__})")
            return ""

    def _student_folder(self) -> str:
        if self._id is not None or self.failed or not self.session_folder:
            return self._id or ""
        folders = self.run.ctx.ports.folders
        address = self.student.student_email
        if not _valid(address):
            self.failed = True
            self.run.result.problems.append(
                f"{self.student.applicant_id}: no usable student address, so no submissions folder")
            return ""
        try:
            # One student's folder that cannot be made (a name the file system refuses, Drive
            # saying no) is that student's problem, never the whole session's.
            folder_id = folders.ensure_folder(student_folder_name(self.student), self.session_folder)
            folders.share(folder_id, address, "writer")
        except (BackendError, OSError, ValueError) as exc:
            # Drive refused (e.g. sharing outside the domain is off): retried on the next run.
            self.failed = True
            self.run.result.problems.append(
                f"{self.student.applicant_id}: the submissions folder could not be made or shared "
                f"({getattr(exc, 'code', None) or type(exc).__name__})")
            return ""
        self.run.result.add("folders made")
        self._id = folder_id
        return folder_id


def _row(run: _Run, session: Session, plan: SessionPlan, student: Seated, item: Dated, row_key: str,
         folders: _StudentFolders) -> tuple[datetime | None, str]:
    """Bring one Assignments row up to date and queue its letters; return (handed in, label)."""
    config = run.config
    zone = config.zone
    row = run.rows.get(row_key, {})
    label = student_label(student.applicant.get("first_name", ""), student.applicant.get("last_name", ""))
    if row_key not in run.rows:
        run.result.add("rows added")
    run.set(row_key, sheet.SESSION_ID, session.id)
    run.set(row_key, sheet.ASSIGNMENT, item.assignment.title)
    run.set(row_key, sheet.APPLICANT_ID, student.applicant_id)
    run.set(row_key, sheet.SUBMISSION_STUDENT, label)
    run.set(row_key, sheet.DUE, item.due.strftime(DAY))

    folder_id = text(row.get(sheet.FOLDER_ID))
    if not folder_id:
        folder_id = folders.assignment_folder(item)
        if folder_id:
            run.set(row_key, sheet.FOLDER_ID, folder_id)
    folder_link = run.ctx.ports.folders.link(folder_id) if folder_id else ""
    if folder_link:
        run.set(row_key, sheet.FOLDER, folder_link)

    # What came in: form answers, files in the folder (looked at once given, until feedback went).
    answers = sorted(run.hand_ins.get((student.applicant_id, item.assignment.id), []),
                     key=lambda h: h.submitted_at)
    files: list[DriveFile] = []
    given = run.today >= item.given_on
    if folder_id and given and not text(row.get(sheet.FEEDBACK_SENT)):
        files = run.ctx.ports.folders.files_in(folder_id)
    handed_in = first_arrival([parse_stamp(row.get(sheet.HANDED_IN), zone),
                               answers[0].submitted_at if answers else None,
                               files[0].modified if files else None])
    if handed_in is not None:
        run.set(row_key, sheet.HANDED_IN, stamp(handed_in, zone))
    links = ([answers[-1].link] if answers else []) + [f.link for f in files]
    if links:
        run.set(row_key, sheet.WORK_LINK, "\n".join(links))
    elif run.unusable.get((student.applicant_id, item.assignment.id)):
        problem = run.unusable[(student.applicant_id, item.assignment.id)][-1]
        run.result.problems.append(problem.message)
        if not text(row.get(sheet.WORK_LINK)):
            run.set(row_key, sheet.WORK_LINK, problem.work_note)
    if answers and answers[-1].note:
        run.set(row_key, sheet.STUDENT_NOTE, fitted_note(answers[-1].note))
    late = lateness(handed_in, item.due, run.ctx.now, zone)
    run.set(row_key, sheet.LATE, late)
    if handed_in is not None:
        run.result.add("handed in")
        if late == LATE_YES:
            run.result.add("late")
    elif late == LATE_MISSING:
        run.result.add("missing")

    _student_letters(run, session, plan, student, item, row_key, folder_link, handed_in is not None)
    return handed_in, label


def _assignment_context(run: _Run, session: Session, plan: SessionPlan, item: Dated,
                        language: str) -> dict[str, object]:
    return {
        "id": item.assignment.id,
        "title": item.assignment.title,
        "instructions": item.assignment.instructions,
        "due": day_in(item.due, language),
        # The Sessions tab holds the default language's title; a title the coordinator changed
        # there wins, otherwise the config gives the title in the letter's language.
        "session_title": (plan.title if plan.title and plan.title != str(session.title)
                          else text_in(session.title, language)),
        "partner_organization": text_in(partner_of(run.config, session).organization, language),
        "final_project": item.assignment.final_project,
    }


def _student_letters(run: _Run, session: Session, plan: SessionPlan, student: Seated, item: Dated,
                     row_key: str, folder_link: str, handed_in: bool) -> None:
    config = run.config
    aid = item.assignment.id
    language = student.language
    base = {**run.program(language), "applicant": dict(student.applicant),
            "assignment": _assignment_context(run, session, plan, item, language)}
    cc = guardian_copy(run.ctx, student.guardian_email)
    step = StepName.ASSIGNMENTS.value

    def letter(name: str, context: dict[str, object]) -> Addressed:
        return Addressed(run.key(letter_step(name, aid), student.applicant_id, session.id), step,
                         student.applicant_id, student.student_email, name, language,
                         {**base, **context}, cc=cc)

    given_key = run.key(letter_step(GIVEN, aid), student.applicant_id, session.id)
    if folder_link:
        links = {"hand_in": link_in(language, run.specs, run.forms, {
            STUDENT_KEY: student.applicant_id, ASSIGNMENT_KEY: option_label(run.options, aid)}),
            "folder": folder_link}
        if run.fresh(given_key) and given_due(item, run.today):
            run.items.append(letter(GIVEN, {"links": links}))
            run.result.add("assignments given")
        reminder_key = run.key(letter_step(REMINDER, aid), student.applicant_id, session.id)
        if run.fresh(reminder_key) and reminder_due(item, run.today, config.assignment.student_reminder_days,
                                                     handed_in, sent_on(run.outbox, given_key)):
            run.items.append(letter(REMINDER, {"links": links}))
            run.result.add("reminders")

    row = {**run.rows.get(row_key, {}), **run.updates.get(row_key, {})}
    feedback = text(run.rows.get(row_key, {}).get(sheet.PARTNER_FEEDBACK))
    feedback_key = run.key(letter_step(FEEDBACK, aid), student.applicant_id, session.id)
    if not feedback:
        return
    run.feedback_keys[feedback_key] = row_key
    if not run.fresh(feedback_key) or text(row.get(sheet.FEEDBACK_SENT)):
        return
    try:
        rating = parse_rating(run.rows.get(row_key, {}).get(sheet.PARTNER_RATING), row_key)
    except RowError as exc:
        run.result.problems.append(f"{exc}; the feedback waits until it is fixed")
        return
    run.items.append(letter(FEEDBACK, {"feedback": {"text": feedback, "rating": rating}}))
    run.result.add("feedback letters")


def _partner_reminder(run: _Run, session: Session, plan: SessionPlan, session_folder: str,
                      rows: list[tuple[str, str, str, date | None, str, str]]) -> None:
    config = run.config
    every = config.assignment.partner_feedback_reminder_days
    waiting: list[Waiting] = waiting_for_feedback(rows, run.today, every)
    partner = partner_of(config, session)
    prefix = f"{config.program.id}/{PARTNER_REMINDER}:"
    # Days before today: today's letters, once begun, are finished by every run of the day.
    sent_days = [
        day for key in run.outbox
        if key.startswith(prefix) and key.endswith(f"/{partner.id}/{session.id}")
        and (day := sent_on(run.outbox, key)) is not None and day < run.today
    ]
    if not partner_reminder_due(waiting, max(sent_days, default=None), run.today, every):
        return
    letter = letter_step(PARTNER_REMINDER, run.today.isoformat())
    context = {
        **run.program("en"),
        "session": session_context(config, session, meet_url=plan.meet_link, starts=plan.starts),
        "waiting": [{"student": w.student, "assignment": w.assignment,
                     "handed_in": long_day(w.handed_in), "days": (run.today - w.handed_in).days}
                    for w in waiting],
        "links": {"folder": run.ctx.ports.folders.link(session_folder)},
    }
    for recipient, address, name in ((partner.id, partner.contact.email, partner.contact.name),
                                     (f"teacher-{session.id}", session.teacher.email, session.teacher.name)):
        key = run.key(letter, recipient, session.id)
        if run.fresh(key):
            run.items.append(Addressed(key, StepName.ASSIGNMENTS.value, recipient, address, PARTNER_REMINDER,
                                       "en", {**context, "reviewer": {"name": name}}))
            run.result.add("partner reminders")
