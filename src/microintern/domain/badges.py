"""Badges: who earned one, what it recognizes, and the Open Badges 2.0 documents that carry it.

Pure: no files, no network, no clock. The step reads the Participants and Assignments tabs and
hands the cells here; the issuers (Badgr, or Open Badges files on disk) get a
:class:`~microintern.domain.records.BadgeAward` built here.

Eligibility follows ``badge.requires``:

- ``attendance``: the Participants tab says Attended "yes" (the attendance step fills it from
  Meet, after the coordinator's own yes/no);
- ``final_project``: the student handed in a final-project assignment of their session (only
  for sessions that have one);
- ``confirmed_hours``: at least that many confirmed hours (only for sessions with an hours log).

Everything published (narratives, evidence, the hosted assertion) names the session and the
partner, never the student: the only trace of the student is the salted hash of their address.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from microintern.config import Assignment, BadgeRequirements, ProgramConfig, Session, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.records import BadgeAward, Cell, Record

OB_CONTEXT = "https://w3id.org/openbadges/v2"
HASH_PREFIX = "sha256$"

# Why a student has no badge: the step counts these ("below attendance 2").
WAITING_FOR_ATTENDANCE = "waiting for attendance"
BELOW_ATTENDANCE = "below attendance"
BELOW_FINAL_PROJECT = "below final project"
BELOW_HOURS = "below confirmed hours"

_YES = frozenset({"yes", "y", "true", "sí", "si"})
_NO = frozenset({"no", "n", "false"})
_OF = re.compile(r"^\s*(\d+)\s+of\s+(\d+)\s*$")


@dataclass(frozen=True)
class SessionFacts:
    """What a badge says about the session: title, partner, length, its requirements."""

    session_id: str
    title: str
    partner: str
    duration_minutes: int
    meetings: int
    first_day: date
    last_day: date
    final_projects: tuple[Assignment, ...]
    hours_log: bool


@dataclass(frozen=True)
class HandedIn:
    """A final project the student handed in."""

    title: str
    when: str           # the Handed in cell as written ("2027-05-11 16:02")


@dataclass(frozen=True)
class StudentFacts:
    """A seated student's record as the badge needs it (cells of the Participants tab)."""

    attended: str                       # "yes", "no", or "" while attendance is not known
    minutes: float | None               # minutes in the session's meetings, from Meet
    meetings_attended: str              # "5 of 6", or ""
    confirmed_hours: float | None
    final_project: HandedIn | None


def session_facts(config: ProgramConfig, session: Session,
                  starts: Sequence[datetime] | None = None) -> SessionFacts:
    """The badge's view of ``session`` (``starts``: the meetings as the Sessions tab has them)."""
    meetings = list(starts) if starts else session.meeting_starts()
    partner = next((p.organization for p in config.partners if p.id == session.partner), session.partner)
    return SessionFacts(
        session_id=session.id,
        title=session.title,
        partner=partner,
        duration_minutes=session.duration_minutes,
        meetings=len(meetings),
        first_day=meetings[0].date(),
        last_day=meetings[-1].date(),
        final_projects=tuple(a for a in config.assignments_of(session) if a.final_project),
        hours_log=session.hours_target is not None,
    )


def _text(value: Cell) -> str:
    return "" if value is None else str(value).strip()


def _number(value: Cell) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(_text(value).replace(",", "."))
    except ValueError:
        return None


def yes_no(value: Cell) -> str:
    """An Attended cell as "yes", "no" or "" (blank or unreadable: not known yet)."""
    word = _text(value).casefold()
    if word in _YES:
        return "yes"
    if word in _NO:
        return "no"
    return ""


def handed_in_final_project(session: SessionFacts, applicant_id: str,
                            assignments: Sequence[Record]) -> HandedIn | None:
    """The student's handed-in final project of ``session`` from the Assignments tab, if any.

    A row belongs to the student's final project when its Session and Applicant ID match and its
    Assignment cell (or its Key, ``<session>:<assignment>:<applicant>``) names a final-project
    assignment of the session by id or title; Handed in must be filled.
    """
    for assignment in session.final_projects:
        key = f"{session.session_id}:{assignment.id}:{applicant_id}"
        for row in assignments:
            handed = _text(row.get(sheet.HANDED_IN))
            if not handed:
                continue
            if _text(row.get(sheet.SUBMISSION_KEY)) == key:
                return HandedIn(assignment.title, handed)
            if (_text(row.get(sheet.SESSION_ID)) == session.session_id
                    and _text(row.get(sheet.APPLICANT_ID)) == applicant_id
                    and _text(row.get(sheet.ASSIGNMENT)) in (assignment.id, assignment.title)):
                return HandedIn(assignment.title, handed)
    return None


