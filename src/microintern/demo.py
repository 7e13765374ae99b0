"""`make demo`: the whole program timeline on the local backend, in simulated time.

The demo writes its own config (the example program, pointed at the demo folder), feeds sample
applications into the local form CSV as their submission times pass, and runs exactly what cron
would run, once a simulated day, from eight weeks before the first session to a week after the
last one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from microintern.adapters.local._files import atomic_write_bytes
from microintern.adapters.preview import PreviewMailer
from microintern.bootstrap import (
    LOCAL_APPLICATION_FORM,
    build_ports,
    hold_program,
    letter_renderer,
    step_context,
)
from microintern.config import ProgramConfig, load_config
from microintern.demo_assignments import HandIns
from microintern.demo_attendance import MeetingAttendance
from microintern.demo_feedback import answer_feedback
from microintern.demo_hours import log_and_confirm_hours, write_payroll
from microintern.demo_people import People, write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.flyer import flyer_context, render_flyer
from microintern.ports import Roster
from microintern.report.files import save_report
from microintern.sample_data import SampleApplication, applications
from microintern.steps.context import Ports
from microintern.steps.equity import equity_report, write_equity_tab
from microintern.steps.lease import ProgramLease
from microintern.steps.letter_context import application_url
from microintern.steps.report import report_step
from microintern.steps.runner import RunReport, run_due
from microintern.steps.samples import send_samples

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = ROOT / "config" / "program.example.yaml"
MARKER = ".microintern-demo"


def _fresh_folder(out: Path) -> None:
    if out.exists():
        if not (out / MARKER).exists() and any(out.iterdir()):
            raise SystemExit(f"{out} exists and was not made by the demo; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, mode=0o700)
    (out / MARKER).write_text("made by `microintern demo`; safe to delete\n", encoding="utf-8")


def demo_config(out: Path) -> ProgramConfig:
    """The example program, with its local data in ``out`` and the repo's templates."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["backend"] = "local"
    data["local"] = {"folder": str(out / "local")}
    data["templates_folder"] = str(ROOT / "templates")
    path = out / "program.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_config(path)


def write_responses(folder: Path, config: ProgramConfig, arrived: list[SampleApplication]) -> None:
    """Write the responses so far as a linked-sheet CSV export (replaced atomically)."""
    titles = [q.title for q in config.application.questions]
    write_form_csv(folder, LOCAL_APPLICATION_FORM, ["Email Address", *titles], [
        (app.submitted_at.astimezone(config.zone), [app.email, *(app.answers.get(t, "") for t in titles)])
        for app in arrived])


def run_demo(out: Path, *, seed: int, applicants: int, echo: Callable[[str], None]) -> None:
    """Simulate the program day by day and print what happened and where to look."""
    out = out.resolve()
    _fresh_folder(out)
    config = demo_config(out)
    local = config.resolve(config.local.folder)
    sample = applications(config, count=applicants, seed=seed)
    zone = config.zone
    first = config.first_meeting().date() - timedelta(weeks=8)
    # A week past the last meeting of any session, so the thank-you letters go out.
    last = max(s.meeting_starts()[-1] for s in config.sessions).date() + timedelta(days=7)
    echo(f"microintern demo: {config.program.name}")
    echo(f"simulating {first} to {last} on the local backend ({applicants} sample applicants)")
    ports = build_ports(config)  # one set for the whole simulation, as one cron host has
    day = first
    reports: list[RunReport] = []
    decisions_day = config.first_meeting().date() - timedelta(weeks=4)
    people = People(config, local / "forms")
    hand_ins = HandIns(config, local)
    meetings = MeetingAttendance(config, local / "meet")
    while day <= last:
        now = datetime.combine(day, config.schedule.run_at, tzinfo=zone)
        write_responses(local / "forms", config, [a for a in sample if a.submitted_at <= now])
        for line in [*people.act(now, ports.roster),
                     *meetings.act(now, ports.roster),
                     *answer_feedback(config, local / "forms", now, ports.roster),
                     *log_and_confirm_hours(config, local / "forms", now, ports.roster),
                     *hand_ins.act(now, ports.roster)]:
            echo("  " + line)
        if day == decisions_day:
            decided = coordinator_decides(config, ports.roster)
            echo(f"  (the coordinator reviews the sheet and decides: {decided})")

        def work(held: Ports, lease: ProgramLease, now: datetime = now) -> RunReport:
            return run_due(step_context(config, now, ports=held), lease=lease)

        report = hold_program(config, work, ports=ports)
        reports.append(report)
        if report.ran or report.failed:
            echo("  " + report.summary())
        day += timedelta(days=1)
    end = datetime.combine(last, config.schedule.run_at, tzinfo=zone)
    closing = step_context(config, end, ports=ports)
    report, basis = equity_report(closing)
    write_equity_tab(closing, report, basis)
    flagged = [f"{f.label}: {', '.join(f.flagged)}" for f in report.fields if f.flagged]
    echo(f"  equity report ({basis}): {report.accepted} accepted of {report.applicants}; "
         + (f"below four fifths: {'; '.join(flagged)}" if flagged else "no group below four fifths")
         + " (Equity tab)")
    rendered, dashboard = report_step(closing)
    files = save_report(rendered, out / "report" / "report.html")
    echo(f"  program report: {files.html} ({dashboard.summary()}; Dashboard tab)")
    echo(write_payroll(closing, out / "payroll.csv"))
    previews = write_previews(config, out, now=end)
    _summarise(config, local, ports.roster, reports, echo, previews)


