"""`make demo`: the whole program timeline on the local backend, in simulated time.

The demo writes its own config (the example program, pointed at the demo folder), feeds sample
applications into the local form CSV as their submission times pass, and runs exactly what cron
would run, once a simulated day, from eight weeks before the first session to a week after the
last one.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from dataclasses import replace
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
from microintern.demo.assignments import HandIns
from microintern.demo.attendance import MeetingAttendance
from microintern.demo.feedback import answer_feedback
from microintern.demo.hours import log_and_confirm_hours, write_payroll
from microintern.demo.intake import HardCases, arriving, check_intake, hard_cases
from microintern.demo.log import CoordinatorLog, step_name
from microintern.demo.people import People, write_form_csv
from microintern.demo.sample_data import SampleApplication, applications
from microintern.demo.tidying import check_on_key, cut_off_then_tidy, sent_once, snapshot, sort_tabs
from microintern.documents.flyer import FLYER_KINDS, flyer_context, flyer_languages, render_flyer
from microintern.documents.report.files import save_report
from microintern.domain import program_sheet as sheet
from microintern.ports import Roster, SharedFolders
from microintern.steps.context import Ports
from microintern.steps.equity import equity_report, write_equity_tab
from microintern.steps.lease import ProgramLease
from microintern.steps.letter_context import application_url
from microintern.steps.mailing import REDRAFTED
from microintern.steps.report import report_step
from microintern.steps.runner import RunReport, run_due
from microintern.steps.samples import send_samples
from microintern.steps.setup import format_sheet, initialise

ROOT = Path(__file__).resolve().parents[3]
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
    """Simulate the program day by day and print a coordinator's log and where to look."""
    out = out.resolve()
    _fresh_folder(out)
    config = demo_config(out)
    local = config.resolve(config.local.folder)
    cases = hard_cases(config, applications(config, count=applicants, seed=seed))
    sample = cases.applications
    zone = config.zone
    anchor = config.first_meeting().date()
    first = anchor - timedelta(weeks=8)
    # A week past the last meeting of any session, so the thank-you letters go out.
    last = max(s.meeting_starts()[-1] for s in config.sessions).date() + timedelta(days=7)
    echo(f"microintern demo: {config.program.name}")
    echo(f"simulating {first} to {last} on the local backend ({applicants} sample applicants);")
    echo("each day that something happens: [% of the timeline] date (T = the first meeting), then")
    echo("what people did (in brackets) and what each step did, named as its command")
    ports = build_ports(config)  # one set for the whole simulation, as one cron host has
    hold_program(config, lambda held, _lease: _prepare_workbook(config, held.roster), ports=ports)
    echo("the workbook is set up as `microintern init` sets it up: dropdowns, highlights, frozen headers")
    log = CoordinatorLog(echo, first=first, last=last, anchor=anchor)
    # One renderer for the whole simulation, as one run-due has: each template is compiled once
    # (Jinja still reloads a template whose file changed), not once per simulated day.
    letters = letter_renderer(config)
    day = first
    reports: list[RunReport] = []
    decisions_day = anchor - timedelta(weeks=4)
    sort_day = anchor - timedelta(weeks=2)
    people = People(config, local / "forms")
    hand_ins = HandIns(config, local)
    meetings = MeetingAttendance(config, local / "meet")
    before_sort: dict[str, dict[str, tuple[object, ...]]] | None = None
    deleted: str | None = None
    yesterday = datetime.combine(first - timedelta(days=1), config.schedule.run_at, tzinfo=zone)
    while day <= last:
        now = datetime.combine(day, config.schedule.run_at, tzinfo=zone)
        write_responses(local / "forms", config, [a for a in sample if a.submitted_at <= now])
        lines = [*arriving(cases, config, yesterday, now),
                 *people.act(now, ports.roster),
                 *meetings.act(now, ports.roster),
                 *answer_feedback(config, local / "forms", now, ports.roster),
                 *log_and_confirm_hours(config, local / "forms", now, ports.roster),
                 *hand_ins.act(now, ports.roster)]
        if day == decisions_day:
            decided = coordinator_decides(config, ports.roster)
            lines.append(f"(the coordinator reviews the sheet and decides: {decided})")
        if day == sort_day:
            before_sort = snapshot(ports.roster)
            lines.append(f"(the coordinator sorts {' and '.join(sort_tabs(local / 'program.xlsx'))} "
                         "in the workbook)")

        def work(held: Ports, lease: ProgramLease, now: datetime = now) -> RunReport:
            return run_due(replace(step_context(config, now, ports=held), letters=letters),
                           lease=lease)

        if day == decisions_day:
            said, deleted = cut_off_then_tidy(
                lambda held: hold_program(config, work, ports=held), ports, local / "outbox" / "drafts")
            lines += said
        report = hold_program(config, work, ports=ports)
        reports.append(report)
        lines += log.step_lines(report.ran)
        lines += [f"FAILED {step_name(o)}: {why}" for o, why in report.failed]
        lines += [f"missed {step_name(o)}: window closed {days} days ago; not sent late"
                  for o, days in report.missed]
        log.day(day, lines)
        yesterday = now
        day += timedelta(days=1)
    end = datetime.combine(last, config.schedule.run_at, tzinfo=zone)
    echo("")
    echo("after the program:")
    closing = step_context(config, end, ports=ports)
    report, basis = equity_report(closing)
    write_equity_tab(closing, report, basis)
    flagged = [f"{f.label}: {', '.join(f.flagged)}" for f in report.fields if f.flagged]
    echo(f"  equity report ({basis}): {report.accepted} accepted of {report.applicants}")
    echo("    " + (f"below four fifths in {len(flagged)} question(s) (Equity tab):" if flagged
                   else "no group below four fifths (Equity tab)"))
    for line in flagged:
        echo(_cut(f"      {line}"))
    rendered, dashboard = report_step(closing)
    files = save_report(rendered, out / "report" / "report.html")
    echo(f"  program report: {files.html}")
    echo(f"    ({dashboard.summary()}; Dashboard tab)")
    echo(_cut("  " + write_payroll(closing, out / "payroll.csv").strip()))
    previews = write_previews(config, out, now=end, roster=ports.roster, folders=ports.folders)
    _summarise(config, local, ports.roster, reports, echo, previews)
    _what_was_hard(config, local, ports.roster, cases, before_sort, deleted, echo)
    _where_to_look(local, previews, echo)
    if any(r.failed for r in reports):
        raise SystemExit(1)


