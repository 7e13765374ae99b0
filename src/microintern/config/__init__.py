"""The program config: one YAML file, typed and validated up front.

``from microintern.config import X`` is the way in; the modules split the models by concern:

- ``fields``: field types (addresses, zones, ids, local times) and :class:`Localized` text;
- ``program``: who runs the program and where: backend, Google, schedule, run lock, mail;
- ``sessions``: partners, sessions and their assignments;
- ``application``: the application form's questions, the rubric, recruitment, the equity report;
- ``badges``: the badge and its issuer;
- ``stages``: settings of the stages after selection (registration to hours);
- ``loading``: :class:`ProgramConfig`, its cross-checks, and reading a file.
"""

from microintern.config.application import (
    REQUIRED_QUESTION_KEYS,
    Application,
    Criterion,
    EquitySettings,
    Question,
    QuestionKind,
    Recruitment,
    ResponsesSheet,
    Rubric,
)
from microintern.config.badges import Alignment, BadgeRequirements, BadgeSettings, BadgrSettings
from microintern.config.fields import (
    LANGUAGES,
    Email,
    Language,
    LocalDateTime,
    Localized,
    Person,
    Slug,
    Zone,
    text_in,
)
from microintern.config.loading import (
    ProgramConfig,
    load_config,
    localize,
    meeting_time_notes,
    parse_config,
    today_in,
)
from microintern.config.program import (
    Backend,
    GoogleAuth,
    GoogleSettings,
    LocalSettings,
    MailSettings,
    ProgramInfo,
    RunLockSettings,
    ScheduleSettings,
    Sender,
)
from microintern.config.sessions import Assignment, Bounds, Partner, Session, Weekly
from microintern.config.stages import (
    AssignmentSettings,
    AttendanceSettings,
    FeedbackSettings,
    HoursSettings,
    PartnerPipeline,
    RegistrationSettings,
    ReleaseFormSettings,
    ReminderSettings,
    VideoSettings,
)

__all__ = [
    "LANGUAGES",
    "REQUIRED_QUESTION_KEYS",
    "Alignment",
    "Application",
    "Assignment",
    "AssignmentSettings",
    "AttendanceSettings",
    "Backend",
    "BadgeRequirements",
    "BadgeSettings",
    "BadgrSettings",
    "Bounds",
    "Criterion",
    "Email",
    "EquitySettings",
    "FeedbackSettings",
    "GoogleAuth",
    "GoogleSettings",
    "HoursSettings",
    "Language",
    "LocalDateTime",
    "LocalSettings",
    "Localized",
    "MailSettings",
    "Partner",
    "PartnerPipeline",
    "Person",
    "ProgramConfig",
    "ProgramInfo",
    "Question",
    "QuestionKind",
    "Recruitment",
    "RegistrationSettings",
    "ReleaseFormSettings",
    "ReminderSettings",
    "ResponsesSheet",
    "Rubric",
    "RunLockSettings",
    "ScheduleSettings",
    "Sender",
    "Session",
    "Slug",
    "VideoSettings",
    "Weekly",
    "Zone",
    "load_config",
    "localize",
    "meeting_time_notes",
    "parse_config",
    "text_in",
    "today_in",
]
