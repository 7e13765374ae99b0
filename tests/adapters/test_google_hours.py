"""The hours log against the fake Workspace: a real Form, the Hours tab, the teacher's letter, payroll."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram, forms_made
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import step_context
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import prefill_entry
from microintern.domain.hours import STUDENT_KEY, hours_form_spec, payroll_csv
from microintern.domain.mime import KEY_HEADER
from microintern.errors import MicrointernError
from microintern.steps.context import StepContext
from microintern.steps.hours import log_hours, payroll
from microintern.steps.program_forms import id_setting
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
SESSION = "data-fellows"                   # weekly from Tuesday 2027-04-06 16:00, six meetings
FIRST_DAY = datetime(2027, 4, 6, 6, 30, tzinfo=LA)
TEACHER = "priya.raman@mesavalley.example"
STUDENTS = {f"A-000000{n}": (first, "Test", "es" if n == 2 else "en")
            for n, first in enumerate(("Ana", "Beto", "Cleo", "Dev", "Eli", "Fay"), 1)}


def context(program: GoogleProgram, now: datetime) -> StepContext:
    return step_context(program.config, now, env={})


def seat(program: GoogleProgram) -> None:
    roster = context(program, FIRST_DAY).ports.roster
    initialise(program.config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, "First name": first, "Last name": last,
         "School email address": f"{first.lower()}@students.mesavalley.example",
         "Parent or guardian email": f"family.{first.lower()}@family.example", sheet.DECISION: "Accept"}
        for applicant, (first, last, language) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


def form_id(fake: FakeWorkspace, program: GoogleProgram, language: str = "en") -> str:
    rows = fake.sheets.values(SPREADSHEET_ID, sheet.SETTINGS)[1:]
    return {row[0]: row[1] for row in rows if row}[id_setting(hours_form_spec(program.config, language))]


def log(fake: FakeWorkspace, program: GoogleProgram, response_id: str, submitted: str, student: str,
        day: str, hours: str, activity: str = "Cleaned the survey data") -> None:
    """A student submits the form (times in Los Angeles), as Forms stores it."""
    ids = hours_form_spec(program.config).question_ids()
    when = datetime.fromisoformat(submitted).replace(tzinfo=LA).astimezone(UTC)
    fake.forms.add_response(form_id(fake, program), response_id, when, {
        ids["applicant_id"]: student, ids["date_worked"]: day, ids["hours"]: hours,
        ids["activity"]: activity})


def tab(fake: FakeWorkspace, name: str, key: str) -> dict[str, dict[str, object]]:
    rows = fake.sheets.values(SPREADSHEET_ID, name)
    column = rows[0].index(key)
    return {row[column]: dict(zip(rows[0], row, strict=False)) for row in rows[1:] if len(row) > column}


def letters(fake: FakeWorkspace) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for message in fake.gmail.sent(PROGRAM_USER):
        _, letter, recipient, _ = str(message.message[KEY_HEADER]).split("/")
        found[(letter, recipient)] += 1
    return found


def teacher_decides(program: GoogleProgram, decisions: dict[str, str]) -> None:
    """The teacher writes the Confirmation column, as a person does (through the sheet)."""
    context(program, FIRST_DAY).ports.roster.upsert(sheet.HOURS, sheet.ENTRY_KEY, [
        {sheet.ENTRY_KEY: key, sheet.CONFIRMATION: value} for key, value in decisions.items()])


def week_one(fake: FakeWorkspace, program: GoogleProgram) -> None:
    """Every student logs the first meeting and a day of work; six entries are implausible."""
    for n, applicant in enumerate(STUDENTS, 1):
        log(fake, program, f"m{n}", "2027-04-08 19:00", applicant, "2027-04-06", "1.5", "Weekly meeting 1")
        hours = "14" if n == 2 else "3"                                   # Beto's 14-hour day
        log(fake, program, f"w{n}", "2027-04-08 19:05", applicant, "2027-04-07", hours)
    log(fake, program, "dup", "2027-04-08 20:00", "A-0000001", "2027-04-07", "3")        # Ana, again
    log(fake, program, "future", "2027-04-08 19:10", "A-0000003", "2027-04-12", "2")     # not yet worked
    log(fake, program, "early", "2027-04-08 19:15", "A-0000004", "2027-03-30", "1")      # before the start
    log(fake, program, "bad", "2027-04-08 19:20", "A-0000005", "2027-04-08", "lots")     # not a number
    log(fake, program, "who", "2027-04-08 19:25", "A-9999999", "2027-04-07", "2")        # not a student


def test_form_entries_flags_letters_and_payroll(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat(google_program)
    config = google_program.config

    # The first meeting day: the form is made and published, each student gets their link once.
    first = log_hours(context(google_program, FIRST_DAY), [SESSION])
    assert forms_made(fake) == 2                                    # one per language: en, es
    form = fake.forms.get(form_id(fake, google_program))
    assert form.published
    kinds = [next(k for k in item["questionItem"]["question"] if k.endswith("Question"))
             for item in form.items]
    assert kinds == ["textQuestion", "dateQuestion", "textQuestion", "textQuestion"]
    assert first.counts["sent"] == 6 and letters(fake)[("hours_log_link", "A-0000001")] == 1
    (link_letter,) = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                      if "/hours_log_link/A-0000002/" in str(m.message[KEY_HEADER])]
    assert link_letter["To"] == "beto@students.mesavalley.example"
    assert "Tu registro de horas" in str(link_letter["Subject"])                       # Beto reads Spanish
    body = link_letter.get_body(("plain",)).get_content()
    link = next(w for w in body.split() if "usp=pp_url" in w)
    spanish = fake.forms.get(form_id(fake, google_program, "es"))
    assert link.startswith(spanish.responder_uri) and spanish.responder_uri != form.responder_uri
    assert spanish.info["title"].endswith("registro de horas") and spanish.published
    entry = prefill_entry(hours_form_spec(config, "es").question_ids()[STUDENT_KEY])
    assert parse_qs(urlsplit(link).query)[entry] == ["A-0000002"]
    assert "16,50" in body and "30 horas" in body
    again = log_hours(context(google_program, FIRST_DAY + timedelta(hours=3)), [SESSION])
    assert "sent" not in again.counts and forms_made(fake) == 2

    # Week one comes in: one row per response, each implausible entry with its flag.
    week_one(fake, google_program)
    read = log_hours(context(google_program, FIRST_DAY + timedelta(days=3)), [SESSION])
    hours = tab(fake, sheet.HOURS, sheet.ENTRY_KEY)
    assert len(hours) == 17 and read.counts["rows written"] == 17
    flags = {key: str(row.get(sheet.HOURS_FLAGS) or "") for key, row in hours.items()}
    assert flags["dup"] == "duplicate of w1"
    assert flags["w2"] == "over 12 h on 2027-04-07 (14 h logged that day)"
    assert flags["future"] == "future date: 2027-04-12 is after the day it was logged (2027-04-08)"
    assert flags["early"] == "outside the program (2027-04-06 to 2027-05-25)"
    assert flags["bad"].startswith("Hours: 'lots' is not a number of hours")
    assert flags["who"].startswith("unknown student id 'A-9999999'")
    assert {k for k, v in flags.items() if v} == {"dup", "w2", "future", "early", "bad", "who"}
    row = hours["w1"]
    assert (row["Student"], row[sheet.WORK_DATE], row[sheet.WEEK], row[sheet.HOURS_LOGGED]) == \
        ("Ana T.", "2027-04-07", "2027-W14", 3)
    assert sheet.CONFIRMATION not in row or row[sheet.CONFIRMATION] in ("", None)

    # The teacher hears once that entries wait, with first name and last initial only.
    assert letters(fake)[("hours_pending-2027-04-09", f"teacher-{SESSION}")] == 1
    (pending,) = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                  if "/hours_pending-" in str(m.message[KEY_HEADER])]
    assert pending["To"] == TEACHER and pending["Cc"] is None
    text = pending.get_body(("plain",)).get_content()
    assert "13 entries, " in text and "Beto T., April 7, 2027: 14 h (flag: over 12 h" in text
    assert f"https://docs.google.com/spreadsheets/d/{SPREADSHEET_ID}/edit" in text
    assert "@students" not in text and "@family" not in text and "A-9999999" not in text
    rerun = log_hours(context(google_program, FIRST_DAY + timedelta(days=3, hours=2)), [SESSION])
    assert "sent" not in rerun.counts and rerun.counts["rows written"] == 0

    # The teacher confirms in the sheet: all of Ana..Eli, the duplicate and the future date too,
    # rejects Beto's 14-hour day and leaves Fay's entries waiting.
    decided = {key: "confirmed" for key in hours if key not in ("w2", "m6", "w6")}
    decided["w2"] = "rejected"
    teacher_decides(google_program, decided)
    log_hours(context(google_program, FIRST_DAY + timedelta(days=4)), [SESSION])
    people = tab(fake, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    assert people["A-0000001"][sheet.CONFIRMED_HOURS] == 4.5            # the duplicate is not counted
    assert people["A-0000002"][sheet.CONFIRMED_HOURS] == 1.5            # the 14 h were rejected
    assert people["A-0000003"][sheet.CONFIRMED_HOURS] == 4.5            # the future date is not counted
    assert people["A-0000004"][sheet.CONFIRMED_HOURS] == 5.5            # early, but confirmed: counts
    assert people["A-0000005"][sheet.CONFIRMED_HOURS] == 4.5            # "lots" has no number
    assert people["A-0000006"][sheet.CONFIRMED_HOURS] == 0
    assert people["A-0000006"][sheet.HOURS_CHECK] == \
        "under target: 0 of 30 h by week 1 (4.5 h waiting for confirmation)"
    assert people["A-0000004"][sheet.HOURS_CHECK] == "on track: 5.5 of 30 h"
    assert letters(fake)[("hours_pending-2027-04-10", f"teacher-{SESSION}")] == 0   # not yet: every 3 days

    # Three days after the first letter Fay's entries still wait: one more letter, once.
    for hour in (0, 1):
        log_hours(context(google_program, FIRST_DAY + timedelta(days=6, hours=hour)), [SESSION])
    assert letters(fake)[("hours_pending-2027-04-12", f"teacher-{SESSION}")] == 1
    assert max(letters(fake).values()) == 1

    # The payroll holds confirmed, countable hours only: 4.5 + 1.5 + 4.5 + 5.5 + 4.5 = 20.5 h.
    lines = payroll(context(google_program, FIRST_DAY + timedelta(days=7)))
    assert [(line.applicant_id, line.hours, line.amount) for line in lines] == [
        ("A-0000001", Decimal("4.5"), Decimal("74.25")), ("A-0000002", Decimal("1.5"), Decimal("24.75")),
        ("A-0000003", Decimal("4.5"), Decimal("74.25")), ("A-0000004", Decimal("5.5"), Decimal("90.75")),
        ("A-0000005", Decimal("4.5"), Decimal("74.25"))]
    assert payroll_csv(lines).splitlines()[1] == "A-0000001,data-fellows,4.50,16.50,74.25,USD"
    assert forms_made(fake) == 2 and not fake.errors


def test_calls_per_run_stay_flat_for_six_students_and_six_weeks(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat(google_program)
    log_hours(context(google_program, FIRST_DAY), [SESSION])
    for week in range(6):
        meeting = date(2027, 4, 6) + timedelta(weeks=week)
        for n, applicant in enumerate(STUDENTS, 1):
            submitted = f"{meeting + timedelta(days=2)} 19:0{n}"
            log(fake, google_program, f"m{week}-{n}", submitted, applicant, meeting.isoformat(), "1.5")
            log(fake, google_program, f"w{week}-{n}", submitted, applicant,
                (meeting + timedelta(days=1)).isoformat(), "3.5", f"Week {week + 1} work")
    late = datetime(2027, 5, 14, 6, 30, tzinfo=LA)
    fake.reset_calls()
    log_hours(context(google_program, late), [SESSION])                   # 72 rows, 6 totals, a letter
    first = Counter(call.method_id.split(".")[0] for call in fake.calls if call.method_id != "oauth.token")
    fake.reset_calls()
    log_hours(context(google_program, late + timedelta(hours=1)), [SESSION])   # nothing changed
    rerun = Counter(call.method_id.split(".")[0] for call in fake.calls if call.method_id != "oauth.token")
    assert len(tab(fake, sheet.HOURS, sheet.ENTRY_KEY)) == 72
    # Reads: the four tabs, the Settings tab (3); writes: Hours and Participants (2 each); one
    # letter to the teacher: the Outbox before and after the send (2 each); the roster reads
    # back its writes of cells (Participants, the Outbox after the send). Forms: 2 gets, 1 list
    # for each language's form (English and Spanish).
    assert first["sheets"] <= 14 and first["forms"] <= 6 and first["gmail"] == 2, first
    assert rerun["sheets"] <= 4 and rerun["forms"] <= 6 and rerun["gmail"] == 0, rerun
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 0      # the rerun writes nothing


def test_a_letter_left_drafted_by_a_failed_run_is_finished_not_doubled(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat(google_program)
    log_hours(context(google_program, FIRST_DAY), [SESSION])
    week_one(fake, google_program)
    fake.faults.add("gmail.users.drafts.send", "500", times=1)     # the teacher's letter: unknown
    with pytest.raises(MicrointernError, match="may or may not have gone out"):
        log_hours(context(google_program, FIRST_DAY + timedelta(days=3)), [SESSION])
    outbox = tab(fake, sheet.OUTBOX, sheet.OUTBOX_KEY)
    (key,) = [k for k in outbox if "/hours_pending-" in k]
    assert outbox[key]["State"] == "drafted" and "2027-04-09" in key
    # The next day's run finishes that letter; it starts no new one.
    log_hours(context(google_program, FIRST_DAY + timedelta(days=4)), [SESSION])
    assert letters(fake)[("hours_pending-2027-04-09", f"teacher-{SESSION}")] == 1
    assert not [k for k in letters(fake) if k[0] == "hours_pending-2027-04-10"]
    assert tab(fake, sheet.OUTBOX, sheet.OUTBOX_KEY)[key]["State"].startswith("sent")
    fake.rejections.clear()  # the injected fault is recorded there; it was the point
