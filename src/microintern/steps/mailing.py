"""The mail engine every step sends through: pre-flight rendering, pacing, the outbox protocol.

See :mod:`microintern.domain.outbox` for why record (``sending``) → draft → send delivers each
key exactly once. On top of it this module:

- renders every letter of a batch before the first draft exists (a template error stops the
  batch and nothing is sent);
- paces sends at the configured per-user rate and stops at the daily cap, leaving the rest
  for the next run;
- waits out rate limits (429, rate-limit 403) honouring ``Retry-After`` and resends the same
  draft, which is safe because a refused send did not happen;
- never resends when the outcome is unknown (a 5xx, a dropped connection): the mailbox is
  searched for the key's Message-ID at once; found, it is booked sent, otherwise it stays
  ``drafted`` and the next run sends the same draft (a draft goes out at most once);
- never books a gone draft as sent without proof: a draft that no longer exists is looked up
  among sent mail; found, it is booked ``sent (found in Sent)`` with that message's id; not
  found (a person deleted the draft), the letter is drafted again and sent in the same run,
  or held with the reason in the Note when it no longer renders;
- asks the mailbox before drafting a letter that is on record but not known delivered (a run
  stopped while sending it): among sent mail, then among drafts.

A letter to a student that copies the guardian goes as two messages when the family reads
another language than the student (:func:`split_for_family`): each reads their own, and neither
sees the other's address.

In the normal case none of this costs a call: look-ups happen only after a gone draft, an
unknown outcome or a stopped run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from email_validator import EmailNotValidError, validate_email

from microintern.domain import program_sheet as sheet
from microintern.domain.dates import DATE_TIME, day_text
from microintern.domain.letters import Letter
from microintern.domain.mime import normalize_addr_spec
from microintern.domain.outbox import DELIVERED, MessageState
from microintern.domain.problems import Problem
from microintern.domain.records import Attachment, OutgoingMessage, Record
from microintern.errors import BackendError, DeliveryUnknown, MicrointernError, TemplateError
from microintern.ports import DraftGone
from microintern.steps.context import StepContext, StepResult

CHUNK = 25  # records handed to the roster at a time while a batch is sent (no save of its own)
REDRAFTED = "re-drafted (draft was deleted)"
FOUND_IN_SENT = "sent (found in Sent)"
RATE_LIMIT_TRIES = 6
STAMP = DATE_TIME  # the Outbox's Updated: the program's one layout for a moment


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
    attachments: tuple[Attachment, ...] = field(default=())
    family_language: str = ""
    """The language of the Cc'd parents or guardians, when the step knows it."""
    family_context: Mapping[str, Any] | None = None
    """The same letter's context in ``family_language``: given, a family that reads another
    language than the student gets its own message (see :func:`split_for_family`)."""
    copy_of: str = ""
    """For a family's own message: the key of the student's letter it was split from."""


FAMILY_COPY = "#family"
"""Appended to a letter's key for the family's own message when it is split from the student's."""


def split_for_family(item: Addressed) -> list[Addressed]:
    """The messages one letter becomes: one, or two when student and family read different languages.

    A letter to a student with the guardian on Cc goes as one message when both read the same
    language (or the step gave no family context). Otherwise the family gets the letter in its
    language as a message of its own, to the Cc addresses only, and the student's goes without
    Cc: each reads their own language, and neither message shows the other's address. The
    family's message comes first so that it is recorded no later than the student's (see
    :func:`deliver`).
    """
    if not item.cc or item.family_context is None or item.family_language in ("", item.language):
        return [item]
    family = replace(item, key=item.key + FAMILY_COPY, to=item.cc[0], cc=item.cc[1:],
                     language=item.family_language, context=item.family_context,
                     family_language="", family_context=None, copy_of=item.key)
    return [family, replace(item, cc=(), family_language="", family_context=None)]


def _stamp(ctx: StepContext) -> str:
    return ctx.now.astimezone(ctx.config.zone).strftime(STAMP)


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


def held_row(ctx: StepContext, item: Addressed, reason: str) -> Record:
    """The Outbox row of a letter a step holds back itself, with the reason in the Note.

    :func:`deliver` sends a ``held`` letter once it is handed one again and its address is valid,
    so a step keeps a letter held by not handing it over.
    """
    return _row(ctx, item, MessageState.HELD, Note=reason)


