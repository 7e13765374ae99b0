"""What a letter looks like for this program: the context ``send-test`` and the letters preview use.

A preview is the real letter, not a sample: it is rendered from the program's own data, as the
step that sends it builds it. For each letter it takes a real row where the program sheet has
one (the applicant the letter would go to, their session and its partner, its Meet link and
recording rule from the Sessions tab, every form's link from the Settings tab; for the later
letters the Feedback tab's answers, the Hours tab's waiting entries, the Assignments tab's hand-ins
and the partner's feedback, the Partners tab's planning meeting, the Outbox's last reminder day)
and otherwise the program's own sessions and partners with a placeholder student. Only values no
config or sheet holds yet (a student's name before anyone applied, a rating not given, hand-ins
not made) are placeholders, written in square brackets so no one mistakes them for real ones.

Nothing here comes from :mod:`microintern.domain.catalog`'s fictional samples. For the same row,
the preview and the step's letter are built from the same functions with the same values, so
their bodies are the same byte for byte (``tests/cli/test_previews_are_real.py`` proves it for
the decision, registration, release-form and session letters,
``tests/cli/test_previews_are_real_later_letters.py`` for the feedback, thank-you, hours,
assignment and planning-meeting letters). The one link a preview needs a port for is the
session's submissions folder (the partner's feedback reminder): without ``folders`` it is marked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from microintern.config import ProgramConfig, Session, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key, family_language, student_language
from microintern.domain.assignments import (
    ASSIGNMENT_KEY,
    Dated,
    assignment_options,
    dated_assignments,
    hand_in_spec,
    option_label,
    parse_rating,
    parse_stamp,
    submission_key,
    waiting_for_feedback,
)
from microintern.domain.assignments import STUDENT_KEY as HAND_IN_STUDENT_KEY
from microintern.domain.catalog import LetterSpec
from microintern.domain.decisions import LETTER_OF, UnknownDecision, parse_decision
from microintern.domain.feedback import feedback_spec, session_averages, shared_testimonials
from microintern.domain.forms import FormSpec
from microintern.domain.hours import STUDENT_KEY as HOURS_STUDENT_KEY
from microintern.domain.hours import hours_form_spec
from microintern.domain.participation import APPLICANT_KEY, registration_spec, release_spec
from microintern.domain.records import Record
from microintern.domain.sessions import SessionPlan, session_plan, session_rows, text
from microintern.errors import BackendError, RowError
from microintern.ports import Roster, SharedFolders
from microintern.steps.appreciation import answers_on_sheet, first_names, rating_labels, session_stats
from microintern.steps.assignments.letters import (
    FEEDBACK as ASSIGNMENT_FEEDBACK,
)
from microintern.steps.assignments.letters import (
    PARTNER_REMINDER,
    assignment_context,
    waiting_context,
)
from microintern.steps.feedback import feedback_link
from microintern.steps.hours import (
    confirmer_of,
    hours_context,
    pending_context,
    pending_on_sheet,
    sheet_link,
)
from microintern.steps.letter_context import (
    ProgramContexts,
    applicant_context,
    badge_context,
    day_in,
    partner_context,
    partner_of,
    session_context,
    session_letter_context,
)
from microintern.steps.partners import industry_form_on_sheet, meeting_context, meeting_on_sheet
from microintern.steps.program_forms import link_setting, prefilled_link
from microintern.steps.session_letters import roster_of
from microintern.steps.sheet.applicants import question_columns
from microintern.steps.sheet.participants import Seated, seated_students
from microintern.steps.sheet.settings import folder_setting

# Letters about a multi-week session: previewed with one of the program's, when it has one.
MULTI_WEEK_LETTERS = frozenset({"session_details_student", "session_details_partner", "hours_log_link",
                                "hours_pending", "assignment_given", "assignment_reminder",
                                "assignment_feedback", "partner_feedback_reminder"})

# The letters of steps/session_letters.py, whose session is session_letter_context (the meeting
# the letter is about, the video service, the recording rule); the others' is session_context,
# with the Sessions tab's meetings except the hours letters (the config's), and the Meet link in
# the badge letter's and the partner's feedback reminder's only (as steps/hours.py, badges.py,
# feedback.py, appreciation.py and assignments build them).
SESSION_LETTERS = frozenset({"partner_session_guide", "session_details_partner", "session_details_student",
                             "session_reminder", "run_sheet"})
_CONFIG_MEETINGS = frozenset({"hours_log_link", "hours_pending"})
_WITH_MEET_LINK = frozenset({"badge_notice", "partner_feedback_reminder"})

_TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS)
# The tabs later steps write (read apart: a sheet from before one of them still previews the rest).
_LATER_TABS = (sheet.FEEDBACK, sheet.HOURS, sheet.ASSIGNMENTS, sheet.PARTNERS, sheet.OUTBOX)

# Placeholders for what only a student or a later step will give: bracketed, in each language.
_PLACEHOLDER = {
    "en": {"first_name": "[Student's first name]", "last_name": "[Student's last name]",
           "guardian": "[Parent or guardian's name]", "feedback": "[The partner's feedback on the work]",
           "testimonial": "[A student's words, shared with permission]", "student": "[Student]",
           "rating": "[1 to 5]", "meeting_date": "[Meeting date]", "start": "[Start]", "end": "[End]",
           "handed_in": "[Handed in]", "days": "[Days]", "date_worked": "[Date worked]", "hours": "[Hours]"},
    "es": {"first_name": "[Nombre del estudiante]", "last_name": "[Apellido del estudiante]",
           "guardian": "[Nombre del padre, madre o tutor]",
           "feedback": "[Comentarios de la empresa sobre el trabajo]",
           "testimonial": "[Palabras de un estudiante, compartidas con permiso]", "student": "[Estudiante]",
           "rating": "[1 a 5]", "meeting_date": "[Fecha de la reunión]", "start": "[Inicio]", "end": "[Fin]",
           "handed_in": "[Fecha de entrega]", "days": "[Días]", "date_worked": "[Día trabajado]",
           "hours": "[Horas]"},
}
PLACEHOLDER_ID = "A-PREVIEW0"
"""The applicant id of a placeholder student (no real applicant id has a digit 0: base32)."""


def placeholder_link(name: str) -> str:
    """A link the program does not have yet (its form is made by the step that sends it)."""
    return f"https://example.invalid/not-yet-made/{name}"


class PreviewSource:
    """The program's own data, read once, from which every letter's preview context is built.

    ``roster`` None (or a sheet that cannot be read yet) previews with the config alone: the
    program's sessions and partners, a placeholder student. ``folders`` gives the session's
    submissions folder its real link (the partner's feedback reminder); None marks it a placeholder.
    """

    def __init__(self, config: ProgramConfig, roster: Roster | None,
                 folders: SharedFolders | None = None) -> None:
        self.config = config
        self.folders = folders
        tabs = _read(roster, _TABS)
        self.applications = tabs[sheet.APPLICATIONS]
        self.tabs = tabs
        self.settings = {text(r.get(sheet.SETTING)): text(r.get(sheet.SETTING_VALUE))
                         for r in _read(roster, (sheet.SETTINGS,))[sheet.SETTINGS]}
        self.seated = seated_students(config, tabs, None)
        rows = {text(r.get(sheet.SESSION_ID)): r for r in tabs[sheet.SESSIONS]
                if text(r.get(sheet.SESSION_ID))}
        # A session the Sessions tab does not list yet reads as the step would seed it (not written).
        seeded = {text(r[sheet.SESSION_ID]): r for r in session_rows(config, rows)}
        self.plans: dict[str, SessionPlan] = {
            s.id: session_plan(config, s, {**seeded.get(s.id, {}), **rows.get(s.id, {})})
            for s in config.sessions}
        self.program = ProgramContexts(config)
        self.questions = question_columns(config)
        self.later = _read(roster, _LATER_TABS)
        self.feedback_answers = answers_on_sheet(config, self.later[sheet.FEEDBACK])
        self.partner_rows = {text(r.get(sheet.PARTNER_ID)): r for r in self.later[sheet.PARTNERS]
                             if text(r.get(sheet.PARTNER_ID))}

    # --- whom the preview is about ---

    def _language_of(self, row: Mapping[str, Any], spec: LetterSpec) -> str:
        default = self.config.program.default_language
        return family_language(row, default) if spec.audience == "family" else student_language(row, default)

    def _decided(self, letter: str) -> list[Record]:
        found = []
        for row in self.applications:
            try:
                decision = parse_decision(row.get(sheet.DECISION))
            except UnknownDecision:
                continue
            if decision is not None and LETTER_OF[decision] == letter:
                found.append(row)
        return found

    def applicant_row(self, spec: LetterSpec, language: str, applicant: str | None = None) -> Record | None:
        """The Applications row a preview of ``spec`` in ``language`` is about, or None.

        ``applicant`` (an id) wins when it names a row. Otherwise a row that would get this
        letter (decided so, for a decision letter; holding a seat, for the letters after it),
        in ``language`` when one is; else any applicant; else None (a placeholder student).
        """
        rows = {text(r.get(sheet.APPLICANT_ID)): r for r in self.applications
                if text(r.get(sheet.APPLICANT_ID))}
        if applicant:
            return rows.get(applicant)
        if spec.name in LETTER_OF.values():
            candidates = self._decided(spec.name)
        elif spec.name == "application_received":
            candidates = list(rows.values())
        else:
            seated = self._seated_for(spec)
            candidates = [rows[s.applicant_id] for s in seated if s.applicant_id in rows]
            if spec.name == ASSIGNMENT_FEEDBACK:
                # A student whose work has the partner's feedback: the letter they were sent.
                reviewed = {text(r.get(sheet.APPLICANT_ID)) for r in self.later[sheet.ASSIGNMENTS]
                            if text(r.get(sheet.PARTNER_FEEDBACK))}
                candidates = ([r for r in candidates if text(r.get(sheet.APPLICANT_ID)) in reviewed]
                              or candidates)
        candidates = candidates or list(rows.values())
        matching = [r for r in candidates if self._language_of(r, spec) == language]
        return (matching or candidates or [None])[0]

    def _seated_for(self, spec: LetterSpec) -> list[Seated]:
        multi = {s.id for s in self.config.sessions if len(s.meeting_starts()) > 1}
        if spec.name in MULTI_WEEK_LETTERS and multi:
            return [s for s in self.seated if s.session_id in multi] or self.seated
        return self.seated

    def session_for(self, spec: LetterSpec, row: Record | None, session: str | None = None) -> Session:
        """The session a preview is about: the student's own, else ``session``, else one of the program's."""
        if row is not None:
            seat = next((s for s in self.seated if s.applicant_id == text(row.get(sheet.APPLICANT_ID))), None)
            if seat is not None:
                return self.config.session(seat.session_id)
        if session is not None:
            return self.config.session(session)
        if spec.name == "partner_meeting":
            # A partner whose planning meeting the coordinator set: the letter they were sent.
            for candidate in self.config.sessions:
                if meeting_on_sheet(self.config, self.partner_rows.get(candidate.partner, {}),
                                    partner_of(self.config, candidate)):
                    return candidate
        if spec.name in MULTI_WEEK_LETTERS:
            for session in self.config.sessions:
                if len(session.meeting_starts()) > 1:
                    return session
        return self.config.sessions[0]

    # --- the context ---

    def context(self, spec: LetterSpec, language: str, applicant: str | None = None,
                session: str | None = None) -> tuple[dict[str, Any], str]:
        """The context ``spec`` is previewed with in ``language``, and whom it is about.

        ``applicant`` (an id) chooses the student's row, ``session`` (an id) the session of a
        letter to a partner or staff, or of a placeholder student's letter.

        The second value is the applicant id of the real row used, or "" for a placeholder
        student (letters to partners and staff are about the session's real partner).
        """
        row = None if spec.audience in ("partner", "staff") else self.applicant_row(spec, language, applicant)
        values = _Values(self, spec, language, row, self.session_for(spec, row, session))
        return {key: values.get(key) for key in spec.needs}, text(row.get(sheet.APPLICANT_ID)) if row else ""

    def form_link(self, spec_in: Callable[[str], FormSpec], language: str, applicant: str, name: str,
                  link: Callable[[str, FormSpec], str] | None = None) -> str:
        """A program form's prefilled link as the step makes it, or a placeholder before it exists.

        The form in ``language``, else the default language's (as a step links a reader whose
        language has no form); ``spec_in`` gives the form of a language, ``link`` the step's own
        link from the form's responder link and spec (default: the applicant's id filled in).
        """
        program = self.config.program
        for candidate in (language, program.default_language):
            try:
                spec = spec_in(candidate)
            except KeyError:  # a form written in fewer languages than the program offers
                continue
            uri = self.settings.get(link_setting(spec), "")
            if uri:
                if link is not None:
                    return link(uri, spec)
                return prefilled_link(uri, spec, {APPLICANT_KEY: applicant})
        return placeholder_link(name)


class _Values:
    """The value of each context key for one preview (one letter, language, student, session)."""

    def __init__(self, source: PreviewSource, spec: LetterSpec, language: str, row: Record | None,
                 session: Session) -> None:
        self.source, self.spec, self.language, self.row, self.session = source, spec, language, row, session
        self.config = source.config
        self.words = _PLACEHOLDER.get(language, _PLACEHOLDER["en"])
        self.answers = answers_by_key(row, source.questions) if row is not None else {}
        self.applicant_id = text(row.get(sheet.APPLICANT_ID)) if row is not None else PLACEHOLDER_ID

    def get(self, key: str) -> Any:
        """The value of context key ``key``."""
        make: Callable[[], Any] | None = getattr(self, f"_{key}", None)
        if make is None:
            raise ValueError(f"letter {self.spec.name!r} needs {key!r}, which a preview cannot give")
        return make()

    def _program(self) -> Any:
        return dict(self.source.program(self.language)["program"])

    def _coordinator(self) -> Any:
        return dict(self.source.program(self.language)["coordinator"])

    def _applicant(self) -> Any:
        if self.row is not None:
            return applicant_context(self.row, self.source.questions)
        return {"id": PLACEHOLDER_ID, "first_name": self.words["first_name"],
                "last_name": self.words["last_name"]}

    def _guardian(self) -> Any:
        name = self.answers.get("guardian_name", "").strip()
        return {"name": name if self.row is not None else self.words["guardian"]}

    def _partner(self) -> Any:
        return partner_context(partner_of(self.config, self.session), self.language)

    def _session(self) -> Any:
        plan = self.source.plans[self.session.id]
        if self.spec.name not in SESSION_LETTERS:
            # Every other letter names the session as its step does: the plain session context
            # (no meeting it is about, no video service), so a template field only the session
            # letters have fails here as it would at send time.
            return session_context(
                self.config, self.session, language=self.language,
                meet_url=plan.meet_link if self.spec.name in _WITH_MEET_LINK else "",
                starts=None if self.spec.name in _CONFIG_MEETINGS else plan.starts)
        context = session_letter_context(self.config, self.session, plan, self.language)
        if not context["meet_url"]:
            # The sessions step has not made the Meet link yet (no letter that names it goes
            # before it exists): a placeholder, like a form not made yet, never a blank link.
            context["meet_url"] = placeholder_link("meet")
        return context

    def _due_day(self) -> Any:
        days = (self.config.release_form.due_days_before if self.spec.name.startswith("release_form")
                else self.config.registration.due_days_before)
        return self.session.meeting_starts()[0].date() - timedelta(days=days)

    def _due(self) -> Any:
        return day_in(self._due_day(), self.language)

    def _reminder(self) -> Any:
        return {"number": 1, "due": self._due()}

    def _links(self) -> Any:
        return {name: self._link(name) for name in self.spec.links}

    def _link(self, name: str) -> str:
        config, applicant = self.config, self.applicant_id
        specs: dict[str, Callable[[str], FormSpec]] = {
            "registration": lambda language: registration_spec(config, language),
            "release_form": lambda language: release_spec(config, language),
            "feedback": lambda language: feedback_spec(config, language),
            "hours_log": lambda language: hours_form_spec(config, language),
        }
        # The links the steps make: the feedback form says the session too, the hours log asks
        # for the student's id under its own key (steps/feedback.py, steps/hours.py).
        links: dict[str, Callable[[str, FormSpec], str]] = {
            "feedback": lambda uri, spec: feedback_link(uri, spec, applicant, self.session.id),
            "hours_log": lambda uri, spec: prefilled_link(uri, spec, {HOURS_STUDENT_KEY: applicant}),
        }
        if name == "hours_sheet":
            return sheet_link(config)
        if name == "hand_in" and (item := self._reviewed()[0]) is not None:
            # The hand-in form with the student's id and the assignment ticked, as the step links it.
            chosen = {HAND_IN_STUDENT_KEY: applicant,
                      ASSIGNMENT_KEY: option_label(assignment_options(config), item.assignment.id)}
            return self.source.form_link(lambda language: hand_in_spec(config, language), self.language,
                                         applicant, name, lambda uri, spec: prefilled_link(uri, spec, chosen))
        if name == "folder" and self.spec.name != PARTNER_REMINDER:
            # The student's folder for the assignment: its link as the step wrote it on the row.
            return text(self._reviewed()[1].get(sheet.FOLDER)) or placeholder_link(name)
        if name == "folder":
            # The session's submissions folder, as the step links it (its id in the Settings tab).
            folder_id = self.source.settings.get(folder_setting(self.session.id), "")
            if folder_id and self.source.folders is not None:
                return self.source.folders.link(folder_id)
        if name == "industry_form":
            partner = partner_of(config, self.session)
            return industry_form_on_sheet(config, self.source.settings, partner) or placeholder_link(name)
        if name not in specs:
            return placeholder_link(name)
        return self.source.form_link(specs[name], self.language, applicant, name, links.get(name))

    def _outcome(self) -> Any:
        return {"waitlist_position": 1}

    def _meeting(self) -> Any:
        partner = partner_of(self.config, self.session)
        held = meeting_on_sheet(self.config, self.source.partner_rows.get(partner.id, {}), partner)
        if held is None:
            # The planning meeting's time is the coordinator's to set (Partners tab): not yet.
            words = self.words
            return {"date": words["meeting_date"], "start": words["start"], "end": words["end"],
                    "meet_url": placeholder_link("planning-meeting")}
        start, link = held
        return meeting_context(self.config, start, link or placeholder_link("planning-meeting"),
                               self.language)

    def _roster(self) -> Any:
        seated = [s for s in self.source.seated if s.session_id == self.session.id]
        if seated:
            return roster_of(self.config, seated, self.source.applications)
        return [{"first_name": self.words["first_name"], "last_initial": "X", "school": ""}]

    def _stats(self) -> Any:
        # The thank-you's own figures from the sheet: seats and attendance (Participants), the
        # feedback answers the last run read in (Feedback tab). Nobody seated: no figure at all.
        students = [s for s in self.source.seated if s.session_id == self.session.id]
        averages = session_averages(self.session.id, self.config.feedback.ratings,
                                    self.source.feedback_answers)
        return session_stats(students, self.source.plans[self.session.id], averages,
                             rating_labels(self.config, self.language))

    def _testimonials(self) -> Any:
        shared = shared_testimonials(self.source.feedback_answers, self.session.id,
                                     first_names(self.config, self.source.applications))
        if shared or self.source.feedback_answers:
            return shared
        return [{"text": self.words["testimonial"], "first_name": self.words["student"]}]

    def _badge(self) -> Any:
        return badge_context(self.config, self.language)

    def _hours(self) -> Any:
        return hours_context(self.config, self.session, self.language)

    def _confirmer(self) -> Any:
        return {"name": confirmer_of(self.config, self.session)[2]}

    def _reviewer(self) -> Any:
        return {"name": partner_of(self.config, self.session).contact.name}

    def _pending(self) -> Any:
        waiting, never = pending_on_sheet(self.session, self.source.later[sheet.HOURS])
        if waiting or never:
            return pending_context(waiting, never, self.language)
        # No entry on the Hours tab yet: one placeholder entry, so the letter shows its list.
        words = self.words
        entry = {"student": words["student"], "date": words["date_worked"], "hours": words["hours"],
                 "flags": ""}
        return {"entries": [entry], "count": 1, "more": 0, "hours": words["hours"], "flagged": 0,
                "never_count": 0}

    def _reviewed(self) -> tuple[Dated | None, Record]:
        """The assignment the preview is about, and the student's Assignments row for it (or {})."""
        dated = dated_assignments(self.config, self.session, self.source.plans[self.session.id].starts)
        rows = [r for r in self.source.later[sheet.ASSIGNMENTS]
                if text(r.get(sheet.APPLICANT_ID)) == self.applicant_id
                and text(r.get(sheet.SESSION_ID)) == self.session.id]
        # The work the partner commented on, for the feedback letter; else the first assignment.
        rows.sort(key=lambda r: not text(r.get(sheet.PARTNER_FEEDBACK)))
        for row in rows:
            for item in dated:
                if text(row.get(sheet.SUBMISSION_KEY)) == submission_key(self.session.id, item.assignment.id,
                                                                         self.applicant_id):
                    return item, row
        return (dated[0] if dated else None), {}

    def _assignment(self) -> Any:
        item, _ = self._reviewed()
        if item is not None:
            return assignment_context(self.config, self.session, self.source.plans[self.session.id], item,
                                      self.language)
        return {"id": "assignment", "title": "[Assignment]", "instructions": "[Instructions]",
                "due": day_in(self.session.meeting_starts()[-1].date(), self.language),
                "session_title": text_in(self.session.title, self.language),
                "partner_organization": text_in(partner_of(self.config, self.session).organization,
                                                self.language),
                "final_project": False}

    def _feedback(self) -> Any:
        _, row = self._reviewed()
        words = text(row.get(sheet.PARTNER_FEEDBACK))
        if words:
            try:
                # The partner's words and rating as written, as the letter sends them.
                return {"text": words, "rating": parse_rating(row.get(sheet.PARTNER_RATING),
                                                              text(row.get(sheet.SUBMISSION_KEY)))}
            except RowError:
                pass  # a rating the step would not send either: the placeholder below
        return {"text": self.words["feedback"], "rating": self.words["rating"]}

    def _waiting(self) -> Any:
        today = self._reminder_day()
        rows = []
        for row in self.source.later[sheet.ASSIGNMENTS]:
            if text(row.get(sheet.SESSION_ID)) != self.session.id:
                continue
            handed_in = parse_stamp(row.get(sheet.HANDED_IN), self.config.zone)
            rows.append((text(row.get(sheet.SUBMISSION_KEY)), text(row.get(sheet.SUBMISSION_STUDENT)),
                         text(row.get(sheet.ASSIGNMENT)),
                         handed_in.astimezone(self.config.zone).date() if handed_in else None,
                         text(row.get(sheet.PARTNER_FEEDBACK)), text(row.get(sheet.FEEDBACK_SENT))))
        waiting = waiting_for_feedback(rows, today, self.config.assignment.partner_feedback_reminder_days)
        if waiting:
            return waiting_context(waiting, today, self.language)
        return [{"student": self.words["student"], "assignment": self._assignment()["title"],
                 "handed_in": self.words["handed_in"], "days": self.words["days"]}]

    def _reminder_day(self) -> date:
        """The day of the session's latest feedback reminder in the Outbox (the one sent), else today."""
        partner = partner_of(self.config, self.session).id
        prefix = f"{self.config.program.id}/{PARTNER_REMINDER}:"
        days = []
        for row in self.source.later[sheet.OUTBOX]:
            key = text(row.get(sheet.OUTBOX_KEY))
            if key.startswith(prefix) and key.endswith(f"/{partner}/{self.session.id}"):
                try:
                    days.append(date.fromisoformat(key[len(prefix):].split("/")[0]))
                except ValueError:
                    continue
        return max(days, default=datetime.now(self.config.zone).date())


def _read(roster: Roster | None, tabs: Sequence[str]) -> dict[str, list[Record]]:
    """The tabs' rows; a sheet not made yet (or no roster) reads empty, for a preview only."""
    if roster is None:
        return {tab: [] for tab in tabs}
    try:
        return roster.read_tabs(list(tabs))
    except BackendError:
        # A program that never ran init has no tabs; Sheets answers a read of one with a 400.
        return {tab: [] for tab in tabs}
