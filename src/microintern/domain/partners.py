"""The partner pipeline's rules: where a partner stands, the industry form, the meeting cells.

A partner moves prospect → contacted → meeting scheduled → industry form received → confirmed →
session built → thanked, or is declined. The tool moves a partner on only when it acts, and
only forward: the coordinator may set any status by hand, and a status the tool does not know
(a note typed into the cell) or "declined" is theirs, never overwritten.

The industry form is one form for every partner, built from the config; each partner's link
prefills their partner id (and ticks their own sessions' dates), so an answer is matched to the
partner by that id and never by a typed organization name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from babel.dates import format_date, format_time

from microintern.config import ProgramConfig, QuestionKind, Session, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import FormQuestion, FormSpec, form_name_in, question_id
from microintern.domain.long_answers import CutAnswers, fit_to_cell, pieces
from microintern.domain.records import CalendarEvent, Cell, Record
from microintern.errors import ConfigError, ConfigProblem, RowError

PROSPECT = "prospect"
CONTACTED = "contacted"
MEETING_SCHEDULED = "meeting scheduled"
INDUSTRY_FORM_RECEIVED = "industry form received"
CONFIRMED = "confirmed"
SESSION_BUILT = "session built"
THANKED = "thanked"
DECLINED = "declined"
PIPELINE: tuple[str, ...] = (PROSPECT, CONTACTED, MEETING_SCHEDULED, INDUSTRY_FORM_RECEIVED, CONFIRMED,
                             SESSION_BUILT, THANKED)
"""The stages in order (the Status dropdown's, less "declined", which is a way out, not a stage)."""

MEETING_STATUSES = frozenset({PROSPECT, CONTACTED, MEETING_SCHEDULED, INDUSTRY_FORM_RECEIVED, CONFIRMED})
"""Statuses at which a filled-in Meeting time is acted on (invited, or the event moved).

Past "meeting scheduled" on purpose: the letter asks for the industry form *before* the
meeting, so a meeting rescheduled after the answers came must still move the event; and a
partner the coordinator confirmed by phone still gets the planning meeting.
"""


def status_of(cell: Cell) -> str:
    """The status a Status cell holds, spaced and cased as the pipeline spells it; blank is prospect."""
    text = " ".join(str(cell if cell is not None else "").split()).casefold()
    return text or PROSPECT


def advance(current: Cell, to: str) -> str | None:
    """``to`` when it is later in the pipeline than ``current``; None when the partner stays put.

    Never backwards, never off "declined", and never off a status the pipeline does not know
    (the coordinator typed it, so it is theirs). Raises ``ValueError`` when ``to`` is not a
    stage: the tool never declines a partner.
    """
    if to not in PIPELINE:
        raise ValueError(f"{to!r} is not a stage of the partner pipeline {PIPELINE}")
    now = status_of(current)
    if now not in PIPELINE:
        return None
    return to if PIPELINE.index(to) > PIPELINE.index(now) else None


# --- cells the coordinator fills in ---------------------------------------------------------------

_EXAMPLE_TIME = "2027-01-26 10:00"
# How Sheets shows a date-time typed into a cell in a US-locale spreadsheet (read formatted).
_US_TIMES = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
_DAYS = ("%B %d, %Y", "%b %d, %Y", "%m/%d/%Y")


def _shown(value: Cell) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse_meeting_time(value: Cell, partner_id: str) -> datetime | None:
    """The Meeting time cell as a naive local wall time (None when blank).

    Takes "YYYY-MM-DD HH:MM" (seconds and a "T" are fine) and the "M/D/YYYY H:MM:SS" Sheets
    shows for a date-time typed into a US-locale sheet. Anything else, a date without a time or
    a time with a UTC offset raises :class:`RowError` naming the Partners tab, the partner and
    the field.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None

    def bad(reason: str) -> RowError:
        return RowError(sheet.PARTNERS, partner_id, sheet.PARTNER_MEETING_TIME,
                        f"{reason}, found {_shown(value)}")

    if not isinstance(value, str):
        raise bad(f"expected a local date and time like {_EXAMPLE_TIME}")
    text = " ".join(value.split())
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for pattern in _US_TIMES:
            try:
                parsed = datetime.strptime(text, pattern)  # a wall time, zoned by the caller
                break
            except ValueError:
                continue
    if parsed is None:
        raise bad(f"expected a local date and time like {_EXAMPLE_TIME}")
    if ":" not in text:
        # fromisoformat reads a bare date as midnight: a meeting at 00:00 is a missing time.
        raise bad(f"expected a time as well as a date, like {_EXAMPLE_TIME}")
    if parsed.tzinfo is not None:
        raise bad("expected a local time without a UTC offset (it is read in the program's zone)")
    return parsed


def parse_day(value: Cell, partner_id: str, field: str) -> date | None:
    """A date cell the tool wrote ("January 19, 2027") or a person typed (None when blank).

    Also takes ISO dates and "M/D/YYYY"; raises :class:`RowError` naming the partner and field.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = " ".join(str(value).split())
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for pattern in _DAYS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise RowError(sheet.PARTNERS, partner_id, field,
                   f"expected a date like January 19, 2027, found {_shown(value)}")


def followup_due(status: Cell, contacted: date | None, followed_up: Cell, today: date,
                 after_days: int) -> bool:
    """Whether the follow-up is due: still contacted, silent long enough, not yet followed up."""
    if status_of(status) != CONTACTED or contacted is None:
        return False
    if followed_up is not None and str(followed_up).strip():
        return False
    return today - contacted >= timedelta(days=after_days)


# --- the planning meeting -------------------------------------------------------------------------


def meeting_event_id(program_id: str, partner_id: str) -> str:
    """The planning meeting's Calendar event id: hex (valid base32hex), the same on every run."""
    return hashlib.sha256(f"{program_id}\n{sheet.PARTNERS}\n{partner_id}".encode()).hexdigest()[:32]


def event_fingerprint(event: CalendarEvent) -> str:
    """What the event was last written as: its local start (for people) and a digest of the rest.

    Stored between runs, it tells a rerun (same fingerprint: no call) from a change the guests
    must hear about (a new time, a new link, another contact).
    """
    payload = json.dumps([
        event.event_id, event.summary, event.description, event.start.isoformat(),
        event.end.isoformat(), event.time_zone, list(event.attendees), event.meet_uri or "",
        event.status.value, list(event.reminder_minutes),
    ], ensure_ascii=False)
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
    return f"{event.start:%Y-%m-%d %H:%M} {digest}"


# --- the industry form ----------------------------------------------------------------------------

# The form's texts are data: templates/forms/industry.<language>.yaml (config.form_texts). The
# English answers below are what every language's choices are read back as (answers_as), so the
# Partners tab reads the same whatever form a partner filled in.
OTHER_DATES = "Other dates (tell us below)"

_QUESTIONS: tuple[tuple[str, str, QuestionKind, bool], ...] = (
    # key (the form file's key of its title), column written from it ("" when none), kind, required
    ("partner_id", "", QuestionKind.SHORT_TEXT, True),
    ("organization", "", QuestionKind.SHORT_TEXT, True),
    ("topic", "Topic", QuestionKind.SHORT_TEXT, True),
    ("skills", "Skills to teach", QuestionKind.PARAGRAPH, True),
    ("available_dates", "Available dates", QuestionKind.CHECKBOXES, True),
    ("other_dates", "", QuestionKind.PARAGRAPH, False),
    ("group_size", "Group size", QuestionKind.CHOICE, True),
    ("recording_consent", "Recording consent", QuestionKind.CHOICE, True),
    ("co_presenters", "Co-presenters", QuestionKind.PARAGRAPH, False),
)
INDUSTRY_KEYS = {key: column for key, column, *_ in _QUESTIONS if column}
"""Question key → the Partners column its answer is written to."""


def date_option(session: Session) -> str:
    """A session's first meeting as a checkbox option, e.g. "Tuesday March 16 2027 at 3:30 PM".

    Without commas on purpose: Forms hands checkbox answers back joined by ", ", and the
    Partners cell must still tell the dates apart.
    """
    starts = session.meeting_starts()
    text = starts[0].strftime("%A %B %-d %Y at %-I:%M %p")
    return text + (f" (first of {len(starts)} meetings)" if len(starts) > 1 else "")


def date_options(config: ProgramConfig) -> list[str]:
    """Every session's first meeting, in time order, each once."""
    ordered = sorted(config.sessions, key=lambda s: s.meeting_starts()[0])
    return list(dict.fromkeys(date_option(s) for s in ordered))


def partner_dates(config: ProgramConfig, partner_id: str) -> list[str]:
    """The options of the sessions the config gives this partner (ticked in their link)."""
    return list(dict.fromkeys(date_option(s) for s in sorted(
        (s for s in config.sessions if s.partner == partner_id), key=lambda s: s.meeting_starts()[0])))


def group_size_options(config: ProgramConfig) -> list[str]:
    """Each group size the sessions allow, then the whole range ("4", "5", "6", "4-6")."""
    low = min(s.group_size.min for s in config.sessions)
    high = max(s.group_size.max for s in config.sessions)
    sizes = [str(n) for n in range(low, high + 1)]
    return sizes + ([f"{low}-{high}"] if high > low else [])


def _date_shown(session: Session, text: Mapping[str, str], language: str) -> str:
    """:func:`date_option` as the form in ``language`` shows it, by its file's patterns (no commas)."""
    starts = session.meeting_starts()
    day = format_date(starts[0].date(), text["date_day"], locale=language)
    clock = format_time(starts[0].time(), text["date_time"], locale=language)
    shown = text["date_option"].format(day=day, time=clock)
    return shown + (text["more_meetings"].format(count=len(starts)) if len(starts) > 1 else "")


def industry_form_spec(config: ProgramConfig, language: str | None = None) -> FormSpec:
    """The industry form in ``language`` (default: the program's; spec name "industry", or
    "industry-<language>" for another language); raises :class:`ConfigError` for a title Forms refuses.

    Question ids derive from the question keys, so they stay put when titles or options change.
    Available dates are checkboxes of the sessions' dates plus :data:`OTHER_DATES`, with a
    paragraph below for those: a partner picks in one click, and the answer is still compared
    with the program's dates at a glance. A Spanish form shows its choices in Spanish and they
    are read back as the English ones (``answers_as``), so the Partners tab reads the same.
    """
    default = config.program.default_language
    language = language or default
    text = config.form_texts.text_or_default("industry", language, default)
    configured = config.partner_pipeline.industry_form_title if language == default else None
    if configured and ("\n" in configured or "\r" in configured):
        raise ConfigError("config", [ConfigProblem("partner_pipeline.industry_form_title",
                                                   "one line of text", repr(configured))])
    title = configured or text["title"].format(program=text_in(config.program.name, language))
    first: dict[str, Session] = {}   # each date option (as date_options gives them) → its session
    for session in sorted(config.sessions, key=lambda s: s.meeting_starts()[0]):
        first.setdefault(date_option(session), session)
    options = {
        "available_dates": (*date_options(config), OTHER_DATES),
        "group_size": tuple(group_size_options(config)),
        "recording_consent": ("Yes", "No"),
    }
    shown = {
        **options,
        "available_dates": (*(_date_shown(s, text, language) for s in first.values()),
                            text["other_dates_option"]),
        "recording_consent": tuple(text["yes_no"]),
    }
    questions = tuple(
        FormQuestion(key, question_id(key), text[key], kind, required, shown.get(key, ()),
                     options.get(key, ()) if shown.get(key) != options.get(key) else ())
        for key, _, kind, required in _QUESTIONS
    )
    return FormSpec(title, questions, name=form_name_in("industry", language, default))


def form_digest(spec: FormSpec) -> str:
    """A short digest of everything a form shows, to tell when the config changed it."""
    payload = json.dumps([spec.title, [[q.key, q.question_id, q.title, q.kind.value, q.required,
                                        list(q.options)] for q in spec.questions]], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def industry_cells(answers: Mapping[str, str]) -> dict[str, str]:
    """The Partners cells an industry form answer fills, values as given.

    Only line ends are made LF, as every sheet stores them (so a rerun finds nothing changed).
    The other dates a partner wrote below the checkboxes join the ticked ones in one cell.
    """
    def given(key: str) -> str:
        return answers.get(key, "").replace("\r\n", "\n").replace("\r", "\n")

    cells = {column: given(key) for key, column in INDUSTRY_KEYS.items()}
    dates = INDUSTRY_KEYS["available_dates"]
    other = given("other_dates").strip()
    if other:
        cells[dates] = "; ".join(part for part in (cells[dates], other) if part)
    return cells


def industry_answer_key(partner_id: str, column: str) -> str:
    """Where a cut industry answer's full text is kept in the Long answers tab."""
    key = next((k for k, c in INDUSTRY_KEYS.items() if c == column), column)
    # No spaces: the cell's marker names the key as one word.
    return f"partner-{'-'.join(partner_id.split())}/industry-{key}"


def fit_industry_cells(partner_id: str, cells: Mapping[str, str], limit: int) -> CutAnswers:
    """The industry cells fitted to cells of ``limit`` UTF-16 units, and the full text of cut ones.

    A partner who pastes a long text must not make the Partners write fail for every partner.
    A cut cell keeps the beginning and a marker naming its Long answers key; the pieces are the
    Long answers rows (Applicant ID blank: a partner is no applicant).
    """
    fitted: Record = dict(cells)
    kept: list[Record] = []
    cut: list[str] = []
    for column, answer in cells.items():
        # A character is at most two units: half the limit in characters always fits.
        if len(answer) <= limit // 2:
            continue
        key = industry_answer_key(partner_id, column)
        result = fit_to_cell(answer, limit, key=key)
        if not result.cut:
            continue
        fitted[column] = result.text
        cut.append(column)
        kept.extend({sheet.LONG_ANSWER_KEY: f"{key}/{part}", sheet.APPLICANT_ID: "",
                     sheet.LONG_ANSWER_QUESTION: column, sheet.LONG_ANSWER_PART: part,
                     sheet.LONG_ANSWER_TEXT: piece}
                    for part, piece in enumerate(pieces(answer, limit), start=1))
    return CutAnswers(fitted, tuple(kept), tuple(cut))


def plain(value: Cell) -> str:
    """A cell as the text it shows, for comparing with what the tool would write."""
    return "" if value is None else str(value)
