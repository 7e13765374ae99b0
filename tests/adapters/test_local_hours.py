"""The hours log on the local backend: the form file, CSV responses, the workbook, the letters."""

from __future__ import annotations

import email
import email.policy
import json
import stat
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import yaml

from microintern.adapters.local import LocalWorkbook
from microintern.bootstrap import step_context
from microintern.config import load_config
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.hours import hours_form_spec
from microintern.domain.mime import KEY_HEADER
from microintern.steps.context import StepResult
from microintern.steps.hours import log_hours, payroll
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
SESSION = "data-fellows"
FIRST_DAY = datetime(2027, 4, 6, 6, 30, tzinfo=LA)
STUDENTS = {"A-0000001": ("Maya", "Okafor"), "A-0000002": ("Jordan", "Tran"), "A-0000003": ("Lily", "Ng")}


def local_folder(config_file: Path) -> Path:
    config = load_config(config_file)
    return config.resolve(config.local.folder)


def workbook(config_file: Path) -> LocalWorkbook:
    return LocalWorkbook(local_folder(config_file) / "program.xlsx")


def letters_of(config_file: Path) -> dict[tuple[str, str], EmailMessage]:
    """Sent letters by (letter, recipient id); fails if one went out twice."""
    found: dict[tuple[str, str], EmailMessage] = {}
    for path in sorted((local_folder(config_file) / "outbox" / "sent").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        _, letter, recipient, _ = str(message[KEY_HEADER]).split("/")
        assert (letter, recipient) not in found, "a letter went out twice"
        found[(letter, recipient)] = message  # type: ignore[assignment]
    return found


def edit_config(config_file: Path, section: str, **changes: object) -> None:
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data.setdefault(section, {}).update(changes)
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def seat(config_file: Path) -> None:
    """Three students placed in the paid session, as cohorts and registration leave them."""
    book = workbook(config_file)
    initialise(load_config(config_file), book)
    book.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: "en", "First name": first, "Last name": last,
         "School email address": f"{first.lower()}@students.mesavalley.example",
         "Parent or guardian email": f"{last.lower()}@family.example", sheet.DECISION: "Accept"}
        for applicant, (first, last) in STUDENTS.items()])
    book.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


def respond(config_file: Path, rows: list[tuple[str, list[str]]]) -> None:
    """The linked sheet's CSV export of the hours form: local times, dates as M/D/YYYY."""
    spec = hours_form_spec(load_config(config_file))
    write_form_csv(local_folder(config_file) / "forms", spec.name, [q.title for q in spec.questions],
                   [(datetime.fromisoformat(when).replace(tzinfo=LA), values) for when, values in rows])


def hours_rows(config_file: Path) -> list[dict]:
    return workbook(config_file).read_tabs([sheet.HOURS])[sheet.HOURS]


def by_activity(config_file: Path) -> dict[str, dict]:
    """Hours rows by the first 11 characters of what the student did (the first row wins)."""
    found: dict[str, dict] = {}
    for row in hours_rows(config_file):
        found.setdefault(str(row[sheet.ACTIVITY])[:11], row)
    return found


def run(config_file: Path, now: datetime, sessions: list[str] | None = None) -> StepResult:
    return log_hours(step_context(load_config(config_file), now), [SESSION] if sessions is None else sessions)


HOSTILE = '=HYPERLINK("http://evil.example","click")'
WEEK_ONE = [
    ("2027-04-08 19:00", ["A-0000001", "4/6/2027", "1.5", "Weekly meeting 1"]),
    ("2027-04-08 19:01", ["A-0000001", "4/7/2027", "3", HOSTILE]),
    ("2027-04-08 19:02", ["A-0000002", "4/7/2027", "2,5", "Pivot table\r\nfor the partner"]),
    ("2027-04-08 19:03", ["A-0000002", "4/7/2027", "2,5", "Pivot table\r\nfor the partner"]),   # again
    ("2027-04-08 19:04", ["A-0000003", "4/7/2027", "14", "x" * 50_000]),                         # 14 h
    ("2027-04-08 19:05", ["A-0000003", "not a date", "-3", "?"]),
    ("2027-04-08 19:06", ["a-0000003 ", "4/8/2027", "2", "lowercase id, same student"]),
]