def _message(ctx: StepContext, item: Addressed, letter: Letter) -> OutgoingMessage:
    """The outgoing message of one rendered letter."""
    return OutgoingMessage(
        key=item.key,
        sender=ctx.sender_in(item.language),
        to=item.to,
        subject=letter.subject,
        text=letter.text,
        html=letter.html,
        reply_to=ctx.config.sender.reply_to or ctx.config.coordinator.email,
        cc=item.cc,
        attachments=item.attachments,
    )


def valid_address(address: str) -> bool:
    """Whether the mailer can send to ``address`` (syntax and the MIME layer agree)."""
    # email_validator accepts internationalized local parts (SMTPUTF8); the message builder puts
    # only plain mailboxes on the wire. Both must agree, or the address is held, never sent, so
    # one odd address cannot stop a batch half-way.
    try:
        validate_email(address, check_deliverability=False)
        normalize_addr_spec(address, "To")
    except (EmailNotValidError, ValueError):
        return False
    return True


def sent_today(ctx: StepContext, outbox: Mapping[str, Record]) -> int:
    """Messages the Outbox records as delivered on the program-local day of ``ctx.now``."""
    today = day_text(ctx.now, ctx.config.zone)
    return sum(1 for row in outbox.values()
               if str(row.get("State") or "") in DELIVERED
               and str(row.get("Updated") or "").startswith(today))


def outbox_by_key(rows: Sequence[Record]) -> dict[str, Record]:
    """The Outbox tab's rows keyed by message key (rows without a key are ignored)."""
    return {str(r[sheet.OUTBOX_KEY]): r for r in rows if r.get(sheet.OUTBOX_KEY)}


def deliver(
    ctx: StepContext,
    items: Sequence[Addressed],
    outbox: Mapping[str, Record],
    result: StepResult,
) -> set[str]:
    """Send every item whose key is not yet delivered, exactly once per key.

    ``outbox`` is the Outbox tab read by the caller, keyed by message key. Returns the keys of
    ``items`` known delivered when the call ends (before it, or confirmed by it).
    """
    roster = ctx.ports.roster
    delivered: set[str] = set()
    resume: list[tuple[Addressed, str]] = []
    unsure: list[Addressed] = []
    fresh: list[Addressed] = []
    held: list[Record] = []
    keys: set[str] = set()
    for item in (part for whole in items for part in split_for_family(whole)):
        if item.key in keys:
            continue  # one key, one letter: a step that lists a letter twice does not send it twice
        keys.add(item.key)
        row = outbox.get(item.key)
        state = str(row.get("State") or "") if row else ""
        if state in DELIVERED:
            delivered.add(item.key)
            continue
        if item.copy_of and row is None and str(
                (outbox.get(item.copy_of) or {}).get("State") or "") in DELIVERED:
            # The student's letter went out before the family had a message of its own: it went
            # with the family on Cc (a family's message is always recorded no later than the
            # student's), so the family has it already.
            delivered.add(item.key)
            continue
        if state == MessageState.DRAFTED and row and row.get("Draft ID"):
            resume.append((item, str(row["Draft ID"])))
        elif not valid_address(item.to) or not all(valid_address(c) for c in item.cc):
            # Told once, when first held; the Outbox row and the Problems tab keep showing it
            # (open until the address is fixed).
            problem = held_problem(item, "the recipient address is not valid",
                                   "correct the address in the Applications tab (or the config); "
                                   "the next run sends the letter")
            if state != MessageState.HELD:
                result.problem(problem)
                held.append(_row(ctx, item, MessageState.HELD, Note="address is not valid"))
            else:
                result.ongoing(problem)
        elif row is not None:
            # On record but neither delivered nor holding a draft to send: a run stopped while
            # sending it, or it was held. The mailbox is asked before anything is drafted.
            unsure.append(item)
        else:
            fresh.append(item)

    # Pre-flight: every letter renders before the first draft exists.
    letters = {i.key: ctx.letters.render(i.letter, i.language, i.context, row=i.recipient_id)
               for i in (*unsure, *fresh)}
    if held:
        roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, held)
        result.add("held", len(held))

    budget = max(0, ctx.config.mail.daily_cap - sent_today(ctx, outbox))
    deferred = max(0, len(resume) + len(unsure) + len(fresh) - budget)
    if deferred:
        # Resumed drafts first: they may already be out and only need confirming.
        resume = resume[:budget]
        unsure = unsure[:budget - len(resume)]
        fresh = fresh[:budget - len(resume) - len(unsure)]
        result.add("deferred to the next run (daily cap)", deferred)

    # Every new letter is on record as "sending" before its draft exists: one write for the
    # batch (the mailer saves it before the first draft), whatever the batch's size.
    if fresh:
        roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY,
                      [_row(ctx, item, MessageState.SENDING) for item in fresh])
    sending = _Sending(ctx, result, len(resume) + len(unsure) + len(fresh), delivered)
    try:
        for item, draft_id in resume:
            if sending.stopped:
                break
            sending.send(item, draft_id, on_record=True)
        for item in unsure:
            if sending.stopped:
                break
            sending.settle(item, letters[item.key])
        for item in fresh:
            if sending.stopped:
                break
            sending.draft_and_send(item, letters[item.key])
    finally:
        # Record what went out even when a later send fails; unrecorded sends are
        # reconciled on the rerun by finding them among sent mail.
        sending.record()
    if sending.unconfirmed:
        raise MicrointernError(
            f"{sending.unconfirmed} message(s) may or may not have gone out (the server did "
            "not confirm); they stay on record and the next run confirms them without resending"
        )
    return delivered


