"""The context letters are rendered with, built from the config and the sheet's rows.

The keys match :mod:`microintern.domain.catalog`: a letter gets exactly what it needs, and a
field it needs but cannot have (an unset link, say) stops the batch in pre-flight.

Config text families read (program and district names, which sign every letter, session titles and
descriptions, partner names and blurbs) may be given per language: it is resolved here, in the
letter's language with the default language as fallback, so templates keep one set of names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from jinja2 import TemplateNotFound

from microintern.config import LANGUAGES, Partner, ProgramConfig, Session, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import QuestionColumn, answers_by_key
from microintern.domain.dates import babel_locale
from microintern.domain.letters import Clock, LetterRenderer
from microintern.domain.records import Cell
from microintern.domain.sessions import SessionPlan
from microintern.domain.setting_names import program_video_service, service_name, zone_name
from microintern.domain.video import YOUTUBE, provider_of
from microintern.errors import ConfigError, ConfigProblem

DATE = "%A, %B %-d, %Y"
DAY = "%B %-d, %Y"
TIME = "%-I:%M %p"

# CLDR patterns per letter language: "Tuesday, March 16, 2027" / "martes 16 de marzo de 2027".
_DATE_PATTERNS = {"en": "EEEE, MMMM d, y", "es": "EEEE d 'de' MMMM 'de' y"}


def application_url(config: ProgramConfig, form_id: str | None) -> str:
    """The application form's public link: the configured one, else the Google form's."""
    if config.application.url:
        return config.application.url
    if form_id:
        return f"https://docs.google.com/forms/d/{form_id}/viewform"
    raise ConfigError("config", [ConfigProblem(
        "application.url", "the application form's public link (https://...)", "nothing")])


def zone_label(config: ProgramConfig, language: str = "en") -> str:
    """A reader-friendly name of the program's time zone ("Pacific Time", "hora del Pacífico")."""
    # The flyers name it too (domain.setting_names): one table, the same words everywhere.
    return zone_name(config.program.time_zone, language)


def day_in(day: date, language: str = "en") -> str:
    """A date as a letter in ``language`` prints it, weekday first (Babel's CLDR data)."""
    # Another language: its own full date in Babel's CLDR data (weekday first), not the English order.
    return format_date(day, _DATE_PATTERNS.get(language, "full"), locale=babel_locale(language))


def clock_in(moment: datetime, language: str = "en") -> Clock:
    """A wall time as a letter in ``language`` prints it ("3:30 PM", "3:30 p. m.").

    A :class:`~microintern.domain.letters.Clock`: HTML letters keep it on one line.
    """
    return Clock(format_time(moment.time(), "h:mm a", locale=babel_locale(language)))


def program_context(config: ProgramConfig, url: str | None = None, language: str = "en") -> dict[str, Any]:
    """Fields every letter may use about the program and its coordinator, dates in ``language``."""
    decisions = config.first_meeting() - timedelta(weeks=4)
    return {
        "program": {
            "id": config.program.id,
            "name": text_in(config.program.name, language),
            "district": text_in(config.program.district, language),
            "deadline": long_day(config.application.deadline.date(), language),
            "decisions_by": long_day(decisions.date(), language),
            "application_url": url or config.application.url or "",
            # The program's languages named in the letter's ("English, Spanish"; "inglés,
            # español"): the flyers come in each.
            "languages": [language_name(code, language) for code in config.program.languages],
            # Letters that describe the program before any session is set (the outreach, the
            # recruitment, the release form, the denial) give the program's own group sizes and
            # length, never fixed numbers: "4-6" / "4 a 6", 90.
            "group_size": _group_size(config, language),
            "session_minutes": _session_minutes(config),
            # The service every session meets on ("Google Meet", "Zoom"), "" when they differ:
            # letters about the whole program (acceptance, release form, outreach) then say "online".
            "video_service": program_video_service(config),
        },
        "coordinator": {"name": config.coordinator.name, "email": config.coordinator.email},
    }


def _group_size(config: ProgramConfig, language: str) -> str:
    low = min(s.group_size.min for s in config.sessions)
    high = max(s.group_size.max for s in config.sessions)
    if low == high:
        return str(low)
    return f"{low} a {high}" if language == "es" else f"{low}-{high}"


def _session_minutes(config: ProgramConfig) -> int:
    # The length of a one-meeting session, as the flyers describe the format (the most common).
    singles = [s.duration_minutes for s in config.sessions if len(s.meeting_starts()) == 1]
    lengths = singles or [s.duration_minutes for s in config.sessions]
    return max(set(lengths), key=lengths.count)


def language_name(code: str, language: str) -> str:
    """The language ``code`` named in ``language`` ("Spanish" in English, "inglés" in Spanish)."""
    try:
        return Locale.parse(language).languages.get(code) or LANGUAGES.get(code, code)
    except (ValueError, UnknownLocaleError):
        return LANGUAGES.get(code, code)


class ProgramContexts:
    """:func:`program_context` per letter language, each built once for a whole batch."""

    def __init__(self, config: ProgramConfig, url: str | None = None) -> None:
        self._config, self._url = config, url
        self._built: dict[str, dict[str, Any]] = {}

    def __call__(self, language: str) -> dict[str, Any]:
        """The program context in ``language`` (shared: callers copy it into their context)."""
        if language not in self._built:
            self._built[language] = program_context(self._config, self._url, language)
        return self._built[language]


