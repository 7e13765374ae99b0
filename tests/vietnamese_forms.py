"""A program in English, Spanish and Vietnamese whose Vietnamese forms exist (issue 15).

The Vietnamese form texts are this project's own short translations, written into a copy of
the templates folder (not shipped: a program with another language shows which forms fall back).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from programs import ROOT, write_config

from microintern.bootstrap import step_context
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.outbox import message_key
from microintern.steps.setup import initialise

SESSION = "cyber-basics"                                        # one meeting, 2027-03-16 15:30
REGISTRATION = datetime.fromisoformat("2027-02-16T06:30-08:00")
RELEASE = datetime.fromisoformat("2027-02-23T06:30-08:00")
AFTER = datetime.fromisoformat("2027-03-18T06:30-07:00")        # two days after the meeting
MAYA, LAN, MINH = "A-0000001", "A-0000002", "A-0000003"
STUDENTS = {MAYA: ("Maya", "en"), LAN: ("Lan", "vi"), MINH: ("Minh", "vi")}

DECLINE_VI = "Không, em không thể tham gia nữa"
FORMS_VI = {
    "registration": """
title: "{program}: đăng ký"
applicant_id: Mã số hồ sơ (đã được điền sẵn)
attending: Em có tham gia buổi học mà em được xếp vào không?
attending_options: ["Có, em sẽ tham gia", "Không, em không thể tham gia nữa"]
needs_device: Em có cần máy tính xách tay hoặc kết nối internet để tham gia trực tuyến không?
accessibility: Chúng tôi cần chuẩn bị gì để em tham gia đầy đủ (phụ đề, thêm thời gian, điều khác)?
yes_no: ["Có", "Không"]
""",
    "release": """
title: "{program}: đơn cho phép và đồng ý"
applicant_id: Mã số hồ sơ (đã được điền sẵn)
guardian_name: Họ và tên của quý vị (cha, mẹ hoặc người giám hộ)
relationship: Quan hệ của quý vị với học sinh
participation: >-
  Tôi cho phép con tôi tham gia chương trình thực tập ngắn hạn, trực tuyến{on_service},
  có giáo viên của học khu tham dự.
on_service: " qua {service}"
recording: Buổi học có thể được ghi hình (chỉ khi mọi gia đình trong nhóm đồng ý).
media: >-
  Chương trình có thể dùng hình ảnh, lời trích dẫn hoặc bài làm của con tôi
  trong tài liệu của chương trình.
signature: Nhập họ và tên của quý vị để ký tên
yes_no: ["Có", "Không"]
""",
    "feedback": """
title: "{program}: ý kiến của em"
applicant_id: Mã số học sinh (đã được điền sẵn)
session_id: Buổi học (đã được điền sẵn)
scale: "{rating} (1 = kém, 5 = rất tốt)"
learned: Em đã học được gì?
improve: Điều gì có thể tốt hơn?
testimonial: Một câu về buổi học mà chúng tôi có thể chia sẻ (không bắt buộc)
share: Chúng tôi có thể chia sẻ câu của em với doanh nghiệp, chỉ kèm tên của em không?
yes_no: ["Có", "Không"]
ratings:
  The session overall: Buổi học nói chung
""",
}


def vietnamese_templates(tmp_path: Path) -> Path:
    """The project's templates, the English letters and flyers copied as Vietnamese, and the
    Vietnamese registration, release and feedback forms."""
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    for english in [*folder.glob("email/*.en.*"), *folder.glob("flyer/*.en.*")]:
        shutil.copy(english, english.with_name(english.name.replace(".en.", ".vi.")))
    for form, text in FORMS_VI.items():
        (folder / "forms" / f"{form}.vi.yaml").write_text(text.lstrip(), encoding="utf-8")
    return folder


def three_languages(tmp_path: Path, **overrides: Any) -> Path:
    data = yaml.safe_load((ROOT / "config" / "program.example.yaml").read_text(encoding="utf-8"))
    program = {**data["program"], "languages": ["en", "es", "vi"]}
    return write_config(tmp_path, program=program, templates_folder=str(vietnamese_templates(tmp_path)),
                        **overrides)


def seat(config: ProgramConfig, attended: bool = False, env: Mapping[str, str] = os.environ) -> None:
    """Maya (English), Lan and Minh (their families read Vietnamese), placed and told so."""
    roster = step_context(config, REGISTRATION, env=env).ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, "First name": first, "Last name": "Test",
         "School email address": f"{applicant.lower()}@students.mesavalley.example",
         "Parent or guardian email": f"{applicant.lower()}@family.example",
         "Parent or guardian name": "A parent", sheet.DECISION: "Accept"}
        for applicant, (first, language) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED,
         **({sheet.ATTENDED: "yes", sheet.MINUTES: 90} if attended else {})}
        for applicant in STUDENTS])
    roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, [
        {sheet.OUTBOX_KEY: message_key(config.program.id, "acceptance", applicant),
         "Step": "decisions", "Recipient ID": applicant, "State": "sent"} for applicant in STUDENTS])
