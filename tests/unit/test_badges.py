"""The badge's domain: who earned it, what it says, recipient hashing, Open Badges 2.0 shapes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from microintern.config import BadgeRequirements, ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.badges import (
    BELOW_ATTENDANCE,
    BELOW_FINAL_PROJECT,
    BELOW_HOURS,
    OB_CONTEXT,
    WAITING_FOR_ATTENDANCE,
    assertion_document,
    assertion_narrative,
    badge_award,
    badge_cell,
    badge_profile,
    badgeclass_document,
    evidence_link,
    handed_in_final_project,
    hashed_identity,
    identity_matches,
    iso_instant,
    issuer_document,
    session_facts,
    shortfalls,
    student_facts,
)

ISSUED = datetime(2027, 3, 19, 13, 30, tzinfo=UTC)


@pytest.fixture
def config(make_config: Any) -> ProgramConfig:
    return make_config()


def _participant(attended: str = "yes", minutes: Any = 84, meetings: str = "", hours: Any = None) -> dict:
    return {sheet.APPLICANT_ID: "A-1", sheet.ATTENDED: attended, sheet.MINUTES: minutes,
            sheet.MEETINGS_ATTENDED: meetings, sheet.CONFIRMED_HOURS: hours}


def test_attendance_decides_single_sessions(config: ProgramConfig) -> None:
    session = session_facts(config, config.session("cyber-basics"))
    requires = BadgeRequirements()
    assert shortfalls(student_facts(_participant("yes"), None), session, requires) == []
    assert shortfalls(student_facts(_participant("Yes"), None), session, requires) == []
    assert shortfalls(student_facts(_participant("no"), None), session, requires) == [BELOW_ATTENDANCE]
    assert shortfalls(student_facts(_participant(""), None), session, requires) == [WAITING_FOR_ATTENDANCE]
    # Without the attendance requirement nobody waits for it.
    assert shortfalls(student_facts(_participant(""), None), session,
                      BadgeRequirements(attendance=False)) == []
    # A single session has no final project and no hours log: those requirements do not apply.
    strict = BadgeRequirements(final_project=True, confirmed_hours=20)
    assert shortfalls(student_facts(_participant("yes"), None), session, strict) == []


def test_final_project_requirement_reads_the_assignments_tab(config: ProgramConfig) -> None:
    session = session_facts(config, config.session("data-fellows"))
    assert [a.id for a in session.final_projects] == ["final-project"]
    requires = BadgeRequirements(final_project=True)
    rows = [
        # Handed in, but not the final project.
        {sheet.SUBMISSION_KEY: "data-fellows:data-cleaning:A-1", sheet.SESSION_ID: "data-fellows",
         sheet.ASSIGNMENT: "data-cleaning", sheet.APPLICANT_ID: "A-1", sheet.HANDED_IN: "2027-04-19 10:00"},
        # The final project of another student.
        {sheet.SUBMISSION_KEY: "data-fellows:final-project:A-2", sheet.SESSION_ID: "data-fellows",
         sheet.ASSIGNMENT: "final-project", sheet.APPLICANT_ID: "A-2", sheet.HANDED_IN: "2027-05-11 09:00"},
        # A-1's final project row, not handed in yet.
        {sheet.SUBMISSION_KEY: "data-fellows:final-project:A-1", sheet.SESSION_ID: "data-fellows",
         sheet.ASSIGNMENT: "final-project", sheet.APPLICANT_ID: "A-1", sheet.HANDED_IN: None},
    ]
    assert handed_in_final_project(session, "A-1", rows) is None
    missing = student_facts(_participant("yes", meetings="6 of 6"), None)
    assert shortfalls(missing, session, requires) == [BELOW_FINAL_PROJECT]

    rows[2][sheet.HANDED_IN] = "2027-05-11 15:02"
    handed = handed_in_final_project(session, "A-1", rows)
    assert handed is not None and handed.title.startswith("Final project")
    assert shortfalls(student_facts(_participant("yes", meetings="6 of 6"), handed), session, requires) == []
    # Matched by the Assignment cell too (title or id), when the key column was left blank.
    by_title = [{sheet.SESSION_ID: "data-fellows", sheet.APPLICANT_ID: "A-1", sheet.HANDED_IN: "x",
                 sheet.ASSIGNMENT: session.final_projects[0].title}]
    assert handed_in_final_project(session, "A-1", by_title) is not None


def test_confirmed_hours_requirement(config: ProgramConfig) -> None:
    session = session_facts(config, config.session("data-fellows"))
    assert session.hours_log
    requires = BadgeRequirements(confirmed_hours=24)
    assert shortfalls(student_facts(_participant(hours=23.5), None), session, requires) == [BELOW_HOURS]
    assert shortfalls(student_facts(_participant(hours=None), None), session, requires) == [BELOW_HOURS]
    assert shortfalls(student_facts(_participant(hours="24"), None), session, requires) == []
    assert shortfalls(student_facts(_participant(hours=31.5), None), session, requires) == []
    # Every shortfall is named, not just the first.
    both = shortfalls(student_facts(_participant("no", hours=2), None), session,
                      BadgeRequirements(final_project=True, confirmed_hours=24))
    assert both == [BELOW_ATTENDANCE, BELOW_FINAL_PROJECT, BELOW_HOURS]


def test_award_narratives_name_the_session_never_the_student(config: ProgramConfig) -> None:
    single = session_facts(config, config.session("cyber-basics"))
    award = badge_award(key="cyber-basics:A-1", email=" Maya.Okafor@Students.Example ", name="Maya O.",
                        student=student_facts(_participant("yes", minutes=84.4), None), session=single,
                        evidence_url=evidence_link("https://mv.example/sessions/{session}", "cyber-basics"),
                        issued_on=ISSUED)
    assert award.email == "maya.okafor@students.example"
    assert award.evidence_narrative == ("Attended 84 of 90 minutes of Defend the Network: a Day in "
                                        "Cybersecurity with Solis Cyber Defense.")
    assert award.narrative == ('Completed the micro-internship "Defend the Network: a Day in Cybersecurity" '
                               "with Solis Cyber Defense, March 16, 2027.")
    assert award.evidence_url == "https://mv.example/sessions/cyber-basics"
    for text in (award.narrative, award.evidence_narrative, award.evidence_url or ""):
        assert "Maya" not in text and "A-1" not in text and "@" not in text

    weekly = session_facts(config, config.session("data-fellows"))
    handed = handed_in_final_project(weekly, "A-1", [{sheet.SUBMISSION_KEY: "data-fellows:final-project:A-1",
                                                     sheet.HANDED_IN: "2027-05-11"}])
    facts = student_facts(_participant("yes", minutes=480, meetings="5 of 6", hours=31.5), handed)
    text = badge_award(key="data-fellows:A-1", email="a@b.example", name="A B.", student=facts,
                       session=weekly, evidence_url=None, issued_on=ISSUED).evidence_narrative
    assert text.startswith("Attended 5 of 6 meetings of Data Fellows")
    assert 'Handed in the final project "Final project: a one-page data story".' in text
    assert text.endswith("Logged 31.5 confirmed hours of work.")
    assert "April 6, 2027 to May 11, 2027" in assertion_narrative(weekly)
    # An override without Meet's minutes still says what the student did.
    override = student_facts(_participant("yes", minutes=None), None)
    assert badge_award(key="k", email="a@b.example", name="", student=override, session=single,
                       evidence_url=None, issued_on=ISSUED).evidence_narrative.startswith("Took part in ")
    assert evidence_link(None, "cyber-basics") is None


def test_recipient_hash_is_open_badges_sha256_of_address_and_salt() -> None:
    salt = "deadbeef"
    expected = "sha256$" + hashlib.sha256(b"maya.okafor@students.example" + b"deadbeef").hexdigest()
    assert hashed_identity("Maya.Okafor@Students.Example", salt) == expected
    assert identity_matches("maya.okafor@students.example", expected, salt)
    upper_hex = "sha256$" + expected.removeprefix("sha256$").upper()
    assert identity_matches("MAYA.OKAFOR@students.example", upper_hex, salt)
    assert not identity_matches("someone.else@students.example", expected, salt)
    assert not identity_matches("maya.okafor@students.example", expected, "other-salt")
    # Plaintext identities (unhashed recipients) compare without case.
    assert identity_matches("maya.okafor@students.example", "Maya.Okafor@Students.Example", None)
    assert not identity_matches("maya.okafor@students.example", "", None)


def test_open_badges_documents(config: ProgramConfig) -> None:
    profile = badge_profile(config)
    base = "https://badges.mesavalley.example/micro-internships"
    issuer = issuer_document(profile)
    assert issuer == {"@context": OB_CONTEXT, "type": "Issuer", "id": f"{base}/issuer.json",
                      "name": "Mesa Valley Unified School District", "url": base,
                      "email": "internships@mesavalley.example",
                      "description": "Mesa Valley Micro-Internships, Spring 2027"}
    badgeclass = badgeclass_document(profile)
    assert badgeclass["id"] == f"{base}/badgeclass.json"
    assert badgeclass["issuer"] == issuer["id"]
    assert badgeclass["image"] == f"{base}/badge.png"
    assert badgeclass["criteria"] == {"narrative": config.badge.criteria}
    assert badgeclass["alignment"] == [{
        "targetName": "California CTE Model Curriculum Standards, Career Ready Practice 1",
        "targetUrl": "https://www.cde.ca.gov/ci/ct/sf/ctemcstandards.asp",
        "targetFramework": "California CTE Model Curriculum Standards", "targetCode": "CRP1"}]

    session = session_facts(config, config.session("cyber-basics"))
    award = badge_award(key="cyber-basics:A-1", email="maya@students.example", name="Maya O.",
                        student=student_facts(_participant(), None), session=session,
                        evidence_url="https://mv.example/sessions/cyber-basics", issued_on=ISSUED)
    assertion = assertion_document(profile, award, "abc123", "s4lt")
    assert assertion == {
        "@context": OB_CONTEXT,
        "type": "Assertion",
        "id": f"{base}/assertions/abc123.json",
        "recipient": {"type": "email", "hashed": True, "salt": "s4lt",
                      "identity": hashed_identity("maya@students.example", "s4lt")},
        "badge": f"{base}/badgeclass.json",
        "verification": {"type": "hosted"},
        "issuedOn": "2027-03-19T13:30:00Z",
        "image": f"{base}/assertions/abc123.png",
        "evidence": [{"id": "https://mv.example/sessions/cyber-basics",
                      "narrative": award.evidence_narrative}],
        "narrative": award.narrative,
    }
    # The address never appears in the published assertion.
    assert "maya" not in str(assertion)
    without_url = assertion_document(profile, badge_award(
        key="k", email="a@b.example", name="", student=student_facts(_participant(), None), session=session,
        evidence_url=None, issued_on=ISSUED), "x", "y")
    assert without_url["evidence"] == [{"narrative": "Attended 84 of 90 minutes of Defend the Network: "
                                                     "a Day in Cybersecurity with Solis Cyber Defense."}]


def test_small_formats() -> None:
    assert badge_cell(datetime(2027, 3, 19).date(), "Qx7rT2vLm9") == "2027-03-19 assertion Qx7rT2vLm9"
    pacific = datetime.fromisoformat("2027-03-19T06:30:00.123456-07:00")
    assert iso_instant(pacific) == "2027-03-19T13:30:00Z"
    with pytest.raises(ValueError, match="aware"):
        iso_instant(datetime(2027, 3, 19))


def test_badge_settings_validate_addresses(make_config: Any) -> None:
    from microintern.errors import ConfigError

    with pytest.raises(ConfigError, match="hosted_url"):
        make_config(badge={"name": "n", "description": "d", "criteria": "c", "hosted_url": "badges here"})
    with pytest.raises(ConfigError, match="username"):
        make_config(badge={"name": "n", "description": "d", "criteria": "c", "provider": "badgr",
                           "badgr": {"issuer_id": "I", "badgeclass_id": "C"}})
    trimmed = make_config(badge={"name": "n", "description": "d", "criteria": "c",
                                 "hosted_url": "https://x.example/badges/"})
    assert trimmed.badge.hosted_url == "https://x.example/badges"
