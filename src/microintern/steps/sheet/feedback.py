"""The Feedback tab: the feedback forms' answers, one row per response, and each session's averages.

Read fresh by the feedback step (which sends the request and the reminder) and by partner
appreciation (so an answer that came since still counts in the thank-you).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.dates import DATE
from microintern.domain.feedback import (
    SESSION_KEY,
    FeedbackAnswer,
    FormReturn,
    SessionAverages,
    average_row,
    feedback_row,
    feedback_spec,
    fit_feedback_row,
    latest_per_student,
    parse_feedback,
    session_averages,
)
from microintern.domain.participation import APPLICANT_KEY
from microintern.domain.records import Cell, Record
from microintern.domain.sessions import text
from microintern.steps.context import StepContext, StepResult
from microintern.steps.program_forms import id_setting, read_answers
from microintern.steps.sheet.long_answers import Intake, cell_limit, keep_long_answers
from microintern.steps.sheet.settings import read_settings


def feedback_languages(config: ProgramConfig) -> list[str]:
    """The languages the program has a feedback form in, the default language's first.

    Only languages the form has a file in (templates/forms/feedback.<language>.yaml): a family
    reading another language gets the first one.
    """
    default = config.program.default_language
    offered = [lang for lang in config.program.languages if config.form_texts.has("feedback", lang)]
    return sorted(offered, key=lambda lang: lang != default) or [default]


def _same(old: Cell, new: Cell) -> bool:
    # Blank cells read back as None, whole numbers may come back as floats.
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    return ("" if old is None else str(old)) == ("" if new is None else str(new))


def _changed(existing: Record | None, row: Record) -> bool:
    return existing is None or any(not _same(existing.get(k), v) for k, v in row.items())


@dataclass
class Collected:
    """The feedback answers of the sessions in scope, as read this run."""

    answers: list[FeedbackAnswer]
    latest: dict[str, FeedbackAnswer]        # applicant id → their latest answer
    averages: dict[str, SessionAverages]     # session id → its averages


def form_ids(ctx: StepContext) -> dict[str, str]:
    """The feedback form id per language as remembered; a form never made is left out."""
    config = ctx.config
    settings = read_settings(ctx.ports.roster)
    specs = [(lang, feedback_spec(config, lang)) for lang in feedback_languages(config)]
    return {lang: settings[id_setting(spec)] for lang, spec in specs if settings.get(id_setting(spec))}


def collect_feedback(ctx: StepContext, tabs: Mapping[str, list[Record]], session_ids: Sequence[str],
                     forms: Mapping[str, str], result: StepResult) -> Collected:
    """Read every feedback form; write the Feedback tab and Participants' Feedback for ``session_ids``.

    ``tabs`` must hold the Participants and Feedback tabs as read at the start of the run.
    Writes one upsert per tab, and only rows whose cells changed (a rerun writes nothing).
    """
    config = ctx.config
    scope = set(session_ids)
    placed = {text(r.get(sheet.APPLICANT_ID)): text(r.get(sheet.SESSION_ID))
              for r in tabs[sheet.PARTICIPANTS]
              if text(r.get(sheet.APPLICANT_ID)) and text(r.get(sheet.PLACEMENT)) in sheet.SEATED}
    returns: list[FormReturn] = []
    for language, form_id in forms.items():
        spec = feedback_spec(config, language)
        answers = read_answers(ctx, spec, form_id)
        # Responses the source could not read (a CSV row's bad timestamp) were left out: say so.
        result.problems.extend(f"{problem}; left out until it is fixed"
                               for problem in ctx.ports.surveys.problems)
        for answer in answers:
            applicant = answer.by_key.get(APPLICANT_KEY, "").strip()
            session = placed.get(applicant) or answer.by_key.get(SESSION_KEY, "").strip()
            if not session or session in scope:
                returns.append(FormReturn(answer.response_id, answer.submitted_at, language, answer.by_key))
    parsed = parse_feedback(config, returns, placed)
    result.problems.extend(parsed.problems)
    answers = [a for a in parsed.answers if a.session_id in scope]
    latest = latest_per_student(answers)
    ratings = config.feedback.ratings
    averages = {sid: session_averages(sid, ratings, answers) for sid in session_ids}

    existing = {text(r.get(sheet.FEEDBACK_KEY)): r for r in tabs[sheet.FEEDBACK]
                if text(r.get(sheet.FEEDBACK_KEY))}
    # Each text answer fitted to the backend's cell: one very long answer must not make the
    # Feedback write fail for everyone. The fitted text is what a rerun compares with.
    limit = cell_limit(config)
    fitted = [fit_feedback_row(feedback_row(a, ratings, config.zone), limit) for a in answers]
    rows = [f.record for f in fitted] + [average_row(avg) for avg in averages.values() if avg.responses]
    changed = [row for row in rows if _changed(existing.get(str(row[sheet.FEEDBACK_KEY])), row)]
    written = {str(row[sheet.FEEDBACK_KEY]) for row in changed}
    long = Intake()
    for item in fitted:
        if item.cut and str(item.record[sheet.FEEDBACK_KEY]) in written:
            long.pieces.extend(item.pieces)
            long.cut += len(item.cut)
    # The full text first, so that a marker never names text that is not there.
    keep_long_answers(ctx, long, result)
    if changed:
        ctx.ports.roster.upsert(sheet.FEEDBACK, sheet.FEEDBACK_KEY, changed)

    participants = {text(r.get(sheet.APPLICANT_ID)): r for r in tabs[sheet.PARTICIPANTS]}
    returned: list[Record] = []
    for applicant, answer in latest.items():
        day = answer.submitted_at.astimezone(config.zone).strftime(DATE)
        if _changed(participants.get(applicant), {sheet.FEEDBACK_RETURNED: day}):
            returned.append({sheet.APPLICANT_ID: applicant, sheet.FEEDBACK_RETURNED: day})
    if returned:
        ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, returned)
    result.add("answered", len(latest))
    return Collected(answers, latest, averages)
