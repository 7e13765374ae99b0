"""Letters that depend on each other, per student, on the local backend through run-due.

The chain: acceptance, then the registration link, then the release form, then the session
details and the reminder. With the Spanish acceptance template missing, a Spanish-speaking
student the coordinator accepts a day late gets none of the later letters and every run names
her (applicant id, never a name) and why; the English-speaking students go on; once the
template is back, her letters follow, each once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from programs import ROOT
from test_correspondence import decide, edit_config, imported, invoke, letters_of, workbook
from test_participation_local import _deliverable

from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.steps.sheet.applicants import school_addresses

SESSION = "cyber-basics"    # first meeting 2027-03-16: registration from 02-16, release from 02-23
LATER_LETTERS = ("registration", "release_form", "session_details_student", "session_reminder")
MISSING = "acceptance.es.txt.j2"


def _setup(config_file: Path) -> tuple[list[str], str, Path]:
    """Templates copied without the Spanish acceptance text; five English and one Spanish student."""
    templates = config_file.parent / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "email" / MISSING).unlink()
    edit_config(config_file, templates_folder=str(templates))
    rows = [r for r in imported(config_file, 40) if _deliverable(r)]
    english = [str(r[sheet.APPLICANT_ID]) for r in rows if r[sheet.LANGUAGE] == "en"][:5]
    spanish = next(str(r[sheet.APPLICANT_ID]) for r in rows if r[sheet.LANGUAGE] == "es")
    # She reads her own letters in Spanish too (Student language, issue 15).
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: spanish, sheet.STUDENT_LANGUAGE: "es"}])
    return english, spanish, templates


def _place(config_file: Path, ids: list[str]) -> None:
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: i, sheet.DECISION: "Accept", sheet.COHORT_OVERRIDE: SESSION} for i in ids])


def waiting_lines(output: str) -> set[str]:
    """The problem lines of a run's output, up to the dash before their why."""
    return {line.split(" — ")[0] for line in output.splitlines() if line.startswith("  ! ")}


def _letters_to(config_file: Path, applicant: str) -> set[str]:
    """The letters (reminders by their letter) sent to ``applicant`` since the acknowledgement."""
    return {letter.split("-")[0] for letter, who in letters_of(config_file)
            if who == applicant and letter != "application_received"}


def _problems(config_file: Path) -> dict[str, dict]:
    rows = workbook(config_file).read_tabs([sheet.PROBLEMS])[sheet.PROBLEMS]
    return {str(r[sheet.PROBLEM_KEY]): r for r in rows if r.get(sheet.PROBLEM_KEY)}


def _invited(config_file: Path) -> set[str]:
    """Applicant ids whose school address is a guest of any of the session's Calendar events."""
    config = load_config(config_file)
    events = "".join(path.read_text(encoding="utf-8").casefold()
                     for path in (config.resolve(config.local.folder) / "calendar").rglob("*.ics"))
    rows = workbook(config_file).read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    return {applicant for applicant, address in school_addresses(config, rows).items()
            if address.casefold() in events}


def _run(config_file: Path, day: str) -> str:
    result = invoke(config_file, "run-due", "--now", f"{day}T06:30")
    return result.output


