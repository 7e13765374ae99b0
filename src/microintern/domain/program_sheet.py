"""The program spreadsheet's tabs and columns: the coordinator's user interface.

Tool-owned columns are written by microintern only; coordinator columns are never written by
it. Rows are found by each tab's id column, never by position.
"""

from __future__ import annotations

from collections.abc import Sequence

APPLICATIONS = "Applications"
PARTNERS = "Partners"
SESSIONS = "Sessions"
PARTICIPANTS = "Participants"
OUTBOX = "Outbox"
TIMELINE = "Timeline"
DASHBOARD = "Dashboard"

APPLICANT_ID = "Applicant ID"
RESPONSE_ID = "Response ID"
SUBMITTED = "Submitted"
LANGUAGE = "Language"
DECISION = "Decision"
COHORT_OVERRIDE = "Cohort override"
NOTES = "Notes"

# Screening's columns: tool-owned, rewritten on every screening run.
SCORE = "Score"
SCORE_BREAKDOWN = "Score breakdown"
FLAGS = "Flags"
FLAG_REASONS = "Flag reasons"
PROPOSED_DECISION = "Proposed decision"
PROPOSAL_REASON = "Proposal reason"
SCREENING_COLUMNS = (SCORE, SCORE_BREAKDOWN, FLAGS, FLAG_REASONS, PROPOSED_DECISION, PROPOSAL_REASON)

OUTBOX_KEY = "Key"
OUTBOX_COLUMNS = (
    OUTBOX_KEY, "Step", "Recipient ID", "To", "Language", "State", "Draft ID", "Message ID",
    "Updated", "Note",
)
TIMELINE_KEY = "Key"
TIMELINE_COLUMNS = (
    TIMELINE_KEY, "Step", "Session", "Opens", "Closes", "State", "Last run", "Runs", "Result",
)
PARTNER_ID = "Partner ID"
PARTNER_STATUS = "Status"
PARTNER_COLUMNS = (PARTNER_ID, "Organization", "Contact", "Email", "Industry", PARTNER_STATUS,
                   "Contacted")
SESSION_COLUMNS = ("Session ID", "Title", "Partner ID", "Teacher", "Meetings", "Status")
PARTICIPANT_COLUMNS = ("Participant ID", "Applicant ID", "Session ID", "Status")
DASHBOARD_COLUMNS = ("Figure", "Value")
EQUITY = "Equity"
EQUITY_KEY = "Key"
EQUITY_TAB_COLUMNS = (
    EQUITY_KEY, "Question", "Group", "Applicants", "Accepted", "Selection rate", "Ratio to highest",
    "Below four fifths", "Share of applicants", "Enrolled", "Share of enrollment", "Note", "Counted",
)

COORDINATOR_APPLICATION_COLUMNS = (DECISION, COHORT_OVERRIDE, NOTES)


def application_columns(question_titles: Sequence[str]) -> tuple[str, ...]:
    """The Applications tab's headers: ids, the questions, screening, then the coordinator's."""
    return (
        APPLICANT_ID, RESPONSE_ID, SUBMITTED, LANGUAGE,
        *question_titles,
        *SCREENING_COLUMNS,
        *COORDINATOR_APPLICATION_COLUMNS,
    )


def layout(question_titles: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Every tab with its headers, in the order the coordinator sees them."""
    return {
        APPLICATIONS: application_columns(question_titles),
        PARTNERS: PARTNER_COLUMNS,
        SESSIONS: SESSION_COLUMNS,
        PARTICIPANTS: PARTICIPANT_COLUMNS,
        OUTBOX: OUTBOX_COLUMNS,
        TIMELINE: TIMELINE_COLUMNS,
        DASHBOARD: DASHBOARD_COLUMNS,
        EQUITY: EQUITY_TAB_COLUMNS,
    }


# Values the tool must remember between runs (e.g. the id of a form it created): key → value.
SETTINGS = "Settings"
SETTING = "Setting"
SETTING_VALUE = "Value"
SETTINGS_COLUMNS = (SETTING, SETTING_VALUE)
