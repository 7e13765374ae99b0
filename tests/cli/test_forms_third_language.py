"""A third language gets every family form once its files exist (issue 15: "a language exists when
its templates exist").

A program in English, Spanish and Vietnamese whose templates folder holds Vietnamese letters (the
English ones copied) and Vietnamese texts for the registration, release and feedback forms
(``forms/<form>.vi.yaml``, written here): a Vietnamese-reading family's letters link a Vietnamese
form of its own on the local backend, and its answers ("Không, em không thể tham gia nữa",
"Có") are read exactly as the English form's. check-config passes with no
note for those forms, and a form file with a missing key, the wrong number of options or bad YAML
fails it (exit 2), naming the file and the key. The fake Google Forms half is in
tests/adapters/test_google_forms_third_language.py.
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from vietnamese_forms import (
    AFTER,
    DECLINE_VI,
    LAN,
    MAYA,
    MINH,
    REGISTRATION,
    RELEASE,
    SESSION,
    seat,
    three_languages,
)

from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import ProgramConfig, load_config
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.feedback import SESSION_KEY, SHARE_KEY, TESTIMONIAL_KEY, feedback_spec, rating_key
from microintern.domain.forms import FormSpec
from microintern.domain.mime import KEY_HEADER
from microintern.domain.participation import (
    APPLICANT_KEY,
    ATTENDING_NO,
    ATTENDING_YES,
    registration_spec,
    release_spec,
)
from microintern.errors import ConfigError
from microintern.steps.feedback import request_feedback
from microintern.steps.participation import collect_release_forms, register_students
from microintern.steps.template_check import form_notes


def forms_folder(config: ProgramConfig) -> Path:
    return config.resolve(config.local.folder) / "forms"


def answer(config: ProgramConfig, spec: FormSpec, rows: list[tuple[datetime, dict[str, str]]]) -> None:
    """Answers on ``spec``'s form as its linked sheet exports them (titles in its language)."""
    write_form_csv(forms_folder(config), spec.name, [q.title for q in spec.questions],
                   [(when, [values.get(q.key, "") for q in spec.questions]) for when, values in rows])


def links(config: ProgramConfig, letter: str) -> dict[str, str]:
    """The prefilled form link in each recipient's ``letter`` (by applicant id)."""
    found: dict[str, str] = {}
    for path in sorted((config.resolve(config.local.folder) / "outbox" / "sent").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        _, name, recipient, _ = str(message[KEY_HEADER]).split("/")
        if name == letter:
            body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            found[recipient] = next(w for w in body.split() if "usp=pp_url" in w)
    return found


def participants(config: ProgramConfig) -> dict[str, dict[str, Any]]:
    rows = step_context(config, REGISTRATION).ports.roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    return {str(r[sheet.APPLICANT_ID]): r for r in rows}


def check(config_file: Path) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), "check-config"], catch_exceptions=False)


# --- the local backend ----------------------------------------------------------------------------


