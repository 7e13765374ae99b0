"""The outbox ledger: every outgoing message has a deterministic key and a recorded state.

The protocol that makes delivery exactly-once across crashes:

1. render every letter of the batch (any error stops the batch before anything is stored);
2. record every new letter as ``sending`` in the Outbox tab, all in one write, before the first
   draft exists;
3. store each letter as a draft and send it, then record ``sent`` (the records are gathered and
   written together, not one write per letter).

Every message carries a Message-ID made from its key, so the mailbox itself can say what became
of a letter. A rerun never repeats blind: a ``drafted`` row resends its own draft (sending a
draft deletes it, so a second send of it fails); a ``sending`` row (or any row on record that is
neither delivered nor holding a draft id) is first looked up among sent mail, then among drafts,
and only a letter found in neither is drafted again. A missing draft is not proof of sending (a
person may have deleted it): found in Sent, the row is booked ``sent (found in Sent)`` with that
message's id; not found, the letter did not go out and is drafted again and sent (or held with
a reason). A letter with no row at all has never been drafted, since its ``sending`` record is
saved before its draft is made.
"""

from __future__ import annotations

from enum import StrEnum


class MessageState(StrEnum):
    """Where one message of the ledger stands."""

    SENDING = "sending"  # recorded before its draft exists; the mailbox says what became of it
    DRAFTED = "drafted"
    SENT = "sent"
    RECONCILED = "sent (found in Sent)"  # the draft was gone; the mailbox proved the delivery
    HELD = "held"


# Written before a missing draft had to be proved sent; still counted as delivered so an old
# ledger is not resent wholesale.
LEGACY_RECONCILED = "sent (confirmed on rerun)"

# May have gone out: the mailbox is asked (or the recorded draft sent) before anything is redone.
UNCONFIRMED = frozenset({MessageState.SENDING.value, MessageState.DRAFTED.value})

DELIVERED = frozenset({MessageState.SENT.value, MessageState.RECONCILED.value, LEGACY_RECONCILED})


def message_key(program_id: str, step: str, recipient_id: str, session_id: str | None = None) -> str:
    """The deterministic key of one message: program, step, recipient and session.

    Keys carry ids, never names or addresses, so they are safe to log.
    """
    return "/".join((program_id, step, recipient_id, session_id or "-"))
