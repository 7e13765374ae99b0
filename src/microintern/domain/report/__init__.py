"""The program report's figures, from the program sheet's rows and the config (no I/O).

One pure function, :func:`build_report`, turns the tabs into a :class:`ProgramReport`: the funnel
from application to badge, attendance and feedback per session, the equity tables (computed by
:mod:`microintern.domain.equity` and passed in), the partner pipeline, assignment submissions and
the partners' feedback turnaround, and confirmed hours against each session's target. Every figure
is a count or a session-level average; students are named only when the caller asks for the
internal per-student table. Empty tabs and blank columns give zeros and "no data yet", never an
error: the report can be run on the first day of the program.

:func:`dashboard_rows` and :func:`dashboard_charts` lay the same figures out for the sheet's
Dashboard tab (Figure / Value rows) and its native charts.

Modules: ``model`` (the report's dataclasses), ``figures`` (:func:`build_report`) and
``dashboard``; every public name is importable from this package.
"""

from microintern.domain.report.dashboard import FIGURE, UPDATED, VALUE, dashboard_charts, dashboard_rows
from microintern.domain.report.figures import build_report, counts_as_applicant, never_counts, one_decimal
from microintern.domain.report.model import (
    AVERAGE_PREFIX,
    CONFIRMED,
    DUPLICATE,
    ENGAGED,
    FUNNEL_STAGES,
    NO_DATA,
    OTHER_STATUS,
    PARTNER_STAGES,
    PARTNER_STATUSES,
    REJECTED,
    TABS,
    AssignmentSubmissions,
    FunnelStage,
    PartnerStage,
    ProgramReport,
    SessionAttendance,
    SessionFeedback,
    SessionHours,
    StudentLine,
)

__all__ = [
    "AVERAGE_PREFIX",
    "CONFIRMED",
    "DUPLICATE",
    "ENGAGED",
    "FIGURE",
    "FUNNEL_STAGES",
    "NO_DATA",
    "OTHER_STATUS",
    "PARTNER_STAGES",
    "PARTNER_STATUSES",
    "REJECTED",
    "TABS",
    "UPDATED",
    "VALUE",
    "AssignmentSubmissions",
    "FunnelStage",
    "PartnerStage",
    "ProgramReport",
    "SessionAttendance",
    "SessionFeedback",
    "SessionHours",
    "StudentLine",
    "build_report",
    "counts_as_applicant",
    "dashboard_charts",
    "dashboard_rows",
    "never_counts",
    "one_decimal",
]
