"""Assignments against the fake Workspace: Drive folders and sharing, the hand-in form, letters.

Drive sharing is checked on the fake's own permission records, with inheritance worked out the
way Drive does it (a folder's people also reach everything inside it).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram, forms_made
from fakeworkspace import FakeWorkspace
from fakeworkspace.clients import build_service
from google.oauth2.credentials import Credentials

from microintern.adapters.google.sheets import column_letter
from microintern.bootstrap import step_context
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import hand_in_spec
from microintern.errors import MicrointernError
from microintern.steps.assignments import folder_setting, run_assignments
from microintern.steps.context import StepResult
from microintern.steps.program_forms import id_setting
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
SESSION = "data-fellows"
OPENS = datetime(2027, 4, 3, 6, 30, tzinfo=LA)      # 3 days before the first meeting
GIVEN = datetime(2027, 4, 13, 6, 30, tzinfo=LA)     # data-cleaning given; due 2027-04-19
BOTH_GIVEN = datetime(2027, 4, 28, 6, 30, tzinfo=LA)   # both given since 04-13, nothing in
FOLDER_MIME = "application/vnd.google-apps.folder"
PARTNER = "thanh@valleyanalytics.example"
TEACHER = "priya.raman@mesavalley.example"
COORDINATOR = "dana.whitfield@mesavalley.example"
STUDENTS = {f"A-00000{i}": f"student{i}@students.mesavalley.example" for i in range(1, 7)}


def context(program: GoogleProgram, now: datetime) -> Any:
    return step_context(program.config, now, env={})


def run(program: GoogleProgram, now: datetime) -> StepResult:
    return run_assignments(context(program, now), [SESSION])


def seat(program: GoogleProgram) -> None:
    roster = context(program, OPENS).ports.roster
    initialise(program.config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: "en", "First name": f"Student{n}",
         "Last name": f"Last{n}", "School email address": address,
         "Parent or guardian email": f"family{n}@home.example", "Parent or guardian name": "A parent",
         sheet.DECISION: "Accept"}
        for n, (applicant, address) in enumerate(STUDENTS.items(), 1)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


def tab(fake: FakeWorkspace, name: str) -> list[dict[str, Any]]:
    values = fake.sheets.values(SPREADSHEET_ID, name)
    return [dict(zip(values[0], row, strict=False)) for row in values[1:] if row]


def assignments(fake: FakeWorkspace) -> dict[str, dict[str, Any]]:
    return {str(r[sheet.SUBMISSION_KEY]): r for r in tab(fake, sheet.ASSIGNMENTS)}


def settings(fake: FakeWorkspace) -> dict[str, str]:
    return {str(r[sheet.SETTING]): str(r[sheet.SETTING_VALUE]) for r in tab(fake, sheet.SETTINGS)}


def partner_writes(fake: FakeWorkspace, row_key: str, feedback: str, rating: str) -> None:
    """The partner types feedback and picks a rating in the Assignments tab, as in the browser."""
    values = fake.sheets.values(SPREADSHEET_ID, sheet.ASSIGNMENTS)
    headers = values[0]
    row = next(i for i, r in enumerate(values, 1) if r and r[0] == row_key)
    for header, value in ((sheet.PARTNER_FEEDBACK, feedback), (sheet.PARTNER_RATING, rating)):
        cell = f"{sheet.ASSIGNMENTS}!{column_letter(headers.index(header))}{row}"
        fake.sheets.write(SPREADSHEET_ID, cell, [[value]], user_entered=True)


def sent_letters(fake: FakeWorkspace) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for message in fake.gmail.sent(PROGRAM_USER):
        _, letter, recipient, _ = str(message.message["X-Microintern-Key"]).split("/")
        found[(letter, recipient)] += 1
    return found


def reach(fake: FakeWorkspace, folder_id: str) -> set[str]:
    """Everyone who can open ``folder_id``: its own permissions and every ancestor's."""
    people: set[str] = set()
    current: str | None = folder_id
    while current and current in fake.drive.files:
        people |= {p["emailAddress"] for p in fake.drive.shared_with(current) if p.get("emailAddress")}
        parents = fake.drive.files[current].get("parents") or []
        current = parents[0] if parents and parents[0] != "root" else None
    return people


def student_uploads(fake: FakeWorkspace, student: str, folder_id: str, name: str, when: datetime) -> None:
    """The student puts a file in their folder through Drive (files.create as themselves)."""
    token = fake.issue_token(student, ["https://www.googleapis.com/auth/drive.file"])
    drive = build_service(fake, "drive", "v3", Credentials(token))
    drive.files().create(body={"name": name, "parents": [folder_id], "mimeType": "text/csv",
                               "modifiedTime": when.astimezone(UTC).isoformat().replace("+00:00", "Z")},
                         fields="id").execute()
    drive.close()


