"""Previews are the real letters (issue 15), for the letters after the session's first meeting.

On the local backend the real steps send each letter (feedback, the partner's thank-you, the hours
log's link and the confirmer's pending list, the assignment's feedback and the partner's feedback
reminder, the partner's planning meeting); then ``send-test`` previews the same letter for the
same row, and each preview's text and HTML parts are the real letter's, byte for byte.
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.adapters.preview import PreviewMailer
from microintern.bootstrap import letter_renderer, step_context
from microintern.config import ProgramConfig, load_config
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import (
    ASSIGNMENT_KEY,
    LINK_KEY,
    NOTE_KEY,
    assignment_options,
    hand_in_spec,
    option_label,
)
from microintern.domain.assignments import STUDENT_KEY as HAND_IN_STUDENT
from microintern.domain.catalog import LETTERS
from microintern.domain.feedback import SESSION_KEY, SHARE_KEY, TESTIMONIAL_KEY, feedback_spec, rating_key
from microintern.domain.hours import hours_form_spec
from microintern.domain.mime import KEY_HEADER
from microintern.domain.participation import APPLICANT_KEY
from microintern.domain.records import OutgoingMessage
from microintern.steps.appreciation import thank_partners
from microintern.steps.assignments import folder_setting, run_assignments
from microintern.steps.feedback import request_feedback
from microintern.steps.hours import log_hours
from microintern.steps.partners import partner_pipeline
from microintern.steps.previews import PreviewSource
from microintern.steps.samples import send_samples
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
ONE_MEETING = "cyber-basics"      # 2027-03-16 15:30 Pacific; partner solis-cyber
WEEKLY = "data-fellows"           # paid, weekly from Tuesday 2027-04-06; partner with assignments
STUDENTS = {"A-0000001": ("Maya", "en"), "A-0000002": ("Sofía", "es")}


def seat(config: ProgramConfig, session: str, **participant: object) -> LocalWorkbook:
    """The two students accepted and seated in ``session``, each reading one language."""
    roster = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, sheet.STUDENT_LANGUAGE: language,
         "First name": first, "Last name": "Prueba",
         "School email address": f"s{applicant[-1]}@students.mesavalley.example",
         "Parent or guardian email": f"g{applicant[-1]}@family.example",
         "Parent or guardian name": f"Guardian {applicant[-1]}", sheet.DECISION: "Accept"}
        for applicant, (first, language) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.PLACED,
         **participant} for applicant in STUDENTS])
    return roster


def parts(message: EmailMessage) -> tuple[bytes, bytes]:
    """The text and HTML parts' bytes, decoded from their transfer encoding."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_payload(decode=True), html.get_payload(decode=True)  # type: ignore[return-value]


def previews(config: ProgramConfig, roster: LocalWorkbook, folder: Path, letters: tuple[str, ...], *,
             now: datetime, applicant: str | None = None,
             session: str | None = None) -> dict[str, EmailMessage]:
    """``send-test``'s letters (as a dry run writes them) by "<letter>.<language>"."""
    mailer = PreviewMailer(folder, domain="mesavalley.example")
    # As the send-test command does: the program's Folders port gives the folders' real links.
    send_samples(config, mailer, letter_renderer(config), "proof@mesavalley.example", only=letters,
                 now=now, roster=roster, applicant=applicant, session=session,
                 folders=step_context(config, now).ports.folders)
    found = {}
    for item in mailer.previewed:
        found[item.key.split("/")[2]] = email.message_from_bytes((folder / item.eml).read_bytes(),
                                                                 policy=email.policy.default)
    return found  # type: ignore[return-value]


def real_letters(config: ProgramConfig) -> dict[tuple[str, str], EmailMessage]:
    """Letters the local outbox sent, by (step, recipient id): the step is the letter's name, with its
    day or assignment when it has one ("hours_pending-2027-04-13", "assignment_given:data-cleaning")."""
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    found: dict[tuple[str, str], EmailMessage] = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        _, step, recipient, _ = str(message[KEY_HEADER]).split("/")
        assert (step, recipient) not in found, f"{step} went to {recipient} twice"
        found[(step, recipient)] = message  # type: ignore[assignment]
    return found


def assert_same(preview: EmailMessage, real: EmailMessage, name: str) -> None:
    """The preview's text and HTML bodies are the real letter's, byte for byte, and so is its subject."""
    assert parts(preview) == parts(real), name
    assert preview["Subject"] == f"[TEST] {real['Subject']}", name


