"""Feedback and the partner's thank-you on the local backend: form files, CSV answers, .eml letters."""

from __future__ import annotations

import email
import email.policy
import stat
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from click.testing import CliRunner

from microintern.adapters.local import LocalWorkbook
from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import ProgramConfig, load_config
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.feedback import (
    IMPROVE_KEY,
    LEARNED_KEY,
    SESSION_KEY,
    SHARE_KEY,
    TESTIMONIAL_KEY,
    feedback_spec,
    rating_key,
)
from microintern.domain.forms import FormSpec, prefill_entry
from microintern.domain.mime import KEY_HEADER
from microintern.domain.participation import APPLICANT_KEY
from microintern.steps.appreciation import thank_partners
from microintern.steps.feedback import request_feedback
from microintern.steps.setup import initialise

SESSION = "cyber-basics"            # one meeting, 2027-03-16 15:30-17:00 Pacific
OTHER = "health-careers"
DAY_2 = datetime.fromisoformat("2027-03-18T06:30-07:00")
STUDENTS = {  # id: (first name, language, Attended, coordinator's Attendance, minutes, session)
    "A-1": ("Maya", "en", "yes", "", 90, SESSION),
    "A-2": ("Sofía", "es", "yes", "", 60, SESSION),
    "A-3": ("Jordan", "en", "no", "", 5, SESSION),
    "A-4": ("Lily", "en", "", "yes", "", SESSION),      # Attended blank: the coordinator said yes
    "A-5": ("Ahmed", "en", "yes", "", 90, OTHER),
}


def seat(config: ProgramConfig) -> LocalWorkbook:
    roster = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, "First name": first, "Last name": "Test",
         "School email address": f"{applicant.lower()}@students.mesavalley.example",
         "Parent or guardian email": f"{applicant.lower()}@family.example",
         "Parent or guardian name": "A parent", sheet.DECISION: "Accept"}
        for applicant, (first, language, *_rest) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.PLACED,
         sheet.ATTENDED: was, sheet.ATTENDANCE: coordinator, sheet.MINUTES: minutes}
        for applicant, (_, _, was, coordinator, minutes, session) in STUDENTS.items()])
    roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "solis-cyber", sheet.PARTNER_STATUS: "session built"},
        {sheet.PARTNER_ID: "desert-health", sheet.PARTNER_STATUS: "declined"}])
    return roster


def sent(config: ProgramConfig) -> list[EmailMessage]:
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


def letters(config: ProgramConfig) -> list[tuple[str, str]]:
    return sorted(tuple(str(m[KEY_HEADER]).split("/")[1:3]) for m in sent(config))  # type: ignore[misc]


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def answers(config: ProgramConfig, spec: FormSpec, rows: list[tuple[datetime, dict[str, str]]]) -> None:
    folder = config.resolve(config.local.folder) / "forms"
    write_form_csv(folder, spec.name, [q.title for q in spec.questions],
                   [(when, [values.get(q.key, "") for q in spec.questions]) for when, values in rows])


def ratings(config: ProgramConfig, *values: str) -> dict[str, str]:
    return {rating_key(r): v for r, v in zip(config.feedback.ratings, values, strict=True)}


