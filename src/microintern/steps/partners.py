"""The partner pipeline after the invitation: a follow-up, the planning meeting, the industry form.

One run reads the Partners, Outbox and Settings tabs once, then:

1. follows up, once, with a partner still "contacted" after ``followup_after_days`` of silence;
2. for each partner whose Meeting time the coordinator filled in: a Meet room, made through
   the meeting's Calendar event (so a lost answer finds the same room again, never a second)
   and recorded in Meeting link as soon as it exists; a Calendar event whose id derives from
   the program and the partner (a rerun finds it, a new time patches it and Calendar tells
   the guests); and the partner_meeting letter once, with the industry form link prefilled
   with the partner's id;
3. reads the industry form's answers back into the partner's row.

Statuses only move forward (:func:`~microintern.domain.partners.advance`). Every other Partners
cell the run decides is written in one upsert at the end. The event as last written is
remembered per partner in the Settings tab ("Partner meeting <partner id>": its local start and
a digest), so a rerun makes no Calendar call and a change makes exactly one. The run expects the
tabs ``microintern init`` makes, as every scheduled step does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from microintern.config import Partner, ProgramConfig, localize, today_in
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import FormSpec, FormState, prefill_entry
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.partners import (
    CONTACTED,
    DECLINED,
    INDUSTRY_FORM_RECEIVED,
    MEETING_SCHEDULED,
    MEETING_STATUSES,
    PIPELINE,
    PROSPECT,
    advance,
    event_fingerprint,
    fit_industry_cells,
    followup_due,
    form_digest,
    industry_cells,
    industry_form_spec,
    meeting_event_id,
    parse_day,
    parse_meeting_time,
    partner_dates,
    plain,
    status_of,
)
from microintern.domain.records import CalendarEvent, EventStatus, MeetSettings, Record
from microintern.domain.timeline import Occurrence, StepName
from microintern.errors import BackendError, RowError
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import (
    clock_in,
    day_in,
    local_day,
    partner_context,
    program_context,
)
from microintern.steps.letter_context import partner_letter_language as letter_language_of_partner
from microintern.steps.mailing import Addressed, deliver, outbox_by_key
from microintern.steps.program_forms import (
    Answers,
    ensure_form,
    id_setting,
    languages_with_text,
    latest_by,
    link_setting,
    prefilled_link,
    read_answers_in,
)
from microintern.steps.sheet.long_answers import Intake, cell_limit, keep_long_answers
from microintern.steps.sheet.partners import partner_rows
from microintern.steps.sheet.settings import write_settings

CANCELLED = "cancelled"  # prefixes a partner meeting's setting once its event is cancelled

FOLLOWUP = "partner_followup"              # the letter, and its step in the Outbox
MEETING = StepName.PARTNER_MEETING.value   # the step, and its letter
# The planning meeting is between the coordinator and one partner: no students, nothing to
# restrict, moderate, record or count.
MEETING_ROOM = MeetSettings(restricted=False, moderation=False, auto_recording=False,
                            attendance_report=False)


def form_digest_setting(spec: FormSpec) -> str:
    """The Settings tab label of the digest of the form as last brought in line with the config."""
    return f"Form {spec.name} digest"


def meeting_setting(partner_id: str) -> str:
    """The Settings tab label under which the partner's meeting event, as last written, is kept."""
    return f"Partner meeting {partner_id}"


def industry_form_link(config: ProgramConfig, spec: FormSpec, responder_uri: str,
                       partner: Partner) -> str:
    """The partner's industry form link: their id and organization filled in, their dates ticked."""
    link = prefilled_link(responder_uri, spec,
                          {"partner_id": partner.id, "organization": partner.organization})
    dates = next(q for q in spec.questions if q.key == "available_dates")
    entry = prefill_entry(dates.question_id)
    # The options as this language's form shows them (its answers_as are the default's).
    shown = dict(zip(dates.answers_as, dates.options, strict=True)) if dates.answers_as else {}
    ticked = [shown.get(option, option) for option in partner_dates(config, partner.id)]
    # A checkbox is ticked by repeating its entry once per option, which prefilled_link's one
    # value per question cannot say.
    return link + ("&" + urlencode([(entry, option) for option in ticked]) if ticked else "")


