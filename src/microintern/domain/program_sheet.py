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
LANGUAGE = "Language"               # the family's language: letters to parents and guardians
STUDENT_LANGUAGE = "Student language"  # the student's own (the one they applied in); blank: Language
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

# Intake's columns: tool-owned, written when a response comes in (the same names as in
# domain/applicants.py, which writes them).
RESUBMITTED = "Resubmitted"         # tool: "3 submissions, latest ...", blank for one submission
TYPED_EMAIL = "Typed email"         # tool: a typed school email that differs from the signed-in one
INTAKE_COLUMNS = (RESUBMITTED, TYPED_EMAIL)

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
SESSION_BROADCAST = "Broadcast"     # tool: a showcase's YouTube watch link (never the stream key)
SESSION_COLUMNS = (SESSION_ID, "Title", PARTNER_ID, "Teacher", SESSION_MEETINGS, SESSION_STATUS,
                   SESSION_PLACED, SESSION_GROUP_CHECK, SESSION_MEET_LINK, SESSION_MEET_SPACE,
                   SESSION_RECORDING, SESSION_CALENDAR, SESSION_BUILT, SESSION_BROADCAST)

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
# Attendance: the coordinator's column wins over Meet ("yes"/"no"); the others are the tool's.
ATTENDANCE = "Attendance"           # coordinator: "yes" or "no" overrides what Meet says
MINUTES = "Minutes"                 # tool: minutes in the session's meetings, from Meet
MEETINGS_ATTENDED = "Meetings attended"   # tool: "2 of 3" (a meeting counts past the threshold)
ATTENDED = "Attended"               # tool: yes / no, after the coordinator's override
ATTENDANCE_NOTE = "Attendance note"  # tool: where the figure came from, or why it is missing
FEEDBACK_RETURNED = "Feedback"      # tool: when the student's feedback form arrived
BADGE = "Badge"                     # tool: when the badge was awarded, and its assertion
CONFIRMED_HOURS = "Confirmed hours"  # tool: the hours log's confirmed total (paid programs)
HOURS_CHECK = "Hours check"         # tool: under or over the session's hours target
PARTICIPANT_COLUMNS = (APPLICANT_ID, "First name", "Last name", SESSION_ID, PLACEMENT,
                       PLACEMENT_REASON, REGISTERED, RELEASE_RETURNED, PARTICIPATION_ALLOWED,
                       RECORDING_ALLOWED, MEDIA_ALLOWED, MISSING, ATTENDANCE, MINUTES,
                       MEETINGS_ATTENDED, ATTENDED, ATTENDANCE_NOTE, FEEDBACK_RETURNED, BADGE,
                       CONFIRMED_HOURS, HOURS_CHECK, NOTES)
PARTICIPANT_COORDINATOR_COLUMNS = (ATTENDANCE, NOTES)

# Feedback: one row per form response; the rating columns come from config (feedback.ratings),
# and one "average:<session>" row per session holds the session's averages.
FEEDBACK = "Feedback"
FEEDBACK_KEY = "Key"                # response id, or "average:<session id>"
FEEDBACK_LEARNED = "What I learned"
FEEDBACK_IMPROVE = "What to improve"
FEEDBACK_TESTIMONIAL = "Testimonial"
FEEDBACK_SHARE = "Share with partner"   # yes / no: the student's explicit permission
FEEDBACK_RESPONSES = "Responses"         # on average rows: how many answers were averaged


def feedback_columns(ratings: Sequence[str]) -> tuple[str, ...]:
    """The Feedback tab's headers: ids, one column per rating, the written answers."""
    return (FEEDBACK_KEY, SESSION_ID, APPLICANT_ID, SUBMITTED, LANGUAGE, *ratings,
            FEEDBACK_LEARNED, FEEDBACK_IMPROVE, FEEDBACK_TESTIMONIAL, FEEDBACK_SHARE,
            FEEDBACK_RESPONSES)


# Assignments: one row per student and assignment of their session.
ASSIGNMENTS = "Assignments"
SUBMISSION_KEY = "Key"              # "<session id>:<assignment id>:<applicant id>"
ASSIGNMENT = "Assignment"
DUE = "Due"
HANDED_IN = "Handed in"             # tool: when the work arrived
LATE = "Late"                       # tool: yes / no, or "missing" after the due date
SUBMISSION_STUDENT = "Student"      # tool: first name and last initial
WORK_LINK = "Work"                  # tool: the link the student gave, or their folder's files
STUDENT_NOTE = "Student note"       # tool: the student's note for the partner (hand-in form)
FOLDER = "Folder"                   # tool: the student's folder for this assignment
PARTNER_FEEDBACK = "Partner feedback"   # partner or teacher
PARTNER_RATING = "Rating"           # partner or teacher: 1-5
FEEDBACK_SENT = "Feedback sent"     # tool: when the feedback went to the student (sent once)
FOLDER_ID = "Folder ID"             # tool: the folder's id, so reruns never make a second one
ASSIGNMENT_COLUMNS = (SUBMISSION_KEY, SESSION_ID, ASSIGNMENT, APPLICANT_ID, SUBMISSION_STUDENT, DUE,
                      HANDED_IN, LATE, WORK_LINK, STUDENT_NOTE, FOLDER, PARTNER_FEEDBACK,
                      PARTNER_RATING, FEEDBACK_SENT, NOTES, FOLDER_ID)
