"""The program config: one YAML file, typed and validated up front.

Every problem in a file is reported at once, each with its key path, what was expected and what
was found, so a coordinator fixes a file in one pass. Relative paths in the file are resolved
against the folder the file lives in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from microintern.domain.wall_time import is_ambiguous, meeting_problem, overlap_note
from microintern.errors import ConfigError, ConfigProblem

LANGUAGES = {"en": "English", "es": "Español"}


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"an email address ({exc})") from exc


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("an IANA time zone such as America/Los_Angeles") from exc
    return value


def _slug(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,40}", value):
        raise ValueError("a short id of lowercase letters, digits and dashes (2-41 characters)")
    return value


def _local_time(value: datetime) -> datetime:
    if value.tzinfo is not None:
        raise ValueError("a local wall time without a UTC offset (it is read in program.time_zone)")
    return value


Email = Annotated[str, AfterValidator(_email)]
Zone = Annotated[str, AfterValidator(_zone)]
Slug = Annotated[str, AfterValidator(_slug)]
LocalDateTime = Annotated[datetime, AfterValidator(_local_time)]
Language = Literal["en", "es"]


class Localized(str):
    """Text families read, given as one string or per language (``{en: ..., es: ...}``).

    It is the default language's text wherever a plain string is expected (sheets, forms, logs,
    comparisons with form answers), so a one-language program and every existing caller see
    what they always saw; letters ask for :meth:`in_language`. A mapping must give the program's
    default language (the fallback of every other language) and only languages the program offers.
    """

    texts: dict[str, str]

    def __new__(cls, text: str, texts: Mapping[str, str] | None = None) -> Localized:
        """``text`` is the default language's; ``texts`` every language given (may be empty)."""
        self = super().__new__(cls, text)
        self.texts = dict(texts or {})
        return self

    def in_language(self, language: str) -> str:
        """The text in ``language``, else the default language's."""
        return self.texts.get(language) or str(self)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """Validate a string or a language mapping; dump back what was given."""
        return core_schema.with_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: dict(value.texts) if isinstance(value, Localized) and value.texts
                else str(value)))

    @classmethod
    def _validate(cls, value: Any, info: ValidationInfo) -> Localized:
        if isinstance(value, Localized):
            return value
        # parse_config passes the program's languages: a field is validated before
        # program.default_language is known to the model.
        context = info.context if isinstance(info.context, Mapping) else {}
        default = context.get("default_language")
        offered = context.get("languages")
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("a non-empty text")
            return cls(value)
        if not isinstance(value, Mapping) or not value:
            raise ValueError("a text, or a mapping of language to text such as {en: ..., es: ...}")
        for language, text in value.items():
            if offered is not None and language not in offered:
                raise ValueError(f"languages of program.languages ({', '.join(offered)}), "
                                 f"not {language!r}")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"a non-empty text for {language!r}")
        if default is None:
            # The program's default language is itself wrong (reported there): pick any text.
            default = "en" if "en" in value else next(iter(value))
        elif default not in value:
            raise ValueError(f"a text in the default language {default!r} (the fallback of the others)")
        return cls(value[default], {str(k): v for k, v in value.items()})


def text_in(value: str, language: str) -> str:
    """``value`` (a :class:`Localized` or a plain string) in ``language``, default as fallback."""
    return value.in_language(language) if isinstance(value, Localized) else value


class _Model(BaseModel):
    # A typo in a key is a problem to report, not a setting to ignore.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Model):
    """Someone the program writes to: a coordinator, a teacher, a partner contact."""

    name: str = Field(min_length=1)
    email: Email


class ProgramInfo(_Model):
    """Who runs the program and where."""

    id: Slug
    name: Localized
    district: Localized
    time_zone: Zone
    student_email_domain: str | None = None
    languages: list[Language] = Field(default_factory=lambda: ["en"], min_length=1)
    default_language: Language = "en"

    @model_validator(mode="after")
    def _default_language_offered(self) -> ProgramInfo:
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        return self


class Sender(_Model):
    """The address letters come from: the delegated user or one of its verified send-as aliases."""

    address: Email
    name: Localized                             # the From display name, in each letter's language
    reply_to: Email | None = None


class Backend(StrEnum):
    """Where the program's data and mail live."""

    LOCAL = "local"
    GOOGLE = "google"