@pytest.mark.slow
def test_a_failed_acceptance_holds_her_later_letters_and_the_chain_resumes(config_file: Path) -> None:
    english, spanish, templates = _setup(config_file)
    _place(config_file, english)
    first = _run(config_file, "2027-02-16")
    for applicant in english:
        assert {"acceptance", "registration"} <= _letters_to(config_file, applicant), first

    # The coordinator accepts her a day late: her Spanish acceptance cannot be written.
    _place(config_file, [spanish])
    day = _run(config_file, "2027-02-17")
    assert "FAILED: decisions:program" in day and MISSING in day
    assert _letters_to(config_file, spanish) == set()
    lines = [line for line in day.splitlines() if line.startswith("  ! ") and spanish in line]
    assert any("registration link waiting" in line and "acceptance letter has not been sent" in line
               for line in lines), day
    # Placed (no letter says otherwise) but told nothing more.
    participants = {str(r[sheet.APPLICANT_ID]): r
                    for r in workbook(config_file).read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]}
    assert participants[spanish][sheet.SESSION_ID] == SESSION

    # A week on: release forms and session details go to the others, never to her.
    for date in ("2027-02-20", "2027-02-23"):
        day = _run(config_file, date)
    for applicant in english:
        assert {"release_form", "session_details_student"} <= _letters_to(config_file, applicant), day
    assert _letters_to(config_file, spanish) == set()
    # The Calendar invitation carries the link, as the session details do: not for her yet.
    assert _invited(config_file) == set(english), day
    assert f"  ! sessions:{SESSION}: {spanish}: calendar invitation waiting" in waiting_lines(day), day
    waiting = {line.split(" — ")[0] for line in day.splitlines() if spanish in line}
    assert {f"  ! registration:{SESSION}: {spanish}: registration link waiting",
            f"  ! release_forms:{SESSION}: {spanish}: release form waiting",
            f"  ! session_support:{SESSION}: {spanish}: session details waiting"} <= waiting, day
    # The Problems tab names her by id, with why and what to do; no name, no address.
    problems = _problems(config_file)
    hers = [r for r in problems.values() if r["Who"] == spanish]
    assert {r["What"] for r in hers} >= {"registration link waiting", "release form waiting",
                                          "session details waiting"}
    assert all(r["State"] == "open" and r["Why"] and r["What to do"] for r in hers)
    assert all("@" not in str(v) for r in problems.values() for v in r.values())
    assert any(r["Step"] == "decisions:program" and r["State"] == "open" for r in problems.values())

    # The template is back: her acceptance, then each later letter, in one run; each once.
    shutil.copy(ROOT / "templates" / "email" / MISSING, templates / "email" / MISSING)
    day = _run(config_file, "2027-02-24")
    assert "FAILED" not in day, day
    assert {"acceptance", "registration", "release_form", "session_details_student"} <= \
        _letters_to(config_file, spanish), day
    _run(config_file, "2027-02-25")             # the sessions step invites her the next run at the latest
    assert _invited(config_file) == {*english, spanish}
    problems = _problems(config_file)
    assert all(r["State"] == "resolved" for r in problems.values()
               if r["Who"] == spanish or r["Step"] == "decisions:program")
    before = letters_of(config_file)            # fails if any letter went out twice
    _run(config_file, "2027-02-26")
    after = letters_of(config_file)
    assert {k for k in after if k[1] == spanish} == {k for k in before if k[1] == spanish}
    # No duplicate problem rows: one per key, however many runs saw it.
    rows = workbook(config_file).read_tabs([sheet.PROBLEMS])[sheet.PROBLEMS]
    assert len(rows) == len({r[sheet.PROBLEM_KEY] for r in rows})


def test_a_waitlisted_student_is_not_placed_until_her_acceptance_goes(config_file: Path) -> None:
    english, spanish, templates = _setup(config_file)
    _place(config_file, english)
    decide(config_file, {spanish: "Waitlist"})
    invoke(config_file, "send", "decisions", "--now", "2027-02-16T06:30")
    assert _letters_to(config_file, spanish) == {"waitlist"}
    # Moved to Accept; the acceptance cannot be written: her last letter says waitlist.
    _place(config_file, [spanish])
    invoke(config_file, "send", "decisions", "--now", "2027-02-17T06:30")
    result = invoke(config_file, "run", "cohorts", "--now", "2027-02-17T06:30")
    assert f"{spanish}: placement waiting — the acceptance letter has not been sent; the last " \
           "decision letter the student received was the waitlist letter" in result.output
    participants = {str(r[sheet.APPLICANT_ID]): r
                    for r in workbook(config_file).read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]}
    assert spanish not in participants or participants[spanish][sheet.PLACEMENT] not in sheet.SEATED
    registration = invoke(config_file, "run", "registration", "--now", "2027-02-17T06:30")
    assert _letters_to(config_file, spanish) == {"waitlist"}, registration.output

    shutil.copy(ROOT / "templates" / "email" / MISSING, templates / "email" / MISSING)
    invoke(config_file, "send", "decisions", "--now", "2027-02-18T06:30")
    invoke(config_file, "run", "cohorts", "--now", "2027-02-18T06:30")
    invoke(config_file, "run", "registration", "--now", "2027-02-18T06:30")
    assert _letters_to(config_file, spanish) == {"waitlist", "acceptance", "registration"}
