"""The badge students earn: what it says, what it requires, who issues it (locally or Badgr)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from microintern.config.fields import ConfigModel, Email, Localized


class Alignment(ConfigModel):
    """What a badge lines up with, e.g. a state CTE pathway standard (Open Badges alignment)."""

    target_name: str = Field(min_length=1)
    target_url: str = Field(min_length=1)
    target_description: str | None = None
    target_framework: str | None = None
    target_code: str | None = None


class BadgrSettings(ConfigModel):
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


class BadgeRequirements(ConfigModel):
    """What a student must have done to earn the badge."""

    attendance: bool = True                     # Attended "yes" on the Participants tab
    final_project: bool = False                 # a submitted final-project assignment
    confirmed_hours: float | None = Field(default=None, gt=0)   # at least this many confirmed


class BadgeSettings(ConfigModel):
    """The badge students earn."""

    # What the badge letter and the flyer tell students: one text, or one per language (see
    # Localized). The Open Badge itself is written in the default language.
    name: Localized
    description: Localized
    criteria: Localized
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