def test_feedback_request_and_partner_thanks_are_the_real_letters(config_file: Path, tmp_path: Path) -> None:
    config = load_config(config_file)
    roster = seat(config, ONE_MEETING, **{sheet.ATTENDED: "yes", sheet.MINUTES: 75})
    after = datetime(2027, 3, 18, 6, 30, tzinfo=LA)
    request_feedback(step_context(config, after), [ONE_MEETING])
    # The students answer (one shares a sentence); the next run reads the answers in.
    for applicant, (_, language) in STUDENTS.items():
        spec = feedback_spec(config, language)
        values = {APPLICANT_KEY: applicant, SESSION_KEY: ONE_MEETING,
                  SHARE_KEY: "Yes" if language == "en" else "No",
                  TESTIMONIAL_KEY: f"Words of {applicant}.",
                  **{rating_key(r): str(4 + (language == "en")) for r in config.feedback.ratings}}
        write_form_csv(config.resolve(config.local.folder) / "forms", spec.name,
                       [q.title for q in spec.questions],
                       [(after + timedelta(hours=3), [values.get(q.key, "") for q in spec.questions])])
    request_feedback(step_context(config, after + timedelta(days=1)), [ONE_MEETING])
    thanked = after + timedelta(days=3)
    assert thank_partners(step_context(config, thanked), [ONE_MEETING]).counts.get("sent") == 1
    sent = real_letters(config)

    for applicant, (_, language) in STUDENTS.items():
        shown = previews(config, roster, tmp_path / applicant, ("feedback_request",), now=thanked,
                         applicant=applicant)
        real = sent[("feedback_request", applicant)]
        assert_same(shown[f"feedback_request.{language}"], real, applicant)
        # The link says the session, as the step's does.
        assert f"={ONE_MEETING}" in parts(real)[0].decode()
    shown = previews(config, roster, tmp_path / "partner", ("partner_thanks",), now=thanked,
                     session=ONE_MEETING)
    real = sent[("partner_thanks", "solis-cyber")]
    assert_same(shown["partner_thanks.en"], real, "partner_thanks")
    body = parts(real)[0].decode()
    assert "2 of the 2 students invited attended" in body and "Words of A-0000001." in body
    assert "Words of A-0000002." not in body           # she said no


def test_hours_letters_are_the_real_letters(config_file: Path, tmp_path: Path) -> None:
    config = load_config(config_file)
    roster = seat(config, WEEKLY)
    first_day = datetime(2027, 4, 6, 6, 30, tzinfo=LA)
    log_hours(step_context(config, first_day), [WEEKLY])
    spec = hours_form_spec(config)
    forms = config.resolve(config.local.folder) / "forms"
    write_form_csv(forms, spec.name, [q.title for q in spec.questions], [
        (datetime(2027, 4, 8, 19, 0, tzinfo=LA), ["A-0000001", "4/6/2027", "1.5", "Weekly meeting"]),
        (datetime(2027, 4, 8, 19, 1, tzinfo=LA), ["A-0000002", "4/7/2027", "14", "A long day"]),
        (datetime(2027, 4, 8, 19, 2, tzinfo=LA), ["A-0000002", "not a date", "2", "?"]),
    ])
    later = datetime(2027, 4, 9, 6, 30, tzinfo=LA)
    log_hours(step_context(config, later), [WEEKLY])
    sent = real_letters(config)

    for applicant, (_, language) in STUDENTS.items():
        shown = previews(config, roster, tmp_path / applicant, ("hours_log_link",), now=later,
                         applicant=applicant)
        assert_same(shown[f"hours_log_link.{language}"], sent[("hours_log_link", applicant)], applicant)
    assert "$16.50" in parts(sent[("hours_log_link", "A-0000001")])[0].decode()
    shown = previews(config, roster, tmp_path / "teacher", ("hours_pending",), now=later, session=WEEKLY)
    real = sent[("hours_pending-2027-04-09", f"teacher-{WEEKLY}")]
    assert_same(shown["hours_pending.en"], real, "hours_pending")
    body = parts(real)[0].decode()
    assert "Maya P." in body and "Sofía P." in body and "[Student]" not in body


