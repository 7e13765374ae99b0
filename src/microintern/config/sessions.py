"""Partners and sessions: who offers each micro-internship, when it meets, what is handed in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from microintern.config.fields import ConfigModel, Language, LocalDateTime, Localized, Person, Slug


class Partner(ConfigModel):
    """An industry partner organisation and its contact."""

    id: Slug
    organization: Localized
    contact: Person
    industry: str = Field(min_length=1)
    website: str | None = None
    blurb: Localized | None = None              # a line or two about the partner, for families
    # The language the partner reads: the industry form they are linked, and their letters where
    # a template exists in it (partner letters ship in English). None: the program's default.
    language: Language | None = None

    @field_validator("language")
    @classmethod
    def _language_offered(cls, value: str | None, info: ValidationInfo) -> str | None:
        # parse_config passes the program's languages (see Localized); a partner reads one of them.
        offered = info.context.get("languages") if isinstance(info.context, Mapping) else None
        if value is not None and offered is not None and value not in offered:
            raise ValueError(f"one of program.languages ({', '.join(offered)})")
        return value

    def reads(self, default_language: str) -> str:
        """The language the partner reads (``default_language``, the program's, when not given)."""
        return self.language or default_language


class Bounds(ConfigModel):
    """Group size bounds for a cohort."""

    min: int = Field(default=4, ge=1)
    max: int = Field(default=6, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Weekly(ConfigModel):
    """A series of meetings: ``count`` meetings every ``every_days`` days from ``first``."""

    first: LocalDateTime
    count: int = Field(ge=1, le=52)
    every_days: int = Field(default=7, ge=1, le=31)


class Assignment(ConfigModel):
    """Independent work handed in after a meeting."""

    id: Slug
    # Read by students in their letters: one text, or one per language (see Localized); the
    # Assignments tab and the hand-in form show the default language's.
    title: Localized
    instructions: Localized
    meeting: int = Field(default=-1)            # which meeting it follows: 1, 2, ... or -1 (last)
    due_days: int = Field(default=7, ge=0, le=60)   # due this many days after that meeting
    final_project: bool = False

    @field_validator("meeting")
    @classmethod
    def _meeting(cls, value: int) -> int:
        if value == 0 or value < -1:
            raise ValueError("a meeting number from 1, or -1 for the last meeting")
        return value


class Session(ConfigModel):
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
    video: Literal["meet", "zoom"] | None = None         # overrides video.provider
    broadcast: Literal["youtube"] | None = None          # a showcase streamed on YouTube Live

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
