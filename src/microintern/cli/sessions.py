"""Commands of the sessions' life: Meet and Calendar, partners, registration and release forms,
attendance, feedback, thanks to partners, badges and assignments."""

from __future__ import annotations

import click

from microintern.cli.base import (
    Obj,
    chosen_sessions,
    echo_result,
    handles_errors,
    locked_step,
    now_option,
    session_option,
)
from microintern.cli.group import cli


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def sessions(obj: Obj, now: str | None) -> None:
    """Create or update each session's Meet space and Calendar events from the Sessions tab."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.sessions import build_sessions

    ctx, result = locked_step(obj, now, build_sessions)
    echo_result(result)
    for row in ctx.ports.roster.read_tabs([sheet.SESSIONS])[sheet.SESSIONS]:
        click.echo(f"  {row.get(sheet.SESSION_ID)}: {row.get(sheet.SESSION_MEET_LINK) or 'no Meet yet'}; "
                   f"recording {row.get(sheet.SESSION_RECORDING) or '-'}")


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def partners(obj: Obj, now: str | None) -> None:
    """Follow up partners, book planning meetings the coordinator set, read industry forms back."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.partners import partner_pipeline

    ctx, result = locked_step(obj, now, partner_pipeline)
    echo_result(result)
    for row in ctx.ports.roster.read_tabs([sheet.PARTNERS])[sheet.PARTNERS]:
        click.echo(f"  {row.get(sheet.PARTNER_ID)}: {row.get(sheet.PARTNER_STATUS) or '-'}")


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def returns(obj: Obj, now: str | None) -> None:
    """Send due registration and release-form letters and reminders; list who still owes what."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.participation import collect_release_forms, register_students

    ctx, registered = locked_step(obj, now, register_students)
    echo_result(registered)
    ctx, released = locked_step(obj, now, collect_release_forms)
    echo_result(released)
    owing = [r for r in ctx.ports.roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
             if r.get(sheet.MISSING) and r.get(sheet.PLACEMENT) in sheet.SEATED]
    click.echo(f"{len(owing)} placed student(s) still owe something:")
    for row in owing:  # applicant ids only: this output may land in cron's mail
        click.echo(f"  {row.get(sheet.APPLICANT_ID)} ({row.get(sheet.SESSION_ID)}): {row.get(sheet.MISSING)}")


@cli.command()
@now_option
@session_option
@click.pass_obj
@handles_errors
def feedback(obj: Obj, now: str | None, session: str | None) -> None:
    """Send the feedback form to attendees (one reminder), read answers into the Feedback tab."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.feedback import request_feedback

    sessions = chosen_sessions(obj, session)
    ctx, result = locked_step(obj, now, lambda ctx: request_feedback(ctx, sessions))
    echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.FEEDBACK])[sheet.FEEDBACK]
    for row in rows:  # the averages only: answers stay in the sheet, not in cron's mail
        key = str(row.get(sheet.FEEDBACK_KEY) or "")
        if key.startswith("average:") and (sessions is None or row.get(sheet.SESSION_ID) in sessions):
            figures = ", ".join(f"{r} {row.get(r)}" for r in obj.config.feedback.ratings
                                if row.get(r) not in (None, ""))
            click.echo(f"  {row.get(sheet.SESSION_ID)}: {row.get(sheet.FEEDBACK_RESPONSES)} answer(s); "
                       f"{figures or 'no ratings'}")


