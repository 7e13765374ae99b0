"""Correspondence steps on the local backend: outreach, recruitment, decisions, previews, samples."""

from __future__ import annotations

import email
import email.policy
import shutil
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from programs import ROOT

from microintern.adapters.local import LocalWorkbook
from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import load_config
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet
from microintern.domain.catalog import LETTERS
from microintern.domain.mime import KEY_HEADER
from microintern.steps.context import StepResult
from microintern.steps.decisions import decision_letters

OUTREACH = "2027-01-19T06:30"     # T-8 weeks for the first session
DURING_APPLICATIONS = "2027-02-01T06:30"
DECISIONS = "2027-02-16T06:30"    # T-4 weeks


def invoke(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def local_folder(config_file: Path) -> Path:
    config = load_config(config_file)
    return config.resolve(config.local.folder)


def sent(config_file: Path) -> list[EmailMessage]:
    folder = local_folder(config_file) / "outbox" / "sent"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


def letters_of(config_file: Path) -> dict[tuple[str, str], EmailMessage]:
    """Sent letters by (letter, recipient id), read from the key header."""
    found: dict[tuple[str, str], EmailMessage] = {}
    for message in sent(config_file):
        _, letter, recipient, _ = str(message[KEY_HEADER]).split("/")
        assert (letter, recipient) not in found, "a letter went out twice"
        found[(letter, recipient)] = message
    return found


def workbook(config_file: Path) -> LocalWorkbook:
    return LocalWorkbook(local_folder(config_file) / "program.xlsx")


def edit_config(config_file: Path, **changes: object) -> None:
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for part in path:
            target = target.setdefault(part, {})
        target[last] = value
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def imported(config_file: Path, count: int, seed: int = 5) -> list[dict]:
    """Responses imported and acknowledged; returns the Applications rows."""
    config = load_config(config_file)
    sample = applications(config, count=count, seed=seed)
    write_responses(local_folder(config_file) / "forms", config, sample)
    assert invoke(config_file, "run", "applications", "--now", DURING_APPLICATIONS).exit_code == 0
    return workbook(config_file).read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]


def decide(config_file: Path, decisions: dict[str, str]) -> None:
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.DECISION: value} for applicant, value in decisions.items()])


def pdf_attachments(message: EmailMessage) -> list[bytes]:
    return [part.get_content() for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"]


def flyer_names(message: EmailMessage) -> list[str]:
    return [str(part.get_filename()) for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"]


def test_partner_outreach_once_per_partner_with_the_flyer(config_file: Path) -> None:
    first = invoke(config_file, "send", "partner_outreach", "--now", OUTREACH)
    assert first.exit_code == 0, first.output
    letters = sent(config_file)
    config = load_config(config_file)
    assert sorted(str(m["To"]) for m in letters) == sorted(p.contact.email for p in config.partners)
    for message in letters:
        # The partner flyer in each of the program's languages (en, es), the default's first.
        assert flyer_names(message) == ["mvusd-spring-2027-partner-flyer.pdf",
                                        "mvusd-spring-2027-partner-flyer-es.pdf"]
        assert all(pdf.startswith(b"%PDF") for pdf in pdf_attachments(message))
        assert str(message["Reply-To"]) == config.sender.reply_to
        assert "flyer with the details, in English and Spanish." in \
            message.get_body(("plain",)).get_content()
    partners = workbook(config_file).read_tabs([sheet.PARTNERS])[sheet.PARTNERS]
    assert {r[sheet.PARTNER_STATUS] for r in partners} == {"contacted"}
    assert all(r["Contacted"] == "January 19, 2027" for r in partners)

    again = invoke(config_file, "send", "partner_outreach", "--now", "2027-01-20T06:30")
    assert again.exit_code == 0
    assert len(sent(config_file)) == len(letters)


def test_a_partner_the_coordinator_moved_on_is_not_invited(config_file: Path) -> None:
    book = workbook(config_file)
    assert invoke(config_file, "init").exit_code == 0
    book.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "solis-cyber", sheet.PARTNER_STATUS: "declined"}])
    result = invoke(config_file, "send", "partner_outreach", "--now", OUTREACH)
    assert "partner is declined, not invited" in result.output
    assert "m.ortega@soliscyber.example" not in {str(m["To"]) for m in sent(config_file)}
    rows = {r[sheet.PARTNER_ID]: r for r in book.read_tabs([sheet.PARTNERS])[sheet.PARTNERS]}
    assert rows["solis-cyber"][sheet.PARTNER_STATUS] == "declined"   # the coordinator's word stands
    assert rows["solis-cyber"]["Organization"] in (None, "")          # and their row was not rewritten