def industry_form_languages(config: ProgramConfig) -> list[str]:
    """The languages the industry form is made in: the default, then any other a partner reads.

    The default language's form is always made: it keeps the bare name earlier runs made and
    read answers on, and it is the one a coordinator hands to a partner not yet in the config.
    Every partner is counted, not only a run's: a form is never made or dropped by scope.
    """
    default = config.program.default_language
    read = {partner.reads(default) for partner in config.partners}
    return [language for language in languages_with_text(config, config.form_texts.languages("industry"))
            if language == default or language in read]


def partner_letter_language(ctx: StepContext, letter: str, partner: Partner) -> str:
    """The language ``letter`` is written to ``partner`` in: theirs when a template exists in it.

    Otherwise English, as every partner letter ships (see :func:`letter_context.partner_letter_language`).
    """
    return letter_language_of_partner(ctx.letters, letter, partner, ctx.config.program.default_language)


def meeting_context(config: ProgramConfig, start: datetime, link: str, language: str) -> dict[str, str]:
    """The ``meeting`` of the partner_meeting letter: its local day, start, end and Meet link."""
    end = start + timedelta(minutes=config.partner_pipeline.meeting_minutes)
    return {"date": day_in(start.date(), language), "start": clock_in(start, language),
            "end": clock_in(end, language), "meet_url": link}


def meeting_on_sheet(config: ProgramConfig, row: Mapping[str, Any],
                     partner: Partner) -> tuple[datetime, str] | None:
    """The partner's planning meeting as its Partners row holds it: (local start, Meet link), or None.

    None while the coordinator has not filled in a readable Meeting time.
    """
    try:
        when = parse_meeting_time(row.get(sheet.PARTNER_MEETING_TIME), partner.id)
    except RowError:
        return None
    if when is None:
        return None
    return localize(config, when), plain(row.get(sheet.PARTNER_MEETING_LINK)).strip()


def industry_form_on_sheet(config: ProgramConfig, settings: Mapping[str, str], partner: Partner) -> str:
    """The partner's industry form link from the Settings tab, as their letter links it ("" if not made).

    The form in the language the partner reads, else the default language's (as the step).
    """
    default = config.program.default_language
    for language in (partner.reads(default), default):
        if language not in industry_form_languages(config):
            continue
        spec = industry_form_spec(config, language)
        uri = settings.get(link_setting(spec), "")
        if uri:
            return industry_form_link(config, spec, uri, partner)
    return ""


def partner_meeting(ctx: StepContext, occurrence: Occurrence) -> StepResult:
    """The timeline's partner meeting step for one session: that session's partner only."""
    session = ctx.config.session(occurrence.scope_id)
    return _Run(ctx, {session.partner}).run()


def partner_pipeline(ctx: StepContext) -> StepResult:
    """Follow-ups, meeting invitations and industry answers for every partner (``microintern partners``)."""
    return _Run(ctx, None).run()


@dataclass
class _Meeting:
    """A planning meeting to hold: the coordinator filled in its time."""

    partner: Partner
    start: datetime  # aware, in the program's zone
    link: str        # the Meeting link cell; blank until a room exists


def _settings(rows: Sequence[Record]) -> dict[str, str]:
    # As read_settings reads them (the first row of a name wins), from the run's one read.
    found: dict[str, str] = {}
    for row in rows:
        name = plain(row.get(sheet.SETTING)).strip()
        if name:
            found.setdefault(name, plain(row.get(sheet.SETTING_VALUE)).strip())
    return found


