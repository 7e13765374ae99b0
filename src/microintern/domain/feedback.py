"""The students' feedback form: what it asks, how answers are read, averages, what may be shared.

One form per language with a file (``templates/forms/feedback.<language>.yaml``), like the
release form. Each student's link fills in their student id and session, so an answer is
matched to the student by that id, never by a typed name. The ratings come from
``config.feedback.ratings`` and are asked 1 to 5. The form ends with an optional sentence
about the session and an explicit question: may we share it with the partner? Only a "yes"
lets the sentence reach the partner, with the student's first name; a "no" or no answer keeps
it in the program sheet.

Answers are parsed without trusting them: a rating that is not a whole number from 1 to 5 is
left out of the averages and reported with the response and the field; text is kept as given
(the sheet writes it RAW, so ``=IMPORTXML(...)`` stays text). An answer longer than the
backend's cell holds is cut in its Feedback cell with a visible marker, and its full text is
kept in the Long answers tab (:func:`fit_feedback_row`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from microintern.config import ProgramConfig, QuestionKind, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import QuestionColumn
from microintern.domain.dates import DATE_TIME_SECONDS
from microintern.domain.forms import FormQuestion, FormSpec, question_id
from microintern.domain.hidden_text import one_line
from microintern.domain.long_answers import CutAnswers, fit_answers
from microintern.domain.participation import APPLICANT_KEY, YES, yes_no, yes_no_answers
from microintern.domain.records import Cell, Record

SESSION_KEY = "session_id"
LEARNED_KEY = "learned"
IMPROVE_KEY = "improve"
TESTIMONIAL_KEY = "testimonial"
SHARE_KEY = "share"
SCALE = ("1", "2", "3", "4", "5")
AVERAGE_PREFIX = "average:"
# Past this an answer is reported as long: near what a cell holds (xlsx: 32,767 characters;
# Sheets: 50,000). It is kept whole; its cell is fitted when written (fit_feedback_row).
MAX_TEXT = 30_000
# A testimonial in the partner's letter: whole, up to this; longer ones end at a word with "…".
LETTER_QUOTE = 600
SUBMITTED_FORMAT = DATE_TIME_SECONDS  # as the Applications tab's Submitted

# The form's texts are data: templates/forms/feedback.<language>.yaml (config.form_texts), one
# form per language that has a file; its "ratings" translate the default ratings.


def rating_key(rating: str) -> str:
    """The question key of a rating: from its text, so reordering the ratings keeps each id."""
    return f"rating_{question_id(rating)}"


def form_name(language: str) -> str:
    """The feedback form's short name in ``language`` (its Settings label, its local file)."""
    return f"feedback-{language}"


def rating_titles(config: ProgramConfig, language: str) -> list[str]:
    """The ratings as the form in ``language`` asks them."""
    ratings = list(config.feedback.ratings)
    configured = config.feedback.rating_titles.get(language)
    if configured:
        return list(configured)
    texts = config.form_texts
    defaults = texts.text("feedback", language).get("ratings", {}) if texts.has("feedback", language) else {}
    return [defaults.get(r, r) for r in ratings]


def feedback_spec(config: ProgramConfig, language: str) -> FormSpec:
    """The feedback form in ``language`` (one that has a feedback form file)."""
    text = config.form_texts.text("feedback", language)
    form = form_name(language)
    title = config.feedback.form_titles.get(language) or \
        text["title"].format(program=text_in(config.program.name, language))

    def q(key: str, title: str, kind: QuestionKind = QuestionKind.SHORT_TEXT, required: bool = False,
          options: tuple[str, ...] = ()) -> FormQuestion:
        # Ids derive from the form and the key: stable prefill links, none shared between forms.
        return FormQuestion(key, question_id(f"{form}:{key}"), title, kind, required, options)

    ratings = [q(rating_key(rating), text["scale"].format(rating=shown), QuestionKind.CHOICE, True, SCALE)
               for rating, shown in zip(config.feedback.ratings, rating_titles(config, language),
                                        strict=True)]
    return FormSpec(title, (
        q(APPLICANT_KEY, text[APPLICANT_KEY], required=True),
        q(SESSION_KEY, text[SESSION_KEY], required=True),
        *ratings,
        q(LEARNED_KEY, text[LEARNED_KEY], QuestionKind.PARAGRAPH, True),
        q(IMPROVE_KEY, text[IMPROVE_KEY], QuestionKind.PARAGRAPH),
        q(TESTIMONIAL_KEY, text[TESTIMONIAL_KEY], QuestionKind.PARAGRAPH),
        replace(q(SHARE_KEY, text[SHARE_KEY], QuestionKind.CHOICE, False, tuple(text["yes_no"])),
                answers_as=yes_no_answers(tuple(text["yes_no"]))),
    ), name=form)


# --- who is asked ---------------------------------------------------------------------------------