def _prepare_workbook(config: ProgramConfig, roster: Roster) -> None:
    """Tabs and headers, then the formatting `microintern init` adds (run-due never formats)."""
    initialise(config, roster)
    format_sheet(config, roster)


def _cut(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


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


def write_previews(config: ProgramConfig, out: Path, *, now: datetime,
                   roster: Roster | None = None, folders: SharedFolders | None = None) -> Path:
    """Every letter of the timeline (each language) as the program sends it, and the flyers in each.

    The letters are rendered from the program's own rows in ``roster`` (see ``send-test``).
    """
    previews = out / "letters"
    mailer = PreviewMailer(previews, domain=config.sender.address.rsplit("@", 1)[-1])
    letters = letter_renderer(config)
    send_samples(config, mailer, letters, config.coordinator.email, now=now, roster=roster,
                 folders=folders)
    flyers = out / "flyers"
    flyers.mkdir(mode=0o700, exist_ok=True)
    env = letters.environment
    url = application_url(config, None)
    for kind in FLYER_KINDS:
        for language in flyer_languages(config, env, kind):
            flyer = render_flyer(kind, flyer_context(config, url, language=language), env, created_at=now)
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
         f"{len(held)} held with a reason (Outbox), {failed} failed steps")
    for row in tabs[sheet.SESSIONS]:
        check = f", {row[sheet.SESSION_GROUP_CHECK]}" if row.get(sheet.SESSION_GROUP_CHECK) else ""
        echo(f"  session {row.get(sheet.SESSION_ID)}: {row.get(sheet.SESSION_PLACED) or 0} placed{check}; "
             f"Meet {row.get(sheet.SESSION_MEET_LINK) or '(none)'}")
        echo(_cut(f"    recording {row.get(sheet.SESSION_RECORDING)}"))
    owing = [r for r in tabs[sheet.PARTICIPANTS] if r.get(sheet.MISSING)
             and r.get(sheet.PLACEMENT) in sheet.SEATED]
    echo(f"  {len(owing)} placed students still owe a registration or release form "
         "(Participants tab, Missing)")


