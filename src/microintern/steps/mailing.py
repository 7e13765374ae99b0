"""The mail engine every step sends through: pre-flight rendering, then the outbox protocol.

See :mod:`microintern.domain.outbox` for why this sequence delivers each key exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email

from microintern.domain import program_sheet as sheet
from microintern.domain.letters import Letter
from microintern.domain.outbox import DELIVERED, MessageState
from microintern.domain.records import OutgoingMessage, Record
from microintern.ports import DraftGone
from microintern.steps.context import StepContext, StepResult

CHUNK = 25  # messages drafted and recorded per Outbox write: bounds Sheets writes per send


@dataclass(frozen=True)
class Addressed:
    """One letter for one recipient, before rendering."""

    key: str
    step: str
    recipient_id: str
    to: str
    letter: str
    language: str
    context: Mapping[str, Any]
    cc: tuple[str, ...] = field(default=())


def _stamp(ctx: StepContext) -> str:
    return ctx.now.astimezone(ctx.config.zone).strftime("%Y-%m-%d %H:%M:%S")


def _row(ctx: StepContext, item: Addressed, state: MessageState, **extra: str) -> Record:
    row: Record = {
        sheet.OUTBOX_KEY: item.key,
        "Step": item.step,
        "Recipient ID": item.recipient_id,
        "To": item.to,
        "Language": item.language,
        "State": state.value,
        "Updated": _stamp(ctx),
    }
    row.update(extra)
    return row


def _valid_address(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def deliver(
    ctx: StepContext,
    items: Sequence[Addressed],
    outbox: Mapping[str, Record],
    result: StepResult,
) -> None:
    """Send every item whose key is not yet delivered, exactly once per key.

    ``outbox`` is the Outbox tab read by the caller, keyed by message key. Letters are all
    rendered before anything is stored; a template error raises and nothing is sent.
    """
    roster, mailer = ctx.ports.roster, ctx.ports.mailer
    resume: list[tuple[Addressed, str]] = []
    fresh: list[Addressed] = []
    held: list[Record] = []
    for item in items:
        row = outbox.get(item.key)
        state = str(row.get("State") or "") if row else ""
        if state in DELIVERED:
            continue
        if state == MessageState.DRAFTED and row and row.get("Draft ID"):
            resume.append((item, str(row["Draft ID"])))
        elif not _valid_address(item.to):
            # Reported once, when first held; the Outbox row keeps showing it.
            if state != MessageState.HELD:
                result.problems.append(f"{item.recipient_id}: the recipient address is not valid")
                held.append(_row(ctx, item, MessageState.HELD, Note="address is not valid"))
        else:
            fresh.append(item)

    # Pre-flight: every letter renders before the first draft exists.
    letters: list[Letter] = [
        ctx.letters.render(i.letter, i.language, i.context, row=i.recipient_id) for i in fresh
    ]
    if held:
        roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, held)
        result.add("held", len(held))

    _send_recorded(ctx, resume, result)
    sender = ctx.config.sender
    for start in range(0, len(fresh), CHUNK):
        chunk = list(zip(fresh[start:start + CHUNK], letters[start:start + CHUNK], strict=True))
        drafted: list[tuple[Addressed, str]] = []
        for item, letter in chunk:
            message = OutgoingMessage(
                key=item.key,
                sender=f"{sender.name} <{sender.address}>",
                to=item.to,
                subject=letter.subject,
                text=letter.text,
                html=letter.html,
                reply_to=sender.reply_to or ctx.config.coordinator.email,
                cc=item.cc,
            )
            drafted.append((item, mailer.create_draft(message)))
        roster.upsert(
            sheet.OUTBOX,
            sheet.OUTBOX_KEY,
            [_row(ctx, item, MessageState.DRAFTED, **{"Draft ID": d}) for item, d in drafted],
        )
        _send_recorded(ctx, drafted, result)


def _send_recorded(
    ctx: StepContext, drafted: Sequence[tuple[Addressed, str]], result: StepResult
) -> None:
    rows: list[Record] = []
    try:
        for item, draft_id in drafted:
            try:
                message_id = ctx.ports.mailer.send_draft(draft_id)
            except DraftGone:
                rows.append(_row(ctx, item, MessageState.RECONCILED))
                result.add("confirmed")
                continue
            rows.append(_row(ctx, item, MessageState.SENT, **{"Message ID": message_id}))
            result.add("sent")
    finally:
        # Record what went out even when a later send fails; unrecorded sends are
        # reconciled on the rerun because their drafts are gone.
        if rows:
            ctx.ports.roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, rows)