class LocalSettings(_Model):
    """The embedded local backend: a folder with a workbook, an outbox, calendars and CSVs."""

    folder: Path = Path("../demo-output/local")


class GoogleAuth(StrEnum):
    """How microintern signs in to Google."""

    SERVICE_ACCOUNT = "service_account"
    OAUTH = "oauth"


class GoogleSettings(_Model):
    """Google Workspace ids and sign-in."""

    auth: GoogleAuth = GoogleAuth.SERVICE_ACCOUNT
    credentials_file: Path = Path("../credentials.json")
    delegated_user: Email | None = None
    token_file: Path = Path("~/.config/microintern/token.json")
    endpoint: str | None = None
    spreadsheet_id: str | None = None
    application_form_id: str | None = None
    calendar_id: str = "primary"
    timeout_seconds: float = Field(default=60.0, gt=0, le=600)

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+(:\d+)?/?", value):
            raise ValueError("a base URL such as http://127.0.0.1:8080")
        return value.rstrip("/") if value else value


class ScheduleSettings(_Model):
    """When unattended runs happen."""

    run_at: time = time(6, 30)
    catch_up: bool = True
    # How many days past its window a step that never ran is still run by run-due. 3 covers a
    # cron host down over a long weekend; later than that a letter's dates and deadlines are
    # stale (an invitation months late, a reminder after the session), so run-due reports it
    # as missed and only `microintern send STEP` sends it. catch_up: false means 0.
    catch_up_days: int = Field(default=3, ge=0, le=60)


class RunLockSettings(_Model):
    """The program's run lock: where its file lives, and how long a lease in the sheet lasts.

    ``folder`` None: ``.microintern`` beside the config file, so everyone who runs this program
    (cron's user, an IT person) takes the same lock. Set it to a system-wide folder such as
    ``/var/lib/microintern`` when the config folder is not writable by the program's group.
    """

    folder: Path | None = None
    lease_minutes: int = Field(default=30, ge=2, le=24 * 60)


class MailSettings(_Model):
    """Sending pace and who gets copied."""

    # None: no local pacing (a relay or raised quota paces for us; 429s are still honoured).
    per_minute: int | None = Field(default=60, ge=1, le=600)
    daily_cap: int = Field(default=2000, ge=1, le=10000)
    guardian_cc: bool = False


class Partner(_Model):
    """An industry partner organisation and its contact."""

    id: Slug
    organization: Localized
    contact: Person
    industry: str = Field(min_length=1)
    website: str | None = None
    blurb: Localized | None = None              # a line or two about the partner, for families


