"""The program report's shape: its figures as dataclasses, and the stages and tabs they count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from microintern.domain import program_sheet as sheet
from microintern.domain.equity import EquityReport
from microintern.domain.partners import CONFIRMED as PARTNER_CONFIRMED
from microintern.domain.partners import DECLINED, PIPELINE

NO_DATA = "no data yet"
AVERAGE_PREFIX = "average:"

# The tabs the report reads, in one call.
TABS = (sheet.APPLICATIONS, sheet.PARTNERS, sheet.PARTICIPANTS, sheet.FEEDBACK, sheet.ASSIGNMENTS,
        sheet.HOURS)

FUNNEL_STAGES = ("Applied", "Accepted", "Registered", "Release returned", "Attended", "Badged")
# Partner stages the pipeline table counts: a partner counts at every stage it has reached.
PARTNER_STAGES = ("contacted", "confirmed", "session built", "thanked")
# Where a partner can stand now: the pipeline's stages, declined, and anything else typed by hand.
OTHER_STATUS = "other"
PARTNER_STATUSES = (*PIPELINE, DECLINED, OTHER_STATUS)
# A partner is engaged from the moment they confirm a session (confirmed and every later stage).
ENGAGED = PIPELINE[PIPELINE.index(PARTNER_CONFIRMED):]
DUPLICATE = "Duplicate"           # screening's proposal for a superseded duplicate application
CONFIRMED = "confirmed"
REJECTED = "rejected"


@dataclass(frozen=True)
class FunnelStage:
    """One stage of the funnel and how many students reached it."""

    name: str
    count: int


@dataclass(frozen=True)
class SessionAttendance:
    """Students placed in a session, how many attended, and the time they spent in its meetings.

    The Minutes column holds a student's minutes over *all* the session's meetings, so a total
    is not comparable between a one-meeting and a six-meeting session: the report gives minutes
    per meeting, and the share of the scheduled meeting time, averaged over attending students
    whose minutes are known (``timed`` of them).
    """

    session_id: str
    title: str
    placed: int
    attended: int
    meetings: int | None              # None for a session the config no longer lists
    minutes_per_meeting: float | None  # whole minutes: a per-student average over ``timed``
    time_share: float | None          # minutes / (meetings x scheduled minutes), 0..1+
    timed: int                        # attending students with minutes recorded


@dataclass(frozen=True)
class SessionFeedback:
    """A session's feedback: how many answered and each rating's average (1-5).

    Averages are kept to one decimal: a handful of 1-5 answers supports no finer figure (with 3
    answers the mean moves in steps of 0.33). ``responses`` is shown beside them.
    """

    session_id: str
    title: str
    responses: int
    averages: tuple[float | None, ...]  # in the order of ``ProgramReport.ratings``


@dataclass(frozen=True)
class PartnerStage:
    """Partners at a status: where they stand now, or (pipeline table) every stage they reached."""

    stage: str
    count: int


@dataclass(frozen=True)
class AssignmentSubmissions:
    """One assignment of one session: what was handed in, late, missing, and the feedback loop."""

    session_id: str
    session_title: str
    assignment: str
    students: int
    on_time: int
    late: int
    missing: int
    not_due: int                      # not handed in, not due yet (or no due date)
    feedback_sent: int
    awaiting_feedback: int            # handed in, no feedback sent yet
    median_turnaround_days: float | None
    assignment_id: str = ""           # the config's id (``assignment`` is its title)

    @property
    def handed_in(self) -> int:
        """Work that arrived, on time or late."""
        return self.on_time + self.late


@dataclass(frozen=True)
class SessionHours:
    """Confirmed hours of one session's students against the session's target."""

    session_id: str
    title: str
    target: float | None
    students: int
    confirmed: float                  # total confirmed hours of the session's students
    at_target: int                    # students whose confirmed hours reach the target
    waiting_entries: int              # undecided entries that can still count (as `hours` says)
    rejected_entries: int
    flagged_entries: int

    @property
    def per_student(self) -> float | None:
        """Average confirmed hours per student placed."""
        return self.confirmed / self.students if self.students else None


@dataclass(frozen=True)
class StudentLine:
    """One student, for the internal table only (``--include-names``)."""

    name: str
    session: str
    attended: str
    badge: str
    hours: float | None
    session_id: str = ""              # the session's id (``session`` is its title)


@dataclass(frozen=True)
class ProgramReport:
    """Every figure of the program report."""

    program: str
    district: str
    generated: datetime
    funnel: tuple[FunnelStage, ...]
    attendance: tuple[SessionAttendance, ...]
    ratings: tuple[str, ...]
    feedback: tuple[SessionFeedback, ...]
    equity: EquityReport | None
    equity_basis: str
    partners: tuple[PartnerStage, ...]            # partners at each status now (sums to the total)
    partner_total: int
    partners_engaged: int                         # confirmed, session built or thanked
    partner_pipeline: tuple[PartnerStage, ...]    # listed, then every stage reached, then declined
    assignments: tuple[AssignmentSubmissions, ...]
    median_turnaround_days: float | None
    turnaround_count: int
    hours: tuple[SessionHours, ...]
    students: tuple[StudentLine, ...] | None = None   # None unless names were asked for

    @property
    def includes_names(self) -> bool:
        """Whether the report holds the internal per-student table."""
        return self.students is not None