def test_assignment_letters_are_the_real_letters(config_file: Path, tmp_path: Path) -> None:
    config = load_config(config_file)
    roster = seat(config, WEEKLY)
    for day in (3, 13):          # the folders, then the data-cleaning assignment (after meeting 2)
        run_assignments(step_context(config, datetime(2027, 4, day, 6, 30, tzinfo=LA)), [WEEKLY])
    spec = hand_in_spec(config)
    cleaning = option_label(assignment_options(config), "data-cleaning")
    forms = config.resolve(config.local.folder) / "forms"
    write_form_csv(forms, spec.name, [q.title for q in spec.questions], [
        (datetime(2027, 4, 14, 19, 0, tzinfo=LA),
         [{HAND_IN_STUDENT: applicant, ASSIGNMENT_KEY: cleaning, LINK_KEY: "https://docs.example/work",
           NOTE_KEY: ""}.get(q.key, "") for q in spec.questions]) for applicant in STUDENTS])
    # Maya's work gets the partner's feedback; Sofía's waits, and the partner is reminded of it.
    roster.upsert(sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY, [
        {sheet.SUBMISSION_KEY: f"{WEEKLY}:data-cleaning:A-0000001", sheet.PARTNER_FEEDBACK: "Tidy work.",
         sheet.PARTNER_RATING: 4}])
    reminded = datetime(2027, 4, 21, 6, 30, tzinfo=LA)
    run_assignments(step_context(config, reminded), [WEEKLY])
    sent = real_letters(config)

    for applicant, (_, language) in STUDENTS.items():
        # The assignment given: its hand-in form link and the student's own folder, as sent.
        shown = previews(config, roster, tmp_path / f"given-{applicant}", ("assignment_given",),
                         now=reminded, applicant=applicant)
        real = sent[("assignment_given:data-cleaning", applicant)]
        assert_same(shown[f"assignment_given.{language}"], real, f"assignment_given {applicant}")
        assert "not-yet-made" not in parts(real)[0].decode()
    shown = previews(config, roster, tmp_path / "student", ("assignment_feedback",), now=reminded,
                     applicant="A-0000001")
    real = sent[("assignment_feedback:data-cleaning", "A-0000001")]
    assert_same(shown["assignment_feedback.en"], real, "assignment_feedback")
    assert "Tidy work." in parts(real)[0].decode()
    shown = previews(config, roster, tmp_path / "partner", ("partner_feedback_reminder",), now=reminded,
                     session=WEEKLY)
    partner = config.session(WEEKLY).partner
    real = sent[("partner_feedback_reminder:2027-04-21", partner)]
    body = parts(real)[0].decode()
    assert "Sofía P." in body and "Maya" not in body and "7 days ago" in body
    # The session folder's link too: send-test gives the previews the program's Folders port.
    folder = step_context(config, reminded).ports.folders.link(_setting(roster, folder_setting(WEEKLY)))
    assert folder.encode() in parts(real)[0]
    assert parts(shown["partner_feedback_reminder.en"]) == parts(real)
    assert shown["partner_feedback_reminder.en"]["Subject"] == f"[TEST] {real['Subject']}"
    # Given the Folders port, the preview's context is the real letter's, that link included.
    source = PreviewSource(config, roster, step_context(config, reminded).ports.folders)
    context, _ = source.context(LETTERS["partner_feedback_reminder"], "en", session=WEEKLY)
    letter = letter_renderer(config).render("partner_feedback_reminder", "en", context, row="preview")
    mailer = PreviewMailer(tmp_path / "with-folders", domain="mesavalley.example")
    mailer.send_draft(mailer.create_draft(OutgoingMessage(
        key="preview/partner_feedback_reminder", sender=str(real["From"]), to="proof@mesavalley.example",
        subject=letter.subject, text=letter.text, html=letter.html)))
    (item,) = mailer.previewed
    written = email.message_from_bytes((tmp_path / "with-folders" / item.eml).read_bytes(),
                                       policy=email.policy.default)
    assert parts(written) == parts(real)  # type: ignore[arg-type]


def _setting(roster: LocalWorkbook, name: str) -> str:
    rows = roster.read_tabs([sheet.SETTINGS])[sheet.SETTINGS]
    return next(str(r[sheet.SETTING_VALUE]) for r in rows if r.get(sheet.SETTING) == name)


def test_partner_meeting_is_the_real_letter(config_file: Path, tmp_path: Path) -> None:
    config = load_config(config_file)
    now = datetime(2027, 1, 26, 6, 30, tzinfo=LA)
    ctx = step_context(config, now)
    initialise(config, ctx.ports.roster)
    # The coordinator set a planning meeting with the second session's partner only.
    partner = config.sessions[1].partner
    ctx.ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: partner, sheet.PARTNER_STATUS: "contacted",
         sheet.PARTNER_CONTACTED: "January 19, 2027", sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"}])
    partner_pipeline(ctx)
    real = real_letters(config)[("partner_meeting", partner)]
    roster = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    # Without --session the preview finds the partner whose meeting is set, as with it.
    for name, session in (("any", None), ("session", config.sessions[1].id)):
        shown = previews(config, roster, tmp_path / name, ("partner_meeting",), now=now, session=session)
        assert_same(shown["partner_meeting.en"], real, "partner_meeting")
    assert "[Meeting date]" not in str(real["Subject"])
    assert "Tuesday, February 2, 2027" in parts(real)[0].decode()