class _Run:
    """One pass over the partners in scope (``only``: partner ids, or None for all)."""

    def __init__(self, ctx: StepContext, only: Collection[str] | None) -> None:
        self.ctx, self.config, self.only = ctx, ctx.config, only
        self.roster = ctx.ports.roster
        self.result = StepResult()
        # Settings is not among init's tabs, and Sheets answers a read of a missing tab with a 400.
        self.roster.ensure_tabs({sheet.SETTINGS: sheet.SETTINGS_COLUMNS})
        tabs = self.roster.read_tabs([sheet.PARTNERS, sheet.OUTBOX, sheet.SETTINGS])
        self.rows: dict[str, Record] = {}
        for row in tabs[sheet.PARTNERS]:
            partner_id = plain(row.get(sheet.PARTNER_ID)).strip()
            if partner_id:
                self.rows.setdefault(partner_id, row)
        self.outbox = outbox_by_key(tabs[sheet.OUTBOX])
        self.settings = _settings(tabs[sheet.SETTINGS])
        self.partners = [p for p in self.config.partners if only is None or p.id in only]
        # One industry form per language partners read; each partner's letter links theirs.
        self.specs = {language: industry_form_spec(self.config, language)
                      for language in industry_form_languages(self.config)}
        self.status = {pid: status_of(row.get(sheet.PARTNER_STATUS)) for pid, row in self.rows.items()}
        self.changes: dict[str, Record] = {}   # partner id → Partners cells to write at the end
        self.remember: dict[str, str] = {}     # Settings to write with the meetings' fingerprints

    def run(self) -> StepResult:
        """Do everything due for the partners in scope; write the Partners tab once at the end."""
        for row in partner_rows(self.config, self.rows):
            partner_id = str(row[sheet.PARTNER_ID])
            if self.only is None or partner_id in self.only:
                self.rows[partner_id] = row
                self.status[partner_id] = PROSPECT
                self.changes[partner_id] = dict(row)
        meetings = self._meetings()
        followups = self._followups()
        inviting = any(not self._delivered(self._key(MEETING, m.partner)) for m in meetings)
        forms = {language: self._industry_form(spec, sync=inviting) for language, spec in self.specs.items()}
        self._open_rooms(meetings)
        meetings = [m for m in meetings if m.link]
        self._schedule(meetings)
        self._cancel_declined()
        letters = [self._followup_letter(p) for p in followups]
        letters += [self._meeting_letter(m, forms) for m in meetings]
        delivered = deliver(self.ctx, letters, self.outbox, self.result) if letters else set()
        for partner in followups:
            if self._key(FOLLOWUP, partner) in delivered:
                self._change(partner.id, {sheet.PARTNER_FOLLOWED_UP: local_day(self.ctx.now, self.config)})
                self.result.add("followed up")
        for meeting in meetings:
            if self._key(MEETING, meeting.partner) in delivered:
                self._move(meeting.partner.id, MEETING_SCHEDULED)
        self._read_answers(forms)
        rows = [{sheet.PARTNER_ID: pid, **cells} for pid, cells in self.changes.items() if cells]
        if rows:
            self.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, rows)
        return self.result

    # --- bookkeeping -------------------------------------------------------------------------

    def _key(self, step: str, partner: Partner) -> str:
        return message_key(self.config.program.id, step, partner.id)

    def _delivered(self, key: str) -> bool:
        return plain((self.outbox.get(key) or {}).get("State")) in DELIVERED

    def _change(self, partner_id: str, cells: Mapping[str, Any]) -> None:
        self.changes.setdefault(partner_id, {}).update(cells)

    def _move(self, partner_id: str, to: str) -> None:
        new = advance(self.status.get(partner_id), to)
        if new is not None:
            self.status[partner_id] = new
            self._change(partner_id, {sheet.PARTNER_STATUS: new})
            self.result.add(f"moved to {new}")

    # --- what is due -------------------------------------------------------------------------

    def _meetings(self) -> list[_Meeting]:
        meetings: list[_Meeting] = []
        configured = {p.id for p in self.config.partners}
        if self.only is None:
            for partner_id, row in self.rows.items():
                if partner_id not in configured and plain(row.get(sheet.PARTNER_MEETING_TIME)).strip():
                    self.result.problems.append(
                        f"partner {partner_id[:40]}: a Meeting time is filled in but the partner is "
                        "not in the config; add it under partners to invite them")
        for partner in self.partners:
            row = self.rows[partner.id]
            try:
                when = parse_meeting_time(row.get(sheet.PARTNER_MEETING_TIME), partner.id)
            except RowError as exc:
                self.result.problems.append(str(exc))
                continue
            if when is None:
                continue
            status = self.status[partner.id]
            if status not in MEETING_STATUSES:
                # Declined, or past the meeting (the cell keeps its time for good): left alone.
                if status not in PIPELINE and status != DECLINED:
                    self.result.add("meeting left alone: status not in the pipeline")
                continue
            meetings.append(_Meeting(partner, localize(self.config, when),
                                     plain(row.get(sheet.PARTNER_MEETING_LINK)).strip()))
        return meetings

    def _followups(self) -> list[Partner]:
        today = today_in(self.config, self.ctx.now)
        due: list[Partner] = []
        for partner in self.partners:
            row = self.rows[partner.id]
            if self.status[partner.id] != CONTACTED or plain(row.get(sheet.PARTNER_MEETING_TIME)).strip():
                continue  # moved on, or a meeting is being set up: the meeting letter says it all
            try:
                contacted = parse_day(row.get(sheet.PARTNER_CONTACTED), partner.id, sheet.PARTNER_CONTACTED)
            except RowError as exc:
                self.result.problems.append(str(exc))
                continue
            if followup_due(self.status[partner.id], contacted, row.get(sheet.PARTNER_FOLLOWED_UP), today,
                            self.config.partner_pipeline.followup_after_days):
                due.append(partner)
        return due

    # --- the industry form, the room, the event ------------------------------------------------

    def _industry_form(self, spec: FormSpec, *, sync: bool) -> FormState:
        """The form's id and link: as remembered, or after bringing the form in line with the config."""
        form_id = self.settings.get(id_setting(spec), "")
        link = self.settings.get(link_setting(spec), "")
        digest = form_digest(spec)
        label = form_digest_setting(spec)
        if sync or not form_id or not link or self.settings.get(label) != digest:
            # Made on the first run (the coordinator can look at it before any meeting), updated
            # when the config changed it (a session moved: partners must see the new dates), and
            # checked whenever invitations are about to carry its link. Otherwise left unread.
            state = ensure_form(self.ctx, spec)
            if state.created:
                self.result.add("industry form created")
            elif state.changed:
                self.result.add("industry form updated")
            if self.settings.get(label) != digest:
                self.remember[label] = digest
            return state
        return FormState(form_id, link)

    def _open_rooms(self, meetings: Sequence[_Meeting]) -> None:
        recorded: list[Record] = []
        try:
            for meeting in meetings:
                if meeting.link:
                    continue
                partner_id = meeting.partner.id
                try:
                    # Made through the meeting's own event (its id derives from the program
                    # and the partner): a lost answer or a kill is found again, never doubled.
                    space = self.ctx.ports.meet.space_for_event(
                        self.config.google.calendar_id, self._event(meeting), MEETING_ROOM)
                except BackendError as exc:
                    if exc.code not in (400, 403):
                        raise
                    self.result.problems.append(
                        f"partner {partner_id}: no Meet room ({exc}); paste a meeting link in "
                        f"{sheet.PARTNER_MEETING_LINK!r} and run again")
                    continue
                meeting.link = space.meeting_uri
                recorded.append({sheet.PARTNER_ID: partner_id, sheet.PARTNER_MEETING_LINK: space.meeting_uri})
                self.result.problems.extend(f"partner {partner_id}: meeting room: {note}"
                                            for note in space.notes)
                self.result.add("meeting rooms created")
        finally:
            # Recorded even when a later room fails: a room made but not written down would be
            # made again by the next run.
            if recorded:
                self.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, recorded)

    def _event(self, meeting: _Meeting) -> CalendarEvent:
        config, partner = self.config, meeting.partner
        return CalendarEvent(
            event_id=meeting_event_id(config.program.id, partner.id),
            summary=f"{config.program.name}: planning meeting with {partner.organization}",
            # The industry form link stays in the letter: a change of form would otherwise
            # move every event and notify every guest for nothing.
            description=(f"Planning the micro-internship {partner.organization} will host with "
                         f"{config.program.name}.\n\nJoin on Google Meet: {meeting.link}\n"
                         f"Questions: {config.coordinator.name}, {config.coordinator.email}"),
            start=meeting.start,
            end=meeting.start + timedelta(minutes=config.partner_pipeline.meeting_minutes),
            time_zone=config.program.time_zone,
            attendees=(partner.contact.email, config.coordinator.email),
            meet_uri=meeting.link,
        )

    def _schedule(self, meetings: Sequence[_Meeting]) -> None:
        written = self.remember
        try:
            for meeting in meetings:
                event = self._event(meeting)
                fingerprint = event_fingerprint(event)
                label = meeting_setting(meeting.partner.id)
                before = self.settings.get(label)
                if before == fingerprint:
                    continue
                self.ctx.ports.calendar.upsert_event(self.config.google.calendar_id, event)
                written[label] = fingerprint
                self.result.add("meetings moved" if before else "meetings put on the calendar")
        finally:
            if written:
                write_settings(self.roster, written)
                self.settings.update(written)

    def _cancel_declined(self) -> None:
        """A partner who declined after their meeting was booked: cancel it and tell the guests."""
        cancelled: dict[str, str] = {}
        for partner in self.partners:
            label = meeting_setting(partner.id)
            before = self.settings.get(label, "")
            if self.status.get(partner.id) != DECLINED or not before or before.startswith(CANCELLED):
                continue
            row = self.rows[partner.id]
            try:
                when = parse_meeting_time(row.get(sheet.PARTNER_MEETING_TIME), partner.id)
            except RowError:
                when = None
            if when is None:  # the cell was cleared: the time last written is in the setting
                when = datetime.strptime(before[:16], "%Y-%m-%d %H:%M")
            meeting = _Meeting(partner, localize(self.config, when),
                               plain(row.get(sheet.PARTNER_MEETING_LINK)).strip())
            event = replace(self._event(meeting), status=EventStatus.CANCELLED)
            self.ctx.ports.calendar.upsert_event(self.config.google.calendar_id, event)
            cancelled[label] = f"{CANCELLED} {before}"
            self.result.add("meetings cancelled (partner declined)")
        if cancelled:
            write_settings(self.roster, cancelled)
            self.settings.update(cancelled)

    # --- letters -------------------------------------------------------------------------------

    def _followup_letter(self, partner: Partner) -> Addressed:
        language = partner_letter_language(self.ctx, FOLLOWUP, partner)
        return Addressed(
            key=self._key(FOLLOWUP, partner), step=FOLLOWUP, recipient_id=partner.id,
            to=partner.contact.email, letter=FOLLOWUP, language=language,
            context={**program_context(self.config, language=language),
                     "partner": partner_context(partner, language)},
        )

    def _meeting_letter(self, meeting: _Meeting, forms: Mapping[str, FormState]) -> Addressed:
        partner, start = meeting.partner, meeting.start
        language = partner_letter_language(self.ctx, MEETING, partner)
        # The form in the language the partner reads, even when the letter is in English.
        reads = partner.reads(self.config.program.default_language)
        return Addressed(
            key=self._key(MEETING, partner), step=MEETING, recipient_id=partner.id,
            to=partner.contact.email, letter=MEETING, language=language,
            context={
                **program_context(self.config, language=language),
                "partner": partner_context(partner, language),
                "meeting": meeting_context(self.config, start, meeting.link, language),
                "links": {"industry_form": self._form_link(forms, partner, reads)},
            },
        )

    # --- answers -------------------------------------------------------------------------------

    def _form_link(self, forms: Mapping[str, FormState], partner: Partner, language: str) -> str:
        """The partner's link to the form in ``language`` (the one they read), else the default's."""
        found = language if language in forms else self.config.program.default_language
        return industry_form_link(self.config, self.specs[found], forms[found].responder_uri, partner)

    def _read_answers(self, forms: Mapping[str, FormState]) -> None:
        answers = read_answers_in(self.ctx, self.specs, forms)
        # Responses the source could not read (a CSV row's bad timestamp) were left out: say so.
        self.result.problems.extend(f"{problem}; left out until it is fixed"
                                    for problem in self.ctx.ports.surveys.problems)
        known = {partner_id.casefold(): partner_id for partner_id in self.rows}
        chosen: dict[str, Answers] = {}
        for answer in answers:
            if not answer.by_key.get("partner_id", "").strip():
                self.result.problems.append(
                    f"industry form response {answer.response_id}: no partner id, not written")
        for typed, answer in latest_by(answers, "partner_id").items():
            partner_id = known.get(typed.casefold())
            if partner_id is None:
                # What was typed is not repeated: it may be anything, a person's name included.
                self.result.problems.append(
                    f"industry form response {answer.response_id}: its partner id matches no row "
                    "of the Partners tab, not written")
                continue
            if self.only is not None and partner_id not in self.only:
                continue
            if partner_id not in chosen or answer.submitted_at >= chosen[partner_id].submitted_at:
                chosen[partner_id] = answer
        long = Intake()
        limit = cell_limit(self.config)
        for partner_id, answer in chosen.items():
            # Fitted to the backend's cell: one long answer must not fail the write for everyone.
            fitted = fit_industry_cells(partner_id, industry_cells(answer.by_key), limit)
            cells = dict(fitted.record)
            cells[sheet.PARTNER_INDUSTRY_FORM] = local_day(answer.submitted_at, self.config)
            row = self.rows[partner_id]
            changed = {column: value for column, value in cells.items() if plain(row.get(column)) != value}
            if changed:
                self._change(partner_id, changed)
                self.result.add("industry answers written")
                if any(column in changed for column in fitted.cut):
                    long.pieces.extend(fitted.pieces)
                    long.cut += len(fitted.cut)
            self._move(partner_id, INDUSTRY_FORM_RECEIVED)
        # The full text before the Partners write at the end of the run, so that a cell's
        # marker never names text that is not there.
        keep_long_answers(self.ctx, long, self.result)
