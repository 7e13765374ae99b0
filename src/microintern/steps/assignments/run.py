"""The assignments step's run: read the sheet and the hand-in forms, then each session's rows,
folders and letters (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from microintern.config import Session
from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import same_student
from microintern.domain.assignments import (
    DAY,
    FORM_NAME,
    LATE_MISSING,
    LATE_YES,
    Dated,
    HandIn,
    HandInProblem,
    assignment_options,
    dated_assignments,
    first_arrival,
    hand_in_spec,
    lateness,
    parse_stamp,
    read_hand_in,
    stamp,
    student_label,
    submission_key,
)
from microintern.domain.records import DriveFile, Record
from microintern.domain.sessions import SessionPlan, text
from microintern.errors import RowError
from microintern.steps.assignments.folders import (
    StudentFolders,
    access_ends_on,
    end_student_access,
    ensure_session_folder,
)
from microintern.steps.assignments.letters import partner_reminder, student_letters
from microintern.steps.assignments.state import Run
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts
from microintern.steps.mailing import deliver, outbox_by_key
from microintern.steps.program_forms import Answers, ensure_forms, languages_with_text, read_answers_in
from microintern.steps.sheet.applicants import question_columns, student_addresses
from microintern.steps.sheet.long_answers import fitted_note
from microintern.steps.sheet.participants import Seated, seated_students
from microintern.steps.sheet.sessions import read_session_plans

_TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS, sheet.OUTBOX, sheet.ASSIGNMENTS,
         sheet.SETTINGS)


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
    specs = {language: hand_in_spec(config, language)
             for language in languages_with_text(config, config.form_texts.languages(FORM_NAME))}
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
    run = Run(ctx, result, outbox_by_key(tabs[sheet.OUTBOX]), rows, settings, usable, unusable,
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


def _session(run: Run, session: Session, plan: SessionPlan, students: list[Seated]) -> None:
    config = run.config
    dated = dated_assignments(config, session, plan.starts)
    ends = access_ends_on(config, plan)
    ended = ends is not None and run.today >= ends
    session_folder = ensure_session_folder(run, session, ended) if students else ""
    if session_folder and ended:
        end_student_access(run, session, session_folder, students)
    waiting_rows: list[tuple[str, str, str, date | None, str, str]] = []
    for student in sorted(students, key=lambda s: s.applicant_id):
        folders = StudentFolders(run, session_folder if not ended else "", student)
        for item in dated:
            row_key = submission_key(session.id, item.assignment.id, student.applicant_id)
            handed_in, label = _row(run, session, plan, student, item, row_key, folders)
            row = {**run.rows.get(row_key, {}), **run.updates.get(row_key, {})}
            waiting_rows.append((row_key, label, item.assignment.title,
                                 handed_in.astimezone(config.zone).date() if handed_in else None,
                                 text(row.get(sheet.PARTNER_FEEDBACK)), text(row.get(sheet.FEEDBACK_SENT))))
    if session_folder:
        partner_reminder(run, session, plan, session_folder, waiting_rows)


def _row(run: Run, session: Session, plan: SessionPlan, student: Seated, item: Dated, row_key: str,
         folders: StudentFolders) -> tuple[datetime | None, str]:
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

    student_letters(run, session, plan, student, item, row_key, folder_link, handed_in is not None)
    return handed_in, label
