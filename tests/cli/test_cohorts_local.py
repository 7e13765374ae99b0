"""The cohorts step on the local backend: placements, reasons, overrides, stability, group checks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from test_correspondence import imported, workbook

from microintern.bootstrap import step_context
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.steps.cohorts import place_cohorts

NOW = datetime.fromisoformat("2027-02-16T06:30-08:00")
AVAILABILITY = "Which sessions can you attend?"


def _accept(config_file: Path, count: int) -> list[dict]:
    rows = [r for r in imported(config_file, 40) if r.get(sheet.APPLICANT_ID)][:count]
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: r[sheet.APPLICANT_ID], sheet.DECISION: "Accept"} for r in rows])
    return rows


def _tab(config_file: Path, tab: str, key: str) -> dict[str, dict]:
    rows = workbook(config_file).read_tabs([tab])[tab]
    return {str(r[key]): r for r in rows if r.get(key)}


def test_places_accepted_students_within_bounds_with_a_reason_each(config_file: Path) -> None:
    accepted = _accept(config_file, 18)
    config = load_config(config_file)
    result = place_cohorts(step_context(config, NOW))
    participants = _tab(config_file, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    assert set(participants) == {str(r[sheet.APPLICANT_ID]) for r in accepted}
    sizes: dict[str, int] = {}
    titles = {s.id: s.title for s in config.sessions}
    for row in accepted:
        placed = participants[str(row[sheet.APPLICANT_ID])]
        assert placed[sheet.PLACEMENT_REASON], "every placement says why"
        if placed[sheet.PLACEMENT] == sheet.PLACED:
            session = str(placed[sheet.SESSION_ID])
            sizes[session] = sizes.get(session, 0) + 1
            # Only a session the student said they can attend.
            assert titles[session].casefold() in str(row.get(AVAILABILITY) or "").casefold()
        else:
            assert placed[sheet.PLACEMENT] == sheet.WAITLISTED and not placed[sheet.SESSION_ID]
    bounds = {s.id: s.group_size for s in config.sessions}
    assert all(bounds[s].min <= n <= bounds[s].max for s, n in sizes.items())
    sessions = _tab(config_file, sheet.SESSIONS, sheet.SESSION_ID)
    assert set(sessions) == set(bounds)  # every session is seeded, with its meetings
    for session_id, row in sessions.items():
        assert int(row[sheet.SESSION_PLACED] or 0) == sizes.get(session_id, 0)
        assert row[sheet.SESSION_MEETINGS]
    assert result.counts["placed"] == sum(sizes.values())


def test_rerun_moves_nobody_and_an_override_wins(config_file: Path) -> None:
    accepted = _accept(config_file, 12)
    config = load_config(config_file)
    place_cohorts(step_context(config, NOW))
    before = _tab(config_file, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    again = place_cohorts(step_context(config, NOW))
    assert again.counts["rows changed"] == 0
    assert _tab(config_file, sheet.PARTICIPANTS, sheet.APPLICANT_ID) == before

    # The coordinator moves one student into the paid program by hand.
    moved = str(accepted[0][sheet.APPLICANT_ID])
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: moved, sheet.COHORT_OVERRIDE: "data-fellows"}])
    place_cohorts(step_context(config, NOW))
    after = _tab(config_file, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    assert after[moved][sheet.SESSION_ID] == "data-fellows"
    assert after[moved][sheet.PLACEMENT] == sheet.OVERRIDE
    assert "override" in str(after[moved][sheet.PLACEMENT_REASON])
    # Nobody else moved.
    for applicant, row in before.items():
        if applicant != moved and row[sheet.SESSION_ID]:
            assert after[applicant][sheet.SESSION_ID] == row[sheet.SESSION_ID]


def test_undersized_group_is_reported_and_a_changed_decision_withdraws(config_file: Path) -> None:
    accepted = _accept(config_file, 2)
    config = load_config(config_file)
    # Only two accepted students, both forced into one session: below its minimum of four.
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: r[sheet.APPLICANT_ID], sheet.COHORT_OVERRIDE: "site-planning"}
        for r in accepted[:2]])
    result = place_cohorts(step_context(config, NOW))
    sessions = _tab(config_file, sheet.SESSIONS, sheet.SESSION_ID)
    check = str(sessions["site-planning"][sheet.SESSION_GROUP_CHECK])
    assert "undersized" in check or "of at least" in check
    assert any("site-planning" in p for p in result.problems)

    dropped = str(accepted[1][sheet.APPLICANT_ID])
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: dropped, sheet.DECISION: "Deny"}])
    place_cohorts(step_context(config, NOW))
    participants = _tab(config_file, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    assert participants[dropped][sheet.PLACEMENT] == sheet.WITHDRAWN
    assert not participants[dropped][sheet.SESSION_ID]


def test_cancelled_session_gets_nobody(config_file: Path) -> None:
    _accept(config_file, 12)
    config = load_config(config_file)
    place_cohorts(step_context(config, NOW))
    workbook(config_file).upsert(sheet.SESSIONS, sheet.SESSION_ID, [
        {sheet.SESSION_ID: "cyber-basics", sheet.SESSION_STATUS: "cancelled"}])
    place_cohorts(step_context(config, NOW))
    participants = _tab(config_file, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    assert all(r[sheet.SESSION_ID] != "cyber-basics" for r in participants.values())
    sessions = _tab(config_file, sheet.SESSIONS, sheet.SESSION_ID)
    assert sessions["cyber-basics"][sheet.SESSION_GROUP_CHECK] == "cancelled"
