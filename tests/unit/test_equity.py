"""Selection equity: rates per group, the four-fifths rule, enrollment shares, blank answers."""

from __future__ import annotations

import pytest

from microintern.domain.equity import (
    EQUITY_COLUMNS,
    NOT_GIVEN,
    OTHER,
    DemographicField,
    Outcome,
    equity_rows,
    equity_table,
    selection_equity,
)


def people(key: str, answer: str | None, applied: int, accepted: int) -> list[Outcome]:
    answers = {} if answer is None else {key: answer}
    return [Outcome(answers, i < accepted) for i in range(applied)]


SCHOOL = DemographicField(
    "school", "School",
    enrollment={"Mesa Valley High School": 1800, "Canyon Ridge High School": 1200,
                "Palo Verde Academy": 1000},
)


@pytest.fixture
def outcomes() -> list[Outcome]:
    # Mesa Valley: 40 applied, 20 accepted -> 20/40 = 0.50 (the highest rate: reference)
    # Canyon Ridge: 30 applied, 9 accepted -> 9/30 = 0.30; ratio 0.30/0.50 = 0.60 < 0.8: flagged
    # Palo Verde: 10 applied, 4 accepted -> 4/10 = 0.40; ratio 0.40/0.50 = 0.80: not below, not flagged
    # (not given): 2 blank + 2 missing = 4 applied, 0 accepted -> 0.00; ratio 0; shown, never reference,
    #   and not flagged: 4 applicants is under the default minimum group size of 10
    return (
        people("school", "Mesa Valley High School", 40, 20)
        + people("school", "canyon ridge high school ", 30, 9)  # spelling differs: same group
        + people("school", "Palo Verde Academy", 10, 4)
        + people("school", "  ", 2, 0)
        + people("school", None, 2, 0)
    )


def test_hand_computed_rates_ratios_and_flags(outcomes: list[Outcome]) -> None:
    report = selection_equity(outcomes, [SCHOOL])
    assert (report.applicants, report.accepted) == (84, 33)
    [school] = report.fields
    assert school.reference == "Mesa Valley High School"
    assert school.answered == 80
    rows = {g.group: g for g in school.groups}
    assert [g.group for g in school.groups] == [
        "Mesa Valley High School", "Canyon Ridge High School", "Palo Verde Academy", NOT_GIVEN]
    mesa, canyon, palo, blank = (rows[k] for k in (
        "Mesa Valley High School", "Canyon Ridge High School", "Palo Verde Academy", NOT_GIVEN))
    assert (mesa.applicants, mesa.accepted, mesa.selection_rate, mesa.ratio) == (40, 20, 0.5, 1.0)
    assert mesa.reference and not mesa.below_four_fifths
    assert (canyon.applicants, canyon.accepted, canyon.selection_rate) == (30, 9, 0.3)
    assert canyon.ratio == pytest.approx(0.6)
    assert canyon.below_four_fifths
    assert palo.ratio == pytest.approx(0.8)
    assert not palo.below_four_fifths  # exactly four fifths is not below it
    assert (blank.applicants, blank.accepted, blank.selection_rate, blank.ratio) == (4, 0, 0.0, 0.0)
    assert not blank.below_four_fifths and not blank.reference and blank.small
    assert blank.note == "never the reference; not flagged: fewer than 10 applicants in the group"
    assert not palo.small                                   # 10 applicants: exactly the minimum
    assert school.flagged == ("Canyon Ridge High School",)
    # With a minimum of 4 the blank group is large enough, and flagged.
    [school] = selection_equity(outcomes, [SCHOOL], min_group_size=4).fields
    assert school.flagged == ("Canyon Ridge High School", NOT_GIVEN)


def test_applicant_shares_compare_with_enrollment(outcomes: list[Outcome]) -> None:
    [school] = selection_equity(outcomes, [SCHOOL]).fields
    rows = {g.group: g for g in school.groups}
    # Enrollment 1800 + 1200 + 1000 = 4000 -> 0.45, 0.30, 0.25.
    # Applicants who answered: 80 -> 40/80 = 0.50, 30/80 = 0.375, 10/80 = 0.125.
    assert rows["Mesa Valley High School"].enrollment_share == pytest.approx(0.45)
    assert rows["Mesa Valley High School"].applicant_share == pytest.approx(0.5)
    assert rows["Canyon Ridge High School"].enrolled == 1200
    assert rows["Canyon Ridge High School"].applicant_share == pytest.approx(0.375)
    assert rows["Palo Verde Academy"].enrollment_share == pytest.approx(0.25)
    assert rows["Palo Verde Academy"].applicant_share == pytest.approx(0.125)
    # The blank group's share is over all 84 applicants; it has no enrollment.
    assert rows[NOT_GIVEN].applicant_share == pytest.approx(4 / 84)
    assert rows[NOT_GIVEN].enrollment_share is None