def student_facts(participant: Mapping[str, Cell], final_project: HandedIn | None) -> StudentFacts:
    """A Participants row's attendance and hours, read leniently (blank = not known)."""
    return StudentFacts(
        attended=yes_no(participant.get(sheet.ATTENDED)),
        minutes=_number(participant.get(sheet.MINUTES)),
        meetings_attended=_text(participant.get(sheet.MEETINGS_ATTENDED)),
        confirmed_hours=_number(participant.get(sheet.CONFIRMED_HOURS)),
        final_project=final_project,
    )


def shortfalls(student: StudentFacts, session: SessionFacts, requires: BadgeRequirements) -> list[str]:
    """Why the student has not (yet) earned the badge; empty when they have.

    The final-project requirement applies to sessions with a final-project assignment, the
    hours requirement to sessions with an hours log: a single 90-minute session asks neither.
    """
    reasons: list[str] = []
    if requires.attendance:
        if student.attended == "":
            reasons.append(WAITING_FOR_ATTENDANCE)
        elif student.attended != "yes":
            reasons.append(BELOW_ATTENDANCE)
    if requires.final_project and session.final_projects and student.final_project is None:
        reasons.append(BELOW_FINAL_PROJECT)
    if (requires.confirmed_hours is not None and session.hours_log
            and (student.confirmed_hours or 0.0) < requires.confirmed_hours):
        reasons.append(BELOW_HOURS)
    return reasons


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _span(session: SessionFacts) -> str:
    if session.first_day == session.last_day:
        return _day(session.first_day)
    return f"{_day(session.first_day)} to {_day(session.last_day)}"


