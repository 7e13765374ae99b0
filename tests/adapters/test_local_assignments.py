"""Assignments on the local backend: folders on disk, the form CSV, files dropped, letters once."""

from __future__ import annotations

import email
import email.policy
import os
import stat
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from microintern.adapters.local import LocalFolders
from microintern.adapters.local._files import atomic_write_bytes
from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import FORM_NAME, hand_in_spec
from microintern.domain.forms import prefill_entry
from microintern.domain.mime import KEY_HEADER
from microintern.steps.assignments import folder_setting, run_assignments
from microintern.steps.context import StepResult
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
SESSION = "data-fellows"     # meetings weekly from Tuesday 2027-04-06 16:00; 6 of them
OPENS = datetime(2027, 4, 3, 6, 30, tzinfo=LA)
GIVEN = datetime(2027, 4, 13, 6, 30, tzinfo=LA)   # the 2nd meeting's day: data-cleaning, due 04-19
PARTNER = "thanh@valleyanalytics.example"
TEACHER = "priya.raman@mesavalley.example"
COORDINATOR = "dana.whitfield@mesavalley.example"
STUDENTS = {f"A-00{i}": (f"Student{i}", f"Last{i}", f"s{i}@students.mesavalley.example",
                         "es" if i == 2 else "en") for i in range(1, 7)}


def seat(config: ProgramConfig) -> None:
    roster = step_context(config, OPENS).ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, "First name": first, "Last name": last,
         "School email address": address, "Parent or guardian email": f"family-{applicant}@home.example",
         "Parent or guardian name": "A parent", sheet.DECISION: "Accept"}
        for applicant, (first, last, address, language) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


def run(config: ProgramConfig, now: datetime) -> StepResult:
    return run_assignments(step_context(config, now), [SESSION])


def local(config: ProgramConfig) -> Path:
    return config.resolve(config.local.folder)


def rows(config: ProgramConfig) -> dict[str, dict[str, Any]]:
    found = step_context(config, OPENS).ports.roster.read_tabs([sheet.ASSIGNMENTS])[sheet.ASSIGNMENTS]
    return {str(r[sheet.SUBMISSION_KEY]): r for r in found}