def coordinator_decides(config: ProgramConfig, roster: Roster) -> str:
    """Play the coordinator: take screening's proposal where there is one, else first come.

    Only rows with an empty Decision are filled, as a person would: a superseded duplicate gets
    no decision (its newer application does), and one screening sent for review is waitlisted.
    Returns a summary.
    """
    rows = roster.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    capacity = sum(s.group_size.max for s in config.sessions)
    undecided = sorted((r for r in rows if not r.get(sheet.DECISION) and r.get(sheet.APPLICANT_ID)),
                       key=lambda r: str(r.get(sheet.SUBMITTED) or ""))
    updates: list[dict[str, str]] = []
    for n, row in enumerate(undecided):
        proposed = str(row.get(sheet.PROPOSED_DECISION) or "")
        if proposed == "Duplicate":
            continue
        if proposed == "Review":
            proposed = "Waitlist"
        elif proposed not in ("Accept", "Waitlist", "Deny"):
            proposed = "Accept" if n < capacity else "Waitlist" if n < capacity + 5 else "Deny"
        updates.append({sheet.APPLICANT_ID: str(row[sheet.APPLICANT_ID]), sheet.DECISION: proposed})
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, list(updates))
    counts = {d: sum(1 for u in updates if u[sheet.DECISION] == d) for d in ("Accept", "Waitlist", "Deny")}
    return ", ".join(f"{n} {d}" for d, n in counts.items())


def write_previews(config: ProgramConfig, out: Path, *, now: datetime) -> Path:
    """Every letter of the timeline (one sample each, every language) and both flyers."""
    previews = out / "letters"
    mailer = PreviewMailer(previews, domain=config.sender.address.rsplit("@", 1)[-1])
    letters = letter_renderer(config)
    send_samples(config, mailer, letters, config.coordinator.email, now=now)
    flyers = out / "flyers"
    flyers.mkdir(mode=0o700, exist_ok=True)
    env = letters.environment
    context = flyer_context(config, application_url(config, None))
    for kind in ("student", "partner"):
        flyer = render_flyer(kind, context, env, created_at=now)
        atomic_write_bytes(flyers / f"{flyer.filename_stem}.html", flyer.html.encode())
        atomic_write_bytes(flyers / f"{flyer.filename_stem}.pdf", flyer.pdf)
    return previews


def _summarise(config: ProgramConfig, local: Path, roster: Roster, reports: list[RunReport],
               echo: Callable[[str], None], previews: Path) -> None:
    tabs = roster.read_tabs([sheet.APPLICATIONS, sheet.OUTBOX, sheet.SESSIONS, sheet.PARTICIPANTS])
    sent = [r for r in tabs[sheet.OUTBOX] if str(r.get("State", "")).startswith("sent")]
    held = [r for r in tabs[sheet.OUTBOX] if r.get("State") == "held"]
    failed = sum(len(r.failed) for r in reports)
    echo("")
    echo(f"done: {len(tabs[sheet.APPLICATIONS])} applications imported, {len(sent)} letters sent, "
         f"{len(held)} held for a bad address, {failed} failed steps")
    for row in tabs[sheet.SESSIONS]:
        check = f", {row[sheet.SESSION_GROUP_CHECK]}" if row.get(sheet.SESSION_GROUP_CHECK) else ""
        echo(f"  session {row.get(sheet.SESSION_ID)}: {row.get(sheet.SESSION_PLACED) or 0} placed{check}; "
             f"Meet {row.get(sheet.SESSION_MEET_LINK) or '(none)'}; "
             f"recording {row.get(sheet.SESSION_RECORDING)}")
    owing = [r for r in tabs[sheet.PARTICIPANTS] if r.get(sheet.MISSING)
             and r.get(sheet.PLACEMENT) in sheet.SEATED]
    echo(f"  {len(owing)} placed students still owe a registration or release form "
         "(Participants tab, Missing)")
    echo("where to look:")
    echo(f"  {local / 'program.xlsx'}   the program workbook: Applications (scores, flags, proposals, "
         "decisions), Partners (pipeline, industry answers), Sessions (Meet, recording, calendar), "
         "Participants (cohorts, returns, attendance, badges, hours), Feedback, Assignments, Hours, "
         "Dashboard (figures and charts), Outbox, Timeline, Equity, Long answers (answers too long for "
         "a cell), Run lease (which run holds the program)")
    echo(f"  {local / 'outbox' / 'sent'}   every letter as an .eml file")
    echo(f"  {local / 'calendar'}   every session meeting and partner meeting as an .ics event")
    echo(f"  {local / 'badges'}   Open Badges 2.0: issuer, badge class, one assertion and baked PNG per "
         "student who earned the badge (docs/badges.md)")
    echo(f"  {previews / 'index.html'}   one sample of every letter of the timeline, in each language")
    echo(f"  {previews.parent / 'flyers'}   the student and partner flyers (HTML and PDF)")
    echo(f"  {previews.parent / 'report' / 'report.html'}   the program report with charts (and .pdf): "
         "funnel, attendance, feedback, equity, partners, assignments, hours")
    echo(f"  {local / 'forms'}   the forms (.form.json) and their responses (.csv): application, "
         "industry, registration, release, feedback, hand-in, hours log")
    echo(f"  {local / 'meet'}   the Meet spaces and the conference records attendance was read from")
    echo(f"  {local / 'drive'}   the submission folders: one per session, one per student inside it")
    echo(f"  {local.parent / 'payroll.csv'}   the payroll export: confirmed hours only")
    echo(f"  {local.parent / 'program.yaml'}   the config the demo ran with")
    if failed:
        raise SystemExit(1)
