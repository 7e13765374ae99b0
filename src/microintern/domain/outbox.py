"""The outbox ledger: every outgoing message has a deterministic key and a recorded state.

The protocol that makes delivery exactly-once across crashes:

1. render every letter of the batch (any error stops the batch before anything is stored);
2. store each message as a draft and record the draft id in the Outbox tab (``drafted``);
3. send each recorded draft, then record ``sent``.

A rerun resends only ``drafted`` rows. Sending a draft deletes it, so a second send of the same
draft fails and a message is never delivered twice. A missing draft is not proof of sending (a
person may have deleted it): the mailbox is searched for the key's deterministic Message-ID
among sent mail. Found, the row is booked ``sent (found in Sent)`` with that message's id; not
found, the letter did not go out and is drafted again and sent (or held with a reason). A draft
created but not yet recorded is never sent.
"""

from __future__ import annotations

from enum import StrEnum


class MessageState(StrEnum):
    """Where one message of the ledger stands."""

    DRAFTED = "drafted"
    SENT = "sent"
    RECONCILED = "sent (found in Sent)"  # the draft was gone; the mailbox proved the delivery
    HELD = "held"


# Written before a missing draft had to be proved sent; still counted as delivered so an old
# ledger is not resent wholesale.
LEGACY_RECONCILED = "sent (confirmed on rerun)"

DELIVERED = frozenset({MessageState.SENT.value, MessageState.RECONCILED.value, LEGACY_RECONCILED})


def message_key(program_id: str, step: str, recipient_id: str, session_id: str | None = None) -> str:
    """The deterministic key of one message: program, step, recipient and session.

    Keys carry ids, never names or addresses, so they are safe to log.
    """
    return "/".join((program_id, step, recipient_id, session_id or "-"))
