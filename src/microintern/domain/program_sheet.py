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
# The pipeline's states, in order; the tool moves a partner on when it acts, the coordinator
# may set any of them by hand (and the tool then respects it).
PARTNER_STATUSES = ("prospect", "contacted", "meeting scheduled", "industry form received",
                    "confirmed", "session built", "thanked", "declined")
PARTNER_CONTACTED = "Contacted"
PARTNER_FOLLOWED_UP = "Followed up"
PARTNER_MEETING_TIME = "Meeting time"          # coordinator: local "YYYY-MM-DD HH:MM"
PARTNER_MEETING_LINK = "Meeting link"
PARTNER_INDUSTRY_FORM = "Industry form"        # tool: when the answers arrived
# The industry form's answers, read back into the partner's row.
INDUSTRY_COLUMNS = ("Topic", "Skills to teach", "Available dates", "Group size",
                    "Recording consent", "Co-presenters")
PARTNER_COLUMNS = (PARTNER_ID, "Organization", "Contact", "Email", "Industry", PARTNER_STATUS,
                   PARTNER_CONTACTED, PARTNER_FOLLOWED_UP, PARTNER_MEETING_TIME,
                   PARTNER_MEETING_LINK, PARTNER_INDUSTRY_FORM, *INDUSTRY_COLUMNS, NOTES)

SESSION_ID = "Session ID"
SESSION_MEETINGS = "Meetings"       # coordinator may edit: local "YYYY-MM-DD HH:MM" joined by "; "
SESSION_STATUS = "Status"           # coordinator: blank or "scheduled", or "cancelled"
SESSION_STATUSES = ("scheduled", "cancelled")
SESSION_PLACED = "Placed"
SESSION_GROUP_CHECK = "Group check"
SESSION_MEET_LINK = "Meet link"
SESSION_MEET_SPACE = "Meet space"
SESSION_RECORDING = "Recording"
SESSION_CALENDAR = "Calendar"       # tool: fingerprints of the events as last written
SESSION_BUILT = "Built"
SESSION_COLUMNS = (SESSION_ID, "Title", PARTNER_ID, "Teacher", SESSION_MEETINGS, SESSION_STATUS,
                   SESSION_PLACED, SESSION_GROUP_CHECK, SESSION_MEET_LINK, SESSION_MEET_SPACE,
                   SESSION_RECORDING, SESSION_CALENDAR, SESSION_BUILT)

# One row per accepted student: their cohort and what they have returned.
PLACEMENT = "Placement"             # tool: one of the placements below
PLACED = "placed"                   # by the cohort solver
OVERRIDE = "override"               # by the coordinator's Cohort override
WAITLISTED = "waitlisted"           # accepted, but no session could take them
WITHDRAWN = "withdrawn"             # no longer accepted (the Decision changed)
DECLINED = "declined"               # the student (registration) or family (release form) said no
SEATED = (PLACED, OVERRIDE)
"""Placements that hold a seat in a session."""
PLACEMENT_REASON = "Placement reason"
REGISTERED = "Registered"
RELEASE_RETURNED = "Release returned"
PARTICIPATION_ALLOWED = "Participation allowed"
RECORDING_ALLOWED = "Recording allowed"
MEDIA_ALLOWED = "Media allowed"
MISSING = "Missing"
ATTENDANCE = "Attendance"           # coordinator (issue: attendance fills it from Meet)
PARTICIPANT_COLUMNS = (APPLICANT_ID, "First name", "Last name", SESSION_ID, PLACEMENT,
                       PLACEMENT_REASON, REGISTERED, RELEASE_RETURNED, PARTICIPATION_ALLOWED,
                       RECORDING_ALLOWED, MEDIA_ALLOWED, MISSING, ATTENDANCE, NOTES)
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
