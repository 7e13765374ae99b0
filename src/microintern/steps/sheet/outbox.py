"""The Outbox tab as the steps read it: which letters went, and on which day.

Only the mail engine (:mod:`microintern.steps.mailing`) writes the Outbox, by the protocol of
:mod:`microintern.domain.outbox`; steps read it to space reminders and follow-ups.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from microintern.domain.dates import DATE
from microintern.domain.outbox import DELIVERED
from microintern.domain.records import Record
from microintern.domain.sessions import text


def sent_on(outbox: Mapping[str, Record], key: str) -> date | None:
    """The day the letter ``key`` was recorded delivered (its Updated cell), else None.

    None too when the Updated cell no longer reads as a day (someone typed over it).
    """
    row = outbox.get(key)
    if row is None or text(row.get("State")) not in DELIVERED:
        return None
    try:
        return datetime.strptime(text(row.get("Updated"))[:10], DATE).date()
    except ValueError:
        return None
