"""The local badge provider: Open Badges 2.0 files, baked PNGs, the badge_notice letter, reruns."""

from __future__ import annotations

import email
import email.policy
import io
import json
import shutil
import stat
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from microintern.adapters.local import LocalBadges, LocalWorkbook
from microintern.adapters.local.badges import BAKED_KEYWORD, baked_assertion, default_badge_image
from microintern.bootstrap import build_ports, step_context
from microintern.cli import cli
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.badges import badge_profile, hashed_identity
from microintern.domain.mime import KEY_HEADER
from microintern.domain.records import Record
from microintern.steps.badges import award_badges
from microintern.steps.setup import initialise

SESSION = "cyber-basics"                  # one 90-minute meeting, 2027-03-16 15:30 Pacific
AWARD_DAY = datetime.fromisoformat("2027-03-19T06:30-07:00")   # the badge step opens (T+3)
NEXT_DAY = datetime.fromisoformat("2027-03-20T06:30-07:00")

# applicant id, first, last, school address, language, Attended, Minutes
STUDENTS = [
    ("A-BDG00001", "Maya", "Okafor", "maya.okafor@students.mesavalley.example", "en", "yes", 84),
    ("A-BDG00002", "Sofía", "Ramírez", "Sofia.Ramirez@Students.MesaValley.example", "es", "yes", 90),
    ("A-BDG00003", "Jordan", "Tran", "jordan.tran@students.mesavalley.example", "en", "yes", 71),
    ("A-BDG00004", "Lily", "Nguyen", "lily.nguyen@students.mesavalley.example", "en", "no", 20),
]


def seat(config_file: Path, students: list[tuple[Any, ...]] = STUDENTS,
         session: str = SESSION) -> ProgramConfig:
    """Applications and seated Participants rows with attendance already taken."""
    config = load_config(config_file)
    roster = build_ports(config).roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: s[0], "First name": s[1], "Last name": s[2], "School email address": s[3],
         "Parent or guardian name": f"Guardian of {s[1]}",
         "Parent or guardian email": f"family.{s[0].lower()}@home.example",
         sheet.LANGUAGE: s[4]} for s in students])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: s[0], sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.PLACED,
         sheet.ATTENDED: s[5], sheet.MINUTES: s[6]} for s in students])
    return config


def local(config: ProgramConfig) -> Path:
    return config.resolve(config.local.folder)


def participants(config: ProgramConfig) -> dict[str, Record]:
    rows = LocalWorkbook(local(config) / "program.xlsx").read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    return {str(r[sheet.APPLICANT_ID]): r for r in rows}


