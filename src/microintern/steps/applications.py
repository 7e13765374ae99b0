"""Applications received: import new form responses and thank each new applicant once."""

from __future__ import annotations

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import in_domain
from microintern.domain.applicants import answers_by_key, student_language
from microintern.domain.dates import day_text
from microintern.domain.outbox import DELIVERED, UNCONFIRMED, MessageState, message_key
from microintern.domain.records import Record
from microintern.domain.timeline import StepName
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts, applicant_context
from microintern.steps.mailing import Addressed, deliver, held_row, outbox_by_key, valid_address
from microintern.steps.sheet.applicants import new_responses, question_columns
from microintern.steps.sheet.long_answers import Intake, keep_long_answers

LETTER = "application_received"


def import_responses(ctx: StepContext, applications: list[Record], result: StepResult) -> Intake:
    """Add responses not yet in the Applications tab, and merge resubmissions into their rows."""
    intake = new_responses(ctx, applications)
    keep_long_answers(ctx, intake, result)
    if intake.rows or intake.updates:
        ctx.ports.roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, intake.writes())
    result.add("imported", len(intake.rows))
    result.problems.extend(intake.skipped)
    if intake.updates:
        result.add("resubmissions merged into the student's row", len(intake.updates))
    return intake


def acknowledgements(ctx: StepContext, applications: list[Record]) -> list[Addressed]:
    """One "application received" letter per applicant, addressed to the student."""
    config = ctx.config
    questions = question_columns(config)
    shared = ProgramContexts(config)
    items: list[Addressed] = []
    for row in applications:
        applicant = str(row.get(sheet.APPLICANT_ID) or "")
        if not applicant:
            continue
        answers = answers_by_key(row, questions)
        language = student_language(row, config.program.default_language)  # the student's own
        context = {**shared(language), "applicant": applicant_context(row, questions)}
        items.append(
            Addressed(
                key=message_key(config.program.id, LETTER, applicant),
                step=StepName.APPLICATIONS.value,
                recipient_id=applicant,
                to=answers.get("student_email", "").strip(),
                letter=LETTER,
                language=language,
                context=context,
            )
        )
    return items


def acknowledgement_ceiling(config: ProgramConfig) -> int:
    """The most "application received" letters one day may send: a share of the daily cap.

    Anyone can submit the public form, so a flood of submissions must not spend the day's
    sending for the letters the program owes (decisions, reminders).
    """
    return max(1, int(config.mail.daily_cap * config.application.ack_daily_share))


def _acknowledged_today(ctx: StepContext, outbox: dict[str, Record]) -> int:
    today = day_text(ctx.now, ctx.config.zone)
    return sum(1 for key, row in outbox.items()
               if f"/{LETTER}/" in key and str(row.get("State") or "") in DELIVERED
               and str(row.get("Updated") or "").startswith(today))


def outside_domain_reason(domain: str) -> str:
    """The Outbox note of an acknowledgement held because its address is not a school one."""
    return (f"not sent: the address is outside {domain}, and the public form must not mail "
            "strangers; check it with the student, fix the student email in Applications, "
            "or send it yourself")


def ceiling_reason(ceiling: int) -> str:
    """The Outbox note of an acknowledgement put off by the daily ceiling."""
    return (f"waiting: {ceiling} acknowledgements a day at most (application.ack_daily_share of "
            "mail.daily_cap); it goes out on the next day's run")


def screen_out(ctx: StepContext, items: list[Addressed], outbox: dict[str, Record],
               result: StepResult) -> list[Addressed]:
    """The acknowledgements that may go out today; the others are held in the Outbox, with why.

    - Where ``program.student_email_domain`` is set, a letter to any other address is held
      (state ``held``, the reason in the Note) and never sent by the tool: otherwise anyone
      could make the district's mailbox write to any address.
    - At most :func:`acknowledgement_ceiling` go out per program day, oldest applicant first;
      the rest wait as ``held`` with the reason, and go out on a later day. Deferred is better
      than held for good: a flood delays real students' letters by a day instead of losing them,
      and nobody has to release them by hand.

    A letter already drafted is always passed on, so its send is confirmed and not repeated.
    """
    domain = ctx.config.program.student_email_domain
    holds: list[Record] = []
    passed: list[Addressed] = []
    waiting: list[Addressed] = []
    for item in items:
        row = outbox.get(item.key)
        state = str(row.get("State") or "") if row else ""
        if state in DELIVERED or state in UNCONFIRMED:
            passed.append(item)
        elif domain and valid_address(item.to) and not in_domain(item.to, domain):
            # (an address that is not one at all is held by deliver, as not valid)
            reason = outside_domain_reason(domain)
            if not row or state != MessageState.HELD or str(row.get("Note") or "") != reason:
                holds.append(held_row(ctx, item, reason))
                result.problems.append(f"{item.recipient_id}: acknowledgement held (address outside "
                                       "the student email domain)")
        else:
            waiting.append(item)
    ceiling = acknowledgement_ceiling(ctx.config)
    room = max(0, ceiling - _acknowledged_today(ctx, outbox))
    for item in waiting[room:]:
        row = outbox.get(item.key)
        reason = ceiling_reason(ceiling)
        if not row or str(row.get("Note") or "") != reason:
            holds.append(held_row(ctx, item, reason))
    if len(waiting) > room:
        result.add("acknowledgements waiting for tomorrow (daily ceiling)", len(waiting) - room)
    if holds:
        ctx.ports.roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, holds)
    return passed + waiting[:room]


def receive_applications(ctx: StepContext) -> StepResult:
    """Import new responses and send each applicant one acknowledgement, exactly once.

    A student who submits again keeps their one row and gets no second letter.
    """
    result = StepResult()
    tabs = ctx.ports.roster.read_tabs([sheet.APPLICATIONS, sheet.OUTBOX])
    intake = import_responses(ctx, tabs[sheet.APPLICATIONS], result)
    applications = intake.apply(tabs[sheet.APPLICATIONS])
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    items = screen_out(ctx, acknowledgements(ctx, applications), outbox, result)
    deliver(ctx, items, outbox, result)
    return result
