"""Issue 14, pure parts: identities, no applicant text in a Subject, verified respondents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from microintern.domain.addresses import in_domain, normalised_address, same_student
from microintern.domain.applicants import identity_keys, resubmitted_note, submission_count
from microintern.domain.forms import FormQuestion, FormSpec, plan_changes, settings_changes
from microintern.domain.hours import Flag, LoggedEntry, LogWindow, check_entries

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("a", "b"), [
    ("Ana.Rivera@gmail.com", "anarivera@gmail.com"),
    (" ana.rivera+apply@googlemail.com ", "anarivera@gmail.com"),
    ("ANA@students.mesavalley.example", "ana@students.mesavalley.example"),
])
def test_normalised_addresses_link_one_mailbox(a: str, b: str) -> None:
    assert normalised_address(a) == normalised_address(b)


def test_dots_and_tags_matter_outside_gmail() -> None:
    assert normalised_address("a.na@school.example") != normalised_address("ana@school.example")
    assert normalised_address("ana+x@school.example") != normalised_address("ana@school.example")


def test_in_domain_is_exact() -> None:
    assert in_domain("Ana@Students.Mesavalley.Example", "students.mesavalley.example")
    assert not in_domain("ana@evil.students.mesavalley.example", "students.mesavalley.example")
    assert not in_domain("ana@students.mesavalley.example.evil.org", "students.mesavalley.example")
    assert not in_domain("not an address", "students.mesavalley.example")
    assert in_domain("anyone@anywhere.example", None)


def test_identity_keys_ignore_placeholder_ids() -> None:
    assert identity_keys({"student_id": "n/a", "student_email": "x"}) == []
    assert identity_keys({"student_id": " 100 001 ", "student_email": "A.B@gmail.com"}) == [
        ("student id", "100001"), ("email", "ab@gmail.com")]


def test_the_resubmitted_note_counts_up() -> None:
    assert submission_count(None) == 1
    note = resubmitted_note(2, "2027-01-25 09:01:00")
    assert submission_count(note) == 2
    assert submission_count(resubmitted_note(submission_count(note) + 1, "x")) == 3


def test_no_subject_template_carries_applicant_typed_text() -> None:
    """Every shipped Subject renders without the first name, whatever it says."""
    names = sorted(p.name for p in (ROOT / "templates" / "email").glob("*.subject.j2"))
    assert names
    for name in names:
        source = (ROOT / "templates" / "email" / name).read_text(encoding="utf-8")
        # Applicant-typed fields: names, and anything else under `applicant.`.
        assert "applicant." not in source, name
        assert "first_name" not in source and "last_name" not in source, name


def _spec(verified: bool) -> FormSpec:
    return FormSpec("Hours", (FormQuestion("applicant_id", "0000abcd", "Student ID"),),
                    name="hours", verified_email=verified)


def test_verified_forms_ask_for_verified_collection_once() -> None:
    want = [{"updateSettings": {"settings": {"emailCollectionType": "VERIFIED"},
                                "updateMask": "emailCollectionType"}}]
    assert settings_changes({}, _spec(True)) == want
    assert settings_changes({"emailCollectionType": "RESPONDER_INPUT"}, _spec(True)) == want
    assert settings_changes({"emailCollectionType": "VERIFIED"}, _spec(True)) == []
    assert settings_changes({}, _spec(False)) == []
    items = [{"itemId": "1", "title": "Student ID",
              "questionItem": {"question": {"questionId": "0000abcd", "required": False,
                                            "textQuestion": {}}}}]
    assert plan_changes(items, _spec(True), current_settings={}) == want


def test_hours_sent_by_another_signed_in_student_never_count() -> None:
    window = LogWindow(date(2027, 4, 1), date(2027, 6, 1))
    logged = datetime(2027, 4, 10, 18, tzinfo=UTC)

    def entry(key: str, respondent: str | None) -> LoggedEntry:
        return LoggedEntry(key, "A-0001", logged, "2027-04-10", "3", "Built a poster", respondent)

    checked = check_entries(
        [entry("k1", "mallory@students.example"), entry("k2", "Ana.Rivera@students.example"),
         entry("k3", None)],
        {"A-0001": "s1"}, {"s1": window}, {}, max_per_day=Decimal(12), zone=UTC,
        addresses={"A-0001": "ana.rivera@students.example"})
    by_key = {c.key: c for c in checked}
    assert by_key["k1"].flags == {Flag.NOT_THE_STUDENT} and by_key["k1"].never_counts
    assert "not the student" in by_key["k1"].flag_text()
    # The impostor's copy, sent first, does not make the student's own entry a duplicate.
    assert Flag.DUPLICATE not in by_key["k2"].flags and not by_key["k2"].never_counts
    assert same_student(None, "ana.rivera@students.example")  # nothing to compare: id check only
