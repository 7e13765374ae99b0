"""On the local backend too, a missing draft is never booked as sent without proof (issue 13).

The proof is the letter's file in ``outbox/sent/``; a draft deleted from ``outbox/drafts/``
before it was sent is drafted again and sent in the same run.
"""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dying_mailer import Killed, KilledBeforeSending, SendsUnconfirmed

from microintern.adapters.local import LocalOutbox, LocalWorkbook
from microintern.bootstrap import letter_renderer, local_ports
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import message_key_id
from microintern.domain.records import OutgoingMessage, Record
from microintern.errors import MicrointernError
from microintern.ports import Mailer
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import program_context
from microintern.steps.mailing import CHUNK, FOUND_IN_SENT, REDRAFTED, Addressed, deliver

DOMAIN = "mesavalley.example"


def _items(config: ProgramConfig, n: int) -> list[Addressed]:
    return [
        Addressed(
            key=f"{config.program.id}/application_received/A-{i:04d}/-",
            step="applications", recipient_id=f"A-{i:04d}",
            to=f"student{i}@students.mesavalley.example", letter="application_received",
            language="es" if i % 3 == 0 else "en",
            context={**program_context(config), "applicant": {
                "first_name": f"Estudiante {i}", "last_name": "P", "id": f"A-{i:04d}"}},
        )
        for i in range(n)
    ]


def _run(config: ProgramConfig, mailer: Mailer, items: list[Addressed]) -> StepResult:
    ports = replace(local_ports(config), mailer=mailer)
    ctx = StepContext(config=config, ports=ports, letters=letter_renderer(config),
                      now=datetime(2027, 2, 1, 14, 30, tzinfo=UTC),
                      application_form_id="applications")
    outbox = {str(r[sheet.OUTBOX_KEY]): r
              for r in ports.roster.read_tabs([sheet.OUTBOX])[sheet.OUTBOX]}
    result = StepResult()
    deliver(ctx, items, outbox, result)
    return result


def _outbox_rows(config: ProgramConfig) -> dict[str, Record]:
    workbook = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    return {str(r[sheet.OUTBOX_KEY]): r for r in workbook.read_tabs([sheet.OUTBOX])[sheet.OUTBOX]}


def _delivered(folder: Path) -> Counter[str]:
    keys: Counter[str] = Counter()
    for path in (folder / "sent").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        keys[str(message["X-Microintern-Key"])] += 1
    return keys


@pytest.fixture
def program(make_config: Callable[..., ProgramConfig]) -> tuple[ProgramConfig, Path]:
    config = make_config()
    return config, config.resolve(config.local.folder) / "outbox"


def _killed_after_drafting(config: ProgramConfig, folder: Path, items: list[Addressed]) -> None:
    """A run whose sends all went unanswered (and did not happen): every letter ``drafted``."""
    assert len(items) <= CHUNK
    with pytest.raises(MicrointernError, match="may or may not have gone out"):
        _run(config, SendsUnconfirmed(LocalOutbox(folder, domain=DOMAIN), len(items)), items)
    assert {r["State"] for r in _outbox_rows(config).values()} == {"drafted"}
    assert len(list((folder / "drafts").glob("*.eml"))) == len(items)


def test_deleted_drafts_are_drafted_again_and_sent_once(
        program: tuple[ProgramConfig, Path]) -> None:
    config, folder = program
    items = _items(config, 20)
    _killed_after_drafting(config, folder, items)
    deleted = sorted((folder / "drafts").glob("*.eml"))[:12]
    for path in deleted:
        path.unlink()  # someone tidying the drafts folder
    result = _run(config, LocalOutbox(folder, domain=DOMAIN), items)
    delivered = _delivered(folder)
    assert set(delivered) == {i.key for i in items} and max(delivered.values()) == 1
    assert result.counts[REDRAFTED] == 12
    assert FOUND_IN_SENT not in result.counts  # nothing booked sent without its file in sent/
    rows = _outbox_rows(config)
    assert {r["State"] for r in rows.values()} == {"sent"}
    redrafted = {k for k, r in rows.items() if str(r.get("Note") or "").startswith("drafted again")}
    assert {message_key_id(k) for k in redrafted} == {p.stem for p in deleted}
    # Each row's Message ID names the file that holds that key's letter.
    for key, row in rows.items():
        sent = folder / "sent" / f"{row['Message ID']}.eml"
        message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
        assert message["X-Microintern-Key"] == key


