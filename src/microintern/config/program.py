"""Where and how the program runs: who runs it, the backend, the schedule, the run lock, the mail."""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from microintern.config.fields import ConfigModel, Email, Language, Localized, Slug, Zone


class ProgramInfo(ConfigModel):
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


class Sender(ConfigModel):
    """The address letters come from: the delegated user or one of its verified send-as aliases."""

    address: Email
    name: Localized                             # the From display name, in each letter's language
    reply_to: Email | None = None


class Backend(StrEnum):
    """Where the program's data and mail live."""

    LOCAL = "local"
    GOOGLE = "google"


class LocalSettings(ConfigModel):
    """The embedded local backend: a folder with a workbook, an outbox, calendars and CSVs."""

    folder: Path = Path("../demo-output/local")


class GoogleAuth(StrEnum):
    """How microintern signs in to Google."""

    SERVICE_ACCOUNT = "service_account"
    OAUTH = "oauth"


class GoogleSettings(ConfigModel):
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


class ScheduleSettings(ConfigModel):
    """When unattended runs happen."""

    run_at: time = time(6, 30)
    catch_up: bool = True
    # How many days past its window a step that never ran is still run by run-due. 3 covers a
    # cron host down over a long weekend; later than that a letter's dates and deadlines are
    # stale (an invitation months late, a reminder after the session), so run-due reports it
    # as missed and only `microintern send STEP` sends it. catch_up: false means 0.
    catch_up_days: int = Field(default=3, ge=0, le=60)


class RunLockSettings(ConfigModel):
    """The program's run lock: where its file lives, and how long a lease in the sheet lasts.

    ``folder`` None: ``.microintern`` beside the config file, so everyone who runs this program
    (cron's user, an IT person) takes the same lock. Set it to a system-wide folder such as
    ``/var/lib/microintern`` when the config folder is not writable by the program's group.
    """

    folder: Path | None = None
    lease_minutes: int = Field(default=30, ge=2, le=24 * 60)


class MailSettings(ConfigModel):
    """Sending pace and who gets copied."""

    # None: no local pacing (a relay or raised quota paces for us; 429s are still honoured).
    per_minute: int | None = Field(default=60, ge=1, le=600)
    daily_cap: int = Field(default=2000, ge=1, le=10000)
    guardian_cc: bool = False
