"""Issue 14 on the Google backend: a hand-in under another student's id does not count.

With ``application.verified_respondents`` the hand-in form collects the signed-in address
(``respondentEmail``). A student who edits the prefilled id to hand in as someone else is
caught: the answer is not that student's work, the Assignments tab shows nothing handed in (its
Work cell says the answer came from another student's account), the run's problems say why without repeating
anything typed, and the real student's own hand-in, when it comes, counts as usual.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.conftest import GoogleProgram
from adapters.test_google_assignments import (
    GIVEN,
    LA,
    OPENS,
    SESSION,
    STUDENTS,
    assignments,
    run,
    seat,
    settings,
)
from adapters.test_google_verified_respondents import verified
from fakeworkspace import FakeWorkspace

from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import hand_in_spec
from microintern.steps.program_forms import id_setting

VICTIM, IMPOSTOR = "A-000001", "A-000002"
IMPOSTOR_LINK = "https://docs.google.com/document/d/not-yours/edit"
OWN_LINK = "https://docs.google.com/document/d/mine/edit"


def test_a_hand_in_signed_in_as_another_student_does_not_count_and_the_real_one_does(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    program = verified(google_program)
    seat(program)
    run(program, OPENS)
    run(program, GIVEN)
    spec = hand_in_spec(program.config)
    form_id = settings(fake)[id_setting(spec)]
    assert fake.forms.get(form_id).settings["emailCollectionType"] == "VERIFIED"
    ids = spec.question_ids()
    victim_key = f"{SESSION}:data-cleaning:{VICTIM}"
    impostor_key = f"{SESSION}:data-cleaning:{IMPOSTOR}"

    # Student 2, signed in as themselves, changes the prefilled id to student 1's.
    fake.forms.add_response(form_id, "r-impostor", datetime(2027, 4, 15, 2, 0, tzinfo=UTC), {
        ids["student_id"]: VICTIM, ids["assignment"]: "Clean a real data set",
        ids["link"]: IMPOSTOR_LINK, ids["note"]: "handing this in for a friend"},
        respondent_email=STUDENTS[IMPOSTOR])
    result = run(program, datetime(2027, 4, 16, 6, 30, tzinfo=LA))

    rows = assignments(fake)
    victim = rows[victim_key]
    assert not victim.get(sheet.HANDED_IN)
    assert not victim.get(sheet.LATE)                       # not due yet, and nothing in
    assert IMPOSTOR_LINK not in str(victim[sheet.WORK_LINK])
    assert "another student's account" in str(victim[sheet.WORK_LINK])
    assert not victim.get(sheet.STUDENT_NOTE)
    assert not rows[impostor_key].get(sheet.HANDED_IN)      # nor is it the impostor's own work
    assert "handed in" not in result.counts
    why = [p for p in result.problems if "r-impostor" in p]
    assert len(why) == 1
    assert "signed-in address that is not this student's" in why[0]
    # The reason names the response and the field only: nothing typed, no address, no name.
    for typed in (IMPOSTOR_LINK, "friend", STUDENTS[IMPOSTOR], STUDENTS[VICTIM], "Student1", "@"):
        assert typed not in why[0]

    # The real student hands in their own work, signed in (Google may report the address in
    # another case): it counts, and the impostor's answer still does not.
    fake.forms.add_response(form_id, "r-own", datetime(2027, 4, 17, 18, 0, tzinfo=UTC), {
        ids["student_id"]: VICTIM, ids["assignment"]: "Clean a real data set",
        ids["link"]: OWN_LINK, ids["note"]: "My cleaned data."},
        respondent_email=STUDENTS[VICTIM].upper())
    later = run(program, datetime(2027, 4, 18, 6, 30, tzinfo=LA))
    assert later.counts["handed in"] == 1
    victim = assignments(fake)[victim_key]
    assert victim[sheet.HANDED_IN] == "2027-04-17 11:00"
    assert victim[sheet.WORK_LINK] == OWN_LINK
    assert victim[sheet.STUDENT_NOTE] == "My cleaned data."
    assert victim[sheet.LATE] == "no"
    assert not [p for p in later.problems if "r-impostor" in p]   # settled: nothing to look at

    # Nor can a later answer under the wrong sign-in replace the student's work or note.
    fake.forms.add_response(form_id, "r-impostor-2", datetime(2027, 4, 18, 16, 0, tzinfo=UTC), {
        ids["student_id"]: VICTIM, ids["assignment"]: "Clean a real data set",
        ids["link"]: IMPOSTOR_LINK, ids["note"]: "replaced!"}, respondent_email=STUDENTS[IMPOSTOR])
    run(program, datetime(2027, 4, 19, 6, 30, tzinfo=LA))
    victim = assignments(fake)[victim_key]
    assert (victim[sheet.WORK_LINK], victim[sheet.STUDENT_NOTE]) == (OWN_LINK, "My cleaned data.")
    assert victim[sheet.HANDED_IN] == "2027-04-17 11:00"
