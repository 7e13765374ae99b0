"""The catalog of letters: who each one is for, its languages, and the context it needs.

A letter is rendered from ``templates/email/<name>.<lang>.{subject,txt,html}.j2`` with a context
whose top-level keys are exactly the letter's ``needs`` (strict rendering makes any other key an
error, never a blank). :func:`sample_context` builds a realistic, fictional context for each
letter, for the template tests and the values ``check-config`` has no program data for. Previews
of a configured program (``send-test``, ``letters/index.html``) never use it: they render from
the program's own data (:mod:`microintern.steps.previews`).

Student and family letters never carry a student's email address or another student's name: the
only roster of names goes to the teacher and the partner (the run sheet).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

Audience = Literal["student", "family", "partner", "staff"]

BILINGUAL: tuple[str, ...] = ("en", "es")
ENGLISH: tuple[str, ...] = ("en",)


@dataclass(frozen=True)
class LetterSpec:
    """One letter: its audience, languages, the context keys it needs and a line for humans.

    ``links`` names the entries of the ``links`` context key the letter uses (empty when the
    letter does not need ``links``).
    """

    name: str
    audience: Audience
    languages: tuple[str, ...]
    needs: tuple[str, ...]
    description: str
    links: tuple[str, ...] = ()


_STUDENT = ("program", "coordinator", "applicant")
_SPECS = (
    # Partners, and the run sheet and hours list a partner may get too: English and Spanish (a
    # partner reads its config `language`, English where a letter has no templates in it).
    # Staff: English.
    LetterSpec("partner_outreach", "partner", BILINGUAL, ("program", "coordinator", "partner"),
               "Invites an organization to host a micro-internship (flyer attached), asks for a short call."),
    LetterSpec("partner_followup", "partner", BILINGUAL, ("program", "coordinator", "partner"),
               "A gentle follow-up to a partner who has not replied to the invitation."),
    LetterSpec("partner_meeting", "partner", BILINGUAL,
               ("program", "coordinator", "partner", "meeting", "links"),
               "Invites a confirmed partner to the planning meeting; industry form to fill in before.",
               links=("industry_form",)),
    LetterSpec("partner_session_guide", "partner", BILINGUAL,
               ("program", "coordinator", "partner", "session"),
               "How to build the session: introduction, exercise, Q&A, assignment; tips for teens online."),
    LetterSpec("session_details_partner", "partner", BILINGUAL,
               ("program", "coordinator", "partner", "session"),
               "Session dates, times, Meet link, co-host role, teacher, group size, recording, tech check."),
    LetterSpec("run_sheet", "staff", BILINGUAL,
               ("program", "coordinator", "partner", "session", "roster"),
               "Day-of run sheet for the teacher and the partner, with the roster of first names."),
    LetterSpec("partner_thanks", "partner", BILINGUAL,
               ("program", "coordinator", "partner", "session", "stats", "testimonials"),
               "Thanks the partner after the session, with attendance, rating and shared testimonials."),
    LetterSpec("recruitment", "staff", ENGLISH, ("program", "coordinator"),
               "Asks counselors and teachers to share the attached flyer and the application link."),
    LetterSpec("hours_pending", "staff", BILINGUAL,
               ("program", "coordinator", "session", "confirmer", "pending", "links"),
               "Lists the hours-log entries waiting for the teacher's (or partner's) confirmation.",
               links=("hours_sheet",)),
    # Students and families: English and Spanish.
    LetterSpec("application_received", "student", BILINGUAL, _STUDENT,
               "Confirms a student's application arrived and says what happens next."),
    LetterSpec("acceptance", "student", BILINGUAL, _STUDENT,
               "Tells a student they were selected and what comes next."),
    LetterSpec("denial", "student", BILINGUAL, _STUDENT,
               "Tells a student, kindly, they were not selected this time; encourages applying again."),
    LetterSpec("waitlist", "student", BILINGUAL, (*_STUDENT, "outcome"),
               "Tells a student they are on the waitlist (with their place when known)."),
    LetterSpec("registration", "student", BILINGUAL, (*_STUDENT, "links", "due"),
               "Sends a selected student the registration link and its due date.",
               links=("registration",)),
    LetterSpec("registration_reminder", "student", BILINGUAL, (*_STUDENT, "links", "reminder"),
               "Reminds a selected student that their registration is still missing.",
               links=("registration",)),
    LetterSpec("release_form", "family", BILINGUAL, (*_STUDENT, "guardian", "links", "due"),
               "Asks the parent or guardian for the release and consent form (recording, media separate).",
               links=("release_form",)),
    LetterSpec("release_form_reminder", "family", BILINGUAL,
               (*_STUDENT, "guardian", "links", "reminder"),
               "Reminds the parent or guardian that the release form is still missing.",
               links=("release_form",)),
    LetterSpec("session_details_student", "student", BILINGUAL, (*_STUDENT, "session"),
               "Session dates, times, Meet link, what to prepare, etiquette and camera guidance."),
    LetterSpec("session_reminder", "student", BILINGUAL, (*_STUDENT, "session"),
               "Reminds a student of their session the day before."),
    LetterSpec("hours_log_link", "student", BILINGUAL, (*_STUDENT, "session", "hours", "links"),
               "Sends a student of a paid program their prefilled hours-log link and how hours count.",
               links=("hours_log",)),
    LetterSpec("feedback_request", "student", BILINGUAL, (*_STUDENT, "session", "links"),
               "Asks for feedback after the session; a testimonial is optional and needs permission.",
               links=("feedback",)),
    LetterSpec("feedback_reminder", "student", BILINGUAL, (*_STUDENT, "session", "links"),
               "Reminds a student once, a few days after the request, that their feedback is missing.",
               links=("feedback",)),
    LetterSpec("badge_notice", "student", BILINGUAL, (*_STUDENT, "session", "badge", "links"),
               "Tells a student they earned the badge (local provider), what it means, where to see it.",
               links=("badge",)),
    # Assignments of multi-week sessions: the work, a reminder, the partner's feedback.
    LetterSpec("assignment_given", "student", BILINGUAL, (*_STUDENT, "assignment", "links"),
               "Gives a student an assignment: what to do, the due date, the hand-in form and their folder.",
               links=("hand_in", "folder")),
    LetterSpec("assignment_reminder", "student", BILINGUAL, (*_STUDENT, "assignment", "links"),
               "Reminds a student, once, before the due date that their work has not come in.",
               links=("hand_in", "folder")),
    LetterSpec("assignment_feedback", "student", BILINGUAL, (*_STUDENT, "assignment", "feedback"),
               "Sends a student the partner's feedback and rating on their work (once)."),
    LetterSpec("partner_feedback_reminder", "partner", BILINGUAL,
               ("program", "coordinator", "reviewer", "session", "waiting", "links"),
               "Lists for the partner and the teacher the hand-ins still waiting for feedback (first names).",
               links=("folder",)),
)

LETTERS: dict[str, LetterSpec] = {spec.name: spec for spec in _SPECS}
"""Every letter the program sends, by name."""


# --- Sample values. All fictional: example.org addresses, invented people and organizations. ---

_COORDINATOR = {"name": "Dana Whitfield", "email": "dana.whitfield@mesavalley.example.org"}

_PROGRAM = {
    "en": {
        "id": "mv-2027-spring",
        "name": "Mesa Valley Micro-Internships",
        "district": "Mesa Valley Unified School District",
        "deadline": "Friday, February 12, 2027",
        "decisions_by": "Tuesday, February 16, 2027",
        "application_url": "https://forms.example.org/mesa-valley/apply",
        "languages": ["English", "Spanish"],
        "group_size": "4-6",
        "session_minutes": 90,
        "video_service": "Google Meet",
    },
    "es": {
        "id": "mv-2027-spring",
        "name": "Micropasantías de Mesa Valley",
        "district": "Distrito Escolar Unificado de Mesa Valley",
        "deadline": "12 de febrero de 2027",
        "decisions_by": "16 de febrero de 2027",
        "application_url": "https://forms.example.org/mesa-valley/apply",
        "languages": ["inglés", "español"],
        "group_size": "4 a 6",
        "session_minutes": 90,
        "video_service": "Google Meet",
    },
}

_APPLICANT = {
    "en": {"id": "A-7K2M9QXD", "first_name": "Maya", "last_name": "Okafor"},
    "es": {"id": "A-3HR8WZLT", "first_name": "Sofía", "last_name": "Ramírez"},
}

_GUARDIAN = {"en": {"name": "Grace Okafor"}, "es": {"name": "Lucía Ramírez"}}

_PARTNER = {"organization": "Desert Bloom Engineering", "contact_name": "Marcus Chen",
            "industry": "civil engineering"}
_MULTI_WEEK_PARTNER = {"organization": "Sonoran Data Cooperative", "contact_name": "Priya Raman",
                       "industry": "data analytics"}

_SINGLE_SESSION = {
    "en": {
        "id": "S-DBE-0316",
        "title": "From Blueprint to Build: A Day in Civil Engineering",
        "partner_organization": "Desert Bloom Engineering",
        "teacher_name": "Rosa Delgado",
        "duration_minutes": 90,
        "multi_week": False,
        "hours_target": "",
        "meetings": [{"date": "Tuesday, March 16, 2027", "start": "3:30 PM", "end": "5:00 PM"}],
        "time_zone": "Pacific Time",
        "meet_url": "https://meet.example.org/dbe-qmrt-wkx",
        "recording": True,
        "recording_reason": "Every family in this group allowed recording. The recording stays with "
                            "the program and is shared only with this group and the partner.",
        "group_size": "4-6",
    },
    "es": {
        "id": "S-DBE-0316",
        "title": "Del plano a la obra: un día en la ingeniería civil",
        "partner_organization": "Desert Bloom Engineering",
        "teacher_name": "Rosa Delgado",
        "duration_minutes": 90,
        "multi_week": False,
        "hours_target": "",
        "meetings": [{"date": "martes 16 de marzo de 2027", "start": "3:30 p. m.", "end": "5:00 p. m."}],
        "time_zone": "hora del Pacífico",
        "meet_url": "https://meet.example.org/dbe-qmrt-wkx",
        "recording": True,
        "recording_reason": "Todas las familias del grupo autorizaron la grabación. La grabación "
                            "queda en el programa y solo se comparte con este grupo y la empresa.",
        "group_size": "4-6",
    },
}

# Six weeks, Tuesdays and Thursdays, 2.5 hours each: 12 meetings, 30 hours.
_MULTI_WEEK_DATES = {
    "en": ["Tuesday, April 6, 2027", "Thursday, April 8, 2027", "Tuesday, April 13, 2027",
           "Thursday, April 15, 2027", "Tuesday, April 20, 2027", "Thursday, April 22, 2027",
           "Tuesday, April 27, 2027", "Thursday, April 29, 2027", "Tuesday, May 4, 2027",
           "Thursday, May 6, 2027", "Tuesday, May 11, 2027", "Thursday, May 13, 2027"],
    "es": ["martes 6 de abril de 2027", "jueves 8 de abril de 2027", "martes 13 de abril de 2027",
           "jueves 15 de abril de 2027", "martes 20 de abril de 2027", "jueves 22 de abril de 2027",
           "martes 27 de abril de 2027", "jueves 29 de abril de 2027", "martes 4 de mayo de 2027",
           "jueves 6 de mayo de 2027", "martes 11 de mayo de 2027", "jueves 13 de mayo de 2027"],
}
_MULTI_WEEK_TIMES = {"en": ("3:30 PM", "6:00 PM"), "es": ("3:30 p. m.", "6:00 p. m.")}

_MULTI_WEEK_SESSION = {
    "en": {
        "id": "S-SDC-0406",
        "title": "Math at Work: Data for Local Businesses",
        "partner_organization": "Sonoran Data Cooperative",
        "teacher_name": "James Whitehorse",
        "duration_minutes": 150,
        "multi_week": True,
        "hours_target": "30",
        "time_zone": "Pacific Time",
        "meet_url": "https://meet.example.org/sdc-hvnp-zta",
        "recording": False,
        "recording_reason": "Not every family in this group allowed recording, so no meeting is recorded.",
        "group_size": "4-6",
    },
    "es": {
        "id": "S-SDC-0406",
        "title": "Las matemáticas en el trabajo: datos para negocios locales",
        "partner_organization": "Sonoran Data Cooperative",
        "teacher_name": "James Whitehorse",
        "duration_minutes": 150,
        "multi_week": True,
        "hours_target": "30",
        "time_zone": "hora del Pacífico",
        "meet_url": "https://meet.example.org/sdc-hvnp-zta",
        "recording": False,
        "recording_reason": "No todas las familias del grupo autorizaron la grabación, así que no se "
                            "graba ninguna reunión.",
        "group_size": "4-6",
    },
}

_LINKS = {
    "registration": "https://forms.example.org/mesa-valley/register?applicant=A-7K2M9QXD",
    "release_form": "https://forms.example.org/mesa-valley/release?applicant=A-7K2M9QXD",
    "feedback": "https://forms.example.org/mesa-valley/feedback?session=S-DBE-0316",
    "industry_form": "https://forms.example.org/mesa-valley/industry-partner",
    "badge": "https://badges.example.org/public/assertions/Qx7rT2vLm9",
    "hours_log": "https://forms.example.org/mesa-valley/hours?applicant=A-7K2M9QXD",
    "hours_sheet": "https://docs.google.com/spreadsheets/d/1MesaValleyProgramSheetExample/edit",
    "hand_in": "https://forms.example.org/mesa-valley/hand-in?applicant=A-7K2M9QXD",
    "folder": "https://drive.example.org/folders/sdc-submissions-A-7K2M9QXD",
}

_ASSIGNMENT = {
    "en": {"id": "data-cleaning", "title": "Clean a real data set",
           "instructions": "Use the spreadsheet from our second meeting. Remove duplicates, fix the dates, "
                           "and write three sentences about what you changed and why.",
           "due": "Monday, April 19, 2027", "session_title": "Math at Work: Data for Local Businesses",
           "partner_organization": "Sonoran Data Cooperative", "final_project": False},
    "es": {"id": "data-cleaning", "title": "Limpia un conjunto de datos real",
           "instructions": "Usa la hoja de cálculo de nuestra segunda reunión. Quita los duplicados, "
                           "corrige las fechas y escribe tres oraciones sobre lo que cambiaste y por qué.",
           "due": "lunes 19 de abril de 2027",
           "session_title": "Las matemáticas en el trabajo: datos para negocios locales",
           "partner_organization": "Sonoran Data Cooperative", "final_project": False},
}

_ASSIGNMENT_FEEDBACK = {
    "en": {"text": "Great work on the dates: you caught the two formats.\nNext time, explain why you "
                   "removed the rows with blank totals.", "rating": "4"},
    "es": {"text": "Muy buen trabajo con las fechas: encontraste los dos formatos.\nLa próxima vez, "
                   "explica por qué quitaste las filas sin total.", "rating": "4"},
}

# Each assignment as the Assignments tab names it (the default language's title).
_WAITING = {
    "en": [
        {"student": "Maya O.", "assignment": "Clean a real data set", "handed_in": "April 17, 2027",
         "days": 6},
        {"student": "Jordan T.", "assignment": "Clean a real data set", "handed_in": "April 18, 2027",
         "days": 5},
    ],
    "es": [
        {"student": "Maya O.", "assignment": "Clean a real data set", "handed_in": "17 de abril de 2027",
         "days": 6},
        {"student": "Jordan T.", "assignment": "Clean a real data set", "handed_in": "18 de abril de 2027",
         "days": 5},
    ],
}

_MEETING = {
    "en": {"date": "Tuesday, January 26, 2027", "start": "10:00 AM", "end": "10:30 AM",
           "meet_url": "https://meet.example.org/plan-dbe-tue"},
    "es": {"date": "martes 26 de enero de 2027", "start": "10:00 a. m.", "end": "10:30 a. m.",
           "meet_url": "https://meet.example.org/plan-dbe-tue"},
}

_DUE = {"registration": {"en": "Tuesday, February 23, 2027", "es": "martes 23 de febrero de 2027"},
        "release_form": {"en": "Tuesday, March 2, 2027", "es": "martes 2 de marzo de 2027"}}

_REMINDER = {"en": {"number": 2, "due": "Tuesday, March 2, 2027"},
             "es": {"number": 2, "due": "martes 2 de marzo de 2027"}}

_ROSTER = [
    {"first_name": "Maya", "last_initial": "O", "school": "Mesa Valley High School"},
    {"first_name": "Sofía", "last_initial": "R", "school": "Mesa Valley High School"},
    {"first_name": "Jordan", "last_initial": "T", "school": "Canyon Ridge High School"},
    {"first_name": "Ahmed", "last_initial": "K", "school": "Canyon Ridge High School"},
    {"first_name": "Lily", "last_initial": "N", "school": "Desert Vista Academy"},
]

_STATS = {"invited": 6, "attended": 5, "minutes_share": "92%", "responses": 4, "average_rating": "4.6",
          "ratings": [{"label": "The session overall", "average": "4.75"},
                      {"label": "The partner's explanations", "average": "4.50"},
                      {"label": "How much I learned about this career", "average": "4.50"}]}
# The Spanish letter names each rating as the Spanish feedback form asks it.
_RATING_LABELS_ES = ("La sesión en general", "Las explicaciones de la empresa",
                     "Cuánto aprendí sobre esta carrera")

# Testimonials reach the partner as the students wrote them; the Spanish sample's were written
# in Spanish.
_TESTIMONIALS = {
    "en": [
        {"text": "I didn't know engineers spent so much time talking to people. Marcus showed us a real "
                 "site plan and let us find the problems ourselves.", "first_name": "Jordan"},
        {"text": "The exercise was hard but fun, and now I want to take the drafting class next year.",
         "first_name": "Lily"},
    ],
    "es": [
        {"text": "No sabía que los ingenieros pasaban tanto tiempo hablando con la gente. Marcus nos "
                 "mostró un plano real y nos dejó encontrar los problemas a nosotros.",
         "first_name": "Sofía"},
        {"text": "El ejercicio fue difícil pero divertido, y ahora quiero tomar la clase de dibujo técnico.",
         "first_name": "Lily"},
    ],
}

_BADGE = {
    "en": {
        "name": "Micro-Internship: Civil Engineering",
        "description": "Recognizes a student who took part in a virtual micro-internship with a "
                       "civil engineering team and practiced reading a real site plan.",
        "criteria": "Attended at least 75 of the 90 minutes and completed the independent assignment.",
    },
    "es": {
        "name": "Micropasantía: ingeniería civil",
        "description": "Reconoce a quien participó en una micropasantía virtual con un equipo de "
                       "ingeniería civil y practicó la lectura de un plano de obra real.",
        "criteria": "Asistió al menos 75 de los 90 minutos y completó la tarea individual.",
    },
}

# The letters whose sample uses the six-week program; every other one uses a single meeting.
_MULTI_WEEK_SAMPLES = frozenset({"session_details_student", "session_details_partner"})

# The hours log of the six-week sample (30 hours, paid), and entries waiting for the teacher.
_HOURS = {
    "en": {"target": "30", "max_per_day": "12", "rate": "$16.50", "until": "Thursday, May 27, 2027",
           "by_partner": False},
    "es": {"target": "30", "max_per_day": "12", "rate": "16,50\xa0US$", "until": "jueves 27 de mayo de 2027",
           "by_partner": False},
}
_PENDING = {
    "entries": [
        {"student": "Maya O.", "date": "2027-04-10", "hours": "14",
         "flags": "over 12 h on 2027-04-10 (14 h logged that day)"},
        {"student": "Jordan T.", "date": "2027-04-12", "hours": "2.5", "flags": ""},
        {"student": "Lily N.", "date": "2027-04-13", "hours": "3",
         "flags": "outside the program (2027-04-06 to 2027-05-27)"},
    ],
    "count": 3, "more": 0, "hours": "19.5", "flagged": 2, "never_count": 1,
}


# Config text a session or partner may give (issue 15): the sample gives none, as a program
# that leaves them out; the keys are there so a template may test them, as with real letters.
_UNSET_TEXT = {"description": "", "partner_blurb": ""}


def _session(name: str, language: str) -> dict[str, Any]:
    if name not in _MULTI_WEEK_SAMPLES:
        return {**copy.deepcopy(_SINGLE_SESSION[language]), **_UNSET_TEXT}
    start, end = _MULTI_WEEK_TIMES[language]
    meetings = [{"date": date, "start": start, "end": end} for date in _MULTI_WEEK_DATES[language]]
    return {**copy.deepcopy(_MULTI_WEEK_SESSION[language]), **_UNSET_TEXT, "meetings": meetings}


def _value(key: str, spec: LetterSpec, language: str) -> Any:
    """The sample value of one top-level context key for one letter."""
    if key == "program":
        return dict(_PROGRAM[language])
    if key == "coordinator":
        return dict(_COORDINATOR)
    if key == "applicant":
        return dict(_APPLICANT[language])
    if key == "guardian":
        return dict(_GUARDIAN[language])
    if key == "partner":
        return {**(_MULTI_WEEK_PARTNER if spec.name in _MULTI_WEEK_SAMPLES else _PARTNER), "blurb": ""}
    if key == "session":
        return _session(spec.name, language)
    if key == "links":
        applicant_id = _APPLICANT[language]["id"]
        return {link: _LINKS[link].replace(_APPLICANT["en"]["id"], applicant_id) for link in spec.links}
    if key == "meeting":
        return dict(_MEETING[language])
    if key == "reminder":
        return dict(_REMINDER[language])
    if key == "due":
        return _DUE[spec.name][language]
    if key == "roster":
        return copy.deepcopy(_ROSTER)
    if key == "stats":
        stats = copy.deepcopy(_STATS)
        if language == "es":
            for rating, label in zip(stats["ratings"], _RATING_LABELS_ES, strict=True):
                rating["label"] = label
        return stats
    if key == "testimonials":
        return copy.deepcopy(_TESTIMONIALS[language])
    if key == "badge":
        return dict(_BADGE[language])
    if key == "outcome":
        return {"waitlist_position": 3}
    if key == "hours":
        return dict(_HOURS[language])
    if key == "confirmer":
        return {"name": _SINGLE_SESSION["en"]["teacher_name"]}
    if key == "pending":
        return copy.deepcopy(_PENDING)
    if key == "assignment":
        return dict(_ASSIGNMENT[language])
    if key == "feedback":
        return dict(_ASSIGNMENT_FEEDBACK[language])
    if key == "waiting":
        return copy.deepcopy(_WAITING[language])
    if key == "reviewer":
        return {"name": _MULTI_WEEK_PARTNER["contact_name"]}
    raise ValueError(f"letter {spec.name!r} needs {key!r}, which has no sample value")


def sample_context(name: str, language: str) -> dict[str, Any]:
    """A realistic, fictional context for letter ``name`` in ``language``.

    The result holds exactly the keys the letter needs (and, under ``links``, exactly its links);
    it is a fresh copy, safe to modify. Spanish samples use Spanish dates, times and titles.
    Raises ``ValueError`` for an unknown letter or a language the letter is not written in.
    """
    spec = LETTERS.get(name)
    if spec is None:
        raise ValueError(f"unknown letter {name!r}; known: {sorted(LETTERS)}")
    if language not in spec.languages:
        raise ValueError(f"letter {name!r} is written in {list(spec.languages)}, not {language!r}")
    return {key: _value(key, spec, language) for key in spec.needs}
