"""The program's lease: which run holds the program now, as one row of the Run lease tab.

A run on one machine is kept alone by an OS file lock; runs on *different* machines (cron on a
server, IT's laptop) share only the program sheet, so the sheet carries a lease: who holds the
program (``user@host``, pid), since when, until when, and a random token. Pure rules here:
how a lease is written to and read from a row, and whether rows read back leave a run free to
work. The reading and writing is :mod:`microintern.steps.lease`.

Times are real UTC instants (never the ``--now`` a run simulates), written as
``YYYY-MM-DDTHH:MM:SSZ`` text so that every machine compares the same thing and the sheet shows
them plainly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from microintern.domain import program_sheet as sheet
from microintern.domain.records import Record

LEASE_ROW = "program"
"""The key of the lease's row: one lease per program sheet."""

RUNNING = "running"
RELEASED = "released"
STAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Holder:
    """Who runs: the OS account, the machine and the process (no personal data)."""

    user: str
    host: str
    pid: int

    @property
    def name(self) -> str:
        """``user@host``, as the lease and the lock's info file show it."""
        return f"{self.user}@{self.host}"


@dataclass(frozen=True)
class Lease:
    """One run's claim on the program until ``expires``, told apart by its random ``token``."""

    holder: Holder
    started: datetime
    expires: datetime
    token: str
    released: bool = False

    def live(self, now: datetime) -> bool:
        """Still held at ``now``: not released and not expired."""
        return not self.released and self.expires > now

    def describe(self) -> str:
        """Who holds it and since when, for the one-line notice of a run that stops."""
        return (f"{self.holder.name} (pid {self.holder.pid}) since {show(self.started)}, "
                f"lease until {show(self.expires)}")

    def to_row(self) -> Record:
        """The Run lease tab's row for this lease."""
        return {
            sheet.LEASE_KEY: LEASE_ROW,
            sheet.LEASE_HOLDER: self.holder.name,
            sheet.LEASE_HOST: self.holder.host,
            sheet.LEASE_PID: self.holder.pid,
            sheet.LEASE_STARTED: show(self.started),
            sheet.LEASE_EXPIRES: show(self.expires),
            sheet.LEASE_STATE: RELEASED if self.released else RUNNING,
            sheet.LEASE_TOKEN: self.token,
        }


def show(moment: datetime) -> str:
    """A UTC instant as the lease writes it."""
    return moment.astimezone(UTC).strftime(STAMP)


def _instant(value: object) -> datetime | None:
    try:
        return datetime.strptime(str(value or ""), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def from_row(row: Record) -> Lease | None:
    """The lease a row holds; None for a row that is not a readable lease.

    A row the coordinator blanked or garbled holds nobody: a run may take it (the OS lock still
    keeps runs on one machine apart).
    """
    token = str(row.get(sheet.LEASE_TOKEN) or "").strip()
    started, expires = _instant(row.get(sheet.LEASE_STARTED)), _instant(row.get(sheet.LEASE_EXPIRES))
    if not token or started is None or expires is None:
        return None
    name = str(row.get(sheet.LEASE_HOLDER) or "?")
    host = str(row.get(sheet.LEASE_HOST) or name.rpartition("@")[2])
    pid = row.get(sheet.LEASE_PID)
    try:
        number = int(pid) if isinstance(pid, int | float | str) and str(pid).strip() else 0
    except ValueError:
        number = 0
    user = name.rpartition("@")[0] or name
    return Lease(Holder(user, host, number), started, expires, token,
                 released=str(row.get(sheet.LEASE_STATE) or "").strip() == RELEASED)


def leases(rows: Sequence[Record]) -> list[Lease]:
    """Every readable lease among the tab's rows (normally one; two after a first-time race)."""
    found = (from_row(r) for r in rows if str(r.get(sheet.LEASE_KEY) or "").strip() == LEASE_ROW)
    return [lease for lease in found if lease is not None]


def blocking(rows: Sequence[Record], *, token: str, host: str, now: datetime,
             alive: Callable[[int], bool]) -> Lease | None:
    """The live lease of another run that keeps this one (``token`` on ``host``) out, if any.

    An expired or released lease blocks nobody (a run killed elsewhere is taken over once its
    lease runs out). A lease from this same machine whose process is gone blocks nobody either:
    that run was killed, and this run already holds the machine's OS lock.
    """
    for lease in leases(rows):
        if lease.token == token or not lease.live(now):
            continue
        if lease.holder.host == host and not alive(lease.holder.pid):
            continue
        return lease
    return None


def confirmed(rows: Sequence[Record], *, token: str, host: str, now: datetime,
              alive: Callable[[int], bool]) -> bool:
    """Whether the rows read back show this run's live lease and nobody else's."""
    ours = any(lease.token == token and lease.live(now) for lease in leases(rows))
    return ours and blocking(rows, token=token, host=host, now=now, alive=alive) is None