def _what_was_hard(config: ProgramConfig, local: Path, roster: Roster, cases: HardCases,
                   before_sort: dict[str, dict[str, tuple[object, ...]]] | None, deleted: str | None,
                   echo: Callable[[str], None]) -> None:
    """What happened to the hard cases: resubmission, look-alike, no relay, long essay, tidying."""
    tabs = roster.read_tabs([sheet.APPLICATIONS, sheet.OUTBOX, sheet.LONG_ANSWERS])
    echo("hard cases:")
    for line in check_intake(config, cases, tabs):
        for part in textwrap.wrap(line, width=98, initial_indent="  ", subsequent_indent="      "):
            echo(part)
    sent_folder = local / "outbox" / "sent"
    if before_sort is not None:
        checked, wrong = check_on_key(roster, before_sort, sent_folder)
        rows = ", ".join(f"{n} {tab}" for tab, n in checked.items())
        echo(f"  tabs sorted mid-program: {len(wrong) or 'nothing'} misplaced ({rows} rows checked "
             "by key)")
        for line in wrong[:5]:
            echo(_cut(f"    ! {line}"))
    if deleted is not None:
        letter = deleted.split("/")[1] if deleted.count("/") >= 2 else deleted
        echo(f"  deleted draft: the {letter} letter drafted again and sent "
             f"{sent_once(sent_folder, deleted)} time(s)")
        echo(f"    (Outbox: {REDRAFTED})")


def _where_to_look(local: Path, previews: Path, echo: Callable[[str], None]) -> None:
    out = local.parent
    places = [
        (local / "program.xlsx", "the program workbook: Applications (scores, flags, proposals, "
         "decisions), Partners, Sessions, Participants, Feedback, Assignments, Hours, Dashboard, "
         "Outbox, Timeline, Equity, Long answers (answers too long for a cell), Problems"),
        (local / "program.run-lease.json", "the run lease: which run holds the program, since when"),
        (local / "outbox" / "sent", "every letter as an .eml file"),
        (local / "calendar", "every session meeting and partner meeting as an .ics event"),
        (local / "badges", "Open Badges 2.0: issuer, badge class, one assertion and baked PNG per "
         "student who earned the badge (docs/badges.md)"),
        (previews / "index.html", "every letter of the timeline in each language, as the program sends "
                                  "it, from the program's own rows"),
        (out / "flyers", "the student and partner flyers in each language (HTML and PDF)"),
        (out / "report" / "report.html", "the program report with charts (and .pdf): funnel, "
         "attendance, feedback, equity, partners, assignments, hours; in Spanish with "
         f"`microintern --config {out / 'program.yaml'} report --language es`"),
        (local / "forms", "the forms (.form.json) and their responses (.csv): application, "
         "industry, registration, release, feedback, hand-in, hours log"),
        (local / "meet", "the Meet spaces and the conference records attendance was read from"),
        (local / "drive", "the submission folders: one per session, one per student inside it"),
        (out / "payroll.csv", "the payroll export: confirmed hours only"),
        (out / "program.yaml", "the config the demo ran with"),
    ]
    echo("where to look:")
    for path, what in places:
        echo(f"  {path}")
        for line in textwrap.wrap(what, width=92):
            echo(f"      {line}")