def _figure(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def evidence_narrative(student: StudentFacts, session: SessionFacts) -> str:
    """What the student did, in plain words, e.g. "Attended 84 of 90 minutes of X with Y."."""
    where = f"{session.title} with {session.partner}"
    parts: list[str] = []
    match = _OF.match(student.meetings_attended)
    if session.meetings > 1 and match:
        parts.append(f"Attended {match[1]} of {match[2]} meetings of {where}.")
    elif student.minutes is not None and student.minutes > 0:
        total = session.duration_minutes * session.meetings
        parts.append(f"Attended {_figure(round(student.minutes))} of {total} minutes of {where}.")
    else:
        parts.append(f"Took part in {where}.")
    if student.final_project is not None:
        parts.append(f'Handed in the final project "{student.final_project.title}".')
    if session.hours_log and student.confirmed_hours:
        parts.append(f"Logged {_figure(student.confirmed_hours)} confirmed hours of work.")
    return " ".join(parts)


def assertion_narrative(session: SessionFacts) -> str:
    """The award's narrative: the micro-internship, its partner and dates (no student data)."""
    return f'Completed the micro-internship "{session.title}" with {session.partner}, {_span(session)}.'


def evidence_link(template: str | None, session_id: str) -> str | None:
    """The configured evidence page for a session ("{session}" replaced), or None."""
    if not template:
        return None
    return template.replace("{session}", session_id)


def badge_award(*, key: str, email: str, name: str, student: StudentFacts, session: SessionFacts,
                evidence_url: str | None, issued_on: datetime) -> BadgeAward:
    """The award for one student who met the bar."""
    return BadgeAward(
        key=key,
        email=email.strip().lower(),
        name=name,
        narrative=assertion_narrative(session),
        evidence_url=evidence_url,
        evidence_narrative=evidence_narrative(student, session),
        issued_on=issued_on,
    )


def badge_cell(day: date, assertion_id: str) -> str:
    """The Participants tab's Badge cell: "2027-03-19 assertion <id>"."""
    return f"{day.isoformat()} assertion {assertion_id}"


# --- Recipient hashing (Open Badges 2.0 IdentityHash) ---

def hashed_identity(email: str, salt: str) -> str:
    """``sha256$`` + hex SHA-256 of the lowercased address followed by the salt."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return HASH_PREFIX + digest


def identity_matches(email: str, identity: str, salt: str | None) -> bool:
    """True when a recipient identity (plaintext, or ``sha256$`` hash with ``salt``) is ``email``."""
    address = email.strip().lower()
    identity = identity.strip()
    if identity.lower().startswith(HASH_PREFIX):
        digest = identity[len(HASH_PREFIX):].lower()
        # Hashed as sent: we always send lowercase, others may not have.
        return any(hashlib.sha256((candidate + (salt or "")).encode("utf-8")).hexdigest() == digest
                   for candidate in {address, email.strip()})
    return identity.lower() == address


# --- Open Badges 2.0 hosted documents (local provider) ---

@dataclass(frozen=True)
class AlignmentTarget:
    """One alignment of the badge class (Open Badges AlignmentObject)."""

    name: str
    url: str
    description: str | None = None
    framework: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class BadgeProfile:
    """The issuer and badge class the local provider publishes under ``hosted_url``."""

    hosted_url: str
    issuer_name: str
    issuer_url: str
    issuer_email: str
    issuer_description: str
    name: str
    description: str
    criteria: str
    alignment: tuple[AlignmentTarget, ...] = ()

    @property
    def issuer_id(self) -> str:
        """The issuer document's URL."""
        return f"{self.hosted_url}/issuer.json"

    @property
    def badgeclass_id(self) -> str:
        """The badge class document's URL."""
        return f"{self.hosted_url}/badgeclass.json"

    @property
    def image_url(self) -> str:
        """The badge class image's URL."""
        return f"{self.hosted_url}/badge.png"

    def assertion_url(self, assertion_id: str) -> str:
        """The hosted assertion's URL (its ``id``: verification fetches it)."""
        return f"{self.hosted_url}/assertions/{assertion_id}.json"

    def baked_image_url(self, assertion_id: str) -> str:
        """The student's baked badge image (the assertion inside a PNG)."""
        return f"{self.hosted_url}/assertions/{assertion_id}.png"


def badge_profile(config: ProgramConfig) -> BadgeProfile:
    """The local provider's issuer (the district's program) and badge class, from the config."""
    badge = config.badge
    # An Open Badge is one document in one language (Open Badges 2.0 has no per-language text,
    # and every earner shares the one badge class): it is written in the program's default
    # language, whatever language a student's letters are in.
    default = config.program.default_language
    return BadgeProfile(
        hosted_url=badge.hosted_url.rstrip("/"),
        issuer_name=text_in(config.program.district, default),
        issuer_url=badge.hosted_url.rstrip("/"),
        issuer_email=config.sender.address,
        issuer_description=text_in(config.program.name, default),
        name=text_in(badge.name, default),
        description=text_in(badge.description, default),
        criteria=text_in(badge.criteria, default),
        alignment=tuple(AlignmentTarget(a.target_name, a.target_url, a.target_description,
                                        a.target_framework, a.target_code) for a in badge.alignment),
    )


def issuer_document(profile: BadgeProfile) -> dict[str, object]:
    """The hosted Issuer profile (Open Badges 2.0)."""
    return {
        "@context": OB_CONTEXT,
        "type": "Issuer",
        "id": profile.issuer_id,
        "name": profile.issuer_name,
        "url": profile.issuer_url,
        "email": profile.issuer_email,
        "description": profile.issuer_description,
    }


def _alignment(target: AlignmentTarget) -> dict[str, str]:
    item = {"targetName": target.name, "targetUrl": target.url}
    for field, value in (("targetDescription", target.description), ("targetFramework", target.framework),
                         ("targetCode", target.code)):
        if value:
            item[field] = value
    return item


def badgeclass_document(profile: BadgeProfile) -> dict[str, object]:
    """The hosted BadgeClass (Open Badges 2.0): criteria narrative, image, alignment."""
    document: dict[str, object] = {
        "@context": OB_CONTEXT,
        "type": "BadgeClass",
        "id": profile.badgeclass_id,
        "name": profile.name,
        "description": profile.description,
        "image": profile.image_url,
        "criteria": {"narrative": profile.criteria},
        "issuer": profile.issuer_id,
    }
    if profile.alignment:
        document["alignment"] = [_alignment(t) for t in profile.alignment]
    return document


def iso_instant(moment: datetime) -> str:
    """An aware time as ISO 8601 in UTC with a Z ("2027-03-19T13:30:00Z")."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def assertion_document(profile: BadgeProfile, award: BadgeAward, assertion_id: str,
                       salt: str) -> dict[str, object]:
    """The hosted Assertion (Open Badges 2.0) for one award, recipient hashed with ``salt``."""
    evidence: dict[str, str] = {"narrative": award.evidence_narrative}
    if award.evidence_url:
        evidence = {"id": award.evidence_url, **evidence}
    return {
        "@context": OB_CONTEXT,
        "type": "Assertion",
        "id": profile.assertion_url(assertion_id),
        "recipient": {"type": "email", "hashed": True, "salt": salt,
                      "identity": hashed_identity(award.email, salt)},
        "badge": profile.badgeclass_id,
        "verification": {"type": "hosted"},
        "issuedOn": iso_instant(award.issued_on),
        "image": profile.baked_image_url(assertion_id),
        "evidence": [evidence],
        "narrative": award.narrative,
    }
