"""Seeded, realistic sample applications for the demo and the tests (no real student data).

Names cover accents, apostrophes, hyphens and non-Latin scripts; a few applications carry the
mistakes real ones do (a mistyped address, markup and a line break typed into a name), so the
demo shows how they are handled.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from microintern.config import ProgramConfig, QuestionKind

FIRST_NAMES = (
    "José", "Zoë", "Siobhán", "D'Andre", "Ana-Lucía", "Aarav", "Renée", "Søren", "Chloé",
    "Björn", "Mei", "Kwabena", "Yesenia", "Thảo", "Ngozi", "Mateo", "Fatima", "Liam", "Ximena",
    "Jae-won", "Imani", "Dmitri", "Itzel", "Noor", "Kai", "Guadalupe", "Tavita", "Hana", "李明",
    "Мария", "محمد", "Aylin",
)
LAST_NAMES = (
    "García", "O'Connor", "Nguyễn", "Martínez-López", "Okafor", "Patel", "Johansson", "Kim",
    "Hernández", "Begay", "Al-Sayed", "Dubois", "Rodríguez", "Mensah", "Tupou", "Zhang",
    "Ivanova", "Ramírez", "Haddad", "Castillo", "Yazzie", "Schäfer", "Morales", "王", "Смирнова",
    "عبد الله",
)
ESSAYS = (
    "I have been taking apart old computers since I was eleven and I want to learn how real "
    "security teams protect a network. I hope to ask how they started and what skills matter "
    "most when you are just out of high school.",
    "My grandmother was a nurse and I want to see what a hospital looks like behind the scenes. "
    "I hope to learn which careers exist besides doctor and nurse and how to prepare for them "
    "while I am still in school.",
    "Me gustaría aprender cómo se planea una obra de construcción. Mi papá trabaja en "
    "construcción y quiero entender los planos y cómo se organiza un equipo grande de trabajo.",
    "I like math but I never know when I will use it. Working with real data from a company "
    "would show me how statistics help people decide things, and I want to build a project "
    "I can show on college applications.",
    "I want to practise talking with professionals, ask good questions and get feedback on my "
    "work. A small group sounds less scary than a big class and I think I would learn a lot.",
)


@dataclass(frozen=True)
class SampleApplication:
    """One made-up application: when it was sent and its answers by question title."""

    submitted_at: datetime
    email: str
    answers: dict[str, str]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def applications(config: ProgramConfig, *, count: int, seed: int) -> list[SampleApplication]:
    """``count`` applications spread over the application window, oldest first."""
    rng = random.Random(seed)
    zone = config.zone
    opens = (config.first_meeting() - timedelta(weeks=7)).replace(hour=8, minute=0)
    closes = config.application.deadline
    span = (closes - opens).total_seconds()
    domain = config.program.student_email_domain or "students.example.org"
    titles = {q.key: q for q in config.application.questions}
    made: list[SampleApplication] = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        student_id = f"{rng.randint(100000, 999999)}"
        handle = (_ascii(first)[:8] + "." + _ascii(last)[:10]).strip(".") or f"s{student_id}"
        email = f"{handle}{n}@{domain}"
        if n % 17 == 5:
            email = email.replace("@", "", 1) + ".com"  # a mistyped address, as happens
        answers: dict[str, str] = {}
        for key, question in titles.items():
            answers[question.title] = _answer(rng, key, question.kind, question.options, {
                "first_name": first, "last_name": last, "student_id": student_id,
                "student_email": email,
                "guardian_name": f"{rng.choice(FIRST_NAMES)} {last}",
                "guardian_email": f"family.{_ascii(last)[:10] or 'home'}{n}@mail.example.org",
                "teacher_recommendation": rng.choice(("Ms. Holloway", "Mr. Carrillo", "", "")),
            })
        if n % 29 == 7:
            # Someone always types markup or a line break into a name; it must stay harmless.
            answers[titles["first_name"].title] = f"{first}<script>alert('hi')</script>"
            answers[titles["last_name"].title] = f"{last}\r\nBcc: everyone@elsewhere.example"
        moment = opens + timedelta(seconds=rng.random() * span)
        made.append(SampleApplication(moment.replace(tzinfo=zone), email, answers))
    made.sort(key=lambda a: a.submitted_at)
    return made


def _answer(rng: random.Random, key: str, kind: QuestionKind, options: list[str],
            known: dict[str, str]) -> str:
    if key in known:
        return known[key]
    if key == "essay":
        return rng.choice(ESSAYS)
    if key == "family_language":
        return rng.choices(options, weights=(3, 2)[: len(options)] or None)[0]
    if key == "grade":
        return rng.choice(("10", "11", "11", "12", "12"))
    if kind is QuestionKind.CHECKBOXES:
        picked = rng.sample(options, k=rng.randint(1, min(3, len(options))))
        return ", ".join(o for o in options if o in picked)
    if kind is QuestionKind.CHOICE:
        return rng.choice(options)
    if key == "gender":
        return rng.choice(("Female", "Male", "Non-binary", ""))
    return ""
