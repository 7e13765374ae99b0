"""Registration and release forms on the local backend: links, returns, reminders, Missing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from email_validator import EmailNotValidError, validate_email
from test_correspondence import imported, letters_of, local_folder, workbook

from microintern.bootstrap import step_context
from microintern.config import load_config
from microintern.demo.run import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import prefill_entry
from microintern.domain.participation import (
    APPLICANT_KEY,
    ATTENDING_NO,
    ATTENDING_YES,
    ReminderPlan,
    missing_items,
    registration_spec,
    release_spec,
    yes_no,
)
from microintern.steps.participation import collect_release_forms, register_students

SESSION = "cyber-basics"          # first meeting 2027-03-16 15:30 Pacific
REGISTRATION_OPENS = datetime.fromisoformat("2027-02-16T06:30-08:00")


def _deliverable(row: dict) -> bool:
    try:
        for title in ("School email address", "Parent or guardian email"):
            validate_email(str(row.get(title) or ""), check_deliverability=False)
    except EmailNotValidError:
        return False
    return bool(row.get(sheet.APPLICANT_ID)) and str(row.get("First name") or "").isalpha()


def _seat(config_file: Path, count: int) -> list[dict]:
    rows = imported(config_file, 24)
    chosen = [r for r in rows if _deliverable(r)][:count]
    workbook(config_file).upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: r[sheet.APPLICANT_ID], sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for r in chosen])
    return chosen


def _link(message: object) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    return next(w for w in text.split() if w.startswith("https://forms.example.invalid/"))


def _participants(config_file: Path) -> dict[str, dict]:
    rows = workbook(config_file).read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    return {str(r[sheet.APPLICANT_ID]): r for r in rows}


def test_registration_link_prefills_the_applicant_and_returns_are_read_back(config_file: Path) -> None:
    chosen = _seat(config_file, 3)
    config = load_config(config_file)
    ctx = step_context(config, REGISTRATION_OPENS)
    result = register_students(ctx, [SESSION])
    assert result.counts.get("sent") == 3
    letters = letters_of(config_file)
    spec = registration_spec(config)
    entry = prefill_entry(spec.question_ids()[APPLICANT_KEY])
    for row in chosen:
        link = _link(letters[("registration", str(row[sheet.APPLICANT_ID]))])
        assert parse_qs(urlsplit(link).query)[entry] == [row[sheet.APPLICANT_ID]]
    assert all(p[sheet.MISSING] == "registration, release form" for p in _participants(config_file).values())

    # One student registers, one declines; the third stays silent.
    titles = [q.title for q in spec.questions]
    when = REGISTRATION_OPENS + timedelta(days=1)
    write_form_csv(local_folder(config_file) / "forms", "registration", titles, [
        (when, [str(chosen[0][sheet.APPLICANT_ID]), ATTENDING_YES, "No", ""]),
        (when, [str(chosen[1][sheet.APPLICANT_ID]), ATTENDING_NO, "No", ""]),
    ])
    again = register_students(step_context(config, when + timedelta(hours=2)), [SESSION])
    assert again.counts.get("sent") is None and again.counts.get("declined") == 1
    participants = _participants(config_file)
    first, second, third = (participants[str(r[sheet.APPLICANT_ID])] for r in chosen)
    assert first[sheet.REGISTERED] == when.strftime("%Y-%m-%d") and first[sheet.MISSING] == "release form"
    assert second[sheet.PLACEMENT] == sheet.DECLINED
    assert third[sheet.MISSING] == "registration, release form"

    # Reminders: only the silent student, every 4 days, at most twice, each once.
    for days in range(1, 16):
        register_students(step_context(config, REGISTRATION_OPENS + timedelta(days=days)), [SESSION])
    letters = letters_of(config_file)   # fails if any letter went out twice
    reminders = sorted(k for k in letters if k[0].startswith("registration_reminder"))
    silent = str(chosen[2][sheet.APPLICANT_ID])
    assert reminders == [("registration_reminder-1", silent), ("registration_reminder-2", silent)]
    # The first went 4 days after the link, the second 8 days after.
    outbox = workbook(config_file).read_tabs([sheet.OUTBOX])[sheet.OUTBOX]
    sent_on = {str(r["Key"]).split("/")[1]: str(r["Updated"])[:10] for r in outbox
               if "registration_reminder" in str(r["Key"])}
    assert sent_on == {"registration_reminder-1": "2027-02-20", "registration_reminder-2": "2027-02-24"}


def test_release_form_in_the_family_language_with_separate_permissions(config_file: Path) -> None:
    chosen = _seat(config_file, 4)
    config = load_config(config_file)
    opens = datetime.fromisoformat("2027-02-23T06:30-08:00")
    result = register_students(step_context(config, opens), [SESSION])
    result = collect_release_forms(step_context(config, opens), [SESSION])
    assert result.counts.get("sent") == 4
    letters = letters_of(config_file)
    for row in chosen:
        message = letters[("release_form", str(row[sheet.APPLICANT_ID]))]
        language = str(row.get(sheet.LANGUAGE) or "en")
        assert f"/release-{language}" in _link(message)
        guardian = next(v for k, v in row.items() if k == "Parent or guardian email")
        assert message["To"].addresses[0].addr_spec == str(guardian).strip()
    # Returns from both language forms; "Sí" is read as Yes.
    es, en = release_spec(config, "es"), release_spec(config, "en")
    when = opens + timedelta(days=2)
    a, b, c, _ = (str(r[sheet.APPLICANT_ID]) for r in chosen)
    write_form_csv(local_folder(config_file) / "forms", "release-es", [q.title for q in es.questions],
                   [(when, [a, "Lucía", "madre", "Sí", "Sí", "No", "Lucía R."])])
    write_form_csv(local_folder(config_file) / "forms", "release-en", [q.title for q in en.questions],
                   [(when, [b, "Grace", "mother", "Yes", "No", "Yes", "Grace O."]),
                    (when, [c, "Tom", "father", "No", "No", "No", "Tom K."])])
    collect_release_forms(step_context(config, when + timedelta(hours=1)), [SESSION])
    participants = _participants(config_file)
    assert (participants[a][sheet.PARTICIPATION_ALLOWED], participants[a][sheet.RECORDING_ALLOWED],
            participants[a][sheet.MEDIA_ALLOWED]) == ("Yes", "Yes", "No")
    assert participants[b][sheet.RECORDING_ALLOWED] == "No" and participants[b][sheet.MEDIA_ALLOWED] == "Yes"
    assert participants[c][sheet.PLACEMENT] == sheet.DECLINED
    assert participants[a][sheet.RELEASE_RETURNED] == when.strftime("%Y-%m-%d")
    assert "release form" not in str(participants[a][sheet.MISSING])


def test_reminder_plan_sends_the_next_one_only() -> None:
    plan = ReminderPlan(every_days=3, limit=2)
    first = datetime(2027, 3, 1).date()
    assert plan.due_number(first, first + timedelta(days=2), 0) is None
    assert plan.due_number(first, first + timedelta(days=3), 0) == 1
    # A run that missed days sends reminder 1, not 1 and 2 at once.
    assert plan.due_number(first, first + timedelta(days=9), 0) == 1
    assert plan.due_number(first, first + timedelta(days=9), 1) == 2
    assert plan.due_number(first, first + timedelta(days=30), 2) is None


@pytest.mark.parametrize(("answer", "expected"), [
    ("Yes", "Yes"), ("sí", "Yes"), ("Si", "Yes"), (" No ", "No"), ("maybe", ""), ("", "")])
def test_yes_no(answer: str, expected: str) -> None:
    assert yes_no(answer) == expected


def test_missing_items() -> None:
    assert missing_items("", "") == "registration, release form"
    assert missing_items("2027-02-20", "") == "release form"
    assert missing_items("2027-02-20", "2027-02-25") == ""


def test_forms_have_distinct_stable_question_ids(config_file: Path) -> None:
    config = load_config(config_file)
    specs = [registration_spec(config), release_spec(config, "en"), release_spec(config, "es")]
    ids = [spec.question_ids()[APPLICANT_KEY] for spec in specs]
    assert len(set(ids)) == 3
    assert [s.question_ids() for s in specs] == [
        registration_spec(config).question_ids(), release_spec(config, "en").question_ids(),
        release_spec(config, "es").question_ids()]
    es = release_spec(config, "es")
    assert all(q.options == ("Sí", "No") for q in es.questions if q.options)
