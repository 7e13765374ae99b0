"""The demo's console (issue 16): a coordinator's log, one simulated day at a time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from microintern.demo.log import CoordinatorLog, step_name
from microintern.domain.timeline import COMMANDS, Occurrence, StepName, plan, step_named, t_label
from microintern.steps.context import StepResult

ZONE = ZoneInfo("America/Los_Angeles")
T = date(2027, 3, 16)
OCCURRENCES = plan({"cyber-basics": T}, zone=ZONE, opens_at=datetime(2027, 1, 1, 6, 30).time(),
                   session_ends={"cyber-basics": T})


def occurrence(step: StepName) -> Occurrence:
    return next(o for o in OCCURRENCES if o.step.name is step)


def log() -> tuple[CoordinatorLog, list[str]]:
    printed: list[str] = []
    return CoordinatorLog(printed.append, first=date(2027, 1, 19), last=date(2027, 5, 18), anchor=T), printed


def test_the_day_header_shows_progress_and_the_day_relative_to_the_first_meeting() -> None:
    coordinator, _ = log()
    assert coordinator.progress(date(2027, 1, 19)) == "[  0%] 2027-01-19 Tue (T-8w)"
    assert coordinator.progress(date(2027, 2, 16)) == "[ 24%] 2027-02-16 Tue (T-4w)"
    assert coordinator.progress(date(2027, 5, 18)) == "[100%] 2027-05-18 Tue (T+9w)"
    assert (t_label(T, T), t_label(date(2027, 3, 19), T), t_label(date(2027, 3, 1), T)) == (
        "T", "T+3d", "T-15d")


def test_steps_are_named_by_their_commands_with_their_session() -> None:
    assert step_name(occurrence(StepName.APPRECIATION)) == "thank-partners (cyber-basics)"
    assert step_name(occurrence(StepName.DECISIONS)) == "send decisions"
    assert step_name(occurrence(StepName.DASHBOARD)) == "report --dashboard"
    # One mapping, both ways: every command names its step back (send/run accept it).
    for name, command in COMMANDS.items():
        assert step_named(command.split()[-1] if not command.endswith("--dashboard") else name) is name


def test_only_what_happened_is_printed() -> None:
    coordinator, printed = log()
    attendance = occurrence(StepName.ATTENDANCE)
    dashboard = occurrence(StepName.DASHBOARD)
    registration = occurrence(StepName.REGISTRATION)

    def day(*ran: tuple[Occurrence, StepResult]) -> list[str]:
        return coordinator.step_lines(ran)

    # Bookkeeping alone (the dashboard refresh, rows rewritten) is not news.
    assert day((dashboard, StepResult({"dashboard figures": 21, "dashboard charts": 4}))) == []
    assert day((registration, StepResult())) == []
    # Standing figures: shown when they change, quiet while they stay.
    first = day((attendance, StepResult({"attended yes": 4, "rows written": 6})))
    assert first == ["attendance (cyber-basics): attended yes 4"]
    assert day((attendance, StepResult({"attended yes": 4, "rows written": 6}))) == []
    assert day((attendance, StepResult({"attended yes": 5, "rows written": 6}))) == [
        "attendance (cyber-basics): attended yes 5"]
    # What a step did is always shown, with the standing figures that changed, and problems.
    letters = StepResult({"registered": 3, "sent": 2}, problems=[f"A-{n}: held, " + "x" * 200
                                                                 for n in range(5)])
    lines = day((registration, letters))
    assert lines[0] == "send registration (cyber-basics): registered 3, sent 2, 5 problems"
    assert [line[:9] for line in lines[1:4]] == ["  ! A-0: ", "  ! A-1: ", "  ! A-2: "]
    assert all(len(line) <= 93 for line in lines)
    assert lines[4] == "  ! and 2 more (Problems tab)"
    # A quiet day prints nothing at all; a day with news prints its header first.
    coordinator.day(date(2027, 2, 1), [])
    assert printed == []
    coordinator.day(date(2027, 2, 16), ["(the coordinator decides)", *lines])
    assert printed[0] == "[ 24%] 2027-02-16 Tue (T-4w)"
    assert printed[1] == "       (the coordinator decides)"
    assert max(len(line) for line in printed) <= 100


def test_a_long_step_line_is_wrapped_not_cut() -> None:
    coordinator, _ = log()
    counts = {f"something happened number {n}": n + 1 for n in range(6)}
    lines = coordinator.step_lines([(occurrence(StepName.SESSIONS), StepResult(counts))])
    assert len(lines) > 1 and all(len(line) <= 93 for line in lines)
    assert lines[1].startswith("    ")
    assert "something happened number 5 6" in " ".join(line.strip() for line in lines)
