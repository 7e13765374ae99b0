"""The forms' texts as data (issue 15): templates/forms/<form>.<language>.yaml, checked key by key.

The shipped English and Spanish files hold every key of every form; a third language's files
(Vietnamese, written here) make the hours, hand-in and industry forms in that language, their
choices read back as the English form's by position. Each kind of mistake in a file is one
problem naming the key.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from programs import ROOT, write_config

from microintern.config import ProgramConfig, load_config
from microintern.config.form_texts import FORM_FIELDS, FormTextMissing, check_form_file, load_form_texts
from microintern.domain.assignments import assignment_options, hand_in_spec
from microintern.domain.hours import hours_form_spec
from microintern.domain.partners import OTHER_DATES, date_options, industry_form_spec
from microintern.errors import ConfigError
from microintern.steps.partners import industry_form_languages
from microintern.steps.program_forms import languages_with_text
from microintern.steps.template_check import form_problems

VIETNAMESE = {
    "hours": """
title: "{program}: nhật ký giờ làm"
applicant_id: Mã số học sinh (đã được điền sẵn)
date_worked: Ngày làm việc
hours: Số giờ (một con số, ví dụ 2.5)
activity: Em đã làm gì?
""",
    "hand-in": """
title: "{program}: nộp bài"
student_id: Mã số học sinh (đã được điền sẵn)
assignment: Em đang nộp bài tập nào?
link: Đường dẫn đến bài làm của em (Google Docs, Drive hoặc bất kỳ địa chỉ web nào)
note: Ghi chú cho doanh nghiệp (không bắt buộc)
""",
    "industry": """