def test_form_file_letters_rows_and_idempotent_reruns(config_file: Path) -> None:
    seat(config_file)
    first = run(config_file, FIRST_DAY)
    assert first.counts["sent"] == 3 and first.counts["entries"] == 0
    form_file = local_folder(config_file) / "forms" / "hours.form.json"
    assert stat.S_IMODE(form_file.stat().st_mode) == 0o600
    described = json.loads(form_file.read_text(encoding="utf-8"))
    assert [q["kind"] for q in described["questions"]] == ["short_text", "date", "number", "paragraph"]
    letter = letters_of(config_file)[("hours_log_link", "A-0000001")]
    assert letter["To"] == "maya@students.mesavalley.example"
    assert "$16.50" in letter.get_body(("plain",)).get_content()

    respond(config_file, WEEK_ONE)
    second = run(config_file, FIRST_DAY + timedelta(days=3))
    assert second.counts["entries"] == 7 and second.counts["rows written"] == 7 and not second.problems
    rows = by_activity(config_file)
    assert rows["Pivot table"][sheet.HOURS_LOGGED] == 2.5
    (again,) = [r for r in hours_rows(config_file) if str(r[sheet.HOURS_FLAGS]).startswith("duplicate of")]
    assert again[sheet.SUBMITTED] == "2027-04-08 19:03"
    long = rows["x" * 11]
    assert long[sheet.HOURS_FLAGS] == "over 12 h on 2027-04-07 (14 h logged that day)"
    assert len(long[sheet.ACTIVITY]) < 5100
    bad = rows["?"]
    assert "Date worked: 'not a date'" in bad[sheet.HOURS_FLAGS] and "Hours: '-3'" in bad[sheet.HOURS_FLAGS]
    assert bad[sheet.HOURS_LOGGED] == "-3" and bad[sheet.WEEK] in (None, "")
    assert rows["lowercase i"][sheet.APPLICANT_ID] == "A-0000003"
    assert rows["lowercase i"]["Student"] == "Lily N."
    # The student's formula stays text in the workbook: never a formula cell.
    sheet_xl = openpyxl.load_workbook(local_folder(config_file) / "program.xlsx")[sheet.HOURS]
    cells = [c for row in sheet_xl.iter_rows() for c in row if c.value == HOSTILE]
    assert cells and all(c.data_type == "s" for c in cells)
    # The pending letter went to the teacher once; a rerun writes and sends nothing.
    assert ("hours_pending-2027-04-09", f"teacher-{SESSION}") in letters_of(config_file)
    rerun = run(config_file, FIRST_DAY + timedelta(days=3, hours=1))
    assert rerun.counts["rows written"] == 0 and "sent" not in rerun.counts


def test_confirmations_are_read_and_only_confirmed_countable_hours_are_paid(config_file: Path) -> None:
    seat(config_file)
    run(config_file, FIRST_DAY)
    respond(config_file, WEEK_ONE)
    run(config_file, FIRST_DAY + timedelta(days=3))
    keys = {activity: row[sheet.ENTRY_KEY] for activity, row in by_activity(config_file).items()}
    decisions = {keys["Weekly meet"]: "confirmed", keys[HOSTILE[:11]]: "Confirmed",
                 keys["Pivot table"]: "confirmed", keys["x" * 11]: "rejected", keys["?"]: "confirmed",
                 keys["lowercase i"]: "ok"}
    for row in hours_rows(config_file):           # the duplicate: confirmed, yet never counted
        if str(row[sheet.HOURS_FLAGS]).startswith("duplicate"):
            decisions[row[sheet.ENTRY_KEY]] = "confirmed"
    workbook(config_file).upsert(sheet.HOURS, sheet.ENTRY_KEY, [
        {sheet.ENTRY_KEY: key, sheet.CONFIRMATION: value} for key, value in decisions.items()])
    result = run(config_file, FIRST_DAY + timedelta(days=4))
    assert result.problems == [f"Hours row {keys['lowercase i']}: Confirmation 'ok' is neither confirmed "
                               "nor rejected; treated as waiting"]
    people = {r[sheet.APPLICANT_ID]: r for r in workbook(config_file).read_tabs([sheet.PARTICIPANTS])[
        sheet.PARTICIPANTS]}
    assert people["A-0000001"][sheet.CONFIRMED_HOURS] == 4.5
    assert people["A-0000002"][sheet.CONFIRMED_HOURS] == 2.5
    assert people["A-0000003"][sheet.CONFIRMED_HOURS] == 0
    assert people["A-0000003"][sheet.HOURS_CHECK] == \
        "under target: 0 of 30 h by week 1 (2 h waiting for confirmation)"
    lines = payroll(step_context(load_config(config_file), FIRST_DAY + timedelta(days=5)), [SESSION])
    assert [(line.applicant_id, str(line.hours), str(line.amount)) for line in lines] == [
        ("A-0000001", "4.5", "74.25"), ("A-0000002", "2.5", "41.25")]


def test_the_partner_confirms_when_the_config_says_so(config_file: Path) -> None:
    edit_config(config_file, "hours", confirmer="partner", pending_reminder_days=2)
    seat(config_file)
    run(config_file, FIRST_DAY)
    respond(config_file, WEEK_ONE[:1])
    for day in (3, 4, 5, 5):
        run(config_file, FIRST_DAY + timedelta(days=day))
    sent = letters_of(config_file)
    partner = load_config(config_file).partners[3]
    assert partner.id == "valley-analytics"
    assert {k for k in sent if k[0].startswith("hours_pending")} == {
        ("hours_pending-2027-04-09", partner.id), ("hours_pending-2027-04-11", partner.id)}
    assert sent[("hours_pending-2027-04-09", partner.id)]["To"] == partner.contact.email


def test_sessions_without_an_hours_target_have_no_hours_log(config_file: Path) -> None:
    seat(config_file)
    result = run(config_file, FIRST_DAY, ["cyber-basics"])
    assert result.counts == {"no session with an hours target": 1}
    assert not (local_folder(config_file) / "forms" / "hours.form.json").exists()


def test_links_wait_for_the_first_meeting_day(config_file: Path) -> None:
    seat(config_file)
    before = run(config_file, FIRST_DAY - timedelta(days=1))
    assert "sent" not in before.counts
    assert run(config_file, FIRST_DAY).counts["sent"] == 3
    wb = openpyxl.load_workbook(local_folder(config_file) / "program.xlsx")
    assert sheet.HOURS in wb.sheetnames
