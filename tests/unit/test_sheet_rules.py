"""The program sheet's guides, as plain data built from the config."""

from __future__ import annotations

from collections.abc import Callable

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.sheet_rules import (
    PARTNER_STATUSES,
    PROTECTION_NOTE,
    Colour,
    Condition,
    SheetRules,
    sheet_rules,
)
from microintern.steps.setup import program_layout


def rules_of(make_config: Callable[..., ProgramConfig]) -> tuple[ProgramConfig, SheetRules]:
    config = make_config()
    return config, sheet_rules(config)


def test_every_tab_of_the_layout_gets_a_frozen_header(make_config: Callable[..., ProgramConfig]) -> None:
    config, rules = rules_of(make_config)
    # Every tab init creates: the layout's, and the Problems tab the runs write.
    layout = program_layout(config)
    assert [t.tab for t in rules.tabs] == list(layout)
    assert all(t.freeze_rows == 1 for t in rules.tabs)
    applications = rules.tab(sheet.APPLICATIONS)
    assert applications is not None
    assert applications.freeze_through == sheet.APPLICANT_ID
    assert rules.tab("No such tab") is None


def test_coordinator_dropdowns(make_config: Callable[..., ProgramConfig]) -> None:
    config, rules = rules_of(make_config)
    applications = rules.tab(sheet.APPLICATIONS)
    assert applications is not None
    dropdowns = {d.header: d for d in applications.dropdowns}
    assert dropdowns[sheet.DECISION].options == ("Accept", "Waitlist", "Deny")
    assert "Accept" in dropdowns[sheet.DECISION].help
    assert dropdowns[sheet.COHORT_OVERRIDE].options == tuple(s.id for s in config.sessions)
    assert "blank" in dropdowns[sheet.COHORT_OVERRIDE].help
    partners = rules.tab(sheet.PARTNERS)
    assert partners is not None
    (status,) = partners.dropdowns
    assert status.header == sheet.PARTNER_STATUS
    assert status.options == PARTNER_STATUSES
    assert status.options[0] == "prospect" and "industry form received" in status.options


def test_dropdowns_follow_the_sessions_of_the_config(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    first = config.sessions[0].model_dump(mode="json")
    second = {**first, "id": "late-spring"}
    rules = sheet_rules(make_config(sessions=[first, second]))
    applications = rules.tab(sheet.APPLICATIONS)
    assert applications is not None
    override = next(d for d in applications.dropdowns if d.header == sheet.COHORT_OVERRIDE)
    assert override.options == (first["id"], "late-spring")


def test_highlights(make_config: Callable[..., ProgramConfig]) -> None:
    _, rules = rules_of(make_config)
    applications = rules.tab(sheet.APPLICATIONS)
    assert applications is not None
    by_value = {(h.header, h.value): (h.condition, h.colour) for h in applications.highlights}
    assert by_value[(sheet.FLAGS, None)] == (Condition.NOT_BLANK, Colour.LIGHT_AMBER)
    proposed = {value: colour for (header, value), (_, colour) in by_value.items()
                if header == sheet.PROPOSED_DECISION}
    assert proposed == {"Accept": Colour.LIGHT_GREEN, "Waitlist": Colour.LIGHT_YELLOW,
                        "Deny": Colour.LIGHT_RED, "Review": Colour.LIGHT_GREY,
                        "Duplicate": Colour.LIGHT_GREY}
    outbox = rules.tab(sheet.OUTBOX)
    assert outbox is not None
    assert [(h.header, h.condition, h.value, h.colour) for h in outbox.highlights] == [
        ("State", Condition.TEXT_IS, "held", Colour.LIGHT_RED)]
    assert len(set(Colour)) == len(Colour)  # five distinct colours
    assert Colour.LIGHT_RED.rgb == (0xF4, 0xCC, 0xCC)


def test_tool_owned_columns(make_config: Callable[..., ProgramConfig]) -> None:
    config, rules = rules_of(make_config)
    applications = rules.tab(sheet.APPLICATIONS)
    assert applications is not None
    headers = sheet.application_columns([q.title for q in config.application.questions])
    assert set(applications.tool_owned) == set(headers) - {sheet.DECISION, sheet.COHORT_OVERRIDE,
                                                           sheet.NOTES}
    assert sheet.APPLICANT_ID in applications.tool_owned and sheet.FLAGS in applications.tool_owned
    assert not applications.whole_tab_tool_owned
    outbox, timeline, partners = (rules.tab(t) for t in (sheet.OUTBOX, sheet.TIMELINE, sheet.PARTNERS))
    assert outbox is not None and outbox.whole_tab_tool_owned
    assert timeline is not None and timeline.whole_tab_tool_owned
    assert partners is not None
    assert {sheet.PARTNER_ID, sheet.PARTNER_CONTACTED, *sheet.INDUSTRY_COLUMNS} <= set(partners.tool_owned)
    # The coordinator's columns stay free: status, the meeting time they agreed, notes.
    for header in (sheet.PARTNER_STATUS, sheet.PARTNER_MEETING_TIME, sheet.NOTES):
        assert header not in partners.tool_owned
    sessions, participants = rules.tab(sheet.SESSIONS), rules.tab(sheet.PARTICIPANTS)
    assert sessions is not None and participants is not None
    for header in (sheet.SESSION_MEETINGS, sheet.SESSION_STATUS, "Title", "Teacher"):
        assert header not in sessions.tool_owned
    assert sheet.SESSION_MEET_LINK in sessions.tool_owned
    assert set(participants.tool_owned) == set(sheet.PARTICIPANT_COLUMNS) - {sheet.ATTENDANCE, sheet.NOTES}
    assert "overwritten" in PROTECTION_NOTE


def test_rules_are_plain_values(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    assert sheet_rules(config) == sheet_rules(config)
    assert hash(sheet_rules(config)) == hash(sheet_rules(config))
