"""`make demo` end to end: every message it writes is valid, single-recipient and safe."""

from __future__ import annotations

import csv
import email
import email.policy
import re
import stat
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest
from openpyxl import load_workbook

from microintern.demo.run import run_demo
from microintern.domain.catalog import LETTERS
from microintern.domain.mime import KEY_HEADER

APPLICANTS = 48


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("demo") / "demo-output"
    lines: list[str] = []
    run_demo(out, seed=7, applicants=APPLICANTS, echo=lines.append)
    return out, lines


def messages(folder: Path) -> list[tuple[Path, EmailMessage]]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found.append((path, message))  # type: ignore[arg-type]
    return found


def all_messages(out: Path) -> list[tuple[Path, EmailMessage]]:
    return messages(out / "local" / "outbox" / "sent") + messages(out / "letters")


def test_demo_runs_the_timeline_without_a_failed_step(demo: tuple[Path, list[str]]) -> None:
    _, lines = demo
    summary = next(line for line in lines if line.startswith("done:"))
    assert f"{APPLICANTS} applications imported" in summary
    assert "0 failed steps" in summary
    # Steps are named as their commands are (issue 16), with the session they ran for.
    assert any("send partner-outreach (cyber-basics): sent 1" in line for line in lines)
    assert any(line.strip() == "send recruitment: sent 3" for line in lines)
    assert any("send decisions: " in line and "sent" in line for line in lines)
    assert any("thank-partners (" in line and "sent" in line for line in lines)


DAY = re.compile(r"^\[\s*(\d+)%\] (\d{4}-\d\d-\d\d) \w{3} \((T[-+]?\d*[wd]?)\)$")


def test_the_console_is_a_coordinators_log(demo: tuple[Path, list[str]]) -> None:
    out, lines = demo
    days = [m for m in map(DAY.match, lines) if m]
    percents = [int(m.group(1)) for m in days]
    assert percents[0] == 0 and percents[-1] >= 95 and percents == sorted(percents)
    assert len(days) < 120  # only days on which something happened
    assert any(m.group(3) == "T-4w" for m in days) and any(m.group(3) == "T" for m in days)
    for line in lines:
        assert str(out) in line or len(line) <= 100, line
    text = "\n".join(lines)
    assert "nothing to do" not in text and "run-due " not in text
    # No internal step name where a command has its own name.
    for internal in ("appreciation", "partner_meeting", "release_forms", "hours_log", "screening:"):
        assert internal not in text, internal
    assert "where to look:" in text and text.index("done: ") < text.index("where to look:")


def test_the_demo_workbook_is_formatted_as_init_formats_it(demo: tuple[Path, list[str]]) -> None:
    out, lines = demo
    book = load_workbook(out / "local" / "program.xlsx")
    applications = book["Applications"]
    assert applications.freeze_panes in ("A2", "B2")  # the header row (and the id column)
    assert any("Accept" in str(v.formula1) for v in applications.data_validations.dataValidation)
    assert len(applications.conditional_formatting) > 0
    assert any("microintern init" in line for line in lines)


def hard_case(lines: list[str], label: str) -> str:
    """The hard-case line starting with ``label``, with its wrapped continuation lines."""
    at = next(n for n, line in enumerate(lines) if line.strip().startswith(label))
    more = [line.strip() for line in lines[at + 1:at + 4] if line.startswith("      ")]
    return " ".join([lines[at], *more])


def test_the_demo_shows_a_resubmission_as_one_row_and_one_letter(demo: tuple[Path, list[str]]) -> None:
    out, lines = demo
    line = hard_case(lines, "sent twice:")
    assert "1 row (" in line and "1 acknowledgement (sent)" in line and "2 submissions" in line
    applicant = re.search(r"\((A-\w+)\)", line).group(1)  # type: ignore[union-attr]
    acknowledgements = [m for _, m in messages(out / "local" / "outbox" / "sent")
                        if f"/application_received/{applicant}/" in str(m[KEY_HEADER])]
    assert len(acknowledgements) == 1
    assert any("a second time" in line for line in lines)


def test_the_demo_holds_a_lookalike_and_an_outside_address(demo: tuple[Path, list[str]]) -> None:
    out, lines = demo
    lookalike = hard_case(lines, "look-alike address:")
    assert "LOOKALIKE" in lookalike and "proposed Review" in lookalike
    assert "acknowledgement held" in lookalike
    outside = hard_case(lines, "outside the student domain:")
    assert "OUTSIDE_DOMAIN" in outside and "acknowledgement held" in outside
    # No relay: the public form never made the program mail the outside address; letters
    # after the coordinator's decision may go there (a person looked at the row).
    acknowledged = {str(m["To"]) for _, m in messages(out / "local" / "outbox" / "sent")
                    if "/application_received/" in str(m[KEY_HEADER])}
    assert acknowledged and not any(to.endswith("@mail.example.net") for to in acknowledged)