class _Gone:
    """The draft no longer exists and the mailbox has no sent copy: the letter did not go out."""


_GONE = _Gone()
_DRAFTED_AGAIN = "drafted again: the first draft was deleted before it was sent"


class _Sending:
    """One batch's sends: pacing, rate-limit waits, look-ups, records, progress."""

    def __init__(self, ctx: StepContext, result: StepResult, total: int, delivered: set[str]) -> None:
        self.ctx, self.result, self.total = ctx, result, total
        self.delivered = delivered  # keys recorded as sent, added to as sends are confirmed
        self.rows: list[Record] = []
        self.done = 0
        self.unconfirmed = 0
        self.stopped = False

    def record(self) -> None:
        """Hand the records gathered so far to the roster (it saves them with its next save)."""
        if self.rows:
            rows, self.rows = self.rows, []
            self.ctx.ports.roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, rows)

    def _note(self, row: Record) -> None:
        self.rows.append(row)
        if str(row["State"]) in DELIVERED:
            self.delivered.add(str(row[sheet.OUTBOX_KEY]))
        if len(self.rows) >= CHUNK:
            # Handed over as the batch goes, so a save on the way carries them (the lease's
            # renewal in a long send; on the local backend, the next draft's save); nothing is
            # saved here.
            self.record()

    def _progress(self) -> None:
        self.done += 1
        if self.ctx.progress is not None:
            self.ctx.progress(self.done, self.total)

    def _unconfirmed(self) -> None:
        self.unconfirmed += 1
        self.result.add("unconfirmed")

    def send(self, item: Addressed, draft_id: str, *, on_record: bool = False,
             redrafted: bool = False) -> None:
        """Send one draft and record the outcome.

        ``on_record``: the Outbox already holds this draft's id. Otherwise an unconfirmed send
        records it (``drafted``), so the next run sends that same draft. A draft found deleted
        (and not sent) is drafted again once; ``redrafted`` marks that second draft, which is
        held rather than drafted a third time.
        """
        outcome = self._send_one(item, draft_id)
        if isinstance(outcome, _Gone):
            if redrafted:
                # Its fresh draft vanished before its send: someone is deleting drafts as they
                # appear. Hold it rather than chase them.
                self._note(self._held(item, "its draft was deleted twice before it could be "
                                            "sent; not sent"))
            else:
                self._draft_again(item)
        elif outcome is not None:
            if redrafted:
                outcome["Note"] = _DRAFTED_AGAIN
            self._note(outcome)
        elif not on_record:
            self._note(_row(self.ctx, item, MessageState.DRAFTED, **{"Draft ID": draft_id}))
        if not redrafted:
            self._progress()

    def settle(self, item: Addressed, letter: Letter) -> None:
        """A letter on record but not known sent: the mailbox first, then its draft, then a new one."""
        try:
            found = self.ctx.ports.mailer.find_sent(item.key)
            draft_id = None if found else self.ctx.ports.mailer.find_draft(item.key)
        except BackendError:
            self._unconfirmed()
            self._progress()
            return
        if found is not None:
            self.result.add(FOUND_IN_SENT)
            self._note(_row(self.ctx, item, MessageState.RECONCILED, **{"Message ID": found}))
            self._progress()
        elif draft_id is not None:
            self.send(item, draft_id)
        else:
            self.draft_and_send(item, letter)

    def draft_and_send(self, item: Addressed, letter: Letter) -> None:
        """Draft one letter (its record already saved, or a row on record) and send it."""
        draft_id = self.ctx.ports.mailer.create_draft(_message(self.ctx, item, letter))
        self.send(item, draft_id)

    def _held(self, item: Addressed, reason: str) -> Record:
        self.result.add("held")
        self.result.problem(held_problem(item, reason, "leave the program's drafts alone; the "
                                                       "next run drafts and sends it again"))
        return _row(self.ctx, item, MessageState.HELD, Note=reason)

    def _draft_again(self, item: Addressed) -> None:
        """Draft a deleted letter again and send it; its row stays on record meanwhile.

        No save is needed before the send: should the run stop after it, the rerun's send of the
        recorded (deleted) draft fails and the letter is found among sent mail by its
        Message-ID. Should it stop between this draft and its send, the rerun drafts once more
        and this draft stays behind in Drafts, never sent by the program.
        """
        try:
            letter = self.ctx.letters.render(item.letter, item.language, item.context,
                                             row=item.recipient_id)
        except TemplateError:
            self._note(self._held(item, "its draft was deleted before it was sent and the "
                                        "letter no longer renders (see the run's output)"))
            return
        draft_id = self.ctx.ports.mailer.create_draft(_message(self.ctx, item, letter))
        self.result.add(REDRAFTED)
        self.send(item, draft_id, redrafted=True)

    def _send_one(self, item: Addressed, draft_id: str) -> Record | _Gone | None:
        pacer = self.ctx.pacer
        for attempt in range(RATE_LIMIT_TRIES):
            pacer.wait()
            try:
                message_id = self.ctx.ports.mailer.send_draft(draft_id)
            except DraftGone:
                # Sent earlier (the record was lost) or deleted by a person: only the mailbox
                # can tell, and a letter is never booked sent without that proof.
                try:
                    found = self.ctx.ports.mailer.find_sent(item.key)
                except BackendError:
                    self._unconfirmed()
                    return None
                if found is None:
                    return _GONE
                self.result.add(FOUND_IN_SENT)
                return _row(self.ctx, item, MessageState.RECONCILED, **{"Message ID": found})
            except DeliveryUnknown:
                # The same draft is sent again on the next run if this one did not go out;
                # looking now spares that rerun when it did.
                try:
                    found = self.ctx.ports.mailer.find_sent(item.key)
                except BackendError:
                    found = None
                if found is not None:
                    self.result.add(FOUND_IN_SENT)
                    return _row(self.ctx, item, MessageState.RECONCILED, **{"Message ID": found})
                self._unconfirmed()
                return None
            except BackendError as exc:
                if not exc.retryable or attempt == RATE_LIMIT_TRIES - 1:
                    if exc.code == 403 and "daily" in str(exc).lower():
                        # Gmail's daily sending limit: stop for today, the rest stays on record.
                        self.stopped = True
                        self.result.add("deferred to the next run (Gmail daily limit)")
                        return None
                    raise
                # A refused send did not happen: wait as asked, then send the same draft.
                pacer.hold(exc.retry_after if exc.retry_after is not None else 2.0 ** attempt)
                self.result.add("rate-limit waits")
                continue
            self.result.add("sent")
            return _row(self.ctx, item, MessageState.SENT, **{"Message ID": message_id})
        return None


def held_problem(item: Addressed, why: str, todo: str) -> Problem:
    """The named problem of one held letter: the recipient's id, the letter, why, what to do."""
    return Problem(item.recipient_id, f"{item.letter.replace('_', ' ')} letter held", why, todo)


def guardian_copy(ctx: StepContext, guardian_email: str | None) -> tuple[str, ...]:
    """The guardian's address as a Cc, only when the program copies guardians."""
    if ctx.config.mail.guardian_cc and guardian_email and valid_address(guardian_email):
        return (guardian_email,)
    return ()
