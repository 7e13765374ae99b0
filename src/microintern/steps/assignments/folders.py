"""The submissions folders: the session's (staff only) and each student's, and who may open them.

See the package's docstring: made once, their ids kept in the sheet; access follows the
Sessions tab and ends ``assignment.access_ends_after_days`` after the last meeting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from email_validator import EmailNotValidError, validate_email

from microintern.config import ProgramConfig, Session
from microintern.domain.assignments import Dated, option_label, student_label
from microintern.domain.sessions import SessionPlan
from microintern.errors import BackendError
from microintern.steps.assignments.state import Run
from microintern.steps.letter_context import partner_of
from microintern.steps.sheet.participants import Seated
from microintern.steps.sheet.settings import (
    access_cell,
    access_ended_setting,
    access_setting,
    folder_setting,
    parse_access,
)


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



def ensure_session_folder(run: Run, session: Session, ended: bool) -> str:
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


def _staff_access(run: Run, session: Session, folder_id: str, ended: bool) -> bool:
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


def end_student_access(run: Run, session: Session, session_folder: str,
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


class StudentFolders:
    """A student's folder, found or made (and shared with the student) only when needed."""

    def __init__(self, run: Run, session_folder: str, student: Seated) -> None:
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