def test_the_demo_keeps_a_very_long_essay_whole_in_long_answers(demo: tuple[Path, list[str]]) -> None:
    _, lines = demo
    line = hard_case(lines, "very long essay:")
    assert "LONG_ANSWER" in line and "Long answers (" in line
    kept = int(re.search(r"parts, ([\d,]+) characters\)", " ".join(lines)).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert kept >= 60_000


def test_sorting_tabs_mid_program_misplaces_nothing(demo: tuple[Path, list[str]]) -> None:
    _, lines = demo
    assert any("the coordinator sorts Outbox by To and Participants" in line for line in lines)
    line = hard_case(lines, "tabs sorted mid-program:")
    assert line.strip().startswith("tabs sorted mid-program: nothing misplaced"), line
    checked = re.search(r"(\d+) Outbox, (\d+) Participants", line)
    assert checked and int(checked.group(1)) > 100 and int(checked.group(2)) > 10


def test_a_deleted_draft_is_drafted_again_and_sent_once(demo: tuple[Path, list[str]]) -> None:
    out, lines = demo
    cut = next(line for line in lines if "a power cut stops the morning run" in line)
    assert "9 letter(s) sent, 1 drafted)" in cut, cut
    assert any("deletes one waiting draft" in line for line in lines)
    line = hard_case(lines, "deleted draft:")
    assert "sent 1 time(s)" in line
    assert list((out / "local" / "outbox" / "drafts").glob("*.eml")) == []
    keys = Counter(str(m[KEY_HEADER]) for _, m in messages(out / "local" / "outbox" / "sent"))
    assert {k: n for k, n in keys.items() if n > 1} == {}  # every letter once, the re-drafted too


def test_every_demo_message_is_valid_mime_with_text_html_and_one_to(demo: tuple[Path, list[str]]) -> None:
    out, _ = demo
    found = all_messages(out)
    assert len(found) > 100
    for path, message in found:
        assert not message.defects, (path.name, message.defects)
        for part in message.walk():
            assert not part.defects, (path.name, part.defects)
        assert len(message.get_all("To")) == 1, path.name
        assert len(message["To"].addresses) == 1, path.name
        assert message["Bcc"] is None
        assert message[KEY_HEADER], path.name
        assert message.get_body(("plain",)) is not None, path.name
        assert message.get_body(("html",)) is not None, path.name
        for header in ("Subject", "From", "To", "Reply-To"):
            assert "\n" not in str(message[header]) and "\r" not in str(message[header])


def test_no_applicant_input_reaches_html_unescaped(demo: tuple[Path, list[str]]) -> None:
    out, _ = demo
    with (out / "local" / "forms" / "applications.csv").open(encoding="utf-8", newline="") as handle:
        answers = [cell for row in csv.reader(handle) for cell in row]
    risky = {a for a in answers if any(c in a for c in "<>&\"")}
    assert any("<script>" in a for a in risky), "the demo data should carry hostile input"
    escaped_seen = 0
    for path, message in all_messages(out):
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "<script" not in html.lower(), path.name
        for answer in risky:
            assert answer not in html, (path.name, answer)
        escaped_seen += "&lt;script&gt;" in html
        assert "everyone@elsewhere.example" not in str(message["To"]) + str(message["Cc"])
    assert escaped_seen >= 1  # the hostile applicant did get their letters, as text


def test_the_demo_produces_every_letter_in_every_language(demo: tuple[Path, list[str]]) -> None:
    out, lines = demo
    keys = {str(m[KEY_HEADER]).split("/")[2] for _, m in messages(out / "letters")}
    expected = {f"{name}.{lang}" for name, spec in LETTERS.items() for lang in spec.languages}
    assert keys == expected
    index = (out / "letters" / "index.html").read_text(encoding="utf-8")
    assert index.count("<a ") >= len(expected)
    assert any(str(out / "letters" / "index.html") in line for line in lines)
    for kind in ("student", "partner"):
        for suffix in ("", "-es"):   # every flyer in every language of the program
            pdf = out / "flyers" / f"mvusd-spring-2027-{kind}-flyer{suffix}.pdf"
            assert pdf.read_bytes().startswith(b"%PDF")
            html = out / "flyers" / f"mvusd-spring-2027-{kind}-flyer{suffix}.html"
            assert f'<html lang="{suffix[1:] or "en"}"' in html.read_text(encoding="utf-8")


def test_demo_files_are_private_to_their_owner(demo: tuple[Path, list[str]]) -> None:
    out, _ = demo
    for path in [*out.rglob("*.eml"), *out.rglob("*.xlsx"), *out.rglob("*.csv"), *out.rglob("*.pdf")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
