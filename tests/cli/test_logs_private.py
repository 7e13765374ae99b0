"""No names or addresses in logs at any verbosity, against the fake Workspace.

The assignments step lists Drive folders named after students (first name, last initial, id)
and shares them with their addresses; Google's client library logs each request URL. With
``-vv`` and even ``--debug-http``, and with failing requests whose errors quote their URL, the
captured log holds none of the students' first names, folder names or addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from adapters.conftest import GoogleProgram

# The fake Workspace fixtures live with the adapter tests; imported here, they serve tests/cli.
from adapters.conftest import fake as fake
from adapters.conftest import fake_server as fake_server
from adapters.conftest import google_program as google_program
from click.testing import CliRunner
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.cli.log_privacy import HTTP_LOGGERS, redact
from microintern.domain import program_sheet as sheet
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
OPENS = "2027-04-03T06:30"   # the data-fellows assignment folders are made 3 days before T
SESSION = "data-fellows"
STUDENTS = {  # applicant id -> (first name, last name, school address, family address)
    "A-000101": ("Marisol", "Okonkwo", "marisol.okonkwo@students.mesavalley.example",
                 "okonkwo.family@home.example"),
    "A-000102": ("Teodoro", "Vasquez", "teodoro.vasquez@students.mesavalley.example",
                 "vasquez.family@home.example"),
    "A-000103": ("Annelise", "Whitcombe", "annelise.whitcombe@students.mesavalley.example",
                 "whitcombe.family@home.example"),
    "A-000104": ("Kwabena", "Asante", "kwabena.asante@students.mesavalley.example",
                 "asante.family@home.example"),
}


def _folder(applicant: str) -> str:
    first, last, _, _ = STUDENTS[applicant]
    return f"{first} {last[0]}. ({applicant})"


def _private(program: GoogleProgram) -> list[str]:
    """Everything about the students that must never reach a log."""
    words: list[str] = []
    for applicant, (first, last, school, family) in STUDENTS.items():
        words += [first, last, school, family, _folder(applicant), school.replace("@", "%40")]
    return words


def _seat(program: GoogleProgram) -> None:
    ctx = step_context(program.config, datetime.fromisoformat(OPENS).replace(tzinfo=LA), env={})
    initialise(program.config, ctx.ports.roster)
    ctx.ports.roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: "en", "First name": first,
         "Last name": last, "School email address": school, "Parent or guardian email": family,
         "Parent or guardian name": f"A parent of {first}", sheet.DECISION: "Accept"}
        for applicant, (first, last, school, family) in STUDENTS.items()])
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the process's logging back as it was: the CLI configures it for the whole process."""
    root = logging.getLogger()
    factory, level = logging.getLogRecordFactory(), root.level
    filters = {h: list(h.filters) for h in root.handlers}
    levels = {name: logging.getLogger(name).level for name in HTTP_LOGGERS}
    yield
    logging.setLogRecordFactory(factory)
    root.setLevel(level)
    for handler, kept in filters.items():
        handler.filters[:] = kept
    for name, kept_level in levels.items():
        logging.getLogger(name).setLevel(kept_level)


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize("flags", [("-vv",), ("-vv", "--debug-http")])
def test_assignments_at_full_verbosity_log_no_name_and_no_address(
        fake: FakeWorkspace, google_program: GoogleProgram, caplog: pytest.LogCaptureFixture,
        flags: tuple[str, ...]) -> None:
    _seat(google_program)
    fake.reset_calls()
    # Failing Drive requests: the retry warning quotes Google's error, which quotes the URL.
    fake.faults.add("drive.files.list", "500", times=1, retry_after=0)
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        cli, ["--config", str(google_program.config_file), *flags, "assignments", "--now", OPENS],
        catch_exceptions=False)
    fake.faults.clear()
    fake.rejections.clear()  # the injected faults are recorded there; they were the point
    assert result.exit_code == 0, result.output

    # The danger was real: Drive queries carried the folder names over the wire, folders were
    # shared with the students' addresses, and some list calls failed and were retried.
    queries = [q for call in fake.calls_to("drive.files.list") for q in call.query.get("q", [])]
    assert any(_folder(a) in q for q in queries for a in STUDENTS), queries
    shared = {call.body.get("emailAddress") for call in fake.calls_to("drive.permissions.create")}
    assert {school for _, _, school, _ in STUDENTS.values()} <= shared
    assert any(call.fault for call in fake.calls_to("drive.files.list"))

    text = caplog.text + "\n" + result.output
    leaked = [word for word in _private(google_program) if word.casefold() in text.casefold()]
    assert leaked == []
    assert "Google call failed" in text  # the retry warnings were captured ...
    if "--debug-http" in flags:           # ... and so were the request URLs, when asked for
        assert "URL being requested" in text and "files?<query>" in text
    else:                                 # ... which by default are not logged at all
        assert not any(r.name.startswith(HTTP_LOGGERS) and r.levelno < logging.WARNING
                       for r in caplog.records)


def test_redact_takes_out_addresses_queries_and_searches() -> None:
    cases: dict[str, Any] = {
        "GET http://127.0.0.1:9/drive/v3/files?q=name+%3D+%27Marisol+O.%27&alt=json":
            "GET http://127.0.0.1:9/drive/v3/files?<query>",
        "files.list q=name = 'Marisol O. (A-000101)' and trashed = false": "files.list q=<redacted>",
        "{'q': \"name = 'Marisol O.'\", 'pageSize': 100}": "{'q': '<redacted>', 'pageSize': 100}",
        "to marisol.okonkwo@students.mesavalley.example": "to <address>",
        "calendars/priya.raman%40mesavalley.example/events": "calendars/<address>/events",
        "step decisions:program failed: A-000101 held": "step decisions:program failed: A-000101 held",
        "frequency=3": "frequency=3",
    }
    for raw, expected in cases.items():
        assert redact(raw) == expected
        assert redact(expected) == expected  # idempotent: scrubbing twice changes nothing
