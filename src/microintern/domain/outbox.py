"""The outbox ledger: every outgoing message has a deterministic key and a recorded state.

The protocol that makes delivery exactly-once across crashes:

1. render every letter of the batch (any error stops the batch before anything is stored);
2. store each message as a draft and record the draft id in the Outbox tab (``drafted``);
3. send each recorded draft, then record ``sent``.

A rerun resends only ``drafted`` rows. Sending a draft deletes it, so a second send of the same
draft fails: a crash between "sent" and its record is reconciled as ``sent`` on the rerun, and
a message is never delivered twice. A draft created but not yet recorded is never sent.
"""

from __future__ import annotations

from enum import StrEnum


class MessageState(StrEnum):
    """Where one message of the ledger stands."""

    DRAFTED = "drafted"
    SENT = "sent"
    RECONCILED = "sent (confirmed on rerun)"
    HELD = "held"


DELIVERED = frozenset({MessageState.SENT.value, MessageState.RECONCILED.value})


def message_key(program_id: str, step: str, recipient_id: str, session_id: str | None = None) -> str:
    """The deterministic key of one message: program, step, recipient and session.

    Keys carry ids, never names or addresses, so they are safe to log.
    """
    return "/".join((program_id, step, recipient_id, session_id or "-"))
