"""The outbox protocol on real local parts: a batch killed anywhere and rerun sends each key once."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microintern.adapters.local import LocalOutbox, LocalWorkbook
from microintern.bootstrap import letter_renderer, local_ports
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.records import OutgoingMessage
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import program_context
from microintern.steps.mailing import Addressed, deliver


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, no except Exception catches it."""


class KillingOutbox(LocalOutbox):
    """A real local outbox that dies at a chosen point of the n-th draft or send."""

    def __init__(self, folder: Path, *, when: str, at: int) -> None:
        super().__init__(folder, domain="mesavalley.example")
        self.when, self.at, self.count = when, at, 0

    def create_draft(self, message: OutgoingMessage) -> str:
        self.count += self.when == "after_draft"
        draft = super().create_draft(message)
        if self.when == "after_draft" and self.count == self.at:
            raise Killed
        return draft

    def send_draft(self, draft_id: str) -> str:
        self.count += self.when in ("before_send", "after_send")
        if self.when == "before_send" and self.count == self.at:
            raise Killed
        sent = super().send_draft(draft_id)
        if self.when == "after_send" and self.count == self.at:
            raise Killed
        return sent


def _items(config: ProgramConfig, n: int) -> list[Addressed]:
    return [
        Addressed(
            key=f"{config.program.id}/application_received/A-{i:04d}/-",
            step="applications", recipient_id=f"A-{i:04d}", to=f"student{i}@students.mesavalley.example",
            letter="application_received", language="es" if i % 3 == 0 else "en",
            context={**program_context(config), "applicant": {
                "first_name": f"Estudiante {i}", "last_name": "P", "id": f"A-{i:04d}"}},
        )
        for i in range(n)
    ]


def _run(config: ProgramConfig, mailer: LocalOutbox, items: list[Addressed]) -> StepResult:
    base = local_ports(config)
    ports = replace(base, mailer=mailer)
    ctx = StepContext(config=config, ports=ports, letters=letter_renderer(config),
                      now=datetime(2027, 2, 1, 14, 30, tzinfo=UTC), application_form_id="applications")
    outbox = {str(r[sheet.OUTBOX_KEY]): r
              for r in ports.roster.read_tabs([sheet.OUTBOX])[sheet.OUTBOX]}
    result = StepResult()
    deliver(ctx, items, outbox, result)
    return result


def _delivered_keys(folder: Path) -> Counter[str]:
    keys: Counter[str] = Counter()
    for path in (folder / "sent").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        keys[str(message["X-Microintern-Key"])] += 1
    return keys


@pytest.mark.parametrize("when", ["after_draft", "before_send", "after_send"])
@pytest.mark.parametrize("at", [1, 7, 30, 60])
def test_killed_batch_rerun_delivers_every_key_exactly_once(
    make_config: Callable[..., ProgramConfig], when: str, at: int
) -> None:
    config = make_config()
    folder = config.resolve(config.local.folder) / "outbox"
    items = _items(config, 60)  # more than one chunk of drafts
    with pytest.raises(Killed):
        _run(config, KillingOutbox(folder, when=when, at=at), items)
    _run(config, LocalOutbox(folder, domain="mesavalley.example"), items)
    delivered = _delivered_keys(folder)
    assert set(delivered) == {i.key for i in items}  # 0 missing
    assert max(delivered.values()) == 1  # 0 duplicates
    rows = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx").read_tabs(
        [sheet.OUTBOX])[sheet.OUTBOX]
    assert {r["State"] for r in rows} <= {"sent", "sent (found in Sent)"}
    assert len(rows) == 60


def test_template_error_sends_nothing_and_names_row_and_field(
    make_config: Callable[..., ProgramConfig],
) -> None:
    config = make_config()
    folder = config.resolve(config.local.folder) / "outbox"
    items = _items(config, 5)
    broken = items[3]
    items[3] = Addressed(**{**broken.__dict__, "context": {
        **broken.context, "applicant": {"id": broken.recipient_id, "submitted": "x"}}})
    with pytest.raises(Exception, match=r"row A-0003.*first_name"):
        _run(config, LocalOutbox(folder, domain="mesavalley.example"), items)
    assert list(folder.glob("**/*.eml")) == []  # no draft stored, nothing sent


def test_an_address_only_smtputf8_allows_is_held_and_the_batch_goes_on(
    make_config: Callable[..., ProgramConfig],
) -> None:
    # email_validator accepts "josé@..." (internationalized mail), the message builder does not:
    # such a letter is held with a note, and the rest of the batch is sent.
    config = make_config()
    folder = config.resolve(config.local.folder) / "outbox"
    items = _items(config, 3)
    items[1] = replace(items[1], to="josé@students.mesavalley.example")
    result = _run(config, LocalOutbox(folder, domain="mesavalley.example"), items)
    assert result.counts.get("held") == 1
    delivered = _delivered_keys(folder)
    assert set(delivered) == {items[0].key, items[2].key}
    rows = {r[sheet.OUTBOX_KEY]: r for r in LocalWorkbook(
        config.resolve(config.local.folder) / "program.xlsx").read_tabs([sheet.OUTBOX])[sheet.OUTBOX]}
    assert rows[items[1].key]["State"] == "held"


def test_a_letter_handed_over_twice_in_one_batch_is_sent_once(
    make_config: Callable[..., ProgramConfig],
) -> None:
    config = make_config()
    folder = config.resolve(config.local.folder) / "outbox"
    items = _items(config, 3)
    result = _run(config, LocalOutbox(folder, domain="mesavalley.example"), [*items, items[1]])
    assert result.counts == {"sent": 3}   # no second draft, no second send to reconcile
    assert _delivered_keys(folder) == {i.key: 1 for i in items}