def test_feedback_and_thanks_on_the_local_backend(config_file: Path) -> None:
    config = load_config(config_file)
    roster = seat(config)

    # Before the session is over nothing is asked.
    early = request_feedback(step_context(config, DAY_2 - timedelta(days=2)), [SESSION])
    assert early.counts.get("waiting for the session to end") == 1 and letters(config) == []

    result = request_feedback(step_context(config, DAY_2), [SESSION])
    assert result.counts.get("sent") == 3
    assert letters(config) == [("feedback_request", "A-1"), ("feedback_request", "A-2"),
                               ("feedback_request", "A-4")]
    forms = config.resolve(config.local.folder) / "forms"
    for language in ("en", "es"):
        path = forms / f"feedback-{language}.form.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    english, spanish = feedback_spec(config, "en"), feedback_spec(config, "es")
    by_student = {str(m[KEY_HEADER]).split("/")[2]: m for m in sent(config)}
    spanish_letter = by_student["A-2"]
    assert "Sofía" in body(spanish_letter) and "Gracias" in body(spanish_letter)
    link = next(w for w in body(spanish_letter).split() if "usp=pp_url" in w)
    query = parse_qs(urlsplit(link).query)
    ids = spanish.question_ids()
    assert query[prefill_entry(ids[APPLICANT_KEY])] == ["A-2"]
    assert query[prefill_entry(ids[SESSION_KEY])] == [SESSION]
    assert "feedback-es" in link
    # The same day again: nothing twice.
    assert request_feedback(step_context(config, DAY_2), [SESSION]).counts.get("sent") is None

    answered = DAY_2 + timedelta(hours=10)
    answers(config, english, [(answered, {
        APPLICANT_KEY: "A-1", SESSION_KEY: SESSION, **ratings(config, "5", "4", "5"),
        LEARNED_KEY: "How attackers think", IMPROVE_KEY: "More time",
        TESTIMONIAL_KEY: "Marisol made security feel like detective work.", SHARE_KEY: "Yes"})])
    answers(config, spanish, [(answered, {
        APPLICANT_KEY: "A-2", SESSION_KEY: SESSION, **ratings(config, "4", "9", "3"),
        LEARNED_KEY: "=HYPERLINK(\"http://evil.example\")",
        TESTIMONIAL_KEY: "Un secreto que no quiero compartir.", SHARE_KEY: "No"})])
    day_3 = request_feedback(step_context(config, DAY_2 + timedelta(days=1)), [SESSION])
    assert day_3.counts.get("sent") is None and day_3.counts["answered"] == 2
    assert any("field \"The partner's explanations\"" in p and "found '9'" in p for p in day_3.problems)
    tabs = roster.read_tabs([sheet.FEEDBACK, sheet.PARTICIPANTS])
    rows = {r[sheet.FEEDBACK_KEY]: r for r in tabs[sheet.FEEDBACK]}
    average = rows[f"average:{SESSION}"]
    overall, explanations, learned = config.feedback.ratings
    assert (average[overall], average[explanations], average[learned]) == (4.5, 4, 4)
    assert average[sheet.FEEDBACK_RESPONSES] == 2
    (spanish_row,) = [r for r in rows.values() if r.get(sheet.APPLICANT_ID) == "A-2"]
    assert spanish_row[sheet.FEEDBACK_LEARNED] == "=HYPERLINK(\"http://evil.example\")"  # text, RAW
    assert spanish_row[sheet.FEEDBACK_SHARE] == "No" and spanish_row[sheet.LANGUAGE] == "es"
    returned = {r[sheet.APPLICANT_ID]: r.get(sheet.FEEDBACK_RETURNED) for r in tabs[sheet.PARTICIPANTS]}
    assert returned["A-1"] == returned["A-2"] == "2027-03-18" and not returned["A-4"]

    # Day 4 (reminder_after_days = 2): one reminder, to the attendee who has not answered.
    for _ in range(2):
        request_feedback(step_context(config, DAY_2 + timedelta(days=2)), [SESSION])
    request_feedback(step_context(config, DAY_2 + timedelta(days=5)), [SESSION])
    assert [k for k in letters(config) if k[0] == "feedback_reminder"] == [("feedback_reminder", "A-4")]

    # Day 5: the partner's thanks, once; only the shared testimonial; the partner is thanked.
    day_5 = DAY_2 + timedelta(days=3)
    thanks = thank_partners(step_context(config, day_5), [SESSION])
    assert thanks.counts.get("sent") == 1 and thanks.counts["testimonials shared"] == 1
    thank_partners(step_context(config, day_5), [SESSION])
    (letter,) = [m for m in sent(config) if "/partner_thanks/" in str(m[KEY_HEADER])]
    assert letter["To"] == "m.ortega@soliscyber.example"
    text = body(letter)
    assert "Marisol made security feel like detective work." in text and "- Maya" in text
    assert "Un secreto" not in text and "Sofía" not in text and "@students" not in str(letter)
    assert "3 of the 4 students invited attended" in text
    assert "83% of the session's time" in text          # (90 + 60) / 2 of 90 minutes; A-4 unknown
    assert "4.2 out of 5" in text and "The partner's explanations: 4.0" in text   # one decimal, as the report
    partners = {r[sheet.PARTNER_ID]: r[sheet.PARTNER_STATUS]
                for r in roster.read_tabs([sheet.PARTNERS])[sheet.PARTNERS]}
    assert partners == {"solis-cyber": "thanked", "desert-health": "declined"}