def letters(config: ProgramConfig) -> list[tuple[str, EmailMessage]]:
    found = []
    for path in sorted((local(config) / "outbox" / "sent").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found.append((str(message[KEY_HEADER]), message))  # type: ignore[arg-type]
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return str(body).replace("\r\n", "\n")


def answer(config: ProgramConfig, answers: list[tuple[datetime, list[str]]]) -> None:
    spec = hand_in_spec(config)
    write_form_csv(local(config) / "forms", FORM_NAME, [q.title for q in spec.questions], answers)


def key(applicant: str, assignment: str = "data-cleaning") -> str:
    return f"{SESSION}:{assignment}:{applicant}"


def test_folders_are_private_per_student_and_made_once(config_file: Path) -> None:
    config = load_config(config_file)
    seat(config)
    first = run(config, OPENS)
    assert first.counts["rows added"] == 12 and first.counts["folders made"] == 7
    assert not letters(config)                          # nothing is given before its meeting
    again = run(config, OPENS + timedelta(hours=1))
    assert "folders made" not in again.counts and "rows added" not in again.counts
    folders = LocalFolders(local(config) / "drive")
    tab = rows(config)
    settings = {r[sheet.SETTING]: r[sheet.SETTING_VALUE] for r in step_context(config, OPENS).ports.roster
                .read_tabs([sheet.SETTINGS])[sheet.SETTINGS]}
    session_folder = str(settings[folder_setting(SESSION)])
    assert folders.shared_with(session_folder) == {PARTNER: "commenter", TEACHER: "writer",
                                                    COORDINATOR: "writer"}
    drive = local(config) / "drive"
    assert len([p for p in drive.rglob("*") if p.is_dir()]) == 1 + 6 + 12
    for applicant, (_, _, address, _) in STUDENTS.items():
        for assignment in ("data-cleaning", "final-project"):
            folder_id = str(tab[key(applicant, assignment)][sheet.FOLDER_ID])
            student_folder = folder_id.rsplit("/", 1)[0]
            assert student_folder.startswith(session_folder + "/")
            assert folders.shared_with(student_folder) == {address: "writer"}
            assert tab[key(applicant, assignment)][sheet.FOLDER] == folders.link(folder_id)
            assert stat.S_IMODE((drive / folder_id).stat().st_mode) == 0o700
    # "<program> / <session title> — submissions", made safe for a file name.
    assert session_folder.startswith("Mesa Valley Micro-Internships") and "Data Fellows" in session_folder
    assert "submissions" in session_folder


def test_assignment_letters_hand_ins_lateness_and_feedback_once(config_file: Path) -> None:
    config = load_config(config_file)
    seat(config)
    run(config, OPENS)
    given = run(config, GIVEN)
    # Both assignments follow the 2nd meeting (the final project is a four-week one).
    assert given.counts["assignments given"] == 12 and given.counts["sent"] == 12
    run(config, GIVEN + timedelta(hours=3))
    assert len(letters(config)) == 12
    sent = [(k, m) for k, m in letters(config) if "/assignment_given:data-cleaning/" in k]
    assert len(sent) == 6
    spec = hand_in_spec(config)
    ids = spec.question_ids()
    tab = rows(config)
    for letter_key, message in sent:
        applicant = letter_key.split("/")[2]
        body = text_of(message)
        link = next(w for w in body.split() if "usp=pp_url" in w)
        query = parse_qs(urlsplit(link).query)
        assert query[prefill_entry(ids["student_id"])] == [applicant]
        # Ticked as the student's form shows it: A-002 reads Spanish and gets the Spanish form.
        assert query[prefill_entry(ids["assignment"])] == [
            "Limpiar un conjunto de datos real" if applicant == "A-002" else "Clean a real data set"]
        folder = next(w for w in body.split() if w.startswith("file://"))
        assert folder == tab[key(applicant)][sheet.FOLDER]
        assert message["To"].addresses[0].addr_spec == STUDENTS[applicant][2]
        assert ("abril de 2027" if applicant == "A-002" else "April 19, 2027") in body
        for other, (_, _, address, _) in STUDENTS.items():   # no other student's address or id
            if other != applicant:
                assert address not in body and other not in body

    # A-001 answers on time; A-002 drops a file; A-003 gives no usable link; A-004 answers late.
    on_time = datetime(2027, 4, 15, 19, 0, tzinfo=LA)
    answer(config, [(on_time, ["A-001", "Clean a real data set", "docs.google.com/document/d/1", "Thanks!"]),
                    (on_time, ["A-003", "Clean a real data set", "my file is done", ""])])
    dropped = local(config) / "drive" / str(tab[key("A-002")][sheet.FOLDER_ID]) / "cleaned.csv"
    atomic_write_bytes(dropped, b"a,b\n1,2\n")
    late_evening = datetime(2027, 4, 19, 23, 40, tzinfo=LA).timestamp()
    os.utime(dropped, (late_evening, late_evening))
    reminded = run(config, datetime(2027, 4, 17, 6, 30, tzinfo=LA))
    # Only students with nothing in get the reminder (A-002's file is dated the 19th but is there).
    assert reminded.counts["reminders"] == 4
    assert any("row " in p and "Link to your work" in p and "my file" not in p for p in reminded.problems)
    answer(config, [(on_time, ["A-001", "Clean a real data set", "docs.google.com/document/d/1", "Thanks!"]),
                    (on_time, ["A-003", "Clean a real data set", "my file is done", ""]),
                    (datetime(2027, 4, 20, 0, 5, tzinfo=LA),
                     ["A-004", "Clean a real data set", "https://example.org/work", ""])])
    run(config, datetime(2027, 4, 20, 6, 30, tzinfo=LA))
    tab = rows(config)
    assert tab[key("A-001")][sheet.HANDED_IN] == "2027-04-15 19:00"
    assert tab[key("A-001")][sheet.LATE] == "no"
    assert tab[key("A-001")][sheet.WORK_LINK] == "https://docs.google.com/document/d/1"
    assert tab[key("A-001")][sheet.STUDENT_NOTE] == "Thanks!"
    assert tab[key("A-002")][sheet.HANDED_IN] == "2027-04-19 23:40"
    assert tab[key("A-002")][sheet.LATE] == "no"
    assert unquote(str(tab[key("A-002")][sheet.WORK_LINK])).endswith("/cleaned.csv")
    assert tab[key("A-003")][sheet.LATE] == "missing"
    assert "no usable link" in str(tab[key("A-003")][sheet.WORK_LINK])
    assert tab[key("A-004")][sheet.LATE] == "yes"
    assert tab[key("A-005")][sheet.LATE] == "missing"
    assert not tab[key("A-001", "final-project")][sheet.LATE]   # due 2027-05-11

    # The partner writes feedback for A-001 (and a bad rating for A-002): one letter, once.
    roster = step_context(config, OPENS).ports.roster
    roster.upsert(sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY, [
        {sheet.SUBMISSION_KEY: key("A-001"), sheet.PARTNER_FEEDBACK: "Tidy work.\nName your columns.",
         sheet.PARTNER_RATING: 4},
        {sheet.SUBMISSION_KEY: key("A-002"), sheet.PARTNER_FEEDBACK: "Good.", sheet.PARTNER_RATING: "great"}])
    day = datetime(2027, 4, 21, 6, 30, tzinfo=LA)
    first = run(config, day)
    assert first.counts["feedback letters"] == 1
    assert any("Rating" in p and key("A-002") in p for p in first.problems)
    roster.upsert(sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY, [
        {sheet.SUBMISSION_KEY: key("A-001"), sheet.PARTNER_FEEDBACK: "Edited later: never sent."}])
    for hour in range(1, 5):
        run(config, day + timedelta(hours=hour))
    feedback = [(k, m) for k, m in letters(config) if "/assignment_feedback:" in k]
    assert [k.split("/")[2] for k, _ in feedback] == ["A-001"]
    body = text_of(feedback[0][1])
    assert "Tidy work.\nName your columns." in body and "4 out of 5" in body and "Edited" not in body
    assert rows(config)[key("A-001")][sheet.FEEDBACK_SENT] == "2027-04-21 06:30"


def test_partner_and_teacher_hear_of_work_waiting_for_feedback(config_file: Path) -> None:
    config = load_config(config_file)
    seat(config)
    run(config, OPENS)
    run(config, GIVEN)
    answer(config, [(datetime(2027, 4, 14, 18, 0, tzinfo=LA),
                     ["A-001", "Clean a real data set", "https://example.org/a", ""]),
                    (datetime(2027, 4, 16, 18, 0, tzinfo=LA),
                     ["A-002", "Clean a real data set", "https://example.org/b", ""])])
    assert "partner reminders" not in run(config, datetime(2027, 4, 18, 6, 30, tzinfo=LA)).counts
    first = run(config, datetime(2027, 4, 19, 6, 30, tzinfo=LA))       # 5 days without feedback
    assert first.counts["partner reminders"] == 2
    assert "partner reminders" not in run(config, datetime(2027, 4, 19, 9, 30, tzinfo=LA)).counts
    assert "partner reminders" not in run(config, datetime(2027, 4, 20, 6, 30, tzinfo=LA)).counts
    second = run(config, datetime(2027, 4, 21, 6, 30, tzinfo=LA))      # A-002 became overdue
    assert second.counts["partner reminders"] == 2
    reminders = [(k, m) for k, m in letters(config) if "/partner_feedback_reminder:" in k]
    assert sorted(m["To"].addresses[0].addr_spec for _, m in reminders) == sorted([PARTNER, TEACHER] * 2)
    latest = text_of(next(m for k, m in reminders if ":2027-04-21/" in k))
    assert "Student1 L.: Clean a real data set (handed in April 14, 2027, 7 days ago)" in latest
    assert "Student2 L.: Clean a real data set" in latest
    for _first, last, address, _language in STUDENTS.values():
        assert address not in latest and last not in latest
    # Feedback for both: no more reminders.
    step_context(config, OPENS).ports.roster.upsert(sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY, [
        {sheet.SUBMISSION_KEY: key(a), sheet.PARTNER_FEEDBACK: "Thanks."} for a in ("A-001", "A-002")])
    assert "partner reminders" not in run(config, datetime(2027, 4, 27, 6, 30, tzinfo=LA)).counts


def test_local_folders_list_files_oldest_first_without_subfolders_or_hidden_files(tmp_path: Path) -> None:
    folders = LocalFolders(tmp_path / "drive")
    folder = folders.ensure_folder("Maya O. (A-1)")
    folders.share(folder, "maya@students.example", "writer")        # writes a hidden .sharing.json
    folders.ensure_folder("Clean a real data set", folder)          # a subfolder is not a file
    for name, day in (("late.csv", 20), ("early.pdf", 3)):
        path = tmp_path / "drive" / folder / name
        atomic_write_bytes(path, b"work")
        moment = datetime(2027, 4, day, 12, 0, tzinfo=LA).timestamp()
        os.utime(path, (moment, moment))
    found = folders.files_in(folder)
    assert [f.name for f in found] == ["early.pdf", "late.csv"]
    assert found[0].modified == datetime(2027, 4, 3, 12, 0, tzinfo=LA)
    assert found[0].link == (tmp_path / "drive" / folder / "early.pdf").resolve().as_uri()
    assert found[0].file_id == f"{folder}/early.pdf"
    assert folders.link(folder) == (tmp_path / "drive" / folder).resolve().as_uri()
    assert folders.files_in("never-made") == []
