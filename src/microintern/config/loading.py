"""The whole program config and how a file becomes one: read, validate, cross-check.

Every problem in a file is reported at once, each with its key path, what was expected and what
was found, so a coordinator fixes a file in one pass. Relative paths in the file are resolved
against the folder the file lives in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import Field, PrivateAttr, ValidationError

from microintern.config.application import (
    REQUIRED_QUESTION_KEYS,
    Application,
    EquitySettings,
    Recruitment,
    Rubric,
)
from microintern.config.badges import BadgeSettings
from microintern.config.fields import LANGUAGES, ConfigModel, Person
from microintern.config.form_texts import FormTexts, load_form_texts
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
from microintern.config.sessions import Assignment, Partner, Session
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
from microintern.domain.wall_time import is_ambiguous, meeting_problem, overlap_note
from microintern.errors import ConfigError, ConfigProblem


class ProgramConfig(ConfigModel):
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
    # The forms' texts (templates_folder/forms), read with the config so the domain builds
    # forms from memory (set by parse_config).
    _form_texts: FormTexts = PrivateAttr(default_factory=FormTexts)

    @property
    def form_texts(self) -> FormTexts:
        """The texts of the program's forms in every language they have a file in."""
        return self._form_texts

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
    config._form_texts = load_form_texts(config.resolve(config.templates_folder), config.program.languages)
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