def test_vietnamese_families_register_and_consent_on_vietnamese_forms_read_as_english(
        tmp_path: Path) -> None:
    config = load_config(three_languages(tmp_path))
    assert config.form_texts.languages("registration") == ("en", "es", "vi")
    seat(config)
    register_students(step_context(config, REGISTRATION), [SESSION])
    english, vietnamese = registration_spec(config, "en"), registration_spec(config, "vi")
    assert vietnamese.name == "registration-vi" and vietnamese.title.endswith(": đăng ký")
    assert [q.question_id for q in vietnamese.questions] == [q.question_id for q in english.questions]
    assert {"registration.form.json", "registration-vi.form.json"} <= {
        p.name for p in forms_folder(config).glob("*.form.json")}
    sent = links(config, "registration")
    assert sent[LAN].startswith("https://forms.example.invalid/registration-vi?")
    assert sent[MINH].startswith("https://forms.example.invalid/registration-vi?")
    assert sent[MAYA].startswith("https://forms.example.invalid/registration?")

    # Lan takes part, Minh declines in Vietnamese, Maya registers in English.
    when = REGISTRATION + timedelta(days=1)
    answer(config, vietnamese, [
        (when, {APPLICANT_KEY: LAN, "attending": "Có, em sẽ tham gia", "needs_device": "Có"}),
        (when, {APPLICANT_KEY: MINH, "attending": DECLINE_VI, "needs_device": "Không"})])
    answer(config, english, [(when, {APPLICANT_KEY: MAYA, "attending": ATTENDING_YES, "needs_device": "No"})])
    attending = next(q for q in vietnamese.questions if q.key == "attending")
    assert attending.read_as(DECLINE_VI) == ATTENDING_NO and attending.shown_as(ATTENDING_NO) == DECLINE_VI
    result = register_students(step_context(config, when + timedelta(hours=2)), [SESSION])
    assert result.counts["declined"] == 1 and result.counts["registered"] == 3
    rows = participants(config)
    assert rows[MINH][sheet.PLACEMENT] == sheet.DECLINED
    assert rows[LAN][sheet.PLACEMENT] == rows[MAYA][sheet.PLACEMENT] == sheet.PLACED

    # The release form: Lan's family consents on the Vietnamese form, "Có" / "Không" by position.
    collect_release_forms(step_context(config, RELEASE), [SESSION])
    release_vi, release_en = release_spec(config, "vi"), release_spec(config, "en")
    assert links(config, "release_form")[LAN].startswith("https://forms.example.invalid/release-vi?")
    assert links(config, "release_form")[MAYA].startswith("https://forms.example.invalid/release-en?")
    assert release_vi.questions[3].title.startswith("Tôi cho phép con tôi tham gia")
    returned = RELEASE + timedelta(days=1)
    answer(config, release_vi, [(returned, {
        APPLICANT_KEY: LAN, "guardian_name": "Nguyễn Thị Ánh", "relationship": "mẹ",
        "participation": "Có", "recording": "Không", "media": "Có", "signature": "Nguyễn Thị Ánh"})])
    answer(config, release_en, [(returned, {
        APPLICANT_KEY: MAYA, "guardian_name": "Grace", "relationship": "mother",
        "participation": "Yes", "recording": "Yes", "media": "No", "signature": "Grace O."})])
    collect_release_forms(step_context(config, returned + timedelta(hours=1)), [SESSION])
    rows = participants(config)
    permissions = (sheet.PARTICIPATION_ALLOWED, sheet.RECORDING_ALLOWED, sheet.MEDIA_ALLOWED)
    assert tuple(rows[LAN][c] for c in permissions) == ("Yes", "No", "Yes")
    assert tuple(rows[MAYA][c] for c in permissions) == ("Yes", "Yes", "No")
    assert rows[LAN][sheet.RELEASE_RETURNED] == returned.strftime("%Y-%m-%d")


