"""The coordinator's decisions: the only thing that sends an acceptance, waitlist or denial."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from microintern.domain.records import Cell


class Decision(StrEnum):
    """What the coordinator decided for one applicant (the Decision column's dropdown)."""

    ACCEPT = "Accept"
    WAITLIST = "Waitlist"
    DENY = "Deny"


LETTER_OF = {Decision.ACCEPT: "acceptance", Decision.WAITLIST: "waitlist", Decision.DENY: "denial"}
"""The letter each decision sends."""

_SPELLINGS = {
    "accept": Decision.ACCEPT, "accepted": Decision.ACCEPT,
    "waitlist": Decision.WAITLIST, "waitlisted": Decision.WAITLIST, "wait list": Decision.WAITLIST,
    "deny": Decision.DENY, "denied": Decision.DENY, "decline": Decision.DENY,
}


class UnknownDecision(ValueError):
    """A Decision cell holds something other than Accept, Waitlist or Deny."""


def parse_decision(value: Cell) -> Decision | None:
    """The decision in a cell (None when blank); raises :class:`UnknownDecision` otherwise."""
    text = "" if value is None else " ".join(str(value).split()).casefold()
    if not text:
        return None
    try:
        return _SPELLINGS[text]
    except KeyError:
        raise UnknownDecision(
            f"{str(value)[:40]!r} is not one of {', '.join(d.value for d in Decision)}") from None


@dataclass(frozen=True)
class Waiting:
    """One waitlisted applicant, for ordering the waitlist."""

    applicant_id: str
    score: float | None
    submitted: datetime | None


def waitlist_positions(waiting: Sequence[Waiting]) -> dict[str, int]:
    """Places on the waitlist: higher score first, then earlier submission, then id."""
    def order(w: Waiting) -> tuple[float, float, str]:
        return (-(w.score or 0.0), w.submitted.timestamp() if w.submitted else float("inf"),
                w.applicant_id)

    return {w.applicant_id: n for n, w in enumerate(sorted(waiting, key=order), 1)}
