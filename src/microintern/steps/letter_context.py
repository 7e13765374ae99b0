"""The context letters are rendered with, built from the config and the sheet's rows.

The keys match :mod:`microintern.domain.catalog`: a letter gets exactly what it needs, and a
field it needs but cannot have (an unset link, say) stops the batch in pre-flight.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from microintern.config import Partner, ProgramConfig, Session
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import QuestionColumn, answers_by_key
from microintern.domain.records import Cell
from microintern.errors import ConfigError, ConfigProblem

DATE = "%A, %B %-d, %Y"
DAY = "%B %-d, %Y"
TIME = "%-I:%M %p"

_ZONE_NAMES = {
    "America/New_York": "Eastern Time", "America/Chicago": "Central Time",
    "America/Denver": "Mountain Time", "America/Phoenix": "Arizona Time",
    "America/Los_Angeles": "Pacific Time", "America/Anchorage": "Alaska Time",
    "Pacific/Honolulu": "Hawaii Time",
}


def application_url(config: ProgramConfig, form_id: str | None) -> str:
    """The application form's public link: the configured one, else the Google form's."""
    if config.application.url:
        return config.application.url
    if form_id:
        return f"https://docs.google.com/forms/d/{form_id}/viewform"
    raise ConfigError("config", [ConfigProblem(
        "application.url", "the application form's public link (https://...)", "nothing")])


def zone_label(config: ProgramConfig) -> str:
    """A reader-friendly name of the program's time zone ("Pacific Time")."""
    return _ZONE_NAMES.get(config.program.time_zone, config.program.time_zone)


def program_context(config: ProgramConfig, url: str | None = None) -> dict[str, Any]:
    """Fields every letter may use about the program and its coordinator."""
    decisions = config.first_meeting() - timedelta(weeks=4)
    return {
        "program": {
            "id": config.program.id,
            "name": config.program.name,
            "district": config.program.district,
            "deadline": config.application.deadline.strftime(DAY),
            "decisions_by": decisions.strftime(DAY),
            "application_url": url or config.application.url or "",
        },
        "coordinator": {"name": config.coordinator.name, "email": config.coordinator.email},
    }


def partner_context(partner: Partner) -> dict[str, Any]:
    """A partner as letters see it."""
    return {
        "organization": partner.organization,
        "contact_name": partner.contact.name,
        "industry": partner.industry,
    }


def meeting_times(config: ProgramConfig, session: Session) -> list[dict[str, str]]:
    """Each meeting of a session as preformatted local date, start and end."""
    length = timedelta(minutes=session.duration_minutes)
    return [
        {"date": start.strftime(DATE), "start": start.strftime(TIME),
         "end": (start + length).strftime(TIME)}
        for start in session.meeting_starts()
    ]


def session_context(config: ProgramConfig, session: Session, *, meet_url: str = "",
                    recording: bool = False, recording_reason: str = "") -> dict[str, Any]:
    """A session as letters see it (the Meet link and recording rule when known)."""
    partner = partner_of(config, session)
    meetings = session.meeting_starts()
    return {
        "id": session.id,
        "title": session.title,
        "partner_organization": partner.organization,
        "teacher_name": session.teacher.name,
        "duration_minutes": session.duration_minutes,
        "multi_week": len(meetings) > 1,
        "hours_target": f"{session.hours_target:g}" if session.hours_target else "",
        "meetings": meeting_times(config, session),
        "time_zone": zone_label(config),
        "meet_url": meet_url,
        "recording": recording,
        "recording_reason": recording_reason,
        "group_size": f"{session.group_size.min}-{session.group_size.max}",
    }


def partner_of(config: ProgramConfig, session: Session) -> Partner:
    """The partner who teaches ``session``."""
    for partner in config.partners:
        if partner.id == session.partner:
            return partner
    raise ConfigError("config", [ConfigProblem(
        f"sessions[{session.id}].partner", "the id of a partner listed under partners", session.partner)])


def applicant_context(row: Mapping[str, Cell], questions: Sequence[QuestionColumn]) -> dict[str, Any]:
    """An applicant as letters see them: id and names only (never an address)."""
    answers = answers_by_key(row, questions)
    return {
        "id": str(row.get(sheet.APPLICANT_ID) or ""),
        "first_name": answers.get("first_name", "").strip(),
        "last_name": answers.get("last_name", "").strip(),
    }


def local_day(moment: datetime, config: ProgramConfig) -> str:
    """A date as letters print it ("March 2, 2027"), in the program's zone."""
    return moment.astimezone(config.zone).strftime(DAY)
