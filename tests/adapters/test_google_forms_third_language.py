"""A Vietnamese registration form on the fake Google Forms (issue 15: every language gets every form).

With ``forms/registration.vi.yaml`` in the templates folder, a program in English, Spanish and
Vietnamese makes three registration forms; a Vietnamese-reading family's letter links the
Vietnamese one, and its answer "Không, em không thể tham gia nữa" declines the seat exactly as
the English form's "No, I can no longer take part" does.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import yaml
from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram, forms_made
from fakeworkspace import FakeWorkspace
from vietnamese_forms import DECLINE_VI, LAN, MINH, REGISTRATION, SESSION, seat, vietnamese_templates

from microintern.bootstrap import step_context
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.participation import APPLICANT_KEY, registration_spec
from microintern.steps.participation import register_students
from microintern.steps.program_forms import id_setting


def test_a_vietnamese_registration_form_on_google_forms_is_read_as_english(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    data = yaml.safe_load(google_program.config_file.read_text(encoding="utf-8"))
    data["program"]["languages"] = ["en", "es", "vi"]
    data["templates_folder"] = str(vietnamese_templates(tmp_path))
    google_program.config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(google_program.config_file)
    seat(config, env={})
    register_students(step_context(config, REGISTRATION, env={}), [SESSION])
    assert forms_made(fake) == 3                                  # en, es and vi
    settings = {row[0]: row[1] for row in fake.sheets.values(SPREADSHEET_ID, sheet.SETTINGS)[1:] if row}
    vietnamese = registration_spec(config, "vi")
    form = fake.forms.get(settings[id_setting(vietnamese)])
    assert form.published and form.info["title"].endswith(": đăng ký")
    items = {item["title"]: item for item in form.items}
    attending = items["Em có tham gia buổi học mà em được xếp vào không?"]
    options = [o["value"] for o in attending["questionItem"]["question"]["choiceQuestion"]["options"]]
    assert options == ["Có, em sẽ tham gia", DECLINE_VI]
    (letter,) = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                 if f"/registration/{MINH}/" in str(m.message["X-Microintern-Key"])]
    body = letter.get_body(("plain",)).get_content()
    assert next(w for w in body.split() if "usp=pp_url" in w).startswith(form.responder_uri)

    ids = vietnamese.question_ids()
    when = REGISTRATION + timedelta(days=1)
    fake.forms.add_response(settings[id_setting(vietnamese)], "v1", when.astimezone(UTC),
                            {ids[APPLICANT_KEY]: MINH, ids["attending"]: DECLINE_VI,
                             ids["needs_device"]: "Có"})
    result = register_students(step_context(config, when + timedelta(hours=1), env={}), [SESSION])
    assert result.counts["declined"] == 1
    rows = fake.sheets.values(SPREADSHEET_ID, sheet.PARTICIPANTS)
    placement = {row[0]: dict(zip(rows[0], row, strict=False)) for row in rows[1:] if row}
    assert placement[MINH][sheet.PLACEMENT] == sheet.DECLINED
    assert placement[LAN][sheet.PLACEMENT] == sheet.PLACED
