"""Reaching out: the partner invitation (T-8w) and the student recruitment flyer (T-6w).

Both letters carry their flyer, rendered from the templates, as PDF attachments: one in each of
the program's languages that has the flyer's template (``flyer/<kind>.<lang>.html.j2``), the
default language's first, so a counselor can hand every family the flyer in its own language.
The partner invitation goes once per partner, only while the Partners tab shows them as a
prospect; once it is out, the partner's row moves to ``contacted``. Rows the coordinator edited
are left alone.
"""

from __future__ import annotations

import hashlib

from microintern.config import Person
from microintern.documents.flyer import FlyerKind, flyer_context, flyer_languages, render_flyer
from microintern.domain import program_sheet as sheet
from microintern.domain.outbox import message_key
from microintern.domain.records import Attachment
from microintern.domain.timeline import Occurrence, StepName
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import (
    application_url,
    local_day,
    partner_context,
    partner_letter_language,
    partner_of,
    program_context,
)
from microintern.steps.mailing import Addressed, deliver, outbox_by_key
from microintern.steps.sheet.partners import partner_rows
from microintern.steps.sheet.settings import FORM_LINK_SETTING, read_settings

PROSPECT = "prospect"
CONTACTED = "contacted"


def form_link(ctx: StepContext) -> str:
    """The application link: the config's, the created form's (Settings tab), or the form id's."""
    if ctx.config.application.url:
        return ctx.config.application.url
    remembered = read_settings(ctx.ports.roster).get(FORM_LINK_SETTING)
    return remembered or application_url(ctx.config, ctx.application_form_id)


def flyer_attachments(ctx: StepContext, kind: FlyerKind, url: str) -> tuple[Attachment, ...]:
    """The program's ``kind`` flyer ("student" or "partner"), linking to ``url``, as PDFs.

    One per language the flyer exists in (:func:`flyer_languages`), the default language's
    first; each file is named for its language (``...-student-flyer-es.pdf``).
    """
    env = ctx.letters.environment
    attachments = []
    for language in flyer_languages(ctx.config, env, kind):
        flyer = render_flyer(kind, flyer_context(ctx.config, url, language=language), env,
                             created_at=ctx.now)
        attachments.append(Attachment(f"{flyer.filename_stem}.pdf", "application/pdf", flyer.pdf))
    return tuple(attachments)


def invite_partner(ctx: StepContext, occurrence: Occurrence) -> StepResult:
    """Send the session's partner the invitation with the partner flyer, once per partner."""
    config = ctx.config
    result = StepResult()
    roster = ctx.ports.roster
    tabs = roster.read_tabs([sheet.PARTNERS, sheet.OUTBOX])
    partners = {str(r[sheet.PARTNER_ID]): r for r in tabs[sheet.PARTNERS] if r.get(sheet.PARTNER_ID)}
    missing = partner_rows(config, partners)
    if missing:
        roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, missing)
        partners.update({str(r[sheet.PARTNER_ID]): r for r in missing})
    partner = partner_of(config, config.session(occurrence.scope_id))
    status = str(partners[partner.id].get(sheet.PARTNER_STATUS) or "").strip().casefold()
    if status not in ("", PROSPECT):
        # Contacted already, or the coordinator moved the partner on (or off) by hand.
        if status != CONTACTED:
            result.add(f"partner is {status[:30]}, not invited")
        return result
    key = message_key(config.program.id, StepName.PARTNER_OUTREACH.value, partner.id)
    url = form_link(ctx)
    # In the language the partner reads (English where it has no outreach letter); the flyer
    # comes in every language of the program all the same.
    language = partner_letter_language(ctx.letters, "partner_outreach", partner,
                                       config.program.default_language)
    item = Addressed(
        key=key, step=StepName.PARTNER_OUTREACH.value, recipient_id=partner.id,
        to=partner.contact.email, letter="partner_outreach", language=language,
        context={**program_context(config, url, language), "partner": partner_context(partner, language)},
        attachments=flyer_attachments(ctx, "partner", url),
    )
    if key in deliver(ctx, [item], outbox_by_key(tabs[sheet.OUTBOX]), result):
        roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [{
            sheet.PARTNER_ID: partner.id, sheet.PARTNER_STATUS: CONTACTED,
            "Contacted": local_day(ctx.now, config)}])
    return result


def _person_id(person: Person) -> str:
    # Recipients are staff, keyed by a digest of their address so keys never carry one.
    return "S-" + hashlib.sha256(person.email.casefold().encode()).hexdigest()[:10]


def recruit(ctx: StepContext) -> StepResult:
    """Send each recruitment recipient (counselors, teachers) the student flyer, once each."""
    config = ctx.config
    result = StepResult()
    if not config.recruitment.recipients:
        result.problems.append("recruitment.recipients is empty: nobody to send the flyer to")
        return result
    url = form_link(ctx)
    shared = program_context(config, url)
    flyers = flyer_attachments(ctx, "student", url)
    items = [
        Addressed(
            key=message_key(config.program.id, StepName.RECRUITMENT.value, _person_id(person)),
            step=StepName.RECRUITMENT.value, recipient_id=_person_id(person), to=person.email,
            letter="recruitment", language="en",
            context=shared, attachments=flyers,
        )
        for person in config.recruitment.recipients
    ]
    deliver(ctx, items, outbox_by_key(ctx.ports.roster.read_tabs([sheet.OUTBOX])[sheet.OUTBOX]), result)
    return result