@cli.command()
@now_option
@session_option
@click.pass_obj
@handles_errors
def attendance(obj: Obj, now: str | None, session: str | None) -> None:
    """Read Meet's conference records into Minutes, Meetings attended and Attended (Participants tab)."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.attendance import take_attendance

    sessions = chosen_sessions(obj, session)
    ctx, result = locked_step(obj, now, lambda ctx: take_attendance(ctx, sessions))
    echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    for config_session in obj.config.sessions:
        if sessions is not None and config_session.id not in sessions:
            continue
        mine = [r for r in rows if r.get(sheet.SESSION_ID) == config_session.id
                and str(r.get(sheet.PLACEMENT) or "") in sheet.SEATED]
        if not mine:
            continue
        said = [str(r.get(sheet.ATTENDED) or "") for r in mine]
        click.echo(f"  {config_session.id}: {said.count('yes')} attended, {said.count('no')} did not, "
                   f"{len(mine) - said.count('yes') - said.count('no')} unknown")
        for row in mine:  # applicant ids only: this output may land in cron's mail
            click.echo(f"    {row.get(sheet.APPLICANT_ID)}: {row.get(sheet.MINUTES) or 0} min, "
                       f"{row.get(sheet.MEETINGS_ATTENDED) or '-'}, {row.get(sheet.ATTENDED) or '?'} "
                       f"({str(row.get(sheet.ATTENDANCE_NOTE) or '').split(';')[0]})")
    click.echo("each student's figures and their source: Participants tab")


@cli.command("thank-partners")
@now_option
@session_option
@click.pass_obj
@handles_errors
def thank_partners_command(obj: Obj, now: str | None, session: str | None) -> None:
    """Thank each session's partner once (attendance, ratings, shared testimonials); mark them thanked."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.appreciation import thank_partners

    sessions = chosen_sessions(obj, session)
    ctx, result = locked_step(obj, now, lambda ctx: thank_partners(ctx, sessions))
    echo_result(result)
    for row in ctx.ports.roster.read_tabs([sheet.PARTNERS])[sheet.PARTNERS]:
        click.echo(f"  {row.get(sheet.PARTNER_ID)}: {row.get(sheet.PARTNER_STATUS) or '-'}")


@cli.command()
@now_option
@session_option
@click.pass_obj
@handles_errors
def badges(obj: Obj, now: str | None, session: str | None) -> None:
    """Award the badge to students who met the bar (never twice); write the Badge column."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.badges import award_badges

    sessions = chosen_sessions(obj, session)
    ctx, result = locked_step(obj, now, lambda ctx: award_badges(ctx, sessions))
    echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    held = [r for r in rows
            if r.get(sheet.BADGE) and (sessions is None or r.get(sheet.SESSION_ID) in sessions)]
    click.echo(f"{len(held)} student(s) hold the badge (Badge column of the Participants tab)")
    config = obj.config
    if config.badge.provider == "local":
        folder = config.resolve(config.local.folder) / "badges"
        click.echo(f"  Open Badges files: {folder} (publish it at {config.badge.hosted_url})")


@cli.command()
@now_option
@session_option
@click.pass_obj
@handles_errors
def assignments(obj: Obj, now: str | None, session: str | None) -> None:
    """Assignment folders, hand-ins, partner feedback to students, reminders (Assignments tab)."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.assignments import run_assignments

    sessions = chosen_sessions(obj, session)
    ctx, result = locked_step(obj, now, lambda ctx: run_assignments(ctx, sessions))
    echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.ASSIGNMENTS])[sheet.ASSIGNMENTS]
    for config_session in obj.config.sessions:
        mine = [r for r in rows if r.get(sheet.SESSION_ID) == config_session.id]
        if not mine or (sessions is not None and config_session.id not in sessions):
            continue
        for assignment in obj.config.assignments_of(config_session):
            prefix = f"{config_session.id}:{assignment.id}:"
            of = [r for r in mine if str(r.get(sheet.SUBMISSION_KEY) or "").startswith(prefix)]
            late = sum(1 for r in of if r.get(sheet.LATE) == "yes")
            missing = sum(1 for r in of if r.get(sheet.LATE) == "missing")
            handed = [r for r in of if r.get(sheet.HANDED_IN)]
            waiting = sum(1 for r in handed if not r.get(sheet.PARTNER_FEEDBACK))
            click.echo(f"  {config_session.id} {assignment.id}: {len(handed)} of {len(of)} handed in "
                       f"({late} late), {missing} missing, {waiting} waiting for feedback")
    click.echo("each student's row: Assignments tab")
