"""A missing draft is never proof of sending, and no Gmail call is repeated blind (issue 13).

Batches go through the real mail engine (``steps.mailing.deliver``), the real Gmail and Sheets
adapters and Google's client libraries, against the fake Workspace. Assertions are on what the
fake delivered (``fake.gmail.sent``), the drafts it still holds and the Outbox tab.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram
from dying_mailer import Killed, KilledAtSend, KilledBeforeSending, SendsUnconfirmed
from fakeworkspace import FakeWorkspace
from fakeworkspace.errors import ApiError
from fakeworkspace.gmail_api import Draft, SentMessage

from microintern.adapters.google import scopes
from microintern.adapters.google.auth import service_account_credentials
from microintern.adapters.google.gmail import GmailMailer
from microintern.adapters.google.transport import GoogleTransport, Retry
from microintern.adapters.saves_before_drafting import SavesBeforeDrafting
from microintern.bootstrap import google_ports, letter_renderer
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import message_id_for
from microintern.errors import MicrointernError
from microintern.steps.context import Ports, StepContext, StepResult
from microintern.steps.letter_context import program_context
from microintern.steps.mailing import CHUNK, REDRAFTED, Addressed, deliver

BATCH = 50


def _ports(program: GoogleProgram, tmp_path: Path, fake: FakeWorkspace) -> Ports:
    """The Google ports, with a Gmail adapter whose retry waits are instant (tests stay fast)."""
    ports = google_ports(program.config)
    creds = service_account_credentials(tmp_path / "credentials.json", subject=PROGRAM_USER,
                                        scopes=scopes.ALL)
    gmail = GoogleTransport(creds, endpoint=fake.url, timeout=5).service("gmail", "v1")
    domain = program.config.sender.address.rsplit("@", 1)[-1]
    ports = replace(ports, mailer=GmailMailer(gmail, domain=domain,
                                              retry=Retry(sleep=lambda _: None)))
    ports.roster.ensure_tabs({sheet.OUTBOX: sheet.OUTBOX_COLUMNS})
    return ports


def _saving(ports: Ports) -> SavesBeforeDrafting:
    """The mailer as the bootstrap wraps it: the Outbox's new rows saved before each draft."""
    return SavesBeforeDrafting(ports.mailer, save=partial(ports.roster.flush_new, sheet.OUTBOX))


def _items(program: GoogleProgram, n: int = BATCH) -> list[Addressed]:
    config = program.config
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


def _run(program: GoogleProgram, ports: Ports, items: list[Addressed]) -> StepResult:
    ctx = StepContext(config=program.config, ports=ports, letters=letter_renderer(program.config),
                      now=datetime(2027, 2, 1, 14, 30, tzinfo=UTC),
                      application_form_id="applications")
    outbox = {str(r[sheet.OUTBOX_KEY]): r
              for r in ports.roster.read_tabs([sheet.OUTBOX])[sheet.OUTBOX]}
    result = StepResult()
    deliver(ctx, items, outbox, result)
    return result


def _run_until_done(program: GoogleProgram, ports: Ports, items: list[Addressed],
                    runs: int = 8) -> list[StepResult]:
    """Rerun the batch (as cron would) until a run confirms everything."""
    results = []
    for _ in range(runs):
        try:
            results.append(_run(program, ports, items))
            return results
        except MicrointernError:  # some outcomes unknown: the next run settles them
            continue
    pytest.fail("the batch never settled")


def _sent_keys(fake: FakeWorkspace) -> Counter[str]:
    return Counter(str(m.message["X-Microintern-Key"]) for m in fake.gmail.sent(PROGRAM_USER))


def _outbox(fake: FakeWorkspace) -> dict[str, dict[str, str]]:
    values = fake.sheets.values(SPREADSHEET_ID, sheet.OUTBOX)
    header = values[0]
    return {row[0]: dict(zip(header, row, strict=False)) for row in values[1:] if row}


def _assert_each_key_sent_once_and_proved(fake: FakeWorkspace, items: list[Addressed]) -> None:
    sent = _sent_keys(fake)
    assert set(sent) == {i.key for i in items}  # 0 missing
    assert max(sent.values()) == 1  # 0 duplicates
    assert fake.gmail.drafts(PROGRAM_USER) == []  # no extra draft left behind
    outbox = _outbox(fake)
    ids = {m.id: str(m.message["X-Microintern-Key"]) for m in fake.gmail.sent(PROGRAM_USER)}
    for item in items:
        row = outbox[item.key]
        assert row["State"] in ("sent", "sent (found in Sent)"), row
        # The recorded Message ID is the delivered message of that very key: the proof.
        assert ids[row["Message ID"]] == item.key


