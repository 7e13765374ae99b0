"""The demo's students answering the feedback form, from the letters the Outbox says went out.

Called once a simulated morning (before cron runs). Every attendee who got the feedback
request gets a fate from a hash of their id, so every demo run tells the same story: most
answer within a day or so, some only after the reminder, a few never; some write a sentence
and let us share it with the partner, some write one and say no, some write none. Answers are
written to the local feedback form CSVs (``feedback-en.csv``, ``feedback-es.csv``) as Google's
export would have them, only those submitted by ``now``.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from pathlib import Path

from microintern.config import ProgramConfig
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.feedback import (
    IMPROVE_KEY,
    LEARNED_KEY,
    SESSION_KEY,
    SHARE_KEY,
    TESTIMONIAL_KEY,
    feedback_spec,
    rating_key,
)
from microintern.domain.participation import APPLICANT_KEY
from microintern.ports import Roster

_WORDS = {
    "en": {
        "learned": ["How a professional plans a project from start to finish.",
                    "That this job is mostly solving problems with other people.",
                    "Which classes I should take next year for this career."],
        "improve": ["More time for questions.", "", "A longer hands-on exercise."],
        "testimonial": ["I never knew this job existed, and now I want to do it.",
                        "The exercise felt like real work, and our mentor treated us like a team.",
                        "I liked that they answered every question honestly."],
        "yes": "Yes", "no": "No",
    },
    "es": {
        "learned": ["Cómo se planea un proyecto de principio a fin.",
                    "Que este trabajo es resolver problemas en equipo.",
                    "Qué clases me conviene tomar el próximo año."],
        "improve": ["Más tiempo para preguntas.", "", "Un ejercicio práctico más largo."],
        "testimonial": ["No sabía que este trabajo existía y ahora quiero dedicarme a esto.",
                        "El ejercicio se sintió como trabajo de verdad.",
                        "Me gustó que respondieran todas nuestras preguntas con sinceridad."],
        "yes": "Sí", "no": "No",
    },
}


def _roll(*parts: str) -> int:
    return int(hashlib.sha256("/".join(("feedback", *parts)).encode()).hexdigest()[:8], 16)


def _day(cell: object) -> date | None:
    try:
        return datetime.strptime(str(cell or "")[:10], "%Y-%m-%d").date()
    except ValueError:
        return None


def _letters(rows: list[dict[str, object]], letter: str) -> dict[tuple[str, str], tuple[date, str]]:
    """(applicant, session) → (day sent, language) of each delivered ``letter``."""
    found: dict[tuple[str, str], tuple[date, str]] = {}
    for row in rows:
        parts = str(row.get(sheet.OUTBOX_KEY) or "").split("/")
        if len(parts) != 4 or parts[1] != letter or not str(row.get("State") or "").startswith("sent"):
            continue
        day = _day(row.get("Updated"))
        if day is not None:
            found[(parts[2], parts[3])] = (day, str(row.get("Language") or "en"))
    return found


def _answers(config: ProgramConfig, applicant: str, session: str, language: str,
             roll: int) -> dict[str, str]:
    words = _WORDS[language]
    ratings = {rating_key(rating): str(5 - (roll >> (3 * i)) % 3)   # 3, 4 or 5
               for i, rating in enumerate(config.feedback.ratings)}
    pick = roll % 3
    testimonial, share = "", ""
    if roll % 5 in (0, 1, 2):                                       # three in five write a sentence
        testimonial = words["testimonial"][pick]
        share = words["no"] if roll % 5 == 2 else words["yes"]      # one of those three says no
    return {APPLICANT_KEY: applicant, SESSION_KEY: session, **ratings,
            LEARNED_KEY: words["learned"][pick], IMPROVE_KEY: words["improve"][pick],
            TESTIMONIAL_KEY: testimonial, SHARE_KEY: share}


def answer_feedback(config: ProgramConfig, forms_folder: Path, now: datetime, roster: Roster) -> list[str]:
    """Write the feedback answers given by ``now``; return a line when some came in the last day."""
    outbox = roster.read_tabs([sheet.OUTBOX])[sheet.OUTBOX]
    requests = _letters(outbox, "feedback_request")
    if not requests:
        return []
    reminders = _letters(outbox, "feedback_reminder")
    zone = config.zone
    by_language: dict[str, list[tuple[datetime, dict[str, str]]]] = {}
    for (applicant, session), (sent, language) in sorted(requests.items()):
        if not config.form_texts.has("feedback", language):
            language = config.program.default_language
        roll = _roll(applicant, session)
        fate = roll % 10
        if fate == 0:                                   # one in ten never answers
            continue
        if fate in (1, 2):                              # two in ten answer only after the reminder
            reminded = reminders.get((applicant, session))
            if reminded is None:
                continue
            day = reminded[0] + timedelta(days=1)
        else:                                           # the rest the same evening or the next
            day = sent + timedelta(days=roll % 2)
        when = datetime.combine(day, time(17 + roll % 5, roll % 60), tzinfo=zone)
        by_language.setdefault(language, []).append((when, _answers(config, applicant, session, language,
                                                                    roll)))
    fresh = 0
    for language, answers in by_language.items():
        spec = feedback_spec(config, language)
        arrived = sorted((a for a in answers if a[0] <= now), key=lambda a: a[0])
        fresh += sum(1 for when, _ in arrived if when > now - timedelta(days=1))
        write_form_csv(forms_folder, spec.name, [q.title for q in spec.questions],
                       [(when, [values.get(q.key, "") for q in spec.questions]) for when, values in arrived])
    return [f"({fresh} student(s) answer the feedback form)"] if fresh else []
