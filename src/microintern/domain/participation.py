"""Registration and release forms: what they ask, how answers are read, when to remind.

Both forms carry the applicant id as their first question, filled in by the link each student
or family receives, so a returned form is matched to its student by that id and never by a name
someone typed. The release form is written in the family's language and asks for permission to
take part, to record and to use media as three separate answers: a family may allow the first
and refuse the others without losing the student's place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import IntEnum

from microintern.config import ProgramConfig, QuestionKind, text_in
from microintern.domain.forms import FormQuestion, FormSpec, form_name_in, question_id
from microintern.domain.setting_names import program_video_service

APPLICANT_KEY = "applicant_id"
ATTENDING_KEY = "attending"

YES = "Yes"
NO = "No"
_YES_WORDS = {"yes", "sí", "si", "y"}
_NO_WORDS = {"no", "n"}


def _question(form: str, key: str, title: str, kind: QuestionKind = QuestionKind.SHORT_TEXT,
              required: bool = False, options: tuple[str, ...] = ()) -> FormQuestion:
    # Ids are derived from the form and the key so the registration's and release form's
    # applicant-id questions never share an id (prefill links stay unambiguous).
    return FormQuestion(key, question_id(f"{form}:{key}"), title, kind, required, options)


ATTENDING_YES = "Yes, I will take part"
ATTENDING_NO = "No, I can no longer take part"

# The registration and release forms' texts are data: templates/forms/<form>.<language>.yaml
# (config.form_texts, read with the config). Choices are read back as these English answers
# (FormQuestion.answers_as), so "No, ya no puedo participar" declines a seat as the English does.


def yes_no_answers(shown: tuple[str, ...]) -> tuple[str, ...]:
    """What a form's yes/no options are read back as: empty when :func:`yes_no` reads them.

    "Sí"/"No" need nothing; another language's words ("Có"/"Không") are read by position.
    """
    return () if tuple(yes_no(option) for option in shown) == (YES, NO) else (YES, NO)


def registration_spec(config: ProgramConfig, language: str | None = None) -> FormSpec:
    """The registration form students confirm their place with, in ``language`` (default: the
    program's); a configured ``registration.form_title`` names the default language's form."""
    default = config.program.default_language
    language = language or default
    text = config.form_texts.text_or_default("registration", language, default)
    title = (config.registration.form_title if language == default else None) or \
        str(text["title"]).format(program=text_in(config.program.name, language))
    attending, yes_no_shown = text["attending_options"], text["yes_no"]
    q = _question
    # Every language's form uses the same question ids (ids are per form), so one prefill
    # recipe fills any of them.
    return FormSpec(title, (
        q("registration", APPLICANT_KEY, str(text[APPLICANT_KEY]), required=True),
        replace(q("registration", ATTENDING_KEY, str(text[ATTENDING_KEY]), QuestionKind.CHOICE, True,
                  tuple(attending)), answers_as=(ATTENDING_YES, ATTENDING_NO)),
        replace(q("registration", "needs_device", str(text["needs_device"]), QuestionKind.CHOICE, True,
                  tuple(yes_no_shown)), answers_as=(YES, NO)),
        q("registration", "accessibility", str(text["accessibility"]), QuestionKind.PARAGRAPH),
    ), name=form_name_in("registration", language, default))


PERMISSION_KEYS = ("participation", "recording", "media")


def release_spec(config: ProgramConfig, language: str) -> FormSpec:
    """The release and consent form in ``language`` (one that has a release form file)."""
    text = config.form_texts.text("release", language)
    form = f"release-{language}"
    title = config.release_form.form_titles.get(language) or \
        text["title"].format(program=text_in(config.program.name, language))
    shown = tuple(text["yes_no"])
    # The form is one per language for every session: it names the service they all meet on.
    service = program_video_service(config)
    on_service = text["on_service"].format(service=service) if service else ""
    text = {**text, "participation": text["participation"].format(on_service=on_service)}
    q = _question
    return FormSpec(title, (
        q(form, APPLICANT_KEY, text[APPLICANT_KEY], required=True),
        q(form, "guardian_name", text["guardian_name"], required=True),
        q(form, "relationship", text["relationship"]),
        *(replace(q(form, key, text[key], QuestionKind.CHOICE, True, shown), answers_as=yes_no_answers(shown))
          for key in PERMISSION_KEYS),
        q(form, "signature", text["signature"], required=True),
    ), name=form)


def yes_no(answer: str) -> str:
    """A permission answer as the sheet shows it: ``Yes``, ``No``, or blank when unclear."""
    word = answer.strip().casefold().rstrip(".")
    if word in _YES_WORDS:
        return YES
    if word in _NO_WORDS:
        return NO
    return ""


@dataclass(frozen=True)
class ReminderPlan:
    """When reminders go: every ``every_days`` after the first letter, at most ``limit`` of them."""

    every_days: int
    limit: int

    def due_number(self, first_sent: date, today: date, already_sent: int) -> int | None:
        """The number of the reminder due today (1-based), or None.

        Reminder ``n`` falls due ``n * every_days`` after the first letter; a run that missed a
        day sends only the next one, never a burst.
        """
        if already_sent >= self.limit:
            return None
        number = already_sent + 1
        if today >= first_sent + timedelta(days=number * self.every_days):
            return number
        return None


def missing_items(registered: str, release_returned: str) -> str:
    """What a participant still owes, for the Missing column ("" when nothing)."""
    missing = [name for name, value in (("registration", registered), ("release form", release_returned))
               if not value.strip()]
    return ", ".join(missing)


class Stage(IntEnum):
    """The letters to a placed student, in the order each one assumes the one before.

    The acceptance tells the student they have a place; the registration link asks them to
    confirm it; the release form asks the family's consent; the session details and the
    reminder assume all three went.
    """

    REGISTRATION = 1
    RELEASE = 2
    SESSION = 3


ACCEPTANCE = "acceptance"


@dataclass(frozen=True)
class ChainState:
    """What the Outbox and the Participants tab say of one student's earlier letters.

    Letter states are the Outbox's State cell ("" when the letter has no row).
    """

    decision: str                   # the Decision cell as the coordinator typed it
    acceptance: str = ""
    acceptance_note: str = ""
    last_letter: str = ""           # a waitlist or denial letter delivered to the student, if any
    registration: str = ""
    registered: bool = False
    release: str = ""
    release_returned: bool = False


@dataclass(frozen=True)
class Wait:
    """Why a letter waits for an earlier one, and what the coordinator can do."""

    earlier: str
    why: str
    todo: str


def _not_sent(letter: str, state: str, note: str = "") -> str:
    if state == "held":
        return f"the {letter} is held in the Outbox" + (f" ({note})" if note else "")
    if state in ("drafted", "sending"):
        return f"the {letter} is being sent but not yet confirmed sent"
    return f"the {letter} has not been sent"


def waiting_for(stage: Stage, state: ChainState, delivered: frozenset[str]) -> Wait | None:
    """The earlier letter ``stage``'s letter waits for, or None when it may go.

    A letter goes only when each earlier letter of the chain is recorded sent for the student
    (a returned registration or release form counts as its letter having arrived). The chain
    starts with the coordinator's Accept: a seat held with a blank Decision was made by hand,
    outside the decisions step, and starts at the letter in hand. ``delivered`` holds the
    Outbox states that count as sent.
    """
    decision = " ".join(state.decision.split()).casefold()
    if not decision:
        return None
    if decision not in ("accept", "accepted"):
        return Wait(ACCEPTANCE, f"the Decision is {state.decision.strip()[:20]!r}, not Accept",
                    "the cohorts step withdraws the student; set the Decision back to Accept "
                    "if that was a mistake")
    if state.acceptance not in delivered:
        why = _not_sent("acceptance letter", state.acceptance, state.acceptance_note)
        if state.last_letter:
            why += f"; the last decision letter the student received was the {state.last_letter} letter"
        return Wait(ACCEPTANCE, why,
                    "fix what holds the acceptance letter (see the decisions step's line), then "
                    "`microintern send decisions`; this letter follows on the next run")
    if stage >= Stage.RELEASE and not state.registered and state.registration not in delivered:
        return Wait("registration", _not_sent("registration link", state.registration),
                    "see the registration step's line; `microintern returns` sends it now")
    if stage >= Stage.SESSION and not state.release_returned and state.release not in delivered:
        return Wait("release_form", _not_sent("release form", state.release),
                    "see the release forms step's line; `microintern returns` sends it now")
    return None
