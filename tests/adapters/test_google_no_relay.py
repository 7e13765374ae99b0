"""Issue 14 on the Google backend: the public application form is no relay.

Through the real adapters against the fake Workspace: with ``program.student_email_domain``
set, an applicant whose address is outside it gets no acknowledgement (the Outbox row is held,
with the reason), no Subject of any letter carries text an applicant typed, and the daily
ceiling (``application.ack_daily_share`` of ``mail.daily_cap``) holds the extras for the next
day and sends them then. And the coordinator sees where letters cannot go: a typed address that
is not the signed-in one is flagged (TYPED_EMAIL_DIFFERS, quoting neither), and an address the
mailer cannot write (a non-ASCII local part) is flagged BAD_EMAIL and held, never dropped silently.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from adapters.conftest import FORM_ID, PROGRAM_USER, SPREADSHEET_ID, GoogleProgram
from click.testing import CliRunner, Result
from fakeworkspace import FakeWorkspace

from microintern.cli import cli
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.outbox import MessageState

DOMAIN = "students.mesavalley.example"
PHISH = "Your district account is locked - verify at http://x.example"
STRANGER = "victim@example.com"
DAY_1 = "2027-02-01T06:30"


def configured(google: GoogleProgram, **sections: dict[str, Any]) -> GoogleProgram:
    """The program with some keys of some sections changed (e.g. mail={"daily_cap": 1000})."""
    data = yaml.safe_load(google.config_file.read_text(encoding="utf-8"))
    for section, values in sections.items():
        data[section] = {**(data.get(section) or {}), **values}
    google.config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                  encoding="utf-8")
    return GoogleProgram(google.config_file, load_config(google.config_file), google.question_ids)


def run(program: GoogleProgram, now: str) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(program.config_file), "run", "applications", "--now", now],
        catch_exceptions=False)


def titled(program: GoogleProgram, **by_key: str) -> dict[str, str]:
    """Answers by question key, keyed by the question titles the form uses."""
    titles = {q.key: q.title for q in program.config.application.questions}
    return {titles[key]: value for key, value in by_key.items()}


def apply(program: GoogleProgram, fake: FakeWorkspace, n: int, first: str, last: str, email: str,
          student_id: str, signed_in: str | None = None) -> dict[str, str]:
    """One application by a distinct student, n minutes after the first; returns its answers.

    ``signed_in``: the address the form verified (respondentEmail), when it collects one.
    """
    answers = titled(
        program, first_name=first, last_name=last, student_id=student_id, student_email=email,
        school="Mesa Valley High School", grade="11", guardian_name="Rosa Quillfeather",
        guardian_email=f"guardian{n}@example.org", family_language="English",
        interests="Health Science", availability="Behind the Scenes at a Regional Hospital",
        essay="I want to learn how hospitals use data to care for people. " * 4)
    when = datetime(2027, 1, 25, 16, tzinfo=UTC) + timedelta(minutes=n)
    fake.forms.add_response(FORM_ID, f"relay-{n:03d}", when,
                            {program.question_ids[t]: v for t, v in answers.items()},
                            respondent_email=signed_in)
    return answers


def acknowledgements(fake: FakeWorkspace) -> list[Any]:
    return [m for m in fake.gmail.sent(PROGRAM_USER)
            if "/application_received/" in str(m.message["X-Microintern-Key"])]


def outbox(fake: FakeWorkspace) -> list[dict[str, Any]]:
    header, *rows = fake.sheets.values(SPREADSHEET_ID, sheet.OUTBOX)
    return [dict(zip(header, row, strict=False)) for row in rows]


def recipients(fake: FakeWorkspace) -> list[str]:
    return [str(m.message["To"]) for m in fake.gmail.sent(PROGRAM_USER)]


def test_no_acknowledgement_leaves_the_domain_and_no_subject_carries_typed_text(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    program = configured(google_program, program={"student_email_domain": DOMAIN})
    typed = [
        # A stranger's address with a phishing first name: the classic relay attempt.
        apply(program, fake, 0, PHISH, "Quillfeather", STRANGER, "200002"),
        # An ordinary first name, an outside address (a personal mailbox).
        apply(program, fake, 1, "Zephyrine", "Okonkwo-Marsh", "zephyrine@example.net", "300003"),
        # The phishing first name again, but on a school address: the letter goes, its Subject clean.
        apply(program, fake, 2, PHISH, "Vantongeren", f"maya.vantongeren@{DOMAIN}", "400004"),
        apply(program, fake, 3, "Thelonia", "Brightwater", f"thelonia.b@{DOMAIN}", "500005"),
    ]
    result = run(program, DAY_1)
    assert result.exit_code == 0, result.output
    assert "imported 4" in result.output

    sent_to = recipients(fake)
    assert STRANGER not in sent_to and "zephyrine@example.net" not in sent_to
    assert sorted(str(m.message["To"]) for m in acknowledgements(fake)) == sorted(
        [f"maya.vantongeren@{DOMAIN}", f"thelonia.b@{DOMAIN}"])
    assert fake.gmail.drafts(PROGRAM_USER) == []   # nothing left drafted for the strangers either

    held = {r["To"]: r for r in outbox(fake) if r["State"] == MessageState.HELD}
    assert set(held) == {STRANGER, "zephyrine@example.net"}
    for row in held.values():
        assert DOMAIN in row["Note"] and "strangers" in row["Note"]
        assert not row["Draft ID"] and not row["Message ID"]
    # The run says which applicants were held, by id, never by address or name.
    assert result.output.count("acknowledgement held (address outside the student email domain)") == 2
    assert STRANGER not in result.output and "locked" not in result.output

    # No Subject of any letter the district sent holds a name (or part of one) an applicant typed.
    name_titles = [q.title for q in program.config.application.questions
                   if q.key in ("first_name", "last_name")]
    typed_names = [answers[title] for answers in typed for title in name_titles]
    # Every longer word of them too, but "your", which the district's own Subjects use.
    words = {w.casefold() for name in typed_names for w in name.split() if len(w) > 3} - {"your"}
    subjects = [str(m.message["Subject"]) for m in fake.gmail.sent(PROGRAM_USER)]
    assert subjects
    for subject in subjects:
        folded = subject.casefold()
        for name in typed_names:
            assert name.casefold() not in folded, (subject, name)
        for word in words:
            assert word not in folded, (subject, word)
        assert "http" not in folded and "verify" not in folded

    # Held for good: later runs send nothing more and do not report them again.
    again = run(program, "2027-02-02T06:30")
    assert again.exit_code == 0, again.output
    assert "held" not in again.output
    assert len(acknowledgements(fake)) == 2
    assert STRANGER not in recipients(fake)


def test_the_daily_ceiling_holds_the_extras_and_sends_them_the_next_day(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    # 0.2% of a cap of 1,000: two acknowledgements a day.
    program = configured(google_program, program={"student_email_domain": DOMAIN},
                         mail={"daily_cap": 1000}, application={"ack_daily_share": 0.002})
    for n in range(5):
        apply(program, fake, n, "Student", f"Number{n}", f"student{n}@{DOMAIN}", f"60000{n}")
    result = run(program, DAY_1)
    assert result.exit_code == 0, result.output
    assert "acknowledgements waiting for tomorrow (daily ceiling) 3" in result.output
    first_day = sorted(str(m.message["To"]) for m in acknowledgements(fake))
    assert len(first_day) == 2
    waiting = [r for r in outbox(fake) if r["State"] == MessageState.HELD]
    assert len(waiting) == 3 and all("next day" in r["Note"] for r in waiting)
    assert {r["To"] for r in waiting}.isdisjoint(first_day)

    # Later the same day: the day's share is spent, nothing more goes.
    assert run(program, "2027-02-01T18:30").exit_code == 0
    assert len(acknowledgements(fake)) == 2

    # The next day two more, the day after the last one; each student exactly once.
    assert run(program, "2027-02-02T06:30").exit_code == 0
    assert len(acknowledgements(fake)) == 4
    assert run(program, "2027-02-03T06:30").exit_code == 0
    letters = acknowledgements(fake)
    assert sorted(str(m.message["To"]) for m in letters) == [f"student{n}@{DOMAIN}" for n in range(5)]
    assert len({str(m.message["X-Microintern-Key"]) for m in letters}) == 5
    states = {r["To"]: r["State"] for r in outbox(fake)}
    assert all(states[f"student{n}@{DOMAIN}"] != MessageState.HELD for n in range(5))
    assert fake.gmail.drafts(PROGRAM_USER) == []


# --- what the coordinator sees about where letters go --------------------------------------------


def applications(fake: FakeWorkspace) -> tuple[list[str], list[dict[str, Any]]]:
    header, *rows = fake.sheets.values(SPREADSHEET_ID, sheet.APPLICATIONS)
    return header, [dict(zip(header, row, strict=False)) for row in rows]


def screen(program: GoogleProgram, now: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(program.config_file), "screen", "--now", now],
                              catch_exceptions=False)


def test_a_typed_address_other_than_the_signed_in_one_is_flagged_without_either_address(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    program = configured(google_program, program={"student_email_domain": DOMAIN},
                         application={"verified_respondents": True})
    signed_in = f"thelonia.b@{DOMAIN}"
    apply(program, fake, 0, "Thelonia", "Brightwater", STRANGER, "500005", signed_in=signed_in)
    assert run(program, DAY_1).exit_code == 0
    result = screen(program, "2027-02-01T07:30")
    assert result.exit_code == 0, result.output

    header, (row,) = applications(fake)
    # init placed intake's columns after the answers, before screening's (not at the far right).
    score = header.index(sheet.SCORE)
    assert header[score - 2:score] == [sheet.RESUBMITTED, sheet.TYPED_EMAIL]
    assert row[sheet.TYPED_EMAIL] == STRANGER
    assert row[sheet.FLAGS] == "TYPED_EMAIL_DIFFERS"
    reason = row[sheet.FLAG_REASONS]
    assert "signed in" in reason and sheet.TYPED_EMAIL in reason
    assert "victim" not in reason and "thelonia" not in reason and "@" not in reason
    assert row[sheet.PROPOSED_DECISION] == "Accept"          # advisory: the student is still ranked
    assert recipients(fake) == [signed_in]


def test_an_address_the_mailer_cannot_use_is_flagged_and_held_not_silently_dropped(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    program = configured(google_program, program={"student_email_domain": DOMAIN})
    apply(program, fake, 0, "李明", "王", f"李明@{DOMAIN}", "700007")
    apply(program, fake, 1, "Thelonia", "Brightwater", f"thelonia.b@{DOMAIN}", "500005")
    result = run(program, DAY_1)
    assert result.exit_code == 0, result.output
    assert recipients(fake) == [f"thelonia.b@{DOMAIN}"]
    (held,) = [r for r in outbox(fake) if r["State"] == MessageState.HELD]
    assert held["To"] == f"李明@{DOMAIN}" and held["Note"]

    assert screen(program, "2027-02-01T07:30").exit_code == 0
    _, rows = applications(fake)
    email = titled(program, student_email="")
    (row,) = [r for r in rows if r[next(iter(email))] == f"李明@{DOMAIN}"]
    assert row[sheet.FLAGS] == "BAD_EMAIL"
    assert row[sheet.FLAG_REASONS] == ("BAD_EMAIL: student email cannot get our letters (the part "
                                       "before the @ has letters outside plain ASCII): ask for "
                                       "another address")
    assert row[sheet.PROPOSED_DECISION] == "Review"                   # never proposed Accept