ASSIGNMENT_PARTNER_COLUMNS = (PARTNER_FEEDBACK, PARTNER_RATING, NOTES)
"""The Assignments columns people write (the partner or teacher, the coordinator); never the tool."""

# Hours log: one row per logged entry; the confirmer's column, then the tool's checks.
HOURS = "Hours"
ENTRY_KEY = "Key"                   # the form response id
WORK_DATE = "Date"
HOURS_LOGGED = "Hours"
ACTIVITY = "What I did"
CONFIRMATION = "Confirmation"       # teacher or partner: confirmed / rejected
CONFIRMATIONS = ("confirmed", "rejected")
HOURS_FLAGS = "Flags"               # tool: duplicate, over 12 h a day, future date, outside...
WEEK = "Week"                       # tool: the ISO week the entry counts in
HOURS_COLUMNS = (ENTRY_KEY, SESSION_ID, APPLICANT_ID, "Student", SUBMITTED, WORK_DATE, WEEK,
                 HOURS_LOGGED, ACTIVITY, HOURS_FLAGS, CONFIRMATION, NOTES)
HOURS_CONFIRMER_COLUMNS = (CONFIRMATION, NOTES)   # never written by the tool
DASHBOARD_COLUMNS = ("Figure", "Value")
EQUITY = "Equity"
EQUITY_KEY = "Key"
EQUITY_TAB_COLUMNS = (
    EQUITY_KEY, "Question", "Group", "Applicants", "Accepted", "Selection rate", "Ratio to highest",
    "Below four fifths", "Share of applicants", "Enrolled", "Share of enrollment", "Note", "Counted",
)

COORDINATOR_APPLICATION_COLUMNS = (DECISION, COHORT_OVERRIDE, NOTES)

# Long answers: the full text of answers too long for a cell, one row per piece (each under the
# cell limit); the Applications cell keeps the beginning and a marker naming the key.
LONG_ANSWERS = "Long answers"
LONG_ANSWER_KEY = "Key"             # "<applicant id>/<question key>/<part>"
LONG_ANSWER_QUESTION = "Question"   # the question's title
LONG_ANSWER_PART = "Part"           # 1, 2, ...: the pieces joined in this order are the answer
LONG_ANSWER_TEXT = "Text"
LONG_ANSWER_COLUMNS = (LONG_ANSWER_KEY, APPLICANT_ID, LONG_ANSWER_QUESTION, LONG_ANSWER_PART,
                       LONG_ANSWER_TEXT)


def application_columns(question_titles: Sequence[str]) -> tuple[str, ...]:
    """The Applications tab's headers: ids, the questions, intake's and screening's, then the
    coordinator's.

    Intake's columns sit right after the answers they qualify (how often they were sent, the
    typed address beside the verified one) and before the screening columns whose flags refer
    to them, so ``init`` makes them there instead of at the far right when first written.
    """
    return (
        APPLICANT_ID, RESPONSE_ID, SUBMITTED, LANGUAGE, STUDENT_LANGUAGE,
        *question_titles,
        *INTAKE_COLUMNS,
        *SCREENING_COLUMNS,
        *COORDINATOR_APPLICATION_COLUMNS,
    )


# Problems: one row per problem a run named (domain.problems): who (an id), what, why, what to
# do; open until a later complete run of the same step no longer finds it. Written by runs only.
PROBLEMS = "Problems"
PROBLEM_KEY = "Key"                 # "<step> | <who> | <what>": a rerun updates, never duplicates
PROBLEM_COLUMNS = (PROBLEM_KEY, "Step", "Who", "What", "Why", "What to do", "First seen",
                   "Last seen", "State")


def layout(question_titles: Sequence[str],
           feedback_ratings: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
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
        FEEDBACK: feedback_columns(feedback_ratings),
        ASSIGNMENTS: ASSIGNMENT_COLUMNS,
        HOURS: HOURS_COLUMNS,
        LONG_ANSWERS: LONG_ANSWER_COLUMNS,
        PROBLEMS: PROBLEM_COLUMNS,
    }


# Values the tool must remember between runs (e.g. the id of a form it created): key → value.
SETTINGS = "Settings"
SETTING = "Setting"
SETTING_VALUE = "Value"
SETTINGS_COLUMNS = (SETTING, SETTING_VALUE)

# The run lease (domain.lease): one row saying which run holds the program, written by runs only.
RUN_LEASE = "Run lease"
LEASE_KEY = "Key"
LEASE_HOLDER = "Held by"            # user@host of the run
LEASE_HOST = "Host"
LEASE_PID = "PID"
LEASE_STARTED = "Started"           # UTC, YYYY-MM-DDTHH:MM:SSZ
LEASE_EXPIRES = "Expires"           # UTC; renewed while a long run goes on
LEASE_STATE = "State"               # running / released
LEASE_TOKEN = "Token"  # noqa: S105 - a column title; random per run, the read-back checks it
LEASE_COLUMNS = (LEASE_KEY, LEASE_HOLDER, LEASE_HOST, LEASE_PID, LEASE_STARTED, LEASE_EXPIRES,
                 LEASE_STATE, LEASE_TOKEN)
