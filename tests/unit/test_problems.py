"""Problems named (who, what, why, what to do), the Problems tab's rows, and the letter chain."""

from __future__ import annotations

import pytest

from microintern.domain import program_sheet as sheet
from microintern.domain.outbox import DELIVERED
from microintern.domain.participation import ChainState, Stage, waiting_for
from microintern.domain.problems import (
    COLUMNS,
    OPEN,
    RESOLVED,
    Problem,
    from_text,
    problem_rows,
)
from microintern.steps.context import StepResult

HELD = Problem("A-1", "acceptance letter held", "the recipient address is not valid",
               "correct the address")


def test_a_problem_is_one_line_with_who_what_why_and_what_to_do() -> None:
    assert HELD.line() == ("A-1: acceptance letter held — the recipient address is not valid; "
                           "to do: correct the address")
    assert Problem("A-1", "x\ny").line() == "A-1: x y"
    # The key is the step, who and what: a changed why is the same problem.
    assert HELD.key("decisions:program") == Problem("A-1", HELD.what, "other", "").key("decisions:program")
    assert HELD.key("decisions:program") != HELD.key("registration:cyber-basics")


@pytest.mark.parametrize(("text", "who"), [
    ("A-0042: the recipient address is not valid", "A-0042"),
    ("session cyber-basics: undersized group", "cyber-basics"),
    ("Applications row A-7, Decision: 'x' is not one of Accept, Waitlist, Deny", "A-7"),
    ("the cohort solver stopped", ""),
])
def test_plain_lines_become_problems_with_their_id(text: str, who: str) -> None:
    assert from_text(text).who == who


def test_step_result_keeps_its_string_list_and_names_every_problem() -> None:
    result = StepResult()
    result.problems.append("A-9: something plain")
    result.problem(HELD)
    assert result.problems == ["A-9: something plain", HELD.line()]
    assert result.named() == [HELD, Problem("A-9", "something plain")]
    assert result.summary() == "2 problem(s)"


def test_rows_open_then_seen_again_then_resolved_never_duplicated() -> None:
    step = "registration:cyber-basics"
    first = problem_rows([], {step: [HELD, HELD]}, "2027-02-16 06:30:00")
    assert len(first) == 1
    (row,) = first
    assert set(row) == set(COLUMNS) and COLUMNS == sheet.PROBLEM_COLUMNS
    assert (row["Who"], row["State"], row["First seen"], row["Last seen"]) == \
        ("A-1", OPEN, "2027-02-16 06:30:00", "2027-02-16 06:30:00")
    again = problem_rows(first, {step: [HELD]}, "2027-02-17 06:30:00")
    assert [(r["First seen"], r["Last seen"]) for r in again] == \
        [("2027-02-16 06:30:00", "2027-02-17 06:30:00")]
    assert problem_rows(again, {step: [HELD]}, "2027-02-17 06:30:00") == []   # nothing changed
    # Another step's run leaves it alone; a failed run of its own step too.
    assert problem_rows(again, {"decisions:program": []}, "2027-02-18 06:30:00") == []
    failure = Problem("program", "step registration failed", "boom", "fix it")
    partial = problem_rows(again, {}, "2027-02-18 06:30:00", {step: [failure]})
    assert [r["What"] for r in partial] == ["step registration failed"]
    # The next complete run of the step no longer finds it: resolved, Last seen kept.
    (resolved,) = problem_rows(again, {step: []}, "2027-02-19 06:30:00")
    assert resolved["State"] == RESOLVED and resolved["Last seen"] == "2027-02-17 06:30:00"
    # Seen once more later: open again, under the same key.
    (reopened,) = problem_rows([resolved], {step: [HELD]}, "2027-02-20 06:30:00")
    assert reopened["Key"] == resolved["Key"] and reopened["State"] == OPEN


def test_long_texts_are_cut_for_the_cell() -> None:
    (row,) = problem_rows([], {"s": [Problem("A-1", "w", "y" * 5000)]}, "now")
    assert len(str(row["Why"])) == 500 and str(row["Why"]).endswith("…")


SENT = next(iter(DELIVERED))


@pytest.mark.parametrize(("stage", "state", "earlier", "why"), [
    # A seat made by hand (no Decision) starts the chain at the letter in hand.
    (Stage.SESSION, ChainState(""), None, ""),
    (Stage.REGISTRATION, ChainState("Waitlist"), "acceptance", "not Accept"),
    (Stage.REGISTRATION, ChainState("Accept"), "acceptance", "acceptance letter has not been sent"),
    (Stage.REGISTRATION, ChainState("Accept", acceptance="held", acceptance_note="address is not valid"),
     "acceptance", "held in the Outbox (address is not valid)"),
    (Stage.REGISTRATION, ChainState("accept", acceptance="drafted", last_letter="waitlist"),
     "acceptance", "last decision letter the student received was the waitlist letter"),
    (Stage.REGISTRATION, ChainState("Accept", acceptance=SENT), None, ""),
    (Stage.RELEASE, ChainState("Accept", acceptance=SENT), "registration", "registration link"),
    (Stage.RELEASE, ChainState("Accept", acceptance=SENT, registered=True), None, ""),
    (Stage.SESSION, ChainState("Accept", acceptance=SENT, registration=SENT), "release_form", "release form"),
    (Stage.SESSION, ChainState("Accept", acceptance=SENT, registration=SENT, release_returned=True),
     None, ""),
    (Stage.SESSION, ChainState("Accept", acceptance=SENT, registration=SENT, release=SENT), None, ""),
])
def test_each_letter_waits_for_the_earlier_ones(stage: Stage, state: ChainState, earlier: str | None,
                                                why: str) -> None:
    wait = waiting_for(stage, state, DELIVERED)
    if earlier is None:
        assert wait is None
    else:
        assert wait is not None and wait.earlier == earlier and why in wait.why and wait.todo


def test_a_problem_still_there_stays_open_without_being_told_again() -> None:
    result = StepResult()
    result.ongoing(HELD)
    assert result.problems == [] and result.summary() == "nothing to do" and result.named() == []
    assert result.still == [HELD]
