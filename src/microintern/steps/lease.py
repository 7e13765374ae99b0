"""The run lease in the program sheet: one run at a time across machines.

The OS lock (:func:`microintern.steps.runner.locked`) keeps runs on one machine apart. Runs on
two machines (cron on the district's server, IT on a laptop) share only the program sheet, so
a run that holds the OS lock also takes the lease kept in the sheet's **Run lease** tab:

1. read the tab; a live lease of another run (not released, not expired) stops this run with
   :class:`~microintern.errors.RunLocked`, naming the holder and since when (exit 0);
2. otherwise write this run's lease (holder, host, pid, started, expires, a random token) and
   **read it back**: only if the token is there, and no other live lease, does the run write
   anything else;
3. renew it when past half its life (between steps of ``run-due``), and release it at the end.

Calls on Sheets (issue 19): the lease's read is the run's one read of every tab (the roster's
snapshot, see :mod:`microintern.adapters.google.sheets`); taking it is one write and its
read-back (its own save point); the release rides in the run's last write with the Timeline
record. A first run adds the tab (``spreadsheets.get``, ``spreadsheets.batchUpdate``, a header
write).

Why a tab of its own rather than rows of Settings: the lease is one row written in one call,
so its fields cannot be torn between two writers, and the coordinator sees plainly who is
running and since when. It goes through the :class:`~microintern.ports.Roster` port, so the
same code runs on the local workbook (which may sit on a shared drive two machines open).
There the tab is kept in ``program.run-lease.json`` beside the workbook (the bootstrap's
``sidecar_tabs``): as visible to every machine that opens the folder, saved at once, and
taking or releasing it no longer rewrites the whole workbook (half the demo's saves were the
lease's).

**The window.** Sheets has no compare-and-set. Two machines that read a free lease within the
same second or so both write; the one written last wins the row and the other's read-back
shows a foreign token, so it stops before writing. Only if both read-backs come before either
write lands (two writes racing in the same instant) could both go on. The window is the time of
one write plus one read (well under a second on Sheets); letters stay exactly-once even then,
because every letter's key is in the Outbox before it is sent. A first-ever race can also leave
two lease rows: each run then sees the other's live lease and both stop (safe; the next run
works).

A lease left by a killed run expires after ``run_lock.lease_minutes``; on the same machine it
is taken over at once when its process is gone (this run already holds that machine's lock).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta

from microintern.domain import program_sheet as sheet
from microintern.domain.lease import Holder, Lease, blocking, confirmed, leases
from microintern.errors import BackendError, RunLocked
from microintern.ports import Roster

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ProgramLease:
    """This run's lease on the program, kept in the Run lease tab through ``roster``."""

    def __init__(self, roster: Roster, holder: Holder, *, length: timedelta,
                 alive: Callable[[int], bool], clock: Callable[[], datetime] = _utc_now,
                 token: str | None = None, tabs: Sequence[str] = ()) -> None:
        self.roster = roster
        # The program's tabs, read with the lease in one call: inside the command's batch the
        # roster keeps that read as the run's snapshot (issue 19).
        self.tabs = tuple(tabs)
        self.holder = holder
        self.length = length
        self.alive = alive
        self.clock = clock
        self.token = token or secrets.token_hex(8)
        self.lease: Lease | None = None

    def _read(self) -> list[dict[str, object]]:
        return self.roster.read_tabs([sheet.RUN_LEASE])[sheet.RUN_LEASE]

    def _save(self, lease: Lease) -> None:
        """Write ``lease`` now, whatever the roster has gathered before it.

        The bootstrap has both backends save the lease's tab at once: on Sheets with everything
        gathered, then read back, so the read that follows sees the sheet, not only our own
        write; locally in its own file. The block makes it a save point on a roster that would
        otherwise gather it (a block outside any other is one everywhere).
        """
        batch = getattr(self.roster, "batch", None)  # a test's own roster may have none
        with nullcontext() if batch is None else batch():
            self.roster.upsert(sheet.RUN_LEASE, sheet.LEASE_KEY, [lease.to_row()])

    def _blocking(self, rows: list[dict[str, object]], now: datetime) -> Lease | None:
        return blocking(rows, token=self.token, host=self.holder.host, now=now, alive=self.alive)

    def _write_and_confirm(self, lease: Lease) -> None:
        """Write ``lease`` and read it back; stop (RunLocked) if another run's lease is there."""
        self._save(lease)
        rows = self._read()
        now = self.clock()
        if confirmed(rows, token=self.token, host=self.holder.host, now=now, alive=self.alive):
            self.lease = lease
            return
        self.lease = None
        other = self._blocking(rows, now)
        if other is not None:
            raise RunLocked(f"another microintern run holds the program: {other.describe()} "
                            f"(it took the lease in the {sheet.RUN_LEASE} tab at the same moment); "
                            "this one did nothing")
        raise BackendError(f"the lease written to the {sheet.RUN_LEASE} tab did not read back; "
                           "this run did nothing (rerun it)")

    def acquire(self) -> None:
        """Take the lease, or raise :class:`RunLocked` naming the run that holds it."""
        # One read of the lease with every tab of the program (the run's snapshot), then the
        # tab and its headers, if missing (a first run, or someone deleted it).
        rows = self.roster.read_tabs([sheet.RUN_LEASE, *self.tabs])[sheet.RUN_LEASE]
        self.roster.ensure_tabs({sheet.RUN_LEASE: sheet.LEASE_COLUMNS})
        now = self.clock()
        other = self._blocking(rows, now)
        if other is not None:
            raise RunLocked(f"another microintern run holds the program: {other.describe()} "
                            f"({sheet.RUN_LEASE} tab); this one did nothing")
        for stale in leases(rows):
            if stale.token != self.token and not stale.released:
                # No names in logs: user@host is an account and a machine, not a student.
                log.warning("taking over the lease of %s (pid %s, started %s): it expired or its "
                            "process is gone", stale.holder.name, stale.holder.pid, stale.started)
        self._write_and_confirm(Lease(self.holder, now, now + self.length, self.token))

    def renew_if_due(self) -> bool:
        """Extend the lease when past half its life (cheap otherwise); True if it was renewed.

        Raises :class:`RunLocked` when the read-back shows the lease is no longer this run's
        (another machine took it after it expired): the run must stop writing.
        """
        if self.lease is None:
            return False
        now = self.clock()
        if now < self.lease.expires - self.length / 2:
            return False
        self._write_and_confirm(Lease(self.holder, self.lease.started, now + self.length, self.token))
        return True

    def release(self) -> None:
        """Mark the lease released, if it is still this run's (a failure only logs: it expires).

        Inside the command's batch the release is gathered with the run's last writes (the
        Timeline record) and saved with them when the batch ends.
        """
        if self.lease is None:
            return
        lease, self.lease = self.lease, None
        try:
            now = self.clock()
            # While unexpired nobody can have taken it (they would have seen it live); after
            # that, read first: it may be another run's now.
            if now >= lease.expires and not any(
                    found.token == self.token and not found.released for found in leases(self._read())):
                return
            self.roster.upsert(sheet.RUN_LEASE, sheet.LEASE_KEY, [Lease(
                lease.holder, lease.started, min(now, lease.expires), self.token, released=True).to_row()])
        except BackendError as exc:
            log.warning("the lease could not be released (%s); it expires at %s", exc, lease.expires)

    @contextmanager
    def held(self) -> Iterator[ProgramLease]:
        """Hold the lease for the ``with`` block; release it at the end, whatever happened."""
        self.acquire()
        try:
            yield self
        finally:
            self.release()
