"""How the program spreadsheet guides the coordinator: dropdowns, highlights, warnings, frozen panes.

Declarative and backend-free: each rule names a tab and a header, never a column letter. The
adapters find the header in row 1 when they apply the rules, so a column the coordinator moved
is found where it is now on the next ``microintern init``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import LATE_MISSING, LATE_YES, RATINGS
from microintern.domain.decisions import Decision
from microintern.domain.outbox import MessageState
from microintern.domain.problems import OPEN, STATE
from microintern.domain.screening import Proposed

PROTECTION_NOTE = "microintern writes these; edits are overwritten"
"""What a warning-only protection (or, in a workbook, a header comment) says about tool columns."""

PARTNER_STATUSES = sheet.PARTNER_STATUSES
"""Where a partner stands, in the order the program moves them along (the Status dropdown)."""


class Colour(StrEnum):
    """Background colours of highlights, as RGB hex: Google Sheets' own light palette."""

    LIGHT_AMBER = "#F9CB9C"
    LIGHT_GREEN = "#D9EAD3"
    LIGHT_YELLOW = "#FFF2CC"
    LIGHT_RED = "#F4CCCC"
    LIGHT_GREY = "#EFEFEF"

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The colour as (red, green, blue), 0-255 each."""
        text = self.value.lstrip("#")
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


class Condition(StrEnum):
    """When a highlight applies to a cell."""

    NOT_BLANK = "not blank"
    TEXT_IS = "text is"  # the cell holds exactly the rule's value


@dataclass(frozen=True)
class Dropdown:
    """A column whose cells accept only ``options`` (or nothing); other input is rejected."""

    header: str
    options: tuple[str, ...]
    help: str  # shown when the coordinator selects a cell of the column


@dataclass(frozen=True)
class Highlight:
    """Cells of a column get ``colour`` as background while ``condition`` holds."""

    header: str
    condition: Condition
    colour: Colour
    value: str | None = None  # the text a TEXT_IS condition compares with


@dataclass(frozen=True)
class TabRules:
    """Everything that guides the coordinator on one tab.

    ``tool_owned`` lists the headers microintern writes (warned about when edited by hand);
    ``whole_tab_tool_owned`` says the entire tab is microintern's. ``freeze_through`` names the
    header whose column, with every column left of it, stays in view when scrolling sideways.
    """

    tab: str
    dropdowns: tuple[Dropdown, ...] = ()
    highlights: tuple[Highlight, ...] = ()
    tool_owned: tuple[str, ...] = ()
    whole_tab_tool_owned: bool = False
    freeze_rows: int = 1
    freeze_through: str | None = None


@dataclass(frozen=True)
class SheetRules:
    """The rules of every tab of the program spreadsheet, in tab order."""

    tabs: tuple[TabRules, ...]

    def tab(self, name: str) -> TabRules | None:
        """The rules of the tab ``name``, if it has any."""
        return next((t for t in self.tabs if t.tab == name), None)


MAX_FROZEN_COLUMNS = 3
"""Columns are frozen only while ``freeze_through`` sits this far left: if the coordinator
moved it further right, freezing everything up to it would hide most of the screen."""

_PROPOSAL_COLOURS = {
    Proposed.ACCEPT: Colour.LIGHT_GREEN,
    Proposed.WAITLIST: Colour.LIGHT_YELLOW,
    Proposed.DENY: Colour.LIGHT_RED,
    Proposed.REVIEW: Colour.LIGHT_GREY,
    Proposed.DUPLICATE: Colour.LIGHT_GREY,
}


def _applications(config: ProgramConfig) -> TabRules:
    headers = sheet.application_columns([q.title for q in config.application.questions])
    decisions = tuple(d.value for d in Decision)
    sessions = tuple(s.id for s in config.sessions)
    return TabRules(
        tab=sheet.APPLICATIONS,
        dropdowns=(
            Dropdown(sheet.DECISION, decisions,
                     f"Choose {', '.join(decisions[:-1])} or {decisions[-1]}, or leave blank while "
                     "undecided. Only this column sends a decision letter; "
                     f"'{sheet.PROPOSED_DECISION}' is microintern's suggestion."),
            Dropdown(sheet.COHORT_OVERRIDE, sessions,
                     "Pick a session id to place this student in that session, or leave blank "
                     "to let microintern choose the cohort."),
        ),
        highlights=(
            Highlight(sheet.FLAGS, Condition.NOT_BLANK, Colour.LIGHT_AMBER),
            *(Highlight(sheet.PROPOSED_DECISION, Condition.TEXT_IS, colour, proposal.value)
              for proposal, colour in _PROPOSAL_COLOURS.items()),
        ),
        tool_owned=tuple(h for h in headers if h not in sheet.COORDINATOR_APPLICATION_COLUMNS),
        freeze_through=sheet.APPLICANT_ID,
    )


def _partners() -> TabRules:
    return TabRules(
        tab=sheet.PARTNERS,
        dropdowns=(
            Dropdown(sheet.PARTNER_STATUS, PARTNER_STATUSES,
                     "Where this partner stands. microintern moves a partner along when it "
                     "acts (contacted, meeting scheduled, industry form received, session "
                     "built, thanked); set 'confirmed' or 'declined' yourself."),
        ),
        tool_owned=(sheet.PARTNER_ID, sheet.PARTNER_CONTACTED, sheet.PARTNER_FOLLOWED_UP,
                    sheet.PARTNER_MEETING_LINK, sheet.PARTNER_INDUSTRY_FORM, *sheet.INDUSTRY_COLUMNS),
    )


def _sessions() -> TabRules:
    return TabRules(
        tab=sheet.SESSIONS,
        dropdowns=(
            Dropdown(sheet.SESSION_STATUS, sheet.SESSION_STATUSES,
                     "Leave blank or 'scheduled'; choose 'cancelled' to call the session off "
                     "(its calendar events are cancelled and the guests told)."),
        ),
        highlights=(Highlight(sheet.SESSION_GROUP_CHECK, Condition.NOT_BLANK, Colour.LIGHT_AMBER),),
        tool_owned=(sheet.SESSION_ID, sheet.SESSION_PLACED, sheet.SESSION_GROUP_CHECK,
                    sheet.SESSION_MEET_LINK, sheet.SESSION_MEET_SPACE, sheet.SESSION_RECORDING,
                    sheet.SESSION_CALENDAR, sheet.SESSION_BUILT, sheet.SESSION_BROADCAST),
        freeze_through=sheet.SESSION_ID,
    )


def _participants() -> TabRules:
    coordinator = sheet.PARTICIPANT_COORDINATOR_COLUMNS
    return TabRules(
        tab=sheet.PARTICIPANTS,
        highlights=(Highlight(sheet.MISSING, Condition.NOT_BLANK, Colour.LIGHT_YELLOW),),
        tool_owned=tuple(h for h in sheet.PARTICIPANT_COLUMNS if h not in coordinator),
        freeze_through=sheet.APPLICANT_ID,
    )


def _assignments() -> TabRules:
    return TabRules(
        tab=sheet.ASSIGNMENTS,
        dropdowns=(
            Dropdown(sheet.PARTNER_RATING, RATINGS,
                     "The partner's (or teacher's) rating of the work, 1 (needs work) to 5 "
                     "(excellent). The student gets the Partner feedback and this rating by email "
                     "once, at the first run after Partner feedback is filled: enter the rating "
                     "first or together. Edits made after 'Feedback sent' is stamped are not sent."),
        ),
        highlights=(
            Highlight(sheet.LATE, Condition.TEXT_IS, Colour.LIGHT_RED, LATE_MISSING),
            Highlight(sheet.LATE, Condition.TEXT_IS, Colour.LIGHT_AMBER, LATE_YES),
        ),
        tool_owned=tuple(h for h in sheet.ASSIGNMENT_COLUMNS if h not in sheet.ASSIGNMENT_PARTNER_COLUMNS),
    )


def _hours(config: ProgramConfig) -> TabRules:
    confirmer = "the partner" if config.hours.confirmer == "partner" else "the teacher"
    return TabRules(
        tab=sheet.HOURS,
        dropdowns=(
            Dropdown(sheet.CONFIRMATION, sheet.CONFIRMATIONS,
                     f"For {confirmer}: choose 'confirmed' or 'rejected'. Only confirmed hours count; "
                     "a flagged entry counts once confirmed, except duplicates, future dates, "
                     "unreadable entries and unknown student ids, which never count."),
        ),
        highlights=(
            Highlight(sheet.HOURS_FLAGS, Condition.NOT_BLANK, Colour.LIGHT_AMBER),
            Highlight(sheet.CONFIRMATION, Condition.TEXT_IS, Colour.LIGHT_GREEN, "confirmed"),
            Highlight(sheet.CONFIRMATION, Condition.TEXT_IS, Colour.LIGHT_RED, "rejected"),
        ),
        tool_owned=tuple(h for h in sheet.HOURS_COLUMNS if h not in sheet.HOURS_CONFIRMER_COLUMNS),
        freeze_through=sheet.ENTRY_KEY,
    )


def _outbox() -> TabRules:
    return TabRules(
        tab=sheet.OUTBOX,
        highlights=(Highlight("State", Condition.TEXT_IS, Colour.LIGHT_RED, MessageState.HELD.value),),
        whole_tab_tool_owned=True,
    )


def _problems() -> TabRules:
    # Runs alone write this tab (a problem resolves when a later run no longer finds it), so all
    # of it is the tool's; an open problem stands out until then.
    return TabRules(
        tab=sheet.PROBLEMS,
        highlights=(Highlight(STATE, Condition.TEXT_IS, Colour.LIGHT_AMBER, OPEN),),
        whole_tab_tool_owned=True,
    )


def sheet_rules(config: ProgramConfig) -> SheetRules:
    """The dropdowns, highlights, tool-owned columns and frozen panes of the program sheet.

    Every tab of the layout gets a frozen header row; Applications also keeps the Applicant ID
    column in view. The Cohort override dropdown offers the config's session ids.
    """
    special = {
        sheet.APPLICATIONS: _applications(config),
        sheet.PARTNERS: _partners(),
        sheet.SESSIONS: _sessions(),
        sheet.PARTICIPANTS: _participants(),
        sheet.OUTBOX: _outbox(),
        sheet.HOURS: _hours(config),
        sheet.ASSIGNMENTS: _assignments(),
        sheet.TIMELINE: TabRules(tab=sheet.TIMELINE, whole_tab_tool_owned=True),
        sheet.PROBLEMS: _problems(),
    }
    tabs = sheet.layout([q.title for q in config.application.questions], config.feedback.ratings)
    return SheetRules(tuple(special.get(tab, TabRules(tab=tab)) for tab in tabs))