def attended(participant: Mapping[str, Cell]) -> bool:
    """Whether a Participants row says the student attended.

    The tool's Attended column ("yes"/"no", already after the coordinator's override) decides;
    while it is blank, the coordinator's Attendance column does.
    """
    for column in (sheet.ATTENDED, sheet.ATTENDANCE):
        value = _plain(participant.get(column)).casefold()
        if value:
            return yes_no(value) == YES
    return False


# --- answers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormReturn:
    """One response to a feedback form as read back: answers by question key."""

    response_id: str
    submitted_at: datetime
    language: str
    by_key: Mapping[str, str]


@dataclass(frozen=True)
class FeedbackAnswer:
    """One student's feedback, checked."""

    response_id: str
    applicant_id: str
    session_id: str
    submitted_at: datetime
    language: str
    ratings: Mapping[str, int | None]   # rating (config text) → 1..5, None when unusable
    learned: str
    improve: str
    testimonial: str
    share: str                          # "Yes", "No", "" (no answer) or the unclear answer as given

    @property
    def may_share(self) -> bool:
        """True only when the student said yes and wrote a sentence."""
        return self.share == YES and bool(self.testimonial.strip())


@dataclass
class ParsedFeedback:
    """Every usable answer, and one problem line per response or field that is not."""

    answers: list[FeedbackAnswer] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _plain(value: Cell | str | None) -> str:
    return "" if value is None else str(value).strip()


def _where(item: FormReturn) -> str:
    return f"{form_name(item.language)}, response {item.response_id[:40]}"


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def parse_rating(value: str) -> int | None:
    """A 1-5 answer as a number; raises ``ValueError`` when it is not a whole number from 1 to 5."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"expected a whole number from 1 to 5, found {_shown(text)}") from None
    # "inf", "nan" and "1e400" parse as floats: refused here, not by a crash further on.
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= 5:
        raise ValueError(f"expected a whole number from 1 to 5, found {_shown(text)}")
    return int(number)


def _text(item: FormReturn, key: str, label: str, problems: list[str]) -> str:
    value = item.by_key.get(key, "") or ""
    if len(value) > MAX_TEXT:
        problems.append(f"{_where(item)}, field {label!r}: {len(value):,} characters; a cell too small "
                        "for it shows the beginning, the full text is in the Long answers tab")
    return value


def parse_feedback(config: ProgramConfig, returns: Iterable[FormReturn],
                   placed: Mapping[str, str]) -> ParsedFeedback:
    """Check every response; ``placed`` maps each placed student's id to their session id.

    A response whose student id is not a placed student is reported and left out. One whose
    session differs from the student's placement is counted for the placement (the id is what
    the link carried) and reported. A bad rating is reported and left out of the averages; the
    rest of that response is kept.
    """
    parsed = ParsedFeedback()
    for item in returns:
        problems = parsed.problems
        applicant = _plain(item.by_key.get(APPLICANT_KEY))
        if not applicant:
            problems.append(f"{_where(item)}, field 'Student ID': blank; the answer cannot be matched "
                            "to a student")
            continue
        session = placed.get(applicant)
        if session is None:
            # What was typed is not repeated: an edited id field may hold a name or an address.
            problems.append(f"{_where(item)}, field 'Student ID': not a placed student; left out")
            continue
        answered_session = _plain(item.by_key.get(SESSION_KEY))
        if answered_session and answered_session != session:
            problems.append(f"{_where(item)}, field 'Session': not the student's session; counted "
                            f"for {session}")
        ratings: dict[str, int | None] = {}
        for rating in config.feedback.ratings:
            value = item.by_key.get(rating_key(rating), "") or ""
            if not value.strip():
                ratings[rating] = None
                continue
            try:
                ratings[rating] = parse_rating(value)
            except ValueError as exc:
                ratings[rating] = None
                problems.append(f"{_where(item)}, field {rating!r}: {exc}; left out of the averages")
        share_answer = (item.by_key.get(SHARE_KEY, "") or "").strip()
        share = yes_no(share_answer) if share_answer else ""
        if share_answer and not share:
            problems.append(f"{_where(item)}, field 'Share with partner': {_shown(share_answer)} is not "
                            "yes or no; the sentence is not shared")
            share = share_answer[:100]
        parsed.answers.append(FeedbackAnswer(
            response_id=item.response_id, applicant_id=applicant, session_id=session,
            submitted_at=item.submitted_at, language=item.language, ratings=ratings,
            learned=_text(item, LEARNED_KEY, sheet.FEEDBACK_LEARNED, problems),
            improve=_text(item, IMPROVE_KEY, sheet.FEEDBACK_IMPROVE, problems),
            testimonial=_text(item, TESTIMONIAL_KEY, sheet.FEEDBACK_TESTIMONIAL, problems),
            share=share))
    return parsed


def latest_per_student(answers: Iterable[FeedbackAnswer]) -> dict[str, FeedbackAnswer]:
    """Each student's latest answer (a second submission replaces the first in every figure)."""
    latest: dict[str, FeedbackAnswer] = {}
    for answer in sorted(answers, key=lambda a: (a.submitted_at, a.response_id)):
        latest[answer.applicant_id] = answer
    return latest