def _record_drafts_then_die(program: GoogleProgram, ports: Ports, items: list[Addressed],
                            fake: FakeWorkspace) -> None:
    """A run whose sends all went unanswered (and did not happen), then stopped.

    Every letter is left ``drafted`` with its draft id, its draft waiting in Gmail: what the
    rerun must send, confirm or draft again.
    """
    with pytest.raises(MicrointernError, match="may or may not have gone out"):
        _run(program, replace(ports, mailer=SendsUnconfirmed(ports.mailer, len(items))), items)
    assert fake.gmail.sent() == []
    assert {r["State"] for r in _outbox(fake).values()} == {"drafted"}
    assert len(fake.gmail.drafts(PROGRAM_USER)) == len(items)


def _applied_then_500(fake: FakeWorkspace, monkeypatch: pytest.MonkeyPatch, method: str,
                      rate: float, seed: int) -> None:
    """Make a share of ``method`` calls take effect, then answer 500: the answer is lost."""
    rng = random.Random(seed)
    handler = fake.handlers[method]

    def applied_then_lost(ctx: Any) -> Any:
        answer = handler(ctx)
        if rng.random() < rate:
            raise ApiError(500, "Internal error encountered.")
        return answer

    monkeypatch.setitem(fake.handlers, method, applied_then_lost)