title: "{program}: mẫu đơn cho doanh nghiệp đối tác"
partner_id: "Mã số doanh nghiệp (đã được điền sẵn: xin đừng thay đổi)"
organization: Tổ chức
topic: Chủ đề buổi học
skills: Quý vị muốn dạy những kỹ năng nào?
available_dates: Những ngày nào phù hợp với quý vị?
other_dates: Những ngày giờ khác phù hợp
group_size: Quý vị muốn nhận bao nhiêu học sinh?
recording_consent: Buổi học có thể được ghi hình cho học sinh không? (Chỉ khi mọi gia đình cũng đồng ý.)
co_presenters: "Người cùng trình bày: tên và địa chỉ email, mỗi người một dòng"
other_dates_option: Ngày khác (xin ghi bên dưới)
yes_no: ["Có", "Không"]
date_day: "EEEE d 'tháng' M y"
date_time: "HH:mm"
date_option: "{day} lúc {time}"
more_meetings: " (buổi đầu trong {count} buổi)"
""",
}


def vietnamese_program(tmp_path: Path) -> ProgramConfig:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates" / "forms", folder / "forms")
    for form, text in VIETNAMESE.items():
        (folder / "forms" / f"{form}.vi.yaml").write_text(text.lstrip(), encoding="utf-8")
    data = yaml.safe_load((ROOT / "config" / "program.example.yaml").read_text(encoding="utf-8"))
    partners = [{**data["partners"][0], "language": "vi"}, *data["partners"][1:]]
    return load_config(write_config(tmp_path, program={**data["program"], "languages": ["en", "es", "vi"]},
                                    partners=partners, templates_folder=str(folder)))


def test_the_shipped_forms_have_every_key_in_english_and_spanish() -> None:
    texts = load_form_texts(ROOT / "templates", ["en", "es"])
    assert texts.broken == {}
    assert set(texts.texts) == {(form, language) for form in FORM_FIELDS for language in ("en", "es")}
    assert form_problems(load_config(ROOT / "config" / "program.example.yaml")) == []


def test_hours_hand_in_and_industry_forms_in_a_third_language(tmp_path: Path) -> None:
    config = vietnamese_program(tmp_path)
    assert languages_with_text(config, config.form_texts.languages("hours")) == ["en", "es", "vi"]
    assert languages_with_text(config, config.form_texts.languages("hand-in")) == ["en", "es", "vi"]
    assert industry_form_languages(config) == ["en", "vi"]        # Solis reads Vietnamese

    hours = hours_form_spec(config, "vi")
    assert hours.name == "hours-vi" and hours.title.endswith(": nhật ký giờ làm")
    assert hours.question_ids() == hours_form_spec(config, "en").question_ids()

    hand_in = hand_in_spec(config, "vi")
    assert hand_in.name == "hand-in-vi"
    chosen = next(q for q in hand_in.questions if q.key == "assignment")
    assert chosen.title == "Em đang nộp bài tập nào?"
    assert chosen.options == tuple(assignment_options(config, "vi"))   # titles fall back to English

    industry = industry_form_spec(config, "vi")
    assert industry.name == "industry-vi"
    dates = next(q for q in industry.questions if q.key == "available_dates")
    english = [*date_options(config), OTHER_DATES]
    assert dates.options[0] == "Thứ Ba 16 tháng 3 2027 lúc 15:30"
    assert dates.options[-2].endswith(" (buổi đầu trong 6 buổi)")
    assert not any(", " in option for option in dates.options)    # Forms joins ticked boxes with ", "
    # Every Vietnamese choice is read back as the English form's in the same place.
    assert [dates.read_as(option) for option in dates.options] == english
    assert dates.read_as(f"{dates.options[0]}, {dates.options[-1]}") == f"{english[0]}, {OTHER_DATES}"
    consent = next(q for q in industry.questions if q.key == "recording_consent")
    assert (consent.read_as("Có"), consent.read_as("Không")) == ("Yes", "No")
    assert consent.shown_as("Yes") == "Có"


def test_a_form_without_a_file_in_a_language_is_a_key_error_and_a_config_error(tmp_path: Path) -> None:
    config = vietnamese_program(tmp_path)
    with pytest.raises(FormTextMissing) as missing:
        config.form_texts.text("release", "vi")
    assert isinstance(missing.value, KeyError) and isinstance(missing.value, ConfigError)
    assert str(missing.value).startswith(str(tmp_path / "templates" / "forms" / "release.vi.yaml"))
    assert config.form_texts.text_or_default("release", "vi", "en") == config.form_texts.text("release", "en")


HOURS = FORM_FIELDS["hours"]
GOOD_HOURS = VIETNAMESE["hours"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("- a list\n", "(top level): expected a mapping of keys, found ['a list']"),
    ("title: [unclosed\n", "expected valid YAML"),
    (GOOD_HOURS + "colour: blue\n", "key 'colour': expected no such key (a typo?)"),
    (GOOD_HOURS.replace("title: \"{program}", "title: \"{programme}"),
     "key 'title': expected only the placeholders {program}, found {programme}"),
    (GOOD_HOURS.replace("title: \"{program}", "title: \"{program"),
     "key 'title': expected text whose braces name a placeholder"),
    (GOOD_HOURS.replace("activity: Em đã làm gì?", "activity: |\n  Em đã\n  làm gì?"),
     "key 'activity': expected one non-blank line of text"),
    (GOOD_HOURS.replace("activity: Em đã làm gì?", "activity: yes"),
     "key 'activity': expected one non-blank line of text (quote it: \"Yes\"), found True"),
])
def test_each_mistake_in_a_form_file_names_its_key(raw: str, expected: str) -> None:
    _, problems = check_form_file(raw, HOURS, "vi")
    assert any(expected in problem for problem in problems), problems


def test_options_must_be_distinct_and_date_patterns_must_format() -> None:
    industry = VIETNAMESE["industry"]
    fields = FORM_FIELDS["industry"]
    _, problems = check_form_file(industry.replace('["Có", "Không"]', '["Có", "Có"]'), fields, "vi")
    assert problems == ["key 'yes_no': expected options without repeats (Forms refuses them), "
                        "found ['Có', 'Có']"]
    _, problems = check_form_file(industry.replace('date_time: "HH:mm"', 'date_time: "HHHHH"'), fields, "vi")
    assert problems == ["key 'date_time': expected a Babel time pattern, "
                        "found Invalid length for field: 'HHHHH'"]
    text, problems = check_form_file(industry, FORM_FIELDS["industry"], "vi")
    assert problems == [] and text["yes_no"] == ("Có", "Không")
