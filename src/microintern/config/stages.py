"""Settings of the program's stages after selection: partner follow-up, registration, release
form, reminders, video, attendance, feedback, assignments and hours."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from microintern.config.fields import ConfigModel, Language


class AttendanceSettings(ConfigModel):
    """How Meet's conference records become attended yes/no."""

    # A meeting counts as attended when the student was in it this share of its minutes.
    threshold: float = Field(default=0.75, gt=0, le=1)
    # How Meet's participant ids (users/{id}) are turned into addresses: the People API
    # ("people"), the Admin SDK Directory ("directory"), or not at all ("none": the
    # coordinator's Attendance column is the only source).
    lookup: Literal["people", "directory", "none"] = "people"


class FeedbackSettings(ConfigModel):
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


class AssignmentSettings(ConfigModel):
    """How submissions are collected and followed up."""

    form_title: str | None = None               # default: "<program name>: hand in your work"
    partner_feedback_reminder_days: int = Field(default=5, ge=1, le=30)
    student_reminder_days: int = Field(default=2, ge=0, le=30)   # before the due date
    # Submission folders are unshared (students, partner, teacher) this many days after the
    # session's last meeting; the coordinator keeps access.
    access_ends_after_days: int = Field(default=30, ge=0, le=365)


class HoursSettings(ConfigModel):
    """The hours log of paid and multi-week programs."""

    form_title: str | None = None               # default: "<program name>: hours log"
    confirmer: Literal["teacher", "partner"] = "teacher"
    hourly_rate: float = Field(default=0, ge=0)  # stipend per confirmed hour (payroll export)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    max_hours_per_day: float = Field(default=12, gt=0, le=24)
    pending_reminder_days: int = Field(default=3, ge=1, le=30)


class ZoomSettings(ConfigModel):
    """Sessions on Zoom (``video.provider: zoom``): a Server-to-Server OAuth app of the account.

    The app's account id, client id and secret live in ``credentials_file`` (JSON, mode 0600),
    never here. See docs/zoom-youtube.md.
    """

    credentials_file: Path = Path("zoom-credentials.json")
    # The licensed user of the account who hosts every session's meeting (email or user id);
    # blank: the coordinator.
    host: str | None = None
    # Only people signed in to Zoom may join (set up on the account first).
    authenticated_join: bool = False
    # The teacher as alternative host: Zoom accepts only licensed users of the same account.
    teacher_alternative_host: bool = True
    # The API's base URL (tests point it at a fake; MICROINTERN_ZOOM_ENDPOINT wins).
    endpoint: str | None = None
    timeout_seconds: float = Field(default=30, gt=0, le=300)


class YouTubeSettings(ConfigModel):
    """Showcase sessions on YouTube Live (a session's ``broadcast: youtube``)."""

    # YouTube's "made for kids" for every broadcast: the district decides (it turns off
    # comments and personalised ads, and is the law's question, not the tool's).
    made_for_kids: bool = False


class VideoSettings(ConfigModel):
    """Where sessions meet (Meet or Zoom) and how their rooms are set up."""

    provider: Literal["meet", "zoom"] = "meet"   # a session's own ``video`` wins
    recording: Literal["never", "if_every_release_allows"] = "if_every_release_allows"
    attendance_report: bool = True
    moderation: bool = True
    zoom: ZoomSettings = ZoomSettings()
    youtube: YouTubeSettings = YouTubeSettings()


class PartnerPipeline(ConfigModel):
    """How partners are followed up, met and asked about their session."""

    # A partner who has not answered the invitation gets one follow-up after this many days.
    followup_after_days: int = Field(default=7, ge=1, le=60)
    # The planning meeting (the coordinator fills in its time in the Partners tab).
    meeting_minutes: int = Field(default=30, ge=10, le=240)
    industry_form_title: str | None = None


class RegistrationSettings(ConfigModel):
    """The registration form students confirm their place with."""

    form_title: str | None = None
    # Registration is due this many days before the session's first meeting.
    due_days_before: int = Field(default=21, ge=1, le=120)
    reminder_every_days: int = Field(default=4, ge=1, le=30)
    max_reminders: int = Field(default=2, ge=0, le=10)


class ReleaseFormSettings(ConfigModel):
    """The guardian release and consent form, one per family language."""

    form_titles: dict[Language, str] = Field(default_factory=dict)
    due_days_before: int = Field(default=14, ge=1, le=120)
    reminder_every_days: int = Field(default=3, ge=1, le=30)
    max_reminders: int = Field(default=3, ge=0, le=10)


class ReminderSettings(ConfigModel):
    """The day-before reminder to students and the day-of run sheet to staff."""

    # Multi-week sessions: a reminder before every meeting and a run sheet on every meeting day
    # (issue 15); False keeps the first meeting's only.
    every_meeting: bool = True
