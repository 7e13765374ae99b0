"""The demo's hours log: students of the paid session log their hours, the teacher confirms.

Each student who received the hours-log link logs two entries two days after every weekly
meeting: the meeting itself and a day of independent work. Three students slip, one way each:
one sends the same entry twice (a duplicate), one logs a 14-hour day, one logs a day that has
not happened yet (a future date). The morning after each "entries waiting" letter, the teacher
opens the workbook and writes the Confirmation column as a person would: "confirmed" for every
entry waiting, "rejected" for the 14-hour day. Duplicates and future dates never count, so they
are left alone; the teacher stops after the last meeting, so the last week stays pending and out
of the payroll export.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from microintern.adapters.local._files import atomic_write_bytes
from microintern.config import ProgramConfig, Session
from microintern.demo.people import seeded_roll, write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.hours import hours_form_spec, parse_hours, payroll_csv
from microintern.domain.records import Record
from microintern.ports import Roster
from microintern.steps.context import StepContext
from microintern.steps.hours import LINK_LETTER, PENDING_LETTER, hours_sessions, payroll

WORK = ("Cleaned the survey data set: removed duplicate rows and fixed the dates",
        "Built a pivot table of sales by month for the partner's question",
        "Drafted three charts and wrote what each one shows",
        "Read the partner's notes and listed the questions the data can answer",
        "Checked my numbers against last year's report and fixed two errors",
        "Worked on my one-page data story: the chart and the first draft")
LONG_DAY = "14"


def _us_date(day: date) -> str:
    """A date as a Google linked sheet (en-US) exports a date answer: 4/6/2027."""
    return f"{day.month}/{day.day}/{day.year}"


def log_and_confirm_hours(config: ProgramConfig, forms_folder: Path, now: datetime,
                          roster: Roster) -> list[str]:
    """The students log what is due by ``now``; the teacher answers yesterday's letter. Lines to print.

    Stateless: the entries follow from the Outbox (who got the link) and the calendar, so the
    form's CSV is rewritten whole each morning, as a linked sheet's export would be.
    """
    sessions = hours_sessions(config)
    if not sessions or now.date() < min(s.meeting_starts()[0].date() for s in sessions):
        return []
    spec = hours_form_spec(config)
    tabs = roster.read_tabs([sheet.OUTBOX, sheet.HOURS])
    said: list[str] = []
    entries: dict[str, tuple[datetime, list[str]]] = {}
    for session in sessions:
        _students_log(config, session, tabs[sheet.OUTBOX], entries)
        said += _teacher_confirms(config, session, now, tabs, roster)
    rows = sorted((v for v in entries.values() if v[0] <= now), key=lambda v: v[0])
    write_form_csv(forms_folder, spec.name, [q.title for q in spec.questions], rows)
    return said


def _students_log(config: ProgramConfig, session: Session, outbox: list[Record],
                  entries: dict[str, tuple[datetime, list[str]]]) -> None:
    students = sorted(
        parts[2] for parts in (str(r.get(sheet.OUTBOX_KEY) or "").split("/") for r in outbox
                               if str(r.get("State") or "").startswith("sent"))
        if len(parts) == 4 and parts[1] == LINK_LETTER and parts[3] == session.id)
    duplicate, long_day, future = [*students, "", "", ""][:3]
    for week, start in enumerate(session.meeting_starts(), 1):
        meeting = start.date()
        logged = datetime.combine(meeting + timedelta(days=2), time(19, 0), tzinfo=config.zone)
        for student in students:
            roll = seeded_roll(student, str(week))
            work_day = meeting + timedelta(days=1)
            hours = ("3", "3.5", "4")[roll % 3]
            if student == long_day and week == 3:
                hours = LONG_DAY
            if student == future and week == 4:
                work_day = meeting + timedelta(days=5)  # a day that has not come yet
            entries[f"{student}/{week}/meeting"] = (
                logged, [student, _us_date(meeting), "1.5", f"Weekly meeting {week} with the partner"])
            entries[f"{student}/{week}/work"] = (
                logged + timedelta(minutes=5), [student, _us_date(work_day), hours, WORK[roll % len(WORK)]])
            if student == duplicate and week == 2:  # sent again an hour later, unchanged
                entries[f"{student}/{week}/again"] = (logged + timedelta(hours=1),
                                                      entries[f"{student}/{week}/work"][1])


def _teacher_confirms(config: ProgramConfig, session: Session, now: datetime,
                      tabs: dict[str, list[Record]], roster: Roster) -> list[str]:
    today = now.astimezone(config.zone).date()
    if today > session.meeting_starts()[-1].date():
        return []  # after the last meeting the teacher is slower: the last week stays pending
    yesterday = (today - timedelta(days=1)).isoformat()
    letters = [k for k in (str(r.get(sheet.OUTBOX_KEY) or "") for r in tabs[sheet.OUTBOX])
               if f"/{PENDING_LETTER}-{yesterday}/" in k and k.endswith(f"/{session.id}")]
    if not letters:
        return []
    updates: list[Record] = []
    rejected = 0
    for row in tabs[sheet.HOURS]:
        flags = str(row.get(sheet.HOURS_FLAGS) or "")
        if (row.get(sheet.SESSION_ID) != session.id or row.get(sheet.CONFIRMATION)
                or "duplicate of" in flags or "future date" in flags):
            continue
        hours = parse_hours(str(row.get(sheet.HOURS_LOGGED) or ""))
        decision = "rejected" if hours is not None and hours > 12 else "confirmed"
        rejected += decision == "rejected"
        updates.append({sheet.ENTRY_KEY: str(row[sheet.ENTRY_KEY]), sheet.CONFIRMATION: decision})
    if not updates:
        return []
    roster.upsert(sheet.HOURS, sheet.ENTRY_KEY, updates)
    return [f"({session.teacher.name} opens the Hours tab: {len(updates) - rejected} entries confirmed"
            + (f", {rejected} rejected (a 14-hour day)" if rejected else "") + ")"]


def write_payroll(ctx: StepContext, path: Path) -> str:
    """Write the payroll export (0600) and say where it is and what it holds."""
    lines = payroll(ctx)
    atomic_write_bytes(path, payroll_csv(lines).encode("utf-8"))
    total = sum((line.amount for line in lines), Decimal(0))
    return (f"  payroll export: {len(lines)} students, {total:.2f} {ctx.config.hours.currency} for confirmed "
            f"hours only -> {path}")