def test_a_sent_letter_whose_record_was_lost_is_found_not_resent(
        program: tuple[ProgramConfig, Path]) -> None:
    config, folder = program
    items = _items(config, 8)
    _killed_after_drafting(config, folder, items)
    # Three letters went out, but the run died before recording it.
    (folder / "sent").mkdir(mode=0o700, exist_ok=True)
    for path in sorted((folder / "drafts").glob("*.eml"))[:3]:
        path.rename(folder / "sent" / path.name)
    result = _run(config, LocalOutbox(folder, domain=DOMAIN), items)
    delivered = _delivered(folder)
    assert set(delivered) == {i.key for i in items} and max(delivered.values()) == 1
    assert result.counts[FOUND_IN_SENT] == 3
    assert result.counts["sent"] == 5
    states = Counter(str(r["State"]) for r in _outbox_rows(config).values())
    assert states == Counter({"sent": 5, "sent (found in Sent)": 3})


def test_find_sent_reads_only_the_sent_folder_and_takes_the_latest_copy(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path, domain=DOMAIN)
    key = "mvusd-2027/decisions/A-0001/-"
    message = OutgoingMessage(key=key, sender="Program <internships@mesavalley.example>",
                              to="a@students.mesavalley.example", subject="s", text="t", html="")
    assert outbox.find_sent(key) is None
    draft = outbox.create_draft(message)
    assert outbox.find_sent(key) is None  # a waiting draft is no proof
    assert outbox.send_draft(draft) == draft
    assert outbox.find_sent(key) == draft
    again = outbox.send_draft(outbox.create_draft(message))
    assert again == f"{draft}-2" and outbox.find_sent(key) == again
    (tmp_path / "sent" / f"{draft}-x.eml").write_bytes(b"not ours")
    assert outbox.find_sent(key) == again
    assert outbox.find_sent("mvusd-2027/decisions/A-0002/-") is None


def test_a_run_killed_at_its_first_send_is_finished_with_each_letter_once(
        program: tuple[ProgramConfig, Path]) -> None:
    """Every new letter is on disk as ``sending`` before its draft exists; the rerun looks first."""
    config, folder = program
    items = _items(config, 9)
    with pytest.raises(Killed):
        _run(config, KilledBeforeSending(LocalOutbox(folder, domain=DOMAIN)), items)
    assert {r["State"] for r in _outbox_rows(config).values()} == {"sending"}
    assert len(list((folder / "drafts").glob("*.eml"))) == 1
    # One more letter went out before the record of it was lost (moved by hand into sent/).
    outbox = LocalOutbox(folder, domain=DOMAIN)
    late = items[5]
    outbox.send_draft(outbox.create_draft(OutgoingMessage(
        key=late.key, sender="Program <internships@mesavalley.example>", to=late.to,
        subject="s", text="t", html="")))
    result = _run(config, LocalOutbox(folder, domain=DOMAIN), items)
    delivered = _delivered(folder)
    assert set(delivered) == {i.key for i in items} and max(delivered.values()) == 1
    assert result.counts[FOUND_IN_SENT] == 1 and result.counts["sent"] == 8
    assert list((folder / "drafts").glob("*.eml")) == []
    states = Counter(str(r["State"]) for r in _outbox_rows(config).values())
    assert states == Counter({"sent": 8, "sent (found in Sent)": 1})