def test_enrolled_group_without_applicants_is_shown() -> None:
    [school] = selection_equity(people("school", "Mesa Valley High School", 5, 2), [SCHOOL]).fields
    palo = next(g for g in school.groups if g.group == "Palo Verde Academy")
    assert (palo.applicants, palo.accepted, palo.selection_rate, palo.ratio) == (0, 0, None, None)
    assert palo.enrollment_share == pytest.approx(0.25)
    assert palo.note == "no applicants"
    assert not palo.below_four_fifths


def test_not_given_is_never_the_reference() -> None:
    # (not given): 10 applied, 9 accepted = 0.90 -- the highest rate, but not eligible as reference.
    # Female: 10 applied, 5 accepted = 0.50 -> reference; Male: 10 applied, 3 accepted = 0.30 -> 0.60.
    outcomes = (people("gender", "", 10, 9) + people("gender", "Female", 10, 5)
                + people("gender", "Male", 10, 3))
    [gender] = selection_equity(outcomes, [DemographicField("gender", "Gender")]).fields
    assert gender.reference == "Female"
    rows = {g.group: g for g in gender.groups}
    assert rows[NOT_GIVEN].ratio == pytest.approx(1.8)
    assert rows["Male"].ratio == pytest.approx(0.6)
    assert gender.flagged == ("Male",)


def test_small_groups_are_not_the_reference_unless_nothing_else_is_large() -> None:
    # Tiny: 2 applied, 2 accepted = 1.00 (small: below 5). Large: 20 applied, 10 accepted = 0.50.
    outcomes = people("grade", "12", 2, 2) + people("grade", "11", 20, 10)
    [grade] = selection_equity(outcomes, [DemographicField("grade", "Grade")], min_group_size=5).fields
    assert grade.reference == "11"
    tiny = next(g for g in grade.groups if g.group == "12")
    assert tiny.small and tiny.ratio == pytest.approx(2.0)
    assert tiny.note == "not flagged: fewer than 5 applicants in the group"
    # With only small groups the highest of them is the reference after all.
    [grade] = selection_equity(people("grade", "12", 2, 2) + people("grade", "11", 3, 1),
                               [DemographicField("grade", "Grade")]).fields
    assert grade.reference == "12"


def test_nobody_accepted_means_no_ratios() -> None:
    [field] = selection_equity(people("school", "A", 5, 0) + people("school", "B", 5, 0),
                               [DemographicField("school", "School")]).fields
    assert field.reference is None
    assert all(g.ratio is None and not g.below_four_fifths for g in field.groups)


def test_checkbox_answers_count_in_every_group_picked() -> None:
    race = DemographicField("race", "Race/ethnicity", multiple=True,
                            options=("Asian", "Black", "Hispanic or Latino", "White"))
    outcomes = [
        Outcome({"race": "Asian, White"}, True),
        Outcome({"race": "Hispanic or Latino"}, False),
        Outcome({"race": "White"}, False),
        Outcome({"race": "Other: Pacific Islander"}, True),
        Outcome({}, False),
    ]
    [field] = selection_equity(outcomes, [race], min_group_size=1).fields
    counts = {g.group: (g.applicants, g.accepted) for g in field.groups}
    assert counts == {"Asian": (1, 1), "White": (2, 1), "Hispanic or Latino": (1, 0), OTHER: (1, 1),
                      NOT_GIVEN: (1, 0)}
    assert field.answered == 4


def test_rows_and_table(outcomes: list[Outcome]) -> None:
    report = selection_equity(outcomes, [SCHOOL])
    rows = equity_rows(report)
    assert [tuple(r) for r in rows] == [EQUITY_COLUMNS] * 4
    assert rows[1] == {
        "Question": "School", "Group": "Canyon Ridge High School", "Applicants": 30, "Accepted": 9,
        "Selection rate": "30.0%", "Ratio to highest": 0.6, "Below four fifths": "yes",
        "Share of applicants": "37.5%", "Enrolled": 1200, "Share of enrollment": "30.0%", "Note": "",
    }
    assert rows[3]["Group"] == NOT_GIVEN
    assert rows[3]["Enrolled"] == "" and rows[3]["Share of enrollment"] == ""
    assert (rows[3]["Selection rate"], rows[3]["Below four fifths"]) == ("0.0%", "")
    assert rows[3]["Note"].endswith("not flagged: fewer than 10 applicants in the group")
    text = equity_table(report)
    lines = text.splitlines()
    assert lines[0] == ("Selection equity: 33 accepted of 84 applicants; * = selection rate below 0.8 of "
                        "the highest group's; groups under 10 applicants are not flagged")
    assert lines[2] == "School (80 answered)"
    canyon = next(line for line in lines if "Canyon Ridge" in line)
    assert canyon.startswith("* Canyon Ridge High School")
    assert canyon.split()[5:11] == ["30", "9", "30.0%", "0.60", "37.5%", "30.0%"]
    mesa = next(line for line in lines if "Mesa Valley" in line)
    assert mesa.startswith("  Mesa Valley High School")
    assert mesa.endswith("highest rate (reference)")