def test_drafts_deleted_after_a_kill_are_drafted_again_and_sent_once(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    ports = _ports(google_program, tmp_path, fake)
    items = _items(google_program, CHUNK)
    _record_drafts_then_die(google_program, ports, items, fake)
    # Someone tidies Drafts while nothing runs: 18 of the waiting drafts go.
    for draft in fake.gmail.drafts(PROGRAM_USER)[:18]:
        fake.gmail.user_drafts(PROGRAM_USER).pop(draft.id)
    fake.reset_calls()
    result = _run(google_program, ports, items)
    _assert_each_key_sent_once_and_proved(fake, items)
    assert result.counts[REDRAFTED] == 18
    assert result.counts["sent"] == CHUNK  # 7 waiting drafts + 18 drafted again
    assert "sent (found in Sent)" not in result.counts  # nothing booked without a delivery
    # Reconcile cost: per deleted draft one failed send, one Sent look-up, one new draft.
    assert fake.count("gmail.users.messages.list") == 18
    assert fake.count("gmail.users.drafts.create") == 18
    redrafted = [r for r in _outbox(fake).values() if r.get("Note", "").startswith("drafted again")]
    assert len(redrafted) == 18


def test_a_sent_letter_whose_record_was_lost_is_found_in_sent_not_resent(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    ports = _ports(google_program, tmp_path, fake)
    items = _items(google_program, 10)
    _record_drafts_then_die(google_program, ports, items, fake)
    # Four drafts went out but the run died before recording it (the Outbox says drafted).
    for draft in fake.gmail.drafts(PROGRAM_USER)[:4]:
        fake.gmail.user_drafts(PROGRAM_USER).pop(draft.id)
        fake.gmail._sent.append(_as_sent(draft))
    result = _run(google_program, ports, items)
    _assert_each_key_sent_once_and_proved(fake, items)
    assert result.counts["sent (found in Sent)"] == 4
    assert result.counts["sent"] == 6
    assert REDRAFTED not in result.counts


def _as_sent(draft: Draft) -> SentMessage:
    """What the fake keeps once a draft went out."""
    return SentMessage(**{**draft.message.__dict__, "label_ids": ["SENT"]}, via="draft",
                       draft_id=draft.id)


def test_a_leftover_draft_is_no_proof_of_sending(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    """A stray copy in Drafts carries the same Message-ID; only sent mail counts."""
    ports = _ports(google_program, tmp_path, fake)
    items = _items(google_program, 1)
    _record_drafts_then_die(google_program, ports, items, fake)
    (draft,) = fake.gmail.drafts(PROGRAM_USER)
    fake.gmail.user_drafts(PROGRAM_USER).pop(draft.id)
    stray = replace(draft, id="r999")  # same message under another draft id
    fake.gmail.user_drafts(PROGRAM_USER)[stray.id] = stray
    assert ports.mailer.find_sent(items[0].key) is None
    result = _run(google_program, ports, items)
    assert result.counts[REDRAFTED] == 1
    assert _sent_keys(fake) == Counter({items[0].key: 1})


@pytest.mark.parametrize(("kind", "rate"), [("drop_after", 0.1), ("drop_after", 0.5),
                                            ("applied, then 500", 0.1), ("applied, then 500", 0.5)])
def test_lost_send_answers_give_no_duplicate_and_no_missing_letter(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, kind: str, rate: float) -> None:
    ports = _ports(google_program, tmp_path, fake)
    items = _items(google_program)
    if kind == "drop_after":
        fake.faults.add("gmail.users.drafts.send", kind, rate=rate, seed=13)
    else:
        _applied_then_500(fake, monkeypatch, "gmail.users.drafts.send", rate, seed=17)
    results = _run_until_done(google_program, ports, items)
    fake.wait_idle()
    _assert_each_key_sent_once_and_proved(fake, items)
    found = sum(r.counts.get("sent (found in Sent)", 0) for r in results)
    assert found == _lost(fake, "gmail.users.drafts.send")
    assert found >= 1
    fake.rejections.clear()  # the injected faults are recorded there; they were the point


@pytest.mark.parametrize(("kind", "rate"), [("drop_after", 0.3), ("applied, then 500", 0.3)])
def test_lost_create_answers_leave_one_draft_per_key(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, kind: str, rate: float) -> None:
    ports = _ports(google_program, tmp_path, fake)
    items = _items(google_program)
    if kind == "drop_after":
        fake.faults.add("gmail.users.drafts.create", kind, rate=rate, seed=5)
    else:
        _applied_then_500(fake, monkeypatch, "gmail.users.drafts.create", rate, seed=19)
    _run_until_done(google_program, ports, items)
    lost = _lost(fake, "gmail.users.drafts.create")
    assert lost >= 5
    # Each lost create was settled by looking for its draft, which was then used.
    assert fake.count("gmail.users.drafts.list") == lost
    # Every lost create had in fact stored its draft: none was created a second time.
    assert fake.count("gmail.users.drafts.create") == BATCH
    _assert_each_key_sent_once_and_proved(fake, items)
    fake.rejections.clear()


def _lost(fake: FakeWorkspace, method: str) -> int:
    """Calls of ``method`` whose answer the client never got (dropped, or a 500)."""
    return sum(1 for c in fake.calls_to(method) if c.fault == "drop_after" or c.status == 500)


def test_normal_batch_costs_no_extra_gmail_call(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    ports = _ports(google_program, tmp_path, fake)
    items = _items(google_program, 20)
    fake.reset_calls()
    _run(google_program, ports, items)
    assert fake.count("gmail.users.drafts.create") == 20
    assert fake.count("gmail.users.drafts.send") == 20
    assert fake.count("gmail.users.messages.list") == 0
    assert fake.count("gmail.users.drafts.list") == 0
    assert fake.count("gmail.") == 40
    # The Message-ID every look-up searches for is the one the letter carries.
    (first, *_) = fake.gmail.sent(PROGRAM_USER)
    key = str(first.message["X-Microintern-Key"])
    assert first.message["Message-ID"] == f"<{message_id_for(key, 'mesavalley.example')}>"


def test_a_sort_while_sending_leaves_no_sent_on_another_letters_row(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    """The sent records are written by row number with the run's last save, and read back.

    The coordinator sorts the Outbox twice while a batch goes out, each time just before the
    run writes it by row number (its last save, then the repair's write). Every "sent" in the
    sheet must end on its own letter's row, proved by its Message ID, each letter sent once.
    """
    program = google_program
    ports = _ports(program, tmp_path, fake)
    roster = ports.roster
    items = _items(program, 3 * CHUNK)
    flips = Counter[str]()

    def coordinator_sorts(*_: Any) -> None:
        values = fake.sheets.values(SPREADSHEET_ID, sheet.OUTBOX)
        if len(values) > 2 and flips["sorts"] < 2:
            flips["sorts"] += 1
            body = sorted(values[1:], key=lambda row: (str(row[0]) if row else ""),
                          reverse=flips["sorts"] % 2 == 1)
            fake.sheets.write(SPREADSHEET_ID, f"'{sheet.OUTBOX}'!A2", body)

    fake.hooks.before("sheets.spreadsheets.values.batchUpdate", coordinator_sorts)
    saving = replace(ports, mailer=_saving(ports))
    with roster.batch():                   # the run's batch
        _run(program, saving, items)
    assert flips["sorts"] >= 2
    fake.hooks.clear()
    _assert_each_key_sent_once_and_proved(fake, items)


def test_a_run_killed_at_its_first_send_leaves_each_letter_on_record_and_the_rerun_sends_it_once(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    """Every new letter is on record (``sending``) before its draft exists; the rerun asks Gmail.

    The run dies as it sends its first letter: its draft waits, the other letters have no
    draft. The rerun looks each letter up among sent mail and drafts, sends the waiting draft
    (not a second one) and drafts the rest: each letter once, no draft left behind.
    """
    ports = _ports(google_program, tmp_path, fake)
    items = _items(google_program, 12)
    with pytest.raises(Killed):
        _run(google_program, replace(ports, mailer=KilledBeforeSending(ports.mailer)), items)
    assert {r["State"] for r in _outbox(fake).values()} == {"sending"}
    assert set(_outbox(fake)) == {i.key for i in items}
    assert len(fake.gmail.drafts(PROGRAM_USER)) == 1 and fake.gmail.sent() == []
    fake.reset_calls()
    result = _run(google_program, ports, items)
    _assert_each_key_sent_once_and_proved(fake, items)
    assert result.counts["sent"] == 12 and "sent (found in Sent)" not in result.counts
    # The look-ups happen only for letters a stopped run left on record: one in Sent and one
    # in Drafts each; the waiting draft is sent, eleven are made.
    assert fake.count("gmail.users.messages.list") == 12
    assert fake.count("gmail.users.drafts.list") == 12
    assert fake.count("gmail.users.drafts.create") == 11


def test_a_run_killed_mid_batch_with_its_sent_records_unsaved_sends_nothing_twice(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    """The run's batch gathers its writes; it dies at its 31st send, the 30 before unrecorded.

    The only Sheets write before the first draft is one ``values.append`` of every letter's
    ``sending`` record (the bootstrap's mailer wrapper saves it); the sent records would ride in
    the run's last save, which never comes. The rerun finds the 30 among sent mail (booked,
    not resent), sends the waiting draft and drafts the rest.
    """
    program = google_program
    ports = _ports(program, tmp_path, fake)
    roster = ports.roster
    items = _items(program, BATCH)
    saving = replace(ports, mailer=KilledAtSend(
        _saving(ports), at=31))
    fake.reset_calls()
    block = roster.batch()
    block.__enter__()
    with pytest.raises(Killed):
        _run(program, saving, items)
    roster._pending.clear()                # killed: what the run still held dies with it
    roster._unverified.clear()
    block.__exit__(None, None, None)
    writes = [c.method_id for c in fake.calls if c.method_id.startswith("sheets.")
              and not c.method_id.endswith(("batchGet", ".get"))]
    assert writes == ["sheets.spreadsheets.values.append"]
    first_draft = next(i for i, c in enumerate(fake.calls)
                       if c.method_id == "gmail.users.drafts.create")
    assert [c.method_id for c in fake.calls[:first_draft]
            if c.method_id.startswith("sheets.")][-1] == "sheets.spreadsheets.values.append"
    assert {r["State"] for r in _outbox(fake).values()} == {"sending"}
    assert len(fake.gmail.sent(PROGRAM_USER)) == 30

    result = _run(program, ports, items)
    _assert_each_key_sent_once_and_proved(fake, items)
    assert result.counts["sent (found in Sent)"] == 30
    assert result.counts["sent"] == BATCH - 30


def test_a_batch_of_any_size_costs_the_same_sheets_calls(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    """The snapshot, one ``values.append`` before the first draft, then the last save: 4 calls.

    The batch's read of the Outbox is its snapshot (``values.batchGet``); the last save writes
    the sent records by row number (``values.batchUpdate``) and reads them back (another
    ``values.batchGet``). The size of the batch changes only the Gmail calls.
    """
    program = google_program
    ports = _ports(program, tmp_path, fake)
    roster = ports.roster
    saving = replace(ports, mailer=_saving(ports))
    counts = []
    for first, size in ((0, 5), (5, 4 * CHUNK + 5)):
        items = _items(program, first + size)[first:]
        fake.reset_calls()
        with roster.batch():
            _run(program, saving, items)
        counts.append(Counter(c.method_id.removeprefix("sheets.spreadsheets.")
                              for c in fake.calls if c.method_id.startswith("sheets.")))
        assert fake.count("gmail.") == 2 * size
    assert counts[0] == counts[1] == Counter(
        {"values.append": 1, "values.batchUpdate": 1, "values.batchGet": 2})
    assert {r["State"] for r in _outbox(fake).values()} == {"sent"}


def test_a_letter_handed_over_twice_in_one_batch_is_drafted_and_sent_once(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    ports = _ports(google_program, tmp_path, fake)
    items = _items(google_program, 3)
    fake.reset_calls()
    _run(google_program, ports, [*items, items[0]])
    assert fake.count("gmail.users.drafts.create") == 3
    _assert_each_key_sent_once_and_proved(fake, items)