def test_recruitment_sends_the_student_flyer_to_each_recipient(config_file: Path) -> None:
    result = invoke(config_file, "send", "recruitment", "--now", "2027-02-02T06:30")
    assert result.exit_code == 0, result.output
    config = load_config(config_file)
    letters = sent(config_file)
    assert sorted(str(m["To"]) for m in letters) == sorted(p.email for p in config.recruitment.recipients)
    for message in letters:
        # The student flyer in every language, so a counselor can hand each family its own.
        assert flyer_names(message) == ["mvusd-spring-2027-student-flyer.pdf",
                                        "mvusd-spring-2027-student-flyer-es.pdf"]
        assert config.application.url is not None
        assert all(config.application.url.encode() in pdf for pdf in pdf_attachments(message))
        assert config.application.url in message.get_body(("plain",)).get_content()
        # The letter says there are two, and in which languages, in its own words.
        assert "attached flyers (one in each language: English, Spanish)" in \
            message.get_body(("plain",)).get_content()


def test_decisions_send_the_chosen_letter_once_and_report_bad_cells(config_file: Path) -> None:
    rows = imported(config_file, 8)
    ids = [str(r[sheet.APPLICANT_ID]) for r in rows if "@" in str(r["School email address"])][:5]
    decide(config_file, {ids[0]: "Accept", ids[1]: "accepted", ids[2]: "Waitlist",
                         ids[3]: "Deny", ids[4]: "Maybe"})
    before = set(letters_of(config_file))
    result = invoke(config_file, "send", "decisions", "--now", DECISIONS)
    assert result.exit_code == 0, result.output
    assert "sent 4" in result.output and "1 problem(s)" in result.output
    after = letters_of(config_file)
    assert set(after) - before == {("acceptance", ids[0]), ("acceptance", ids[1]),
                                   ("waitlist", ids[2]), ("denial", ids[3])}
    waitlisted = after[("waitlist", ids[2])].get_body(("plain",)).get_content()
    assert "number 1 on the list" in waitlisted or "lugar número 1" in waitlisted, waitlisted

    # The waitlisted student gets a seat: the acceptance follows; nothing else is resent.
    decide(config_file, {ids[2]: "Accept", ids[4]: ""})
    again = invoke(config_file, "send", "decisions", "--now", "2027-02-17T06:30")
    assert again.exit_code == 0 and "problem" not in again.output
    assert set(letters_of(config_file)) - set(after) == {("acceptance", ids[2])}


def test_decision_problem_names_the_row_and_the_field(config_file: Path) -> None:
    rows = imported(config_file, 3)
    applicant = str(rows[0][sheet.APPLICANT_ID])
    decide(config_file, {applicant: "=HYPERLINK(\"x\")"})
    result = invoke(config_file, "send", "decisions", "--now", DECISIONS)
    assert result.exit_code == 0
    assert "1 problem(s)" in result.output
    config = load_config(config_file)
    ctx = step_context(config, datetime(2027, 2, 16, 6, 30, tzinfo=config.zone))
    found = StepResult()
    decision_letters(ctx, workbook(config_file).read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS], found)
    assert found.problems == [
        f"Applications row {applicant}, Decision: '=HYPERLINK(\"x\")' is not one of Accept, Waitlist, Deny"]


