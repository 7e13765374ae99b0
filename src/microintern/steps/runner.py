"""Run what is due: every open step once a day, safe to rerun, one run at a time.

What is due is derived from the Timeline tab (persisted state), never from the process's
memory, so cron, the built-in scheduler and a rerun after a crash all agree.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from microintern.domain import program_sheet as sheet
from microintern.domain.lease import Holder, show
from microintern.domain.problems import Problem, problem_rows
from microintern.domain.records import Record
from microintern.domain.timeline import (
    COMMANDS,
    Occurrence,
    RunRecord,
    StepName,
    StepState,
    days_past,
    plan,
    should_run,
    state_of,
)
from microintern.errors import MicrointernError, RunLocked
from microintern.steps.context import StepContext, StepResult
from microintern.steps.lease import ProgramLease
from microintern.steps.setup import initialise

log = logging.getLogger(__name__)

StepFn = Callable[[StepContext, Occurrence], StepResult]
T = TypeVar("T")

STAMP = "%Y-%m-%d %H:%M:%S"


def _application_form(ctx: StepContext, occurrence: Occurrence) -> StepResult:
    # A hand-made form read through its linked sheet is the district's: leave it alone.
    if ctx.config.application.responses_sheet is not None:
        return StepResult(counts={"skipped (form made by hand)": 1})
    from microintern.steps.application_form import sync_application_form

    return sync_application_form(ctx)


def _dashboard(ctx: StepContext, occurrence: Occurrence) -> StepResult:
    # The files of the report are written on request (`microintern report`); the Dashboard tab,
    # which the coordinator looks at every day, is kept fresh here.
    from microintern.steps.sheet.dashboard import program_report, update_dashboard

    return update_dashboard(ctx, program_report(ctx))


@dataclass(frozen=True)
class _Step:
    """A step of :data:`AUTOMATED`, imported only when it runs, its writes saved together.

    ``target`` is ``"module:function"``: the module (and what it needs: scipy for cohorts,
    matplotlib for the report) is imported at the first call, so an idle run-due imports no
    step. ``takes`` is how the function is called: ``ctx`` alone, ``sessions`` (the
    occurrence's session id in a list) or ``occurrence`` (``ctx, occurrence``). The call runs in
    one ``roster.batch()``, so the local workbook saves the step's writes once, at its end.
    """

    target: str
    takes: str = "ctx"

    def __call__(self, ctx: StepContext, occurrence: Occurrence) -> StepResult:
        module, name = self.target.split(":")
        function = getattr(importlib.import_module(module), name)
        batch = getattr(ctx.ports.roster, "batch", None)  # a test's own roster may have none
        with nullcontext() if batch is None else batch():
            if self.takes == "sessions":
                result: StepResult = function(ctx, [occurrence.scope_id])
            elif self.takes == "occurrence":
                result = function(ctx, occurrence)
            else:
                result = function(ctx)
        return result


def _session_step(target: str) -> _Step:
    """A step that takes session ids, run for the occurrence's session."""
    return _Step(target, takes="sessions")


_STEPS = "microintern.steps."
AUTOMATED: dict[StepName, StepFn] = {
    StepName.PARTNER_OUTREACH: _Step(_STEPS + "outreach:invite_partner", takes="occurrence"),
    StepName.PARTNER_MEETING: _Step(_STEPS + "partners:partner_meeting", takes="occurrence"),
    StepName.APPLICATION_FORM: _Step(__name__ + ":_application_form", takes="occurrence"),
    StepName.APPLICATIONS: _Step(_STEPS + "applications:receive_applications"),
    StepName.RECRUITMENT: _Step(_STEPS + "outreach:recruit"),
    StepName.SCREENING: _Step(_STEPS + "screening:screen_applications"),
    StepName.DECISIONS: _Step(_STEPS + "decisions:send_decisions"),
    StepName.COHORTS: _Step(_STEPS + "cohorts:place_cohorts"),
    StepName.REGISTRATION: _session_step(_STEPS + "participation:register_students"),
    StepName.RELEASE_FORMS: _session_step(_STEPS + "participation:collect_release_forms"),
    StepName.SESSIONS: _session_step(_STEPS + "sessions:build_sessions"),
    StepName.SESSION_SUPPORT: _session_step(_STEPS + "session_letters:support_sessions"),
    StepName.REMINDERS: _session_step(_STEPS + "session_letters:remind_students"),
    StepName.RUN_SHEET: _session_step(_STEPS + "session_letters:send_run_sheets"),
    StepName.HOURS_LOG: _session_step(_STEPS + "hours:log_hours"),
    StepName.ATTENDANCE: _session_step(_STEPS + "attendance:take_attendance"),
    StepName.FEEDBACK: _session_step(_STEPS + "feedback:request_feedback"),
    StepName.BADGES: _session_step(_STEPS + "badges:award_badges"),
    StepName.APPRECIATION: _session_step(_STEPS + "appreciation:thank_partners"),
    StepName.ASSIGNMENTS: _session_step(_STEPS + "assignments:run_assignments"),
    StepName.DASHBOARD: _Step(__name__ + ":_dashboard", takes="occurrence"),
}
"""Steps microintern carries out; the others are shown on the timeline for the coordinator."""


@dataclass(frozen=True)
class StepStatus:
    """One line of the status view."""

    occurrence: Occurrence
    state: StepState
    record: RunRecord | None
    automated: bool


@dataclass
class RunReport:
    """What one run-due did."""

    ran: list[tuple[Occurrence, StepResult]]
    failed: list[tuple[Occurrence, str]]
    now: datetime
    # Occurrences found missed by this run (more than catch_up_days past their window, never
    # run), with how many days past: not run, told once so the coordinator can send them.
    missed: list[tuple[Occurrence, int]] = field(default_factory=list)
    # The problems this run named (run_due fills it), each printed on its own line under the
    # summary line, so cron's mail says who, what, why and what to do, not only a count.
    problems: list[tuple[Occurrence, Problem]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no step failed."""
        return not self.failed

    def summary(self) -> str:
        """For cron's mail: one line of what ran and failed, then one line per named problem.

        The counts stay on the first line; each problem line starts with ``  ! `` and names
        the step, who (an id), what, why and what to do.
        """
        lines = [self.summary_line()]
        lines.extend(f"  ! {o.key}: {p.line()}" for o, p in self.problems)
        return "\n".join(lines)

    def summary_line(self) -> str:
        """One line: what ran (with each step's counts), what failed, what was missed."""
        stamp = self.now.strftime("%Y-%m-%d %H:%M %Z")
        parts = [f"{o.key} ({r.summary()})" for o, r in self.ran]
        text = f"run-due {stamp}: " + ("; ".join(parts) if parts else "nothing due")
        if self.failed:
            text += "; FAILED: " + "; ".join(f"{o.key}: {why}" for o, why in self.failed)
        if self.missed:
            steps = sorted({o.step.name.value for o, _ in self.missed})
            text += ("; missed, not sent late: "
                     + ", ".join(f"{o.key} (window closed {days} day{'' if days == 1 else 's'} ago)"
                                for o, days in self.missed)
                     + " — to send anyway: " + ", ".join(f"`microintern send {s}`" for s in steps))
        return text


def occurrences(ctx: StepContext) -> list[Occurrence]:
    """The program's timeline from its config.

    Steps after a session count from its last meeting; assignments and the hours log appear
    only for sessions that have assignments or an hours target.
    """
    config = ctx.config
    anchors = {s.id: s.meeting_starts()[0].date() for s in config.sessions}
    ends = {s.id: s.meeting_starts()[-1].date() for s in config.sessions}
    skip = frozenset(
        {(StepName.ASSIGNMENTS, s.id) for s in config.sessions if not config.assignments_of(s)}
        | {(StepName.HOURS_LOG, s.id) for s in config.sessions if s.hours_target is None})
    return plan(anchors, zone=config.zone, opens_at=config.schedule.run_at, session_ends=ends,
                skip=skip)


def _records(rows: list[Record], ctx: StepContext) -> dict[str, RunRecord]:
    records: dict[str, RunRecord] = {}
    for row in rows:
        key = row.get(sheet.TIMELINE_KEY)
        if not key:
            continue
        last = row.get("Last run")
        last_run = None
        if isinstance(last, str) and last:
            try:
                last_run = datetime.strptime(last, STAMP).replace(tzinfo=ctx.config.zone)
            except ValueError:
                last_run = None
        runs = row.get("Runs")
        result = str(row.get("Result") or "")
        records[str(key)] = RunRecord(
            last_run=last_run,
            runs=int(runs) if isinstance(runs, int | float) else 0,
            ok=not result.startswith("failed"),
            result=result,
        )
    return records


def status(ctx: StepContext, timeline: list[Record]) -> list[StepStatus]:
    """Every step occurrence with its state at ``ctx.now``, given the Timeline tab's rows."""
    return _statuses(ctx, _records(timeline, ctx))


def catch_up_days(ctx: StepContext) -> int:
    """How many days past its window run-due still runs a step (0: catch-up is off)."""
    schedule = ctx.config.schedule
    return schedule.catch_up_days if schedule.catch_up else 0


def _statuses(ctx: StepContext, records: Mapping[str, RunRecord]) -> list[StepStatus]:
    bound = catch_up_days(ctx)
    return [
        StepStatus(o, state_of(o, records.get(o.key), ctx.now, catch_up_days=bound),
                   records.get(o.key), o.step.name in AUTOMATED)
        for o in occurrences(ctx)
    ]


def timeline_rows(ctx: StepContext, statuses: list[StepStatus]) -> list[Record]:
    """The Timeline tab's rows for these statuses."""
    zone = ctx.config.zone
    rows: list[Record] = []
    for s in statuses:
        o, record = s.occurrence, s.record
        state = s.state.value if s.automated else f"{s.state.value} (by hand)"
        rows.append({
            sheet.TIMELINE_KEY: o.key,
            "Step": o.step.label,
            "Session": o.scope_id,
            "Opens": o.opens.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "Closes": o.closes.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "State": state,
            "Last run": record.last_run.astimezone(zone).strftime(STAMP)
            if record and record.last_run else "",
            "Runs": record.runs if record else 0,
            "Result": record.result if record else "",
        })
    return rows


STATUS_DAYS_AHEAD = 3
"""``status`` also lists what opens within this many days, so the coordinator sees it coming."""
_URGENCY = {"failed": 0, "missed": 1, "overdue": 2, "due": 3, "soon": 4}


def _shown_state(s: StepStatus, now: datetime) -> str:
    """The word ``status`` shows: a failed last run reads ``failed``, an upcoming step ``soon``."""
    if s.record is not None and not s.record.ok and s.state in (StepState.DUE, StepState.OVERDUE):
        return "failed"
    if s.state is StepState.UPCOMING:
        ahead = (s.occurrence.opens.date() - now.astimezone(s.occurrence.opens.tzinfo).date()).days
        return "soon" if ahead <= STATUS_DAYS_AHEAD else "later"
    return s.state.value


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def latest_future_run(statuses: Sequence[StepStatus], now: datetime) -> datetime | None:
    """The latest recorded run after ``now`` (runs made in simulated time or with ``--now``), if any."""
    future = [s.record.last_run for s in statuses
              if s.record is not None and s.record.last_run is not None and s.record.last_run > now]
    return max(future, default=None)


def status_lines(ctx: StepContext, statuses: Sequence[StepStatus], *, show_all: bool = False,
                 width: int = 100) -> list[str]:
    """The status view: one line per step occurrence, at most ``width`` characters.

    By default only what needs the coordinator: failed, missed, overdue and due steps (most
    urgent first), and what opens within :data:`STATUS_DAYS_AHEAD` days; ``show_all`` lists every
    occurrence in timeline order. Steps are named by the command that runs them
    (:data:`~microintern.domain.timeline.COMMANDS`). A run recorded after ``ctx.now`` (the demo
    runs in simulated time) never shows as a date in the past's view: its cell reads
    ``(future)`` and one note above the table says how to look at the program at that time.
    """
    zone, now = ctx.config.zone, ctx.now
    lines: list[str] = []
    future = latest_future_run(statuses, now)
    if future is not None:
        at = future.astimezone(zone)
        lines += [f"note: the Timeline tab has runs after this moment (the last {at:%Y-%m-%d %H:%M});",
                  "      they were made in simulated time (the demo) or with --now. To see the program",
                  f"      then: microintern status --now {at:%Y-%m-%dT%H:%M}"]
    shown = [(s, _shown_state(s, now)) for s in statuses]
    if show_all:
        picked = shown
    else:
        picked = sorted(((s, w) for s, w in shown if w in _URGENCY),
                        key=lambda p: (_URGENCY[p[1]], p[0].occurrence.opens))
    lines.append(f"{'step':<22} {'session':<15} {'state':<7} {'window':<13} {'last run':<12} result")
    for s, word in picked:
        o, record = s.occurrence, s.record
        last_day = (o.closes - timedelta(seconds=1)).astimezone(zone)
        opens = o.opens.astimezone(zone)
        window = f"{opens:%b %d}" if opens.date() == last_day.date() else f"{opens:%b %d}–{last_day:%b %d}"
        if record is None or record.last_run is None:
            last = "-"
        elif record.last_run > now:
            last = "(future)"
        else:
            last = f"{record.last_run.astimezone(zone):%b %d %H:%M}"
        # A result recorded after ``now`` says nothing about ``now``: left out (see the note).
        result = record.result if record is not None and last not in ("-", "(future)") else ""
        if word == "soon":
            days = (o.opens.date() - now.astimezone(o.opens.tzinfo).date()).days
            result = f"opens in {days} day{'' if days == 1 else 's'}" if days else "opens today"
        if not s.automated:
            result = f"by hand; {result}" if result else "by hand"
        head = (f"{_fit(COMMANDS[o.step.name], 22):<22} {_fit(o.scope_id, 15):<15} {word:<7} "
                f"{window:<13} {last:<12} ")
        lines.append(_fit(head + result, width).rstrip())
    if not show_all:
        if len(picked) == 0:
            lines.append(f"(nothing due, failed or missed; nothing opens in {STATUS_DAYS_AHEAD} days)")
        counts = {w: sum(1 for _, x in shown if x == w) for w in ("done", "later")}
        lines.append(f"{counts['done']} done, {counts['later']} later (status --all: every step; "
                     "full results: Timeline tab)")
    return lines


def run_due(ctx: StepContext, *, steps: Mapping[StepName, StepFn] | None = None,
            lease: ProgramLease | None = None) -> RunReport:
    """Run every due occurrence once and record the outcome in the Timeline tab.

    A failing step is recorded and the run goes on with the next one. With ``lease`` (the
    run's lease in the program sheet), the lease is renewed between steps once past half its
    life; a lease lost meanwhile stops the run (:class:`RunLocked`) before its next write.
    """
    steps = AUTOMATED if steps is None else steps
    roster = ctx.ports.roster
    initialise(ctx.config, roster)
    tabs = roster.read_tabs([sheet.TIMELINE, sheet.PROBLEMS])   # one read for both
    before, problems_before = tabs[sheet.TIMELINE], tabs[sheet.PROBLEMS]
    records = _records(before, ctx)
    report = RunReport(ran=[], failed=[], now=ctx.now)
    catch_up = ctx.config.schedule.catch_up
    for s in _statuses(ctx, records):
        step = steps.get(s.occurrence.step.name)
        if step is not None and s.state is StepState.MISSED:
            _note_missed(ctx, s.occurrence, records, report)
        if step is None or not should_run(s.state, catch_up=catch_up):
            continue
        previous = records.get(s.occurrence.key) or RunRecord()
        if lease is not None:
            lease.renew_if_due()
        try:
            result = step(ctx, s.occurrence)
        except MicrointernError as exc:
            why = str(exc).splitlines()[0]
            report.failed.append((s.occurrence, why))
            records[s.occurrence.key] = RunRecord(ctx.now, previous.runs + 1, False, f"failed: {why}")
            log.error("step %s failed: %s", s.occurrence.key, why)
            report.problems.append((s.occurrence, _failure(s.occurrence, why)))
            continue
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}".splitlines()[0]
            report.failed.append((s.occurrence, why))
            records[s.occurrence.key] = RunRecord(ctx.now, previous.runs + 1, False, f"failed: {why}")
            log.exception("step %s failed unexpectedly", s.occurrence.key)
            report.problems.append((s.occurrence, _failure(s.occurrence, why)))
            continue
        report.ran.append((s.occurrence, result))
        report.problems.extend((s.occurrence, p) for p in result.named())
        records[s.occurrence.key] = RunRecord(ctx.now, previous.runs + 1, True, result.summary())
    if lease is not None:
        lease.renew_if_due()
    write_timeline(ctx, before, _statuses(ctx, records))
    write_problems(ctx, problems_before, [(o, r) for o, r in report.ran],
                   [(o, p) for o, p in report.problems if o.key in {f.key for f, _ in report.failed}])
    return report


def _failure(occurrence: Occurrence, why: str) -> Problem:
    """The problem line of a step that failed as a whole (its letters did not go)."""
    return Problem(occurrence.scope_id, f"step {occurrence.step.name.value} failed", why,
                   "fix the cause named here; the next run-due runs the step again "
                   f"(or now: microintern run {occurrence.step.name.value})")


def write_problems(ctx: StepContext, before: list[Record],
                   ran: Sequence[tuple[Occurrence, StepResult]],
                   failed: Sequence[tuple[Occurrence, Problem]] = ()) -> None:
    """Bring the Problems tab up to date with this run's steps (one upsert, or none).

    A problem found again keeps its First seen; an open one its step, run to completion, no
    longer finds reads resolved. A failed step adds its failure and leaves its other problems
    as they were until a complete run. The caller holds the program's lock.
    """
    stamp = ctx.now.astimezone(ctx.config.zone).strftime(STAMP)
    seen: dict[str, list[Problem]] = {}
    for occurrence, result in ran:
        seen.setdefault(occurrence.key, []).extend([*result.named(), *result.still])
    partial: dict[str, list[Problem]] = {}
    for occurrence, problem in failed:
        partial.setdefault(occurrence.key, []).append(problem)
    changed = problem_rows(before, seen, stamp, partial)
    if changed:
        ctx.ports.roster.upsert(sheet.PROBLEMS, sheet.PROBLEM_KEY, changed)


MISSED_NOTE = "missed: not sent late"
"""How a missed occurrence's Result cell starts (after a failure's text, if it had failed)."""


def _note_missed(ctx: StepContext, occurrence: Occurrence, records: dict[str, RunRecord],
                 report: RunReport) -> None:
    """Report a missed occurrence once: its Result cell says so, and later runs stay quiet.

    The note goes in the Result cell (run-due's own), not only in State, which ``status``
    also writes: a run that finds the note has told the coordinator already.
    """
    previous = records.get(occurrence.key) or RunRecord()
    if MISSED_NOTE in previous.result:
        return
    days = days_past(occurrence, ctx.now)
    closed = (occurrence.closes.astimezone(ctx.config.zone).date()).isoformat()
    note = (f"{MISSED_NOTE} (window closed {closed}); to send anyway: "
            f"microintern {COMMANDS[occurrence.step.name]}")
    # A failed run's text stays first, so the record still reads as failed (never as done).
    result = f"{previous.result}; {note}" if previous.result else note
    records[occurrence.key] = RunRecord(previous.last_run, previous.runs, previous.ok, result)
    report.missed.append((occurrence, days))
    log.info("%s missed: window closed %d days ago; not run late", occurrence.key, days)


def write_timeline(ctx: StepContext, before: list[Record], statuses: list[StepStatus]) -> None:
    """Write the Timeline rows whose text changed since ``before`` (one upsert, or none)."""
    known = {str(r.get(sheet.TIMELINE_KEY)): r for r in before}
    changed = [
        row for row in timeline_rows(ctx, statuses)
        if any(_same(known.get(str(row[sheet.TIMELINE_KEY]), {}).get(k), v) is False
               for k, v in row.items())
    ]
    if changed:
        ctx.ports.roster.upsert(sheet.TIMELINE, sheet.TIMELINE_KEY, changed)


def record_runs(ctx: StepContext, outcomes: Sequence[tuple[Occurrence, StepResult | str]]) -> None:
    """Record occurrences run on request (``run STEP``, ``send STEP``) in the Timeline tab.

    The row run-due writes: Last run now, Runs one more, Result the step's summary, or
    ``failed: <why>`` for a str outcome. A missed occurrence sent on request then reads done,
    not missed. The caller holds the program's lock; one read of the Timeline tab, at most one
    upsert.
    """
    if not outcomes:
        return
    tabs = ctx.ports.roster.read_tabs([sheet.TIMELINE, sheet.PROBLEMS])
    before = tabs[sheet.TIMELINE]
    records = _records(before, ctx)
    for occurrence, outcome in outcomes:
        previous = records.get(occurrence.key) or RunRecord()
        ok = isinstance(outcome, StepResult)
        result = outcome.summary() if isinstance(outcome, StepResult) else f"failed: {outcome}"
        records[occurrence.key] = RunRecord(ctx.now, previous.runs + 1, ok, result)
    write_timeline(ctx, before, _statuses(ctx, records))
    write_problems(ctx, tabs[sheet.PROBLEMS],
                   [(o, r) for o, r in outcomes if isinstance(r, StepResult)],
                   [(o, _failure(o, r)) for o, r in outcomes if isinstance(r, str)])


def _same(old: object, new: object) -> bool:
    # Blank cells read back as None; numbers may come back as floats.
    return (old if old is not None else "") == (new if new is not None else "")


def locked(lock_file: Path, action: Callable[[], T], *, holder: Holder | None = None,
           clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> T:
    """Run ``action`` holding the program's OS lock; raise :class:`RunLocked` if a run holds it.

    The lock is an OS file lock (``flock``), so a run killed with SIGKILL releases it with its
    process. It lives with the program (:func:`microintern.bootstrap.lock_path`), not with the
    OS user, so cron's account and an IT person's share it. While held, ``<lock>.holder`` says
    who holds it (``user@host``, pid, since when; no personal data) so that a second run can
    name the holder; it is emptied before the lock is let go.

    Sharing between accounts: the folder is made ``2770`` (setgid: files in it take the
    folder's group) and the files ``0660``; put everyone who runs the program in that group
    (``chgrp microintern <folder>``), see docs/setup-google.md.
    """
    prepare_lock_folder(lock_file.parent)
    info = lock_file.with_name(lock_file.name + HOLDER_SUFFIX)
    try:
        fd = _open_shared(lock_file)
    except PermissionError:
        raise MicrointernError(
            f"cannot open the run lock {lock_file}: this account is not in the program's group "
            "(see docs/setup-google.md, 'The run lock')") from None
    try:
        if not _try_lock(fd):
            raise RunLocked(f"another microintern run holds {lock_file}{_holder_of(info)}; "
                            "this one did nothing")
        try:
            if holder is not None:
                _write_info(info, f"{holder.name} pid {holder.pid} since {show(clock())}\n")
            return action()
        finally:
            if holder is not None:
                _write_info(info, "")
    finally:
        os.close(fd)  # closing the descriptor lets the lock go


HOLDER_SUFFIX = ".holder"
LOCK_FOLDER_MODE = 0o2770
LOCK_FILE_MODE = 0o660


def prepare_lock_folder(folder: Path) -> None:
    """Create the lock folder shared with the program's group (2770); an existing one is kept."""
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    with suppress(PermissionError):
        os.chmod(folder, LOCK_FOLDER_MODE)  # mkdir's mode is cut by the umask: set it exactly


def _open_shared(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, LOCK_FILE_MODE)
    if os.fstat(fd).st_uid == os.geteuid():
        with suppress(PermissionError):
            os.fchmod(fd, LOCK_FILE_MODE)  # the umask cut the mode at creation
    return fd


def _try_lock(fd: int) -> bool:
    if fcntl is None:  # pragma: no cover - Windows: msvcrt locks the first byte instead
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_info(path: Path, text: str) -> None:
    # Best effort: the lock works without it; only the second run's notice is poorer.
    try:
        fd = _open_shared(path)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as exc:
        log.debug("run lock info not written: %s", exc)


def _holder_of(info: Path) -> str:
    try:
        text = info.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""