class Bounds(_Model):
    """Group size bounds for a cohort."""

    min: int = Field(default=4, ge=1)
    max: int = Field(default=6, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Weekly(_Model):
    """A series of meetings: ``count`` meetings every ``every_days`` days from ``first``."""

    first: LocalDateTime
    count: int = Field(ge=1, le=52)
    every_days: int = Field(default=7, ge=1, le=31)


class Session(_Model):
    """One micro-internship: a partner, a teacher, a group and its meeting times."""

    id: Slug
    title: Localized
    description: Localized | None = None
    partner: str
    teacher: Person
    industry: str | None = None
    duration_minutes: int = Field(default=90, ge=15, le=480)
    group_size: Bounds = Bounds()
    meetings: list[LocalDateTime] = Field(default_factory=list)
    weekly: Weekly | None = None
    hours_target: float | None = Field(default=None, gt=0)
    paid: bool = False
    hourly_rate: float | None = Field(default=None, ge=0)   # overrides hours.hourly_rate
    assignments: list[Assignment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_meetings(self) -> Session:
        if not self.meetings and self.weekly is None:
            raise ValueError("a session needs `meetings` (a list of local times) or `weekly`")
        if self.meetings and self.weekly is not None:
            raise ValueError("give either `meetings` or `weekly`, not both")
        return self

    def meeting_starts(self) -> list[datetime]:
        """Every meeting's local start, in order (naive wall times in the program's zone)."""
        if self.weekly is None:
            return sorted(self.meetings)
        step = timedelta(days=self.weekly.every_days)
        # Wall-clock arithmetic on naive times: 16:00 stays 16:00 across a DST change.
        return [self.weekly.first + i * step for i in range(self.weekly.count)]


class QuestionKind(StrEnum):
    """Kinds of application question, matching Google Forms item types."""

    SHORT_TEXT = "short_text"
    PARAGRAPH = "paragraph"
    EMAIL = "email"
    CHOICE = "choice"
    CHECKBOXES = "checkboxes"
    NUMBER = "number"
    DATE = "date"               # a Forms date question (answers read as YYYY-MM-DD)


class Question(_Model):
    """One question of the student application form."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    title: str = Field(min_length=1)
    kind: QuestionKind = QuestionKind.SHORT_TEXT
    required: bool = False
    options: list[str] = Field(default_factory=list)
    # The column's title in a linked responses sheet, when it differs from `title`.
    column: str | None = None

    @model_validator(mode="after")
    def _options_match_kind(self) -> Question:
        needs = self.kind in (QuestionKind.CHOICE, QuestionKind.CHECKBOXES)
        if needs and not self.options:
            raise ValueError(f"a {self.kind.value} question needs options")
        if not needs and self.options:
            raise ValueError(f"a {self.kind.value} question takes no options")
        return self


# The answers every step relies on; the application must ask for them.
REQUIRED_QUESTION_KEYS = ("first_name", "last_name", "student_email")


class ResponsesSheet(_Model):
    """A hand-made form's linked responses sheet, read instead of the Forms API."""

    spreadsheet_id: str = Field(min_length=10)
    tab: str = "Form Responses 1"


class Application(_Model):
    """The student application: its questions and rules."""

    form_title: str = Field(min_length=1)
    # The form's public link, for the flyer and letters. Unset: the Google form's own link.
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    # Google backend only: read responses from the form's linked sheet (forms made by hand).
    responses_sheet: ResponsesSheet | None = None
    deadline: LocalDateTime
    eligible_grades: list[int] = Field(default_factory=lambda: [9, 10, 11, 12], min_length=1)
    min_essay_words: int = Field(default=25, ge=0)
    questions: list[Question] = Field(min_length=1)
    # How many applicants screening proposes to waitlist; None means as many as there are seats.
    waitlist_size: int | None = Field(default=None, ge=0)
    # The share of mail.daily_cap "application received" letters may use in one day; the rest
    # wait in the Outbox for the next day (a flood of the public form cannot spend the cap).
    ack_daily_share: float = Field(default=0.25, gt=0, le=1)
    # The respondents are the district's own students, signed in: the tool's student forms
    # (application, hand-in, hours) collect the verified address, and it is trusted over typed ones.
    verified_respondents: bool = False


class Criterion(_Model):
    """One weighted rubric criterion."""

    key: str
    label: str
    weight: float = Field(ge=0, le=100)
    # Optional "answer in list" criterion (e.g. equity points): question key -> answers that earn
    # points. Each listed question earns an equal share of the weight; the key is then free.
    answers: dict[str, list[str]] | None = None


class Rubric(_Model):
    """How applications are scored: weighted, explainable criteria."""

    criteria: list[Criterion] = Field(min_length=1)


class Recruitment(_Model):
    """Who receives the student flyer to share: counselors and teachers, one letter each."""

    recipients: list[Person] = Field(default_factory=list)


class EquitySettings(_Model):
    """The equity report: which optional answers to break selection down by."""

    fields: list[str] = Field(default_factory=list)          # question keys, e.g. school, gender
    enrollment: dict[str, dict[str, int]] = Field(default_factory=dict)  # key -> group -> enrolled
    threshold: float = Field(default=0.8, gt=0, le=1)        # the four-fifths rule
    # Groups with fewer applicants are never flagged (chance alone moves small groups' rates);
    # the report says so beside each one.
    min_group_size: int = Field(default=10, ge=1)


class Alignment(_Model):
    """What a badge lines up with, e.g. a state CTE pathway standard (Open Badges alignment)."""

    target_name: str = Field(min_length=1)
    target_url: str = Field(min_length=1)
    target_description: str | None = None
    target_framework: str | None = None
    target_code: str | None = None


class BadgrSettings(_Model):
    """Badgr API v2 (also served as Canvas Credentials / Parchment Digital Badges)."""

    # The host differs by region and brand, e.g. https://api.badgr.io, https://api.eu.badgr.io,
    # https://api.ca.badgr.io, https://api.au.badgr.io.
    base_url: str = "https://api.badgr.io"
    client_id: str = "public"
    username: Email | None = None
    # The account password is never written in the config: it is read from this variable once,
    # to get the first token; after that the rotating refresh token in token_file is used.
    password_env: str = "MICROINTERN_BADGR_PASSWORD"  # noqa: S105 - a variable name, not a secret
    token_file: Path = Path("~/.config/microintern/badgr-token.json")
    issuer_id: str = Field(min_length=1)
    badgeclass_id: str = Field(min_length=1)
    timeout_seconds: float = Field(default=30, gt=0, le=300)


class BadgeRequirements(_Model):
    """What a student must have done to earn the badge."""

    attendance: bool = True                     # Attended "yes" on the Participants tab
    final_project: bool = False                 # a submitted final-project assignment
    confirmed_hours: float | None = Field(default=None, gt=0)   # at least this many confirmed


class BadgeSettings(_Model):
    """The badge students earn."""

    name: str
    description: str
    criteria: str
    # The share of a session's meetings a student must have attended (multi-week programs).
    min_attendance: float = Field(default=0.75, gt=0, le=1)
    # "local" issues Open Badges 2.0 assertions and baked images into the local folder;
    # "badgr" awards through the Badgr API v2 (the service sends the notice).
    provider: Literal["local", "badgr"] = "local"
    badgr: BadgrSettings | None = None
    # Where the local provider publishes its hosted JSON (issuer, badge class, assertions).
    hosted_url: str = "https://badges.example.org/microintern"
    # A public page about the session, cited as evidence in each assertion ("{session}" is
    # replaced by the session id). Never a page about one student. None: narrative only.
    evidence_url: str | None = None
    image: Path | None = None                   # a PNG; default: one drawn from the name
    alignment: list[Alignment] = Field(default_factory=list)
    requires: BadgeRequirements = BadgeRequirements()

    @field_validator("hosted_url", "evidence_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("a web address such as https://badges.example.org/internships")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _badgr_settings(self) -> BadgeSettings:
        if self.provider == "badgr" and self.badgr is None:
            raise ValueError("badge.provider badgr needs a `badgr` section (issuer_id, badgeclass_id)")
        if self.provider == "badgr" and self.badgr is not None and self.badgr.username is None:
            raise ValueError("badge.badgr.username: the Badgr account that awards the badge")
        return self


class AttendanceSettings(_Model):
    """How Meet's conference records become attended yes/no."""

    # A meeting counts as attended when the student was in it this share of its minutes.
    threshold: float = Field(default=0.75, gt=0, le=1)
    # How Meet's participant ids (users/{id}) are turned into addresses: the People API
    # ("people"), the Admin SDK Directory ("directory"), or not at all ("none": the
    # coordinator's Attendance column is the only source).
    lookup: Literal["people", "directory", "none"] = "people"


class FeedbackSettings(_Model):
    """The students' feedback form, sent two days after the session."""

    form_titles: dict[Language, str] = Field(default_factory=dict)
    # Rated 1 (poor) to 5 (excellent); each becomes a column of the Feedback tab.
    ratings: list[str] = Field(
        default_factory=lambda: ["The session overall", "The partner's explanations",
                                 "How much I learned about this career"], min_length=1)
    # The ratings as the Spanish (or another language's) form asks them, in the same order;
    # the default ratings have built-in Spanish, others are asked as written above.
    rating_titles: dict[Language, list[str]] = Field(default_factory=dict)
    # At most 5 days: the first letter goes by day 4 after the last meeting at the latest, and
    # the feedback window (timeline) stays open to day 9 for the one reminder.
    reminder_after_days: int = Field(default=2, ge=1, le=5)

    @model_validator(mode="after")
    def _ratings(self) -> FeedbackSettings:
        for rating in self.ratings:
            if not rating.strip() or "\n" in rating or "\r" in rating or len(rating) > 100:
                raise ValueError(f"each rating is one line of up to 100 characters, found {rating!r}")
        if len({r.strip().casefold() for r in self.ratings}) != len(self.ratings):
            raise ValueError("ratings must differ from each other (each is a Feedback tab column)")
        for language, titles in self.rating_titles.items():
            if len(titles) != len(self.ratings):
                raise ValueError(f"rating_titles.{language} needs one title per rating "
                                 f"({len(self.ratings)}), found {len(titles)}")
        return self


class Assignment(_Model):
    """Independent work handed in after a meeting."""

    id: Slug
    title: str = Field(min_length=1)
    instructions: str = Field(min_length=1)
    meeting: int = Field(default=-1)            # which meeting it follows: 1, 2, ... or -1 (last)
    due_days: int = Field(default=7, ge=0, le=60)   # due this many days after that meeting
    final_project: bool = False

    @field_validator("meeting")
    @classmethod
    def _meeting(cls, value: int) -> int:
        if value == 0 or value < -1:
            raise ValueError("a meeting number from 1, or -1 for the last meeting")
        return value


class AssignmentSettings(_Model):
    """How submissions are collected and followed up."""

    form_title: str | None = None               # default: "<program name>: hand in your work"
    partner_feedback_reminder_days: int = Field(default=5, ge=1, le=30)
    student_reminder_days: int = Field(default=2, ge=0, le=30)   # before the due date
    # Submission folders are unshared (students, partner, teacher) this many days after the
    # session's last meeting; the coordinator keeps access.
    access_ends_after_days: int = Field(default=30, ge=0, le=365)


class HoursSettings(_Model):
    """The hours log of paid and multi-week programs."""

    form_title: str | None = None               # default: "<program name>: hours log"
    confirmer: Literal["teacher", "partner"] = "teacher"
    hourly_rate: float = Field(default=0, ge=0)  # stipend per confirmed hour (payroll export)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    max_hours_per_day: float = Field(default=12, gt=0, le=24)
    pending_reminder_days: int = Field(default=3, ge=1, le=30)


class VideoSettings(_Model):
    """How Meet spaces are set up."""

    recording: Literal["never", "if_every_release_allows"] = "if_every_release_allows"
    attendance_report: bool = True
    moderation: bool = True


class PartnerPipeline(_Model):
    """How partners are followed up, met and asked about their session."""

    # A partner who has not answered the invitation gets one follow-up after this many days.
    followup_after_days: int = Field(default=7, ge=1, le=60)
    # The planning meeting (the coordinator fills in its time in the Partners tab).
    meeting_minutes: int = Field(default=30, ge=10, le=240)
    industry_form_title: str | None = None


class RegistrationSettings(_Model):
    """The registration form students confirm their place with."""

    form_title: str | None = None
    # Registration is due this many days before the session's first meeting.
    due_days_before: int = Field(default=21, ge=1, le=120)
    reminder_every_days: int = Field(default=4, ge=1, le=30)
    max_reminders: int = Field(default=2, ge=0, le=10)


class ReleaseFormSettings(_Model):
    """The guardian release and consent form, one per family language."""

    form_titles: dict[Language, str] = Field(default_factory=dict)
    due_days_before: int = Field(default=14, ge=1, le=120)
    reminder_every_days: int = Field(default=3, ge=1, le=30)
    max_reminders: int = Field(default=3, ge=0, le=10)


class ReminderSettings(_Model):
    """The day-before reminder to students and the day-of run sheet to staff."""

    # Multi-week sessions: a reminder before every meeting and a run sheet on every meeting day
    # (issue 15); False keeps the first meeting's only.
    every_meeting: bool = True


class ProgramConfig(_Model):
    """The whole program config file."""

    program: ProgramInfo
    coordinator: Person
    sender: Sender
    backend: Backend = Backend.LOCAL
    local: LocalSettings = LocalSettings()
    google: GoogleSettings = GoogleSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    run_lock: RunLockSettings = RunLockSettings()
    mail: MailSettings = MailSettings()
    templates_folder: Path = Path("../templates")
    partners: list[Partner] = Field(default_factory=list)
    sessions: list[Session] = Field(min_length=1)
    application: Application
    recruitment: Recruitment = Recruitment()
    equity: EquitySettings = EquitySettings()
    rubric: Rubric
    badge: BadgeSettings
    video: VideoSettings = VideoSettings()
    partner_pipeline: PartnerPipeline = PartnerPipeline()
    registration: RegistrationSettings = RegistrationSettings()
    release_form: ReleaseFormSettings = ReleaseFormSettings()
    reminders: ReminderSettings = ReminderSettings()
    attendance: AttendanceSettings = AttendanceSettings()
    feedback: FeedbackSettings = FeedbackSettings()
    # Assignments every session has (a session's own list adds to these).
    assignments: list[Assignment] = Field(default_factory=list)
    assignment: AssignmentSettings = AssignmentSettings()
    hours: HoursSettings = HoursSettings()

    # Set by load_config: the folder relative paths are resolved against.
    base_dir: Path = Path()

    @property
    def zone(self) -> ZoneInfo:
        """The program's time zone."""
        return ZoneInfo(self.program.time_zone)

    def resolve(self, path: Path) -> Path:
        """Resolve a path from the file against the config file's folder (and expand ``~``)."""
        path = path.expanduser()
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def session(self, session_id: str) -> Session:
        """The session with this id."""
        for session in self.sessions:
            if session.id == session_id:
                return session
        raise KeyError(session_id)

    def assignments_of(self, session: Session) -> list[Assignment]:
        """The program's assignments followed by the session's own."""
        return [*self.assignments, *session.assignments]

    def first_meeting(self) -> datetime:
        """The earliest meeting of the program (local wall time): the program's ``T``."""
        return min(s.meeting_starts()[0] for s in self.sessions)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _key_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith(("function-", "tagged-union")):
            path += f".{part}" if path else str(part)
    return path or "(top level)"


_EXPECTATIONS = {
    "missing": ("this key", "nothing"),
    "extra_forbidden": ("no such key (check the spelling)", None),
}


def _problem(error: Any) -> ConfigProblem:
    path = _key_path(error["loc"])
    kind = error["type"]
    found = "nothing" if kind == "missing" else _describe(error.get("input"))
    if kind in _EXPECTATIONS:
        expected, fixed_found = _EXPECTATIONS[kind]
        return ConfigProblem(path, expected, fixed_found or found)
    message = error["msg"]
    for prefix in ("Value error, ", "Input should be ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return ConfigProblem(path, message, found)


def _meeting_walls(config: ProgramConfig) -> Iterable[tuple[str, str, datetime, datetime]]:
    """Each meeting as (key path, which meeting, local start, local end), all wall times."""
    for i, session in enumerate(config.sessions):
        length = timedelta(minutes=session.duration_minutes)
        starts = session.meeting_starts()
        for j, start in enumerate(starts):
            if session.weekly is None:
                path, which = f"sessions[{i}].meetings[{j}]", "a meeting"
            else:
                path, which = f"sessions[{i}].weekly", f"meeting {j + 1} of {len(starts)}"
            # Wall-clock end, as the Calendar event is written: start + duration on the clock.
            yield path, which, start, start + length


def _dst_problems(config: ProgramConfig) -> list[ConfigProblem]:
    """Meetings that start or end in the hour the clocks skip, or that the clocks change during
    (they would silently be cut short or run long)."""
    zone = config.zone
    problems: list[ConfigProblem] = []
    for path, which, start, end in _meeting_walls(config):
        why = meeting_problem(start, end - start, zone)
        if why is not None:
            problems.append(ConfigProblem(
                path, "local start and end times (start + duration_minutes) that exist in "
                "program.time_zone, with no clock change between them", f"{which}: {why}"))
    return problems


def meeting_time_notes(config: ProgramConfig) -> list[str]:
    """For check-config: each meeting start that happens twice (DST ends), and which one is used."""
    zone = config.zone
    return [f"{path}: {overlap_note(start, zone)}"
            for path, _, start, _ in _meeting_walls(config) if is_ambiguous(start, zone)]


def _cross_checks(config: ProgramConfig) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = _dst_problems(config)

    def unique(items: list[Any], attr: str, where: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            value = getattr(item, attr)
            if value in seen:
                problems.append(ConfigProblem(f"{where}[{i}].{attr}", "a unique value", repr(value)))
            seen.add(value)

    unique(config.partners, "id", "partners")
    unique(config.sessions, "id", "sessions")
    unique(config.application.questions, "key", "application.questions")
    unique(config.application.questions, "title", "application.questions")
    unique(config.rubric.criteria, "key", "rubric.criteria")
    for i, session in enumerate(config.sessions):
        assignments = config.assignments_of(session)
        seen_ids: set[str] = set()
        for assignment in assignments:
            if assignment.id in seen_ids:
                problems.append(ConfigProblem(f"sessions[{i}].assignments", "unique assignment ids",
                                              repr(assignment.id)))
            seen_ids.add(assignment.id)
            meetings = len(session.meeting_starts())
            if assignment.meeting > meetings:
                problems.append(ConfigProblem(
                    f"sessions[{i}].assignments", f"a meeting number up to {meetings}",
                    f"{assignment.id}: meeting {assignment.meeting}"))

    partner_ids = {p.id for p in config.partners}
    for i, session in enumerate(config.sessions):
        if session.partner not in partner_ids:
            problems.append(
                ConfigProblem(
                    f"sessions[{i}].partner",
                    f"one of the partner ids {sorted(partner_ids)}",
                    repr(session.partner),
                )
            )
    keys = {q.key for q in config.application.questions}
    for key in REQUIRED_QUESTION_KEYS:
        if key not in keys:
            problems.append(
                ConfigProblem("application.questions", f"a question with key {key!r}", "none")
            )
    for i, key in enumerate(config.equity.fields):
        if key not in keys:
            problems.append(ConfigProblem(f"equity.fields[{i}]", "the key of an application question",
                                          repr(key)))
    for key in config.equity.enrollment:
        if key not in config.equity.fields:
            problems.append(ConfigProblem(f"equity.enrollment.{key}", "a key listed in equity.fields",
                                          repr(key)))
    if config.backend is Backend.GOOGLE:
        google = config.google
        if google.spreadsheet_id is None:
            problems.append(
                ConfigProblem("google.spreadsheet_id", "the program spreadsheet's id", "nothing")
            )
        if google.auth is GoogleAuth.SERVICE_ACCOUNT and google.delegated_user is None:
            problems.append(
                ConfigProblem(
                    "google.delegated_user",
                    "the Workspace user the service account acts as (domain-wide delegation)",
                    "nothing",
                )
            )
    templates = config.resolve(config.templates_folder)
    if not templates.is_dir():
        problems.append(ConfigProblem("templates_folder", "an existing folder", str(templates)))
    if config.application.deadline >= config.first_meeting():
        problems.append(
            ConfigProblem(
                "application.deadline",
                "a time before the first meeting",
                config.application.deadline.isoformat(sep=" "),
            )
        )
    return problems


def _language_context(data: Mapping[str, Any]) -> dict[str, Any]:
    """The program's languages as the raw file gives them, for validating :class:`Localized`."""
    program = data.get("program")
    program = program if isinstance(program, Mapping) else {}
    default = program.get("default_language", "en")
    languages = program.get("languages", ["en"])
    # Only languages that are themselves valid: a wrong one is reported once, at its own key,
    # not again at every translated text.
    if not (isinstance(languages, list) and languages
            and all(isinstance(x, str) and x in LANGUAGES for x in languages)):
        return {}
    context: dict[str, Any] = {"languages": list(languages)}
    if isinstance(default, str) and default in languages:
        context["default_language"] = default
    return context


def parse_config(data: Any, *, source: str = "config", base_dir: Path | None = None) -> ProgramConfig:
    """Validate already-parsed YAML data; raise :class:`ConfigError` listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigProblem("(top level)", "a mapping of keys", _describe(data))])
    try:
        config = ProgramConfig.model_validate({**data, "base_dir": base_dir or Path()},
                                              context=_language_context(data))
    except ValidationError as exc:
        raise ConfigError(source, [_problem(e) for e in exc.errors()]) from None
    problems = _cross_checks(config)
    if problems:
        raise ConfigError(source, problems)
    return config


def load_config(path: Path) -> ProgramConfig:
    """Read and validate a program config file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, [ConfigProblem("(file)", "an existing file", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [ConfigProblem("(file)", "a readable UTF-8 file", str(exc))]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [ConfigProblem(where, "valid YAML", reason)]) from None
    if isinstance(data, dict) and "base_dir" in data:
        raise ConfigError(source, [ConfigProblem("base_dir", "no such key", "base_dir")])
    return parse_config(data, source=source, base_dir=path.resolve().parent)


def localize(config: ProgramConfig, wall: datetime) -> datetime:
    """Attach the program's zone to a naive local wall time (DST-correct via zoneinfo)."""
    return wall.replace(tzinfo=config.zone)


def today_in(config: ProgramConfig, now: datetime) -> date:
    """The program-local calendar date at the instant ``now`` (an aware datetime)."""
    return now.astimezone(config.zone).date()