def test_guardian_is_copied_only_when_the_program_says_so(config_file: Path) -> None:
    edit_config(config_file, mail__guardian_cc=True)
    rows = imported(config_file, 6)
    row = next(r for r in rows if "@" in str(r["School email address"])
               and "@" in str(r["Parent or guardian email"]))
    decide(config_file, {str(row[sheet.APPLICANT_ID]): "Accept"})
    before = set(letters_of(config_file))
    invoke(config_file, "send", "decisions", "--now", DECISIONS)
    [letter] = [m for k, m in letters_of(config_file).items() if k not in before]
    assert str(letter["To"]) == row["School email address"]
    assert str(letter["Cc"]) == row["Parent or guardian email"]
    assert letter["Bcc"] is None


def test_hostile_name_is_harmless_in_a_decision_letter(config_file: Path) -> None:
    rows = imported(config_file, 3)
    row = next(r for r in rows if "@" in str(r["School email address"]))
    applicant = str(row[sheet.APPLICANT_ID])
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [{
        sheet.APPLICANT_ID: applicant, sheet.DECISION: "Accept",
        "First name": "Eve<script>alert(1)</script>\r\nBcc: everyone@evil.example"}])
    before = set(letters_of(config_file))
    assert invoke(config_file, "send", "decisions", "--now", DECISIONS).exit_code == 0
    [letter] = [m for k, m in letters_of(config_file).items() if k not in before]
    assert letter.get_all("To") == [row["School email address"]]
    assert letter["Bcc"] is None and letter["Cc"] is None
    html = letter.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "\n" not in str(letter["Subject"])


def test_missing_field_sends_nothing_and_names_template_row_and_field(config_file: Path) -> None:
    templates = config_file.parent / "templates"
    shutil.copytree(ROOT / "templates", templates)
    broken = templates / "email" / "acceptance.en.txt.j2"
    broken.write_text(broken.read_text(encoding="utf-8") + "{{ applicant.nickname }}\n", encoding="utf-8")
    edit_config(config_file, templates_folder=str(templates))
    rows = imported(config_file, 6)
    ids = [str(r[sheet.APPLICANT_ID]) for r in rows
           if "@" in str(r["School email address"]) and r[sheet.LANGUAGE] == "en"][:2]
    decide(config_file, dict.fromkeys(ids, "Accept"))
    before = len(sent(config_file))
    result = CliRunner().invoke(cli, ["--config", str(config_file), "send", "decisions", "--now", DECISIONS])
    assert result.exit_code != 0
    assert "acceptance.en.txt.j2" in result.output and ids[0] in result.output
    assert "nickname" in result.output
    assert len(sent(config_file)) == before
    outbox = workbook(config_file).read_tabs([sheet.OUTBOX])[sheet.OUTBOX]
    assert not [r for r in outbox if "acceptance" in str(r[sheet.OUTBOX_KEY])]


def test_dry_run_writes_every_message_and_sends_nothing(config_file: Path, tmp_path: Path) -> None:
    rows = imported(config_file, 6)
    ids = [str(r[sheet.APPLICANT_ID]) for r in rows if "@" in str(r["School email address"])][:3]
    decide(config_file, dict.fromkeys(ids, "Deny"))
    before = len(sent(config_file))
    preview = tmp_path / "preview"
    result = invoke(config_file, "send", "decisions", "--now", DECISIONS, "--dry-run", str(preview))
    assert result.exit_code == 0, result.output
    assert "nothing was sent or saved" in result.output
    assert len(list(preview.glob("*.eml"))) == 3
    index = (preview / "index.html").read_text(encoding="utf-8")
    assert index.count(".html") >= 3
    assert len(sent(config_file)) == before
    outbox = workbook(config_file).read_tabs([sheet.OUTBOX])[sheet.OUTBOX]
    assert not [r for r in outbox if "denial" in str(r[sheet.OUTBOX_KEY])]


