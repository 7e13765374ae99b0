"""Proposals: seats filled in rank order along augmenting paths, the waitlist, the rest denied;
rows the coordinator already decided keep their decision."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from microintern.domain import program_sheet as sheet
from microintern.domain.decisions import Decision, UnknownDecision, parse_decision
from microintern.domain.records import Cell
from microintern.domain.screening.model import Applicant, Proposal, Proposed, ScreeningRules, SessionSeats
from microintern.domain.screening.text import short_number

_DECIDED = {Decision.ACCEPT: Proposed.ACCEPT, Decision.WAITLIST: Proposed.WAITLIST,
            Decision.DENY: Proposed.DENY}


def coordinator_decision(value: Cell) -> Proposed | None:
    """The decision the coordinator wrote in a Decision cell, or None if undecided."""
    # An unreadable Decision cell is the decisions step's to report; here it counts as undecided.
    try:
        decision = parse_decision(value)
    except UnknownDecision:
        return None
    return _DECIDED[decision] if decision is not None else None


class _Seats:
    """Session seats filled along augmenting paths (rank-order optimal, deterministic)."""

    def __init__(self, sessions: Sequence[SessionSeats]) -> None:
        self.capacity = {s.id: s.capacity for s in sessions}
        self.holders: dict[str, dict[str, None]] = {s.id: {} for s in sessions}
        self.seat: dict[str, str] = {}
        self.options: dict[str, tuple[str, ...]] = {}
        self.free = sum(self.capacity.values())

    def place(self, applicant_id: str, sessions: tuple[str, ...]) -> bool:
        """Seat the applicant, moving others to their other sessions if needed."""
        self.options[applicant_id] = sessions
        if self.free <= 0 or not sessions:
            return False
        came_from: dict[str, tuple[str, str | None]] = {}
        queue: deque[str] = deque()
        for s in sessions:
            if s not in came_from:
                came_from[s] = (applicant_id, None)
                queue.append(s)
        while queue:
            s = queue.popleft()
            if len(self.holders[s]) < self.capacity[s]:
                self._shift(s, came_from)
                self.free -= 1
                return True
            for holder in self.holders[s]:
                for t in self.options[holder]:
                    if t not in came_from:
                        came_from[t] = (holder, s)
                        queue.append(t)
        return False

    def _shift(self, session: str, came_from: dict[str, tuple[str, str | None]]) -> None:
        while True:
            mover, previous = came_from[session]
            self.holders[session][mover] = None
            self.seat[mover] = session
            if previous is None:
                return
            del self.holders[previous][mover]
            session = previous


def propose(applicants: Sequence[Applicant], rules: ScreeningRules, *, provisional: str) -> None:
    """Set every applicant's proposal: seats in rank order, then the waitlist, the rest denied."""
    titles = {s.id: s.title for s in rules.sessions}
    seats = _Seats(rules.sessions)
    pool: list[Applicant] = []
    decided_accept: list[Applicant] = []
    waitlist_left = rules.waitlist_size
    for a in applicants:
        decided = coordinator_decision(a.record.get(sheet.DECISION))
        if decided is Proposed.ACCEPT:
            decided_accept.append(a)
        elif decided is not None:
            if decided is Proposed.WAITLIST:
                waitlist_left -= 1
            a.proposal = Proposal(decided, f"decided by the coordinator: {decided.value}")
        elif a.duplicate_of is not None:
            a.proposal = Proposal(
                Proposed.DUPLICATE, f"duplicate of {a.duplicate_of}; that submission is screened, "
                "send this one no letter")
        elif a.blocking():
            a.proposal = _blocked_proposal(a)
        else:
            pool.append(a)

    # Applicants the coordinator accepted hold seats before anyone is proposed.
    for a in sorted(decided_accept, key=Applicant.rank_key):
        seats.place(a.applicant_id, a.sessions)

    pool.sort(key=Applicant.rank_key)
    eligible = len(pool)
    accepted: list[Applicant] = []
    rest: list[tuple[int, Applicant]] = []
    for rank, a in enumerate(pool, start=1):
        if seats.place(a.applicant_id, a.sessions):
            accepted.append(a)
        else:
            rest.append((rank, a))
    ranks = {a.applicant_id: rank for rank, a in enumerate(pool, start=1)}
    for a in accepted:
        session = seats.seat[a.applicant_id]
        a.proposal = Proposal(
            Proposed.ACCEPT,
            f"rank {ranks[a.applicant_id]} of {eligible} eligible (score {short_number(a.score)}); "
            f"a seat in {titles[session]} ({seats.capacity[session]} seats){provisional}",
            session,
        )
    # Seats move along augmenting paths, so where each one ended up is read only now.
    for a in decided_accept:
        session = seats.seat.get(a.applicant_id)
        where = f"a seat in {titles[session]}" if session else "over capacity (their sessions are full)"
        a.proposal = Proposal(Proposed.ACCEPT, f"accepted by the coordinator; {where}", session)
    position = 0
    for rank, a in rest:
        standing = (f"rank {rank} of {eligible} eligible (score {short_number(a.score)}); "
                    "no seat left in the sessions they can attend")
        if position < waitlist_left:
            position += 1
            a.proposal = Proposal(
                Proposed.WAITLIST,
                f"waitlist place {position} of {max(waitlist_left, 0)}; {standing}{provisional}")
        else:
            a.proposal = Proposal(Proposed.DENY, f"{standing}, and the waitlist is full{provisional}")


def _blocked_proposal(a: Applicant) -> Proposal:
    blocking = [f for f in a.flags if f.blocks]
    codes = ", ".join(dict.fromkeys(f.code.value for f in blocking))
    certain = [f for f in blocking if not f.review]
    if certain and a.student_email_ok:
        return Proposal(Proposed.DENY, f"not eligible: {codes}")
    if certain:
        return Proposal(Proposed.REVIEW, f"not eligible ({codes}), but no letter can reach the student: "
                                         "fix the student email first")
    return Proposal(Proposed.REVIEW, f"a person should check: {codes} (may be fixable)")