def notices(config: ProgramConfig) -> dict[str, EmailMessage]:
    """badge_notice letters sent, by applicant id (fails if one went out twice)."""
    found: dict[str, EmailMessage] = {}
    for path in sorted((local(config) / "outbox" / "sent").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        _, letter, recipient, _ = str(message[KEY_HEADER]).split("/")
        if letter == "badge_notice":
            assert recipient not in found, "a badge notice went out twice"
            found[recipient] = message  # type: ignore[assignment]
    return found


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_badges_with_baked_images_private_files_and_one_notice_each(config_file: Path) -> None:
    config = seat(config_file)
    result = award_badges(step_context(config, AWARD_DAY), [SESSION])
    assert result.counts == {"below attendance": 1, "awarded": 3, "sent": 3}
    assert result.problems == []

    folder = local(config) / "badges"
    assert json.loads((folder / "issuer.json").read_text())["type"] == "Issuer"
    badgeclass = json.loads((folder / "badgeclass.json").read_text())
    assert badgeclass["criteria"] == {"narrative": config.badge.criteria}
    assert badgeclass["alignment"][0]["targetCode"] == "CRP1"
    assert (folder / "badge.png").read_bytes() == default_badge_image(config.badge.name)
    documents = {p.stem: json.loads(p.read_text()) for p in (folder / "assertions").glob("*.json")}
    assert len(documents) == 3
    # Private: files 0600, folders 0700.
    assert _mode(folder) == 0o700 and _mode(folder / "assertions") == 0o700
    assert all(_mode(p) == 0o600 for p in folder.rglob("*") if p.is_file())

    rows = participants(config)
    by_address = {s[3].lower(): s for s in STUDENTS}
    for assertion_id, document in documents.items():
        png = (folder / "assertions" / f"{assertion_id}.png").read_bytes()
        # The baked iTXt chunk holds exactly the hosted assertion, as Pillow reads it back.
        assert baked_assertion(png) == document
        with Image.open(io.BytesIO(png)) as image:
            assert json.loads(image.text[BAKED_KEYWORD]) == document
            assert image.size == (400, 400)
        salt = document["recipient"]["salt"]
        [student] = [s for address, s in by_address.items()
                     if hashed_identity(address, salt) == document["recipient"]["identity"]]
        assert student[5] == "yes"
        assert document["id"].endswith(f"/assertions/{assertion_id}.json")
        published = json.dumps(document, ensure_ascii=False).lower()
        assert student[1].lower() not in published and student[3].lower() not in published
        assert rows[student[0]][sheet.BADGE] == f"2027-03-19 assertion {assertion_id}"
    assert not rows["A-BDG00004"].get(sheet.BADGE)

    letters = notices(config)
    assert set(letters) == {"A-BDG00001", "A-BDG00002", "A-BDG00003"}
    spanish = letters["A-BDG00002"]
    assert str(spanish["To"]) == "sofia.ramirez@students.mesavalley.example"
    body = spanish.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Obtuviste la insignia" in body
    badge_id = rows["A-BDG00002"][sheet.BADGE].split()[-1]  # type: ignore[union-attr]
    assert f"{config.badge.hosted_url}/assertions/{badge_id}.png" in body

    # The next day: nothing new anywhere.
    again = award_badges(step_context(config, NEXT_DAY), [SESSION])
    assert again.counts == {"below attendance": 1, "awarded before": 3}
    assert len(list((folder / "assertions").glob("*.json"))) == 3
    assert set(notices(config)) == set(letters)


class _KilledAfterAwards(LocalWorkbook):
    """A workbook whose process "dies" when the Badge cells are about to be written."""

    def upsert(self, tab: str, key_column: str, rows: Any) -> Any:
        if tab == sheet.PARTICIPANTS and any(sheet.BADGE in r for r in rows):
            raise KeyboardInterrupt("killed between the awards and the sheet write")
        return super().upsert(tab, key_column, rows)


def test_a_run_killed_between_award_and_sheet_write_awards_nothing_new(config_file: Path) -> None:
    config = seat(config_file)
    ports = build_ports(config)
    dying = replace(ports, roster=_KilledAfterAwards(local(config) / "program.xlsx"))
    with pytest.raises(KeyboardInterrupt):
        award_badges(step_context(config, AWARD_DAY, ports=dying), [SESSION])
    folder = local(config) / "badges" / "assertions"
    awarded = sorted(p.name for p in folder.glob("*.json"))
    assert len(awarded) == 3
    assert not any(r.get(sheet.BADGE) for r in participants(config).values())
    assert notices(config) == {}

    rerun = award_badges(step_context(config, AWARD_DAY), [SESSION])
    assert rerun.counts == {"below attendance": 1, "awarded before": 3, "sent": 3}
    assert sorted(p.name for p in folder.glob("*.json")) == awarded
    assert sum(1 for r in participants(config).values() if r.get(sheet.BADGE)) == 3
    assert len(notices(config)) == 3


def test_a_badge_the_sheet_records_but_the_provider_lost_is_not_awarded_again(config_file: Path) -> None:
    config = seat(config_file, STUDENTS[:1])
    award_badges(step_context(config, AWARD_DAY), [SESSION])
    shutil.rmtree(local(config) / "badges")  # the badge folder lost (or the provider changed)
    again = award_badges(step_context(config, NEXT_DAY), [SESSION])
    assert again.counts == {"awarded per sheet, issuer has no record": 1}
    assert "not awarded again" in again.problems[0] and "@" not in again.problems[0]
    assert not (local(config) / "badges" / "assertions").exists() or \
        not list((local(config) / "badges" / "assertions").glob("*.json"))
    assert len(notices(config)) == 1


def test_a_missing_baked_image_is_baked_again_from_its_assertion(config_file: Path) -> None:
    config = seat(config_file, STUDENTS[:1])
    award_badges(step_context(config, AWARD_DAY), [SESSION])
    folder = local(config) / "badges" / "assertions"
    [document] = list(folder.glob("*.json"))
    png = document.with_suffix(".png")
    png.unlink()   # killed between the two writes of one award
    again = award_badges(step_context(config, NEXT_DAY), [SESSION])
    assert again.counts == {"awarded before": 1}
    assert baked_assertion(png.read_bytes()) == json.loads(document.read_text())
    assert _mode(png) == 0o600


def test_award_is_idempotent_per_address(tmp_path: Path, make_config: Any) -> None:
    from microintern.domain.records import BadgeAward

    issuer = LocalBadges(tmp_path / "badges", badge_profile(make_config()))
    award = BadgeAward("cyber-basics:A-1", "maya@students.example", "Maya O.", "n", None, "e", AWARD_DAY)
    first = issuer.award(award)
    assert issuer.award(replace(award, email="MAYA@students.example")) == first
    assert issuer.awarded(["Maya@Students.example", "nobody@students.example"]) == {
        "maya@students.example": first}
    assert issuer.awarded([]) == {}
    assert len(list((tmp_path / "badges" / "assertions").glob("*.json"))) == 1


def test_a_configured_badge_image_is_baked(config_file: Path, tmp_path: Path) -> None:
    picture = tmp_path / "district-badge.png"
    Image.new("RGB", (256, 256), (12, 90, 160)).save(picture)
    text = config_file.read_text().replace("  image: null", f"  image: {picture}")
    config_file.write_text(text)
    config = seat(config_file, STUDENTS[:1])
    assert config.badge.image == picture
    award_badges(step_context(config, AWARD_DAY), [SESSION])
    folder = local(config) / "badges"
    assert (folder / "badge.png").read_bytes() == picture.read_bytes()
    [png] = list((folder / "assertions").glob("*.png"))
    with Image.open(png) as baked, Image.open(picture) as original:
        assert baked.size == (256, 256) and baked.getpixel((5, 5)) == original.getpixel((5, 5))


def test_default_image_is_deterministic_and_named() -> None:
    first = default_badge_image("Mesa Valley Micro-Intern")
    assert first == default_badge_image("Mesa Valley Micro-Intern")
    assert first != default_badge_image("Another Badge")
    with Image.open(io.BytesIO(first)) as image:
        assert image.format == "PNG" and image.size == (400, 400)


def test_badges_wait_for_the_session_and_for_attendance(config_file: Path) -> None:
    students = [(*s[:5], "", None) for s in STUDENTS[:2]]
    config = seat(config_file, students)
    during = datetime.fromisoformat("2027-03-16T16:00-07:00")
    assert award_badges(step_context(config, during), [SESSION]).counts == {"session not over yet": 1}
    waiting = award_badges(step_context(config, AWARD_DAY), [SESSION])
    assert waiting.counts == {"waiting for attendance": 2}
    assert not (local(config) / "badges" / "assertions").exists()


def test_a_badge_holder_marked_absent_later_is_reported_not_revoked(config_file: Path) -> None:
    config = seat(config_file, STUDENTS[:1])
    award_badges(step_context(config, AWARD_DAY), [SESSION])
    LocalWorkbook(local(config) / "program.xlsx").upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "A-BDG00001", sheet.ATTENDED: "no"}])
    later = award_badges(step_context(config, NEXT_DAY), [SESSION])
    assert later.counts == {"below attendance": 1}
    assert later.problems == ["A-BDG00001: holds a badge but is now below attendance; revoke it by hand "
                              "if it must go"]
    assert len(list((local(config) / "badges" / "assertions").glob("*.json"))) == 1


def test_cli_badges_command(config_file: Path) -> None:
    seat(config_file)
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config_file), "badges", "--session", SESSION,
                                 "--now", "2027-03-19T06:30"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "awarded 3" in result.output and "below attendance 1" in result.output
    assert "3 student(s) hold the badge" in result.output
    assert "@" not in result.output   # cron mail gets ids and counts, never addresses
    wrong = runner.invoke(cli, ["--config", str(config_file), "badges", "--session", "nope"])
    assert wrong.exit_code == 2 and "not a session" in wrong.output


def test_a_dry_run_previews_the_notices_and_awards_nothing(config_file: Path, tmp_path: Path) -> None:
    config = seat(config_file)
    preview = tmp_path / "preview"
    result = CliRunner().invoke(cli, ["--config", str(config_file), "send", "badges", "--now",
                                      "2027-03-19T06:30", "--dry-run", str(preview)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "awarded 3" in result.output
    assert len(list(preview.glob("*.eml"))) == 3
    assert "https://badges.example.invalid/preview-" in (next(preview.glob("*.html"))).read_text()
    assert not (local(config) / "badges" / "assertions").exists()
    assert not any(r.get(sheet.BADGE) for r in participants(config).values())
    assert notices(config) == {}