def test_send_test_mails_one_sample_of_every_letter(config_file: Path) -> None:
    result = invoke(config_file, "send-test", "--to", "proofreader@example.org")
    assert result.exit_code == 0, result.output
    expected = sum(len(spec.languages) for spec in LETTERS.values())
    letters = sent(config_file)
    assert f"sent {expected} sample letter(s)" in result.output
    # 44, and 9 letters a partner may get (the run sheet and the hours list among them) in
    # Spanish too (issue 15).
    assert len(letters) == expected == 53  # a letter dropped from the catalog shows here
    assert {str(m["To"]) for m in letters} == {"proofreader@example.org"}
    assert all(str(m["Subject"]).startswith("[TEST] ") for m in letters)


@pytest.mark.parametrize("address", ["not-an-address", "a@b@c"])
def test_send_test_refuses_a_bad_address(config_file: Path, address: str) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "send-test", "--to", address])
    assert result.exit_code != 0
    assert "--to" in result.output
    assert sent(config_file) == []


def _run_in_terminal(args: list[str], timeout: float = 60) -> str:
    """Run the CLI with stdout on a pseudo-terminal, as a coordinator at a shell would."""
    import os
    import pty
    import subprocess
    import sys

    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "microintern", *args], stdout=terminal,
                               stderr=subprocess.STDOUT, close_fds=True)
    os.close(terminal)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=timeout)
    os.close(controller)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_progress_bar_and_cron_one_line(config_file: Path) -> None:
    rows = imported(config_file, 8)
    ids = [str(r[sheet.APPLICANT_ID]) for r in rows if "@" in str(r["School email address"])][:4]
    decide(config_file, dict.fromkeys(ids, "Deny"))
    shown = _run_in_terminal(["--config", str(config_file), "send", "decisions", "--now", DECISIONS])
    assert "sending" in shown and "4/4" in shown, shown
    assert "decisions:program (sent 4)" in shown

    decide(config_file, {ids[0]: "Accept"})
    quiet = invoke(config_file, "send", "decisions", "--now", DECISIONS)  # not a terminal
    assert quiet.output.strip().splitlines() == [quiet.output.strip()]
    assert "sending" not in quiet.output


def test_a_dry_run_over_letters_a_stopped_run_left_looks_them_up_first(
        config_file: Path, tmp_path: Path) -> None:
    """Letters on record as ``sending`` (a run stopped while sending them): the dry run asks the
    real mailbox, read-only, as the real run would. The one already delivered is not previewed."""
    from microintern.adapters.local import LocalOutbox
    from microintern.domain.outbox import message_key
    from microintern.domain.records import OutgoingMessage

    config = load_config(config_file)
    rows = imported(config_file, 6)
    ids = [str(r[sheet.APPLICANT_ID]) for r in rows if "@" in str(r["School email address"])][:3]
    decide(config_file, dict.fromkeys(ids, "Deny"))
    keys = [message_key(config.program.id, "denial", applicant) for applicant in ids]
    workbook(config_file).upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, [
        {sheet.OUTBOX_KEY: key, "Step": "decisions", "Recipient ID": applicant, "State": "sending"}
        for key, applicant in zip(keys, ids, strict=True)])
    outbox = LocalOutbox(local_folder(config_file) / "outbox", domain="mesavalley.example")
    outbox.send_draft(outbox.create_draft(OutgoingMessage(   # it went out before the stop
        key=keys[0], sender="Program <internships@mesavalley.example>",
        to="student@students.mesavalley.example", subject="s", text="t", html="")))
    before = len(sent(config_file))
    preview = tmp_path / "preview"
    result = invoke(config_file, "send", "decisions", "--now", DECISIONS, "--dry-run", str(preview))
    assert result.exit_code == 0, result.output
    assert "already sent (found in Sent) 1" in result.output and "would send 2" in result.output
    previewed = {str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)[KEY_HEADER])
                 for p in preview.glob("*.eml")}
    assert previewed == set(keys[1:])
    assert len(sent(config_file)) == before
    states = {str(r[sheet.OUTBOX_KEY]): r["State"]
              for r in workbook(config_file).read_tabs([sheet.OUTBOX])[sheet.OUTBOX]}
    assert {states[key] for key in keys} == {"sending"}   # a dry run saves nothing
