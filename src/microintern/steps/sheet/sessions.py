"""The Sessions tab: each configured session's plan, and which sessions are over.

The tab is seeded from the config the first time; after that the sheet wins (a coordinator may
move a meeting or cancel a session there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from microintern.config import Session
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Record
from microintern.domain.sessions import SessionPlan, session_plan, session_rows, text
from microintern.steps.context import StepContext, StepResult


def rows_by_id(rows: Sequence[Record], key: str) -> dict[str, Record]:
    """Rows by their id column; the first wins when the coordinator duplicated a row."""
    found: dict[str, Record] = {}
    for row in rows:
        value = text(row.get(key))
        if value:
            found.setdefault(value, row)
    return found


def read_session_plans(ctx: StepContext, tabs: Mapping[str, Sequence[Record]]) -> dict[str, SessionPlan]:
    """Every configured session's plan, by session id, from ``tabs[Sessions]``.

    ``tabs`` is what :meth:`~microintern.ports.Roster.read_tabs` returned and must include the
    Sessions tab. Rows (or seed cells) missing from the tab are filled in from the config with
    one upsert. Raises :class:`~microintern.errors.RowError` naming the session and the field
    when a Meetings or Status cell cannot be read.
    """
    rows = rows_by_id(tabs[sheet.SESSIONS], sheet.SESSION_ID)
    seed = session_rows(ctx.config, rows)
    if seed:
        ctx.ports.roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, seed)
        for row in seed:
            key = str(row[sheet.SESSION_ID])
            rows[key] = {**rows.get(key, {}), **row}
    return {s.id: session_plan(ctx.config, s, rows[s.id]) for s in ctx.config.sessions}


def finished_sessions(ctx: StepContext, plans: Mapping[str, SessionPlan], session_ids: Sequence[str] | None,
                      result: StepResult) -> list[Session]:
    """The sessions in scope that took place: not cancelled, last meeting over at ``ctx.now``."""
    config = ctx.config
    wanted = [s.id for s in config.sessions] if session_ids is None else list(session_ids)
    found: list[Session] = []
    for session_id in wanted:
        plan = plans.get(session_id)
        if plan is None:
            result.problems.append(f"{session_id[:40]!r} is not a session in the config")
            continue
        if plan.cancelled:
            result.add("skipped (session cancelled)")
            continue
        if ctx.now < plan.meetings()[-1][1]:
            result.add("waiting for the session to end")
            continue
        found.append(config.session(session_id))
    return found