def test_cli_feedback_and_thank_partners(config_file: Path) -> None:
    config = load_config(config_file)
    seat(config)
    runner = CliRunner()
    base = ["--config", str(config_file)]
    bad = runner.invoke(cli, [*base, "feedback", "--session", "no-such-session"])
    assert bad.exit_code == 2 and "not a session" in bad.output
    done = runner.invoke(cli, [*base, "feedback", "--session", OTHER, "--now", "2027-03-20T06:30"])
    assert done.exit_code == 0, done.output
    assert "sent 1" in done.output
    thanked = runner.invoke(cli, [*base, "thank-partners", "--now", "2027-03-23T06:30"])
    assert thanked.exit_code == 0, thanked.output
    # desert-health declined by hand: thanked by letter, but its status is the coordinator's.
    assert "desert-health: declined" in thanked.output and "solis-cyber: thanked" in thanked.output


def test_thanks_leave_attendance_out_while_nobody_knows_it(config_file: Path) -> None:
    config = load_config(config_file)
    roster = seat(config)
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID,
                  [{sheet.APPLICANT_ID: "A-5", sheet.ATTENDED: "", sheet.MINUTES: ""}])
    day_5 = datetime.fromisoformat("2027-03-23T06:30-07:00")    # health-careers met on March 18
    waiting = thank_partners(step_context(config, day_5), [OTHER])
    assert waiting.counts == {"waiting for attendance": 1} and sent(config) == []
    # The window's last day (T+7): the thanks go, without figures nobody has.
    result = thank_partners(step_context(config, day_5 + timedelta(days=2)), [OTHER])
    assert result.counts["attendance not known (left out of the letter)"] == 1
    (letter,) = sent(config)
    text = body(letter)
    assert "1 students were placed in your session" in text and "attended" not in text
    assert "Students' written comments are shared with you only when they give permission" in text


def test_the_demo_students_answer_some_late_some_never(config_file: Path) -> None:
    from microintern.demo.feedback import answer_feedback

    config = load_config(config_file)
    roster = seat(config)
    many = [f"B-{n:02d}" for n in range(24)]
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: a, sheet.LANGUAGE: "es" if n % 3 == 0 else "en", "First name": f"Student{n}",
         "School email address": f"{a.lower()}@students.mesavalley.example", sheet.DECISION: "Accept"}
        for n, a in enumerate(many)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: a, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED,
         sheet.ATTENDED: "yes"} for a in many])
    forms = config.resolve(config.local.folder) / "forms"
    said: list[str] = []
    for day in range(5):                 # the request, the reminder (day 2), late answers (day 3)
        now = DAY_2 + timedelta(days=day)
        today = answer_feedback(config, forms, now, roster)
        written = {p.name: p.read_bytes() for p in forms.glob("feedback-*.csv")}
        assert answer_feedback(config, forms, now, roster) == today       # the same story every time
        assert {p.name: p.read_bytes() for p in forms.glob("feedback-*.csv")} == written
        said += today
        request_feedback(step_context(config, now), [SESSION])
    returned = {r[sheet.APPLICANT_ID]: r.get(sheet.FEEDBACK_RETURNED)
                for r in roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]}
    reminded = {k[1] for k in letters(config) if k[0] == "feedback_reminder"}
    answered = {a for a in many if returned.get(a)}
    assert answered - reminded, "nobody answered the request itself"
    assert answered & reminded, "nobody answered only after the reminder"
    assert set(many) - answered, "everybody answered"
    assert said and all("answer the feedback form" in line for line in said)
    shares = {r.get(sheet.FEEDBACK_SHARE) or "" for r in roster.read_tabs([sheet.FEEDBACK])[sheet.FEEDBACK]
              if not str(r.get(sheet.FEEDBACK_KEY)).startswith("average:")}
    assert shares == {"Yes", "No", ""}      # shared, kept private, and no sentence at all