@dataclass(frozen=True)
class SessionAverages:
    """A session's average per rating (2 decimals; None when nobody rated it) over its answers."""

    session_id: str
    ratings: Mapping[str, float | None]
    responses: int

    @property
    def overall(self) -> float | None:
        """The mean of the rating averages (2 decimals), or None when there is none."""
        values = [v for v in self.ratings.values() if v is not None]
        return round(sum(values) / len(values), 2) if values else None


def session_averages(session_id: str, ratings: Sequence[str],
                     answers: Iterable[FeedbackAnswer]) -> SessionAverages:
    """The averages of ``session_id`` over each student's latest answer."""
    mine = [a for a in latest_per_student(answers).values() if a.session_id == session_id]
    averages: dict[str, float | None] = {}
    for rating in ratings:
        values = [v for v in (a.ratings.get(rating) for a in mine) if v is not None]
        averages[rating] = round(sum(values) / len(values), 2) if values else None
    return SessionAverages(session_id, averages, len(mine))


# --- the Feedback tab -----------------------------------------------------------------------------


def feedback_row(answer: FeedbackAnswer, ratings: Sequence[str], zone: tzinfo) -> Record:
    """The Feedback tab row of one response (Key = response id)."""
    row: Record = {
        sheet.FEEDBACK_KEY: answer.response_id,
        sheet.SESSION_ID: answer.session_id,
        sheet.APPLICANT_ID: answer.applicant_id,
        sheet.SUBMITTED: answer.submitted_at.astimezone(zone).strftime(SUBMITTED_FORMAT),
        sheet.LANGUAGE: answer.language,
    }
    for rating in ratings:
        value = answer.ratings.get(rating)
        row[rating] = value if value is not None else ""
    row.update({
        sheet.FEEDBACK_LEARNED: answer.learned,
        sheet.FEEDBACK_IMPROVE: answer.improve,
        sheet.FEEDBACK_TESTIMONIAL: answer.testimonial,
        sheet.FEEDBACK_SHARE: answer.share,
    })
    return row


FITTED_COLUMNS = ((LEARNED_KEY, sheet.FEEDBACK_LEARNED), (IMPROVE_KEY, sheet.FEEDBACK_IMPROVE),
                  (TESTIMONIAL_KEY, sheet.FEEDBACK_TESTIMONIAL))
"""The Feedback columns holding free text: (question key, column)."""


def fit_feedback_row(row: Record, limit: int) -> CutAnswers:
    """A :func:`feedback_row` with its text answers fitted to cells of ``limit`` UTF-16 units.

    A cut answer ends with the marker naming its Long answers key,
    ``<applicant id>/feedback-<response id>-<question key>`` (a student may answer twice, so
    the response is in it), and its full text comes back as pieces to write there.
    """
    response = str(row[sheet.FEEDBACK_KEY])
    questions = [QuestionColumn(f"feedback-{response}-{key}", column) for key, column in FITTED_COLUMNS]
    return fit_answers(row, questions, limit)


def average_key(session_id: str) -> str:
    """The Key of a session's averages row."""
    return f"{AVERAGE_PREFIX}{session_id}"


def average_row(averages: SessionAverages) -> Record:
    """The Feedback tab row holding a session's averages and how many answers they cover."""
    row: Record = {sheet.FEEDBACK_KEY: average_key(averages.session_id),
                   sheet.SESSION_ID: averages.session_id}
    for rating, value in averages.ratings.items():
        row[rating] = value if value is not None else ""
    row[sheet.FEEDBACK_RESPONSES] = averages.responses
    return row


# --- what the partner sees ------------------------------------------------------------------------


def quote(text: str, limit: int = LETTER_QUOTE) -> str:
    """A testimonial as the partner's letter prints it: one paragraph, at most ``limit`` characters."""
    # One paragraph: line breaks and controls become spaces; bidi, zero-width and other hidden
    # characters go (a right-to-left override must not turn the partner's letter around).
    line = one_line(text)
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return cut.rstrip(" ,;:.") + "…"


def shared_testimonials(answers: Iterable[FeedbackAnswer], session_id: str,
                        first_names: Mapping[str, str]) -> list[dict[str, str]]:
    """The session's testimonials the students allowed us to share, with their first names.

    Only each student's latest answer counts (a later "no" withdraws an earlier "yes"); a
    sentence without an explicit yes is never included. Oldest first.
    """
    shared: list[dict[str, str]] = []
    latest = sorted(latest_per_student(answers).values(), key=lambda a: a.submitted_at)
    for answer in latest:
        if answer.session_id != session_id or not answer.may_share:
            continue
        text = quote(answer.testimonial)
        if not text:
            continue
        name = one_line(first_names.get(answer.applicant_id, ""))[:40]
        shared.append({"text": text, "first_name": name or "A student"})
    return shared