def test_folders_sharing_form_and_api_calls_first_run_and_rerun(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat(google_program)
    fake.reset_calls()
    first = run(google_program, OPENS)
    assert first.counts["rows added"] == 12 and first.counts["folders made"] == 7
    first_calls = Counter(c.method_id for c in fake.calls if not c.method_id.startswith("oauth"))
    # session, students, assignments, and the hand-in forms in English and Spanish (made
    # through Drive with their tags)
    assert first_calls["drive.files.create"] == 1 + 6 + 12 + 2
    assert first_calls["drive.permissions.create"] == 3 + 6       # staff, then each student once
    assert forms_made(fake) == 2
    # Each folder, and each hand-in form, looked up by its tag once before it is made and once
    # after (a create whose answer was lost leaves a copy that must be found).
    assert first_calls["drive.files.list"] == 2 * (19 + 2)
    # (+2: the Spanish form's id and link written to the Settings tab the moment it is made)
    assert sum(n for m, n in first_calls.items() if m.startswith("sheets.")) <= 15 + 2, first_calls
    # The Spanish form costs 10 calls more: made through Drive (a create, two lookups), its
    # questions, publishing, two gets and a list of responses, its id and link in Settings.
    assert sum(first_calls.values()) <= 89 + 10, first_calls

    fake.reset_calls()
    again = run(google_program, OPENS + timedelta(hours=1))
    assert again.counts == {}
    rerun_calls = Counter(c.method_id for c in fake.calls if not c.method_id.startswith("oauth"))
    assert not any(m.startswith("drive.") for m in rerun_calls), rerun_calls   # ids are remembered
    assert rerun_calls["forms.forms.create"] == 0 and rerun_calls["gmail.users.drafts.create"] == 0
    assert sum(rerun_calls.values()) <= 8 + 3, rerun_calls       # the Spanish form: get, get, list

    folders = [f for f in fake.drive.files.values() if f["mimeType"] == FOLDER_MIME]
    assert len(folders) == 19                                      # made once
    forms = settings(fake)
    form = fake.forms.get(forms[id_setting(hand_in_spec(google_program.config))])
    assert form.published and len(form.items) == 4
    session_folder = forms[folder_setting(SESSION)]
    assert reach(fake, session_folder) == {PROGRAM_USER, PARTNER, TEACHER, COORDINATOR}
    roles = {p["emailAddress"]: p["role"] for p in fake.drive.shared_with(session_folder)}
    assert roles[PARTNER] == "commenter" and roles[TEACHER] == roles[COORDINATOR] == "writer"
    # Every folder below the session's reaches exactly one student: the one it belongs to.
    rows = assignments(fake)
    for folder in folders:
        if folder["id"] == session_folder:
            continue
        students = reach(fake, folder["id"]) & set(STUDENTS.values())
        assert len(students) == 1, (folder["name"], students)
        (student,) = students
        applicant = next(a for a, address in STUDENTS.items() if address == student)
        # A student's folder is named "<First> <L>. (<applicant id>)"; their assignment folders
        # sit in it.
        named = folder if folder["parents"] == [session_folder] else fake.drive.files[folder["parents"][0]]
        assert named["parents"] == [session_folder] and named["name"].endswith(f"({applicant})")
    for row_key, row in rows.items():
        applicant = row_key.rsplit(":", 1)[1]
        assert reach(fake, str(row[sheet.FOLDER_ID])) & set(STUDENTS.values()) == {STUDENTS[applicant]}
        assert row[sheet.FOLDER] == f"https://drive.google.com/drive/folders/{row[sheet.FOLDER_ID]}"
    # Nobody was notified by Drive: the only word students get is our letter.
    assert fake.drive.notifications and not any(notify for _, _, notify, _ in fake.drive.notifications)


def test_hand_ins_by_form_and_by_file_then_feedback_once_though_the_step_runs_hourly(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat(google_program)
    run(google_program, OPENS)
    run(google_program, GIVEN)
    assert sum(n for (letter, _), n in sent_letters(fake).items()
               if letter == "assignment_given:data-cleaning") == 6
    spec = hand_in_spec(google_program.config)
    form_id = settings(fake)[id_setting(spec)]
    ids = spec.question_ids()
    fake.forms.add_response(form_id, "r1", datetime(2027, 4, 15, 2, 0, tzinfo=UTC), {
        ids["student_id"]: "A-000001", ids["assignment"]: "Clean a real data set",
        ids["link"]: "https://docs.google.com/document/d/abc/edit", ids["note"]: "Done!"})
    rows = assignments(fake)
    folder = str(rows[f"{SESSION}:data-cleaning:A-000002"][sheet.FOLDER_ID])
    student_uploads(fake, STUDENTS["A-000002"], folder, "clean.csv", datetime(2027, 4, 16, 20, 0, tzinfo=LA))

    fake.reset_calls()
    morning = datetime(2027, 4, 17, 6, 30, tzinfo=LA)
    result = run(google_program, morning)
    assert result.counts["handed in"] == 2 and result.counts["reminders"] == 4
    # One Drive listing per given assignment folder (both follow the 2nd meeting).
    assert fake.count("drive.files.list") == 12
    rows = assignments(fake)
    assert rows[f"{SESSION}:data-cleaning:A-000001"][sheet.HANDED_IN] == "2027-04-14 19:00"
    assert rows[f"{SESSION}:data-cleaning:A-000001"][sheet.WORK_LINK] == "https://docs.google.com/document/d/abc/edit"
    assert rows[f"{SESSION}:data-cleaning:A-000002"][sheet.HANDED_IN] == "2027-04-16 20:00"
    assert str(rows[f"{SESSION}:data-cleaning:A-000002"][sheet.WORK_LINK]).startswith(
        "https://drive.google.com/file/d/")

    partner_writes(fake, f"{SESSION}:data-cleaning:A-000001", "Clear and careful.", "5")
    clock = datetime(2027, 4, 18, 0, 0, tzinfo=LA)
    for hour in range(24):                 # cron every hour, the partner editing in between
        if hour == 12:
            partner_writes(fake, f"{SESSION}:data-cleaning:A-000001", "Changed my mind: 4.", "4")
        run(google_program, clock + timedelta(hours=hour))
    feedback = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                if "/assignment_feedback:data-cleaning/" in str(m.message["X-Microintern-Key"])]
    assert len(feedback) == 1
    assert feedback[0]["To"].addresses[0].addr_spec == STUDENTS["A-000001"]
    body = feedback[0].get_body(("plain",)).get_content()
    assert "Clear and careful." in body and "5 out of 5" in body and "Changed my mind" not in body
    assert assignments(fake)[f"{SESSION}:data-cleaning:A-000001"][sheet.FEEDBACK_SENT] == "2027-04-18 00:00"
    assert sent_letters(fake)[("assignment_reminder:data-cleaning", "A-000001")] == 0
    assert not fake.gmail.drafts(PROGRAM_USER)          # nothing left half-sent


def test_a_send_that_fails_is_finished_by_the_next_run_and_stamped_once(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat(google_program)
    run(google_program, OPENS)
    run(google_program, GIVEN)
    row_key = f"{SESSION}:data-cleaning:A-000003"
    partner_writes(fake, row_key, "Well done.", "4")
    fake.faults.add("gmail.users.drafts.send", "500", times=1)   # the outcome is unknown to us
    day = datetime(2027, 4, 16, 6, 30, tzinfo=LA)
    with pytest.raises(MicrointernError, match="may or may not have gone out"):
        run(google_program, day)
    rows = assignments(fake)
    assert not rows[row_key][sheet.FEEDBACK_SENT]                 # not claimed before it is known
    assert rows[row_key][sheet.FOLDER_ID]                          # the rest of the row was written
    run(google_program, day + timedelta(hours=1))
    run(google_program, day + timedelta(hours=2))
    assert sent_letters(fake)[("assignment_feedback:data-cleaning", "A-000003")] == 1
    assert assignments(fake)[row_key][sheet.FEEDBACK_SENT] == "2027-04-16 07:30"
    assert len([f for f in fake.drive.files.values() if f["mimeType"] == FOLDER_MIME]) == 19


def test_steady_state_calls_with_both_assignments_given(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat(google_program)
    run(google_program, OPENS)
    run(google_program, GIVEN)
    run(google_program, BOTH_GIVEN)
    fake.reset_calls()
    run(google_program, BOTH_GIVEN + timedelta(hours=1))
    calls = Counter(c.method_id for c in fake.calls if not c.method_id.startswith("oauth"))
    assert calls["drive.files.list"] == 12                      # 6 students x 2 assignments
    assert not any(m.startswith("gmail.") for m in calls)
    assert sum(calls.values()) <= 22, calls                    # 12 Drive + 2 x 3 Forms + 4 Sheets


def test_drive_files_in_reads_every_page_and_leaves_out_folders_and_the_trash(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    folders = context(google_program, OPENS).ports.folders
    folder = folders.ensure_folder("Hand-ins")
    for n in range(105):
        record = fake.drive.add_file(f"page-{n:03d}.txt", "text/plain", "student@x.test", [folder])
        record["modifiedTime"] = f"2027-04-{1 + n % 28:02d}T10:{n % 60:02d}:00.000Z"
    fake.drive.add_file("inner", FOLDER_MIME, PROGRAM_USER, [folder])
    fake.drive.add_file("gone.txt", "text/plain", "student@x.test", [folder])["trashed"] = True
    fake.reset_calls()
    found = folders.files_in(folder)
    assert fake.count("drive.files.list") == 2                      # 100 a page
    assert len(found) == 105 and {f.name for f in found} == {f"page-{n:03d}.txt" for n in range(105)}
    assert [f.modified for f in found] == sorted(f.modified for f in found)
    assert found[0].modified == datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
    assert all(f.link.startswith("https://drive.google.com/file/d/") for f in found)
    assert folders.link(folder) == f"https://drive.google.com/drive/folders/{folder}"