def long_day(day: date, language: str = "en") -> str:
    """A date without its weekday ("February 12, 2027", "12 de febrero de 2027", "12 tháng 2, 2027").

    English as it always was (strftime, pinned by the letters); every other language in Babel's
    CLDR long format for that language, never the machine's locale.
    """
    if language == "en":
        return day.strftime(DAY)
    if language == "es":
        return format_date(day, "d 'de' MMMM 'de' y", locale="es")
    # The config accepts "pt-BR" as well as "pt_BR" (it validated the code with Babel).
    return format_date(day, "long", locale=Locale.parse(language, sep="-" if "-" in language else "_"))


def partner_context(partner: Partner, language: str = "en") -> dict[str, Any]:
    """A partner as letters in ``language`` see it."""
    return {
        "organization": text_in(partner.organization, language),
        "contact_name": partner.contact.name,
        "industry": partner.industry,
        "blurb": text_in(partner.blurb, language) if partner.blurb is not None else "",
    }


# The language every partner letter ships in: a partner whose language has none reads this one.
PARTNER_FALLBACK = "en"


def partner_letter_language(renderer: LetterRenderer, letter: str, partner: Partner, default: str) -> str:
    """The language ``letter`` is written to ``partner`` in: theirs when its templates exist.

    ``default`` is the program's default language (a partner without a ``language`` reads it).
    Otherwise English, as every partner letter ships (not the program's default, which is where
    the renderer would fall back: a language may have family letters and no partner letters).
    """
    language = partner.reads(default)
    try:
        renderer.environment.get_template(renderer.template_name(letter, language, "subject"))
    except TemplateNotFound:
        return PARTNER_FALLBACK
    return language


def badge_context(config: ProgramConfig, language: str = "en") -> dict[str, str]:
    """The program's badge as the badge letter in ``language`` (and its preview) tells it."""
    badge = config.badge
    return {"name": text_in(badge.name, language), "description": text_in(badge.description, language),
            "criteria": text_in(badge.criteria, language)}


def meeting_times(config: ProgramConfig, session: Session, *, language: str = "en",
                  starts: Sequence[datetime] | None = None) -> list[dict[str, str]]:
    """Each meeting of a session as preformatted local date, start and end.

    ``starts`` are the meetings as the Sessions tab has them now (the config's when None);
    aware times are shown in the program's zone.
    """
    length = timedelta(minutes=session.duration_minutes)
    local = [s.astimezone(config.zone) if s.tzinfo else s
             for s in (session.meeting_starts() if starts is None else starts)]
    return [
        {"date": day_in(start.date(), language), "start": clock_in(start, language),
         "end": clock_in(start + length, language)}
        for start in local
    ]


def session_context(config: ProgramConfig, session: Session, *, meet_url: str = "",
                    recording: bool = False, recording_reason: str = "", language: str = "en",
                    starts: Sequence[datetime] | None = None) -> dict[str, Any]:
    """A session as letters see it (the Meet link and recording rule when known)."""
    partner = partner_of(config, session)
    meetings = session.meeting_starts() if starts is None else list(starts)
    return {
        "id": session.id,
        "title": text_in(session.title, language),
        "description": text_in(session.description, language) if session.description is not None else "",
        "partner_organization": text_in(partner.organization, language),
        "partner_blurb": text_in(partner.blurb, language) if partner.blurb is not None else "",
        "teacher_name": session.teacher.name,
        "duration_minutes": session.duration_minutes,
        "multi_week": len(meetings) > 1,
        "hours_target": f"{session.hours_target:g}" if session.hours_target else "",
        "meetings": meeting_times(config, session, language=language, starts=meetings),
        "time_zone": zone_label(config, language),
        "meet_url": meet_url,
        "recording": recording,
        "recording_reason": recording_reason,
        "group_size": f"{session.group_size.min}-{session.group_size.max}",
    }


# What a letter says of the session's recording rule, per letter language (English otherwise).
_RECORDING = {
    ("en", True): "Every family in this group allowed recording and the partner agreed. The recording "
                  "stays with the program and is shared only with this group and the partner.",
    ("en", False): "This session is not recorded.",
    ("es", True): "Todas las familias del grupo autorizaron la grabación y la empresa estuvo de acuerdo. "
                  "La grabación queda en el programa y solo se comparte con este grupo y la empresa.",
    ("es", False): "Esta sesión no se graba.",
}


def session_letter_context(config: ProgramConfig, session: Session, plan: SessionPlan,
                           language: str, meeting: int = 0) -> dict[str, Any]:
    """A session as the session letters (details, reminder, run sheet) and their previews see it.

    From the Sessions tab's plan (times, Meet link, recording rule, watch link), in ``language``;
    ``meeting`` (from 0) is the meeting the letter is about ("meeting 3 of 6"), as ``next``.
    """
    recording = plan.recording
    context = session_context(
        config, session, meet_url=plan.meet_link, recording=recording,
        recording_reason=_RECORDING[(language if language == "es" else "en", recording)],
        language=language, starts=plan.starts)
    # The meeting this letter is about ("meeting 3 of 6"): the reminder and run sheet name it.
    meetings = context["meetings"]
    if meetings:
        context["next"] = {**meetings[min(meeting, len(meetings) - 1)],
                           "number": meeting + 1, "count": len(meetings)}
    # Issue 18: the service the meeting is on, and a showcase's watch link for the families.
    context["video_service"] = service_name(provider_of(config, session))
    context["showcase"] = session.broadcast == YOUTUBE
    context["watch_url"] = plan.broadcast_url
    return context


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