def test_vietnamese_feedback_form_is_read_as_the_english_one(tmp_path: Path) -> None:
    config = load_config(three_languages(tmp_path))
    seat(config, attended=True)
    assert request_feedback(step_context(config, AFTER), [SESSION]).counts.get("sent") == 3
    english, vietnamese = feedback_spec(config, "en"), feedback_spec(config, "vi")
    assert links(config, "feedback_request")[LAN].startswith("https://forms.example.invalid/feedback-vi?")
    overall = rating_key(config.feedback.ratings[0])
    # The default rating translated by the file; the others (not in it) as configured.
    titles = {q.key: q.title for q in vietnamese.questions}
    assert titles[overall] == "Buổi học nói chung (1 = kém, 5 = rất tốt)"
    assert titles[rating_key(config.feedback.ratings[1])].startswith(config.feedback.ratings[1])

    answered = AFTER + timedelta(hours=8)
    scores = {rating_key(r): "4" for r in config.feedback.ratings}
    answer(config, vietnamese, [(answered, {
        APPLICANT_KEY: LAN, SESSION_KEY: SESSION, **scores, "learned": "Cách bảo vệ mật khẩu",
        TESTIMONIAL_KEY: "Buổi học rất hay.", SHARE_KEY: "Có"})])
    answer(config, english, [(answered, {
        APPLICANT_KEY: MAYA, SESSION_KEY: SESSION, **{k: "2" for k in scores}, "learned": "Passwords",
        TESTIMONIAL_KEY: "Great.", SHARE_KEY: "No"})])
    result = request_feedback(step_context(config, AFTER + timedelta(days=1)), [SESSION])
    assert result.counts["answered"] == 2 and not result.problems
    rows = step_context(config, AFTER).ports.roster.read_tabs([sheet.FEEDBACK])[sheet.FEEDBACK]
    by_student = {r.get(sheet.APPLICANT_ID): r for r in rows}
    assert by_student[LAN][sheet.FEEDBACK_SHARE] == "Yes" and by_student[MAYA][sheet.FEEDBACK_SHARE] == "No"
    average = next(r for r in rows if r[sheet.FEEDBACK_KEY] == f"average:{SESSION}")
    assert average[config.feedback.ratings[0]] == 3 and average[sheet.FEEDBACK_RESPONSES] == 2


# --- check-config ---------------------------------------------------------------------------------


def test_check_config_passes_with_vietnamese_forms_and_notes_only_the_missing_ones(tmp_path: Path) -> None:
    config_file = three_languages(tmp_path)
    result = check(config_file)
    assert result.exit_code == 0, result.output
    assert "note: registration form" not in result.output
    assert "note: feedback form" not in result.output
    assert form_notes(load_config(config_file)) == []
    # Without its file a form falls back again, and says so.
    (tmp_path / "templates" / "forms" / "feedback.vi.yaml").unlink()
    assert form_notes(load_config(config_file)) == [
        "feedback form: no Tiếng Việt text; families reading vi get the English form"]


@pytest.mark.parametrize(("form", "edit", "expected"), [
    ("registration", lambda text: text.replace("attending: Em có", "attendin: Em có"),
     "forms/registration.vi.yaml: key 'attending': expected one line of text, found nothing (missing key)"),
    ("registration", lambda text: text.replace('["Có", "Không"]', '["Có", "Không", "Có thể"]'),
     "forms/registration.vi.yaml: key 'yes_no': expected a list of 2 option labels, found 3 options"),
    ("release", lambda text: text + "media: [oops\n",
     "forms/release.vi.yaml: line "),
    ("feedback", lambda text: text.replace("{rating} (1", "{ratting} (1"),
     "forms/feedback.vi.yaml: key 'scale': expected only the placeholders {rating}, found {ratting}"),
    ("release", lambda text: text.replace('["Có", "Không"]', "[yes, no]"),
     "forms/release.vi.yaml: key 'yes_no': option 1: expected one non-blank line of text (quote it"),
])
def test_a_broken_form_file_fails_check_config_naming_the_file_and_key(
        tmp_path: Path, form: str, edit: Any, expected: str) -> None:
    config_file = three_languages(tmp_path)
    path = tmp_path / "templates" / "forms" / f"{form}.vi.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = check(config_file)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "OK" not in result.output
    assert any(expected in line for line in result.output.splitlines()), result.output
    # A run that needs the form stops with the same words, never sends the default's in its place.
    with pytest.raises(ConfigError, match=f"{form}.vi.yaml"):
        {"registration": registration_spec, "release": release_spec,
         "feedback": feedback_spec}[form](load_config(config_file), "vi")


def test_a_missing_default_language_form_fails_check_config(tmp_path: Path) -> None:
    config_file = three_languages(tmp_path)
    (tmp_path / "templates" / "forms" / "hours.en.yaml").unlink()
    result = check(config_file)
    assert result.exit_code == 2, result.output
    assert "hours form: missing forms/hours.en.yaml (the default language's form)" in result.output
