"""The partner pipeline on the Google backend, over real HTTP against the fake Workspace.

Rows are seeded through the real roster port, the industry form is answered through the fake
as a partner would, and every assertion is on the fake's state: mail sent, events, spaces, cells.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram, forms_made
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import step_context
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import prefill_entry
from microintern.domain.partners import industry_form_spec, meeting_event_id
from microintern.domain.records import Record
from microintern.steps.context import StepContext, StepResult
from microintern.steps.partners import meeting_setting, partner_meeting, partner_pipeline
from microintern.steps.program_forms import id_setting
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 1, 26, 6, 30, tzinfo=LA)   # T-7w of the first session
SOLIS = "m.ortega@soliscyber.example"
COORDINATOR = "dana.whitfield@mesavalley.example"


def context(program: GoogleProgram, now: datetime = NOW) -> StepContext:
    """A fresh set of adapters, as each cron run has."""
    return step_context(program.config, now, env={})


def seed(program: GoogleProgram, rows: list[Record]) -> None:
    roster = context(program).ports.roster
    initialise(program.config, roster)
    roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, rows)


def pipeline(program: GoogleProgram, now: datetime = NOW) -> StepResult:
    return partner_pipeline(context(program, now))


def reading_spanish(program: GoogleProgram, *partner_ids: str) -> GoogleProgram:
    """The same program with these partners reading Spanish (config ``partners[].language``)."""
    partners = [p.model_copy(update={"language": "es"}) if p.id in partner_ids else p
                for p in program.config.partners]
    return replace(program, config=program.config.model_copy(update={"partners": partners}))


def partners(fake: FakeWorkspace) -> dict[str, dict[str, object]]:
    rows = fake.sheets.values(SPREADSHEET_ID, sheet.PARTNERS)
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=False)) for row in rows[1:] if row}


def settings(fake: FakeWorkspace) -> dict[str, str]:
    return {row[0]: row[1] for row in fake.sheets.values(SPREADSHEET_ID, sheet.SETTINGS)[1:] if row}


def letters(fake: FakeWorkspace) -> Counter[tuple[str, str]]:
    """Sent letters by (letter, partner id), from the key header."""
    found: Counter[tuple[str, str]] = Counter()
    for message in fake.gmail.sent(PROGRAM_USER):
        _, letter, recipient, _ = str(message.message["X-Microintern-Key"]).split("/")
        found[(letter, recipient)] += 1
    return found


def body(fake: FakeWorkspace, letter: str) -> str:
    (message,) = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                  if f"/{letter}/" in str(m.message["X-Microintern-Key"])]
    return message.get_body(("plain",)).get_content()


def contacted(partner_id: str, day: str = "January 19, 2027", **cells: object) -> Record:
    return {sheet.PARTNER_ID: partner_id, sheet.PARTNER_STATUS: "contacted",
            sheet.PARTNER_CONTACTED: day, **cells}  # type: ignore[dict-item]


# --- follow-up --------------------------------------------------------------------------------


def test_followup_goes_once_after_the_silence_and_never_when_moved_on(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seed(google_program, [
        contacted("solis-cyber"),                                      # 7 days of silence
        contacted("desert-health", **{sheet.PARTNER_STATUS: "confirmed"}),  # replied: moved on
        contacted("ridgeline-build", "January 22, 2027"),              # only 4 days
        contacted("valley-analytics", **{sheet.PARTNER_STATUS: "declined"}),
    ])
    result = pipeline(google_program)
    assert letters(fake) == {("partner_followup", "solis-cyber"): 1}, result
    assert result.counts["followed up"] == 1
    (message,) = fake.gmail.sent(PROGRAM_USER)
    assert message.via == "draft" and message.message["To"] == SOLIS
    assert "Following up" in message.message["Subject"]
    rows = partners(fake)
    assert rows["solis-cyber"][sheet.PARTNER_FOLLOWED_UP] == "January 26, 2027"
    assert rows["solis-cyber"][sheet.PARTNER_STATUS] == "contacted"
    assert rows["desert-health"][sheet.PARTNER_STATUS] == "confirmed"
    assert rows["valley-analytics"][sheet.PARTNER_STATUS] == "declined"

    # The next days: once only, even if someone clears the Followed up cell (the Outbox knows).
    pipeline(google_program, NOW + timedelta(days=1))
    context(google_program).ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "solis-cyber", sheet.PARTNER_FOLLOWED_UP: ""}])
    pipeline(google_program, NOW + timedelta(days=2))
    # Ridgeline's silence reached 7 days on the 29th.
    pipeline(google_program, NOW + timedelta(days=3))
    assert letters(fake) == {("partner_followup", "solis-cyber"): 1,
                             ("partner_followup", "ridgeline-build"): 1}
    assert partners(fake)["solis-cyber"][sheet.PARTNER_FOLLOWED_UP] == "January 28, 2027"


# --- the planning meeting ---------------------------------------------------------------------


def test_meeting_invite_once_then_a_new_time_patches_the_same_event(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = google_program.config
    seed(google_program, [contacted("solis-cyber", **{sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"})])
    fake.reset_calls()
    result = pipeline(google_program)
    assert not result.problems, result.problems
    first_run = {name: fake.count(name) for name in ("sheets.", "forms.", "meet.", "calendar.", "gmail.")}

    # One Meet room, one event with it, one letter; status moved on; no follow-up instead.
    # The room is made by Calendar through the meeting's own event, then found by its code.
    assert fake.count("meet.spaces.create") == 0 and len(fake.meet.spaces) == 1
    (event,) = fake.calendar.events(PROGRAM_USER)
    assert event["id"] == meeting_event_id(config.program.id, "solis-cyber")
    assert event["start"] == {"dateTime": "2027-02-02T10:00:00-08:00", "timeZone": "America/Los_Angeles"}
    assert event["end"]["dateTime"] == "2027-02-02T10:30:00-08:00"
    assert sorted(a["email"] for a in event["attendees"]) == sorted([SOLIS, COORDINATOR])
    assert event["guestsCanSeeOtherGuests"] is False
    rows = partners(fake)
    link = rows["solis-cyber"][sheet.PARTNER_MEETING_LINK]
    assert isinstance(link, str) and link.startswith("https://meet.google.com/")
    assert event["conferenceData"]["entryPoints"][0]["uri"] == link
    assert fake.meet.space(link.rsplit("/", 1)[-1])["config"]["accessType"] == "TRUSTED"
    assert letters(fake) == {("partner_meeting", "solis-cyber"): 1}
    assert rows["solis-cyber"][sheet.PARTNER_STATUS] == "meeting scheduled"
    assert not rows["solis-cyber"].get(sheet.PARTNER_FOLLOWED_UP)
    assert settings(fake)[meeting_setting("solis-cyber")].startswith("2027-02-02 10:00 ")

    # The letter: date, time, the Meet link and the industry form prefilled with the partner.
    text = body(fake, "partner_meeting")
    assert "Tuesday, February 2, 2027, 10:00 AM to 10:30 AM" in text
    assert link in text
    spec = industry_form_spec(config)
    form = fake.forms.get(settings(fake)[id_setting(spec)])
    (url,) = [w for w in text.split() if w.startswith(form.responder_uri)]
    query = parse_qsl(urlsplit(url).query)
    ids = spec.question_ids()
    assert (prefill_entry(ids["partner_id"]), "solis-cyber") in query
    assert (prefill_entry(ids["available_dates"]), "Tuesday March 16 2027 at 3:30 PM") in query
    assert form.question_ids() == list(ids.values())

    # A rerun the same day, and the next: nothing new anywhere.
    fake.reset_calls()
    pipeline(google_program)
    rerun = {name: fake.count(name) for name in ("sheets.", "forms.", "meet.", "calendar.", "gmail.")}
    assert rerun["meet."] == rerun["calendar."] == rerun["gmail."] == 0, rerun
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == fake.count(
        "sheets.spreadsheets.values.append") == 0
    pipeline(google_program, NOW + timedelta(days=1))
    assert len(fake.calendar.events(PROGRAM_USER)) == 1
    assert sum(letters(fake).values()) == 1
    # Measured: first run sheets 23, forms 5, meet 2 (get, patch), calendar 2 (the event made
    # with its room, then given guests and link), gmail 2; rerun sheets 3, forms 2.
    assert first_run["calendar."] == first_run["meet."] == 2 and first_run["gmail."] == 2
    # The industry form in English only, as every partner reads it: 5 Forms calls to make it
    # (10 when a Spanish one was made too), 2 to read its answers on a rerun (4 with both).
    assert first_run["forms."] == 5 and rerun["forms."] == 2

    # The coordinator moves the meeting: the same event is patched, guests told, no new letter.
    context(google_program).ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "solis-cyber", sheet.PARTNER_MEETING_TIME: "2027-02-03 11:30"}])
    fake.reset_calls()
    result = pipeline(google_program, NOW + timedelta(days=1))
    assert result.counts.get("meetings moved") == 1
    (event,) = fake.calendar.events(PROGRAM_USER)
    assert event["id"] == meeting_event_id(config.program.id, "solis-cyber")
    assert event["start"]["dateTime"] == "2027-02-03T11:30:00-08:00"
    assert event["conferenceData"]["entryPoints"][0]["uri"] == link   # the same room
    assert fake.count("calendar.events.patch") == 1
    assert fake.calendar.notifications[-1].send_updates == "all"
    assert fake.count("meet.") == fake.count("gmail.") == 0
    assert settings(fake)[meeting_setting("solis-cyber")].startswith("2027-02-03 11:30 ")


def test_a_partner_who_declines_after_booking_has_the_meeting_cancelled_once(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seed(google_program, [contacted("solis-cyber", **{sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"})])
    pipeline(google_program)
    context(google_program).ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "solis-cyber", sheet.PARTNER_STATUS: "declined"}])
    result = pipeline(google_program)
    assert result.counts.get("meetings cancelled (partner declined)") == 1
    (event,) = fake.calendar.events(PROGRAM_USER)
    assert event["status"] == "cancelled"
    assert sorted(a["email"] for a in event["attendees"]) == sorted([SOLIS, COORDINATOR])
    assert settings(fake)[meeting_setting("solis-cyber")].startswith("cancelled 2027-02-02 10:00")
    fake.reset_calls()
    again = pipeline(google_program)
    assert "meetings cancelled (partner declined)" not in again.counts
    assert fake.count("calendar.") == 0
    assert partners(fake)["solis-cyber"][sheet.PARTNER_STATUS] == "declined"


def test_sheets_calls_do_not_grow_with_the_partners_invited(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ids = [p.id for p in google_program.config.partners]
    counts = []
    for invited in (ids[:1], ids):
        fake.reset()
        fake.sheets.create(SPREADSHEET_ID, "Mesa Valley program", {"Sheet1": []})
        seed(google_program, [contacted(pid, "January 24, 2027", **(
            {sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"} if pid in invited else {})) for pid in ids])
        fake.reset_calls()
        pipeline(google_program)
        assert sum(letters(fake).values()) == len(invited)
        assert fake.count("calendar.events.insert") == fake.count("meet.spaces.get") == len(invited)
        assert fake.count("meet.spaces.create") == 0 and len(fake.meet.spaces) == len(invited)
        counts.append(fake.count("sheets."))
    assert counts[0] == counts[1], counts


def test_a_link_the_coordinator_pasted_is_used_instead_of_a_new_room(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    own = "https://meet.google.com/own-room-abc"
    seed(google_program, [contacted("solis-cyber", **{sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00",
                                                       sheet.PARTNER_MEETING_LINK: own})])
    pipeline(google_program)
    assert fake.count("meet.spaces.create") == 0
    (event,) = fake.calendar.events(PROGRAM_USER)
    assert event["conferenceData"]["entryPoints"][0]["uri"] == own
    assert own in body(fake, "partner_meeting")


def test_partner_meeting_step_handles_only_the_sessions_partner(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    from microintern.domain.timeline import StepName, plan

    config = google_program.config
    seed(google_program, [
        contacted("solis-cyber", **{sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"}),
        contacted("desert-health", **{sheet.PARTNER_MEETING_TIME: "2027-02-02 11:00"}),
    ])
    anchors = {s.id: s.meeting_starts()[0].date() for s in config.sessions}
    (occurrence,) = [o for o in plan(anchors, zone=config.zone, opens_at=config.schedule.run_at)
                     if o.step.name is StepName.PARTNER_MEETING and o.scope_id == "cyber-basics"]
    assert occurrence.closes.date() == anchors["cyber-basics"] - timedelta(weeks=3)
    partner_meeting(context(google_program), occurrence)
    assert letters(fake) == {("partner_meeting", "solis-cyber"): 1}
    assert len(fake.calendar.events(PROGRAM_USER)) == 1
    rows = partners(fake)
    assert rows["desert-health"][sheet.PARTNER_STATUS] == "contacted"
    assert not rows["desert-health"].get(sheet.PARTNER_MEETING_LINK)


def test_a_bad_meeting_time_is_reported_and_the_rest_goes_on(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seed(google_program, [
        contacted("solis-cyber", **{sheet.PARTNER_MEETING_TIME: "Tuesday at ten"}),
        contacted("desert-health", **{sheet.PARTNER_MEETING_TIME: "2027-02-02 11:00"}),
    ])
    result = pipeline(google_program)
    assert result.problems == ["Partners, row solis-cyber, field 'Meeting time': expected a local date "
                               "and time like 2027-01-26 10:00, found 'Tuesday at ten'"]
    # No follow-up either: the coordinator is clearly arranging the meeting.
    assert letters(fake) == {("partner_meeting", "desert-health"): 1}


# --- the industry form ------------------------------------------------------------------------


def test_the_form_follows_the_config_without_being_read_every_run(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    google_program = reading_spanish(google_program, "solis-cyber")
    config = google_program.config
    seed(google_program, [contacted("solis-cyber", "January 24, 2027")])
    # One form per language partners read (English, and Spanish for Solis), each made once.
    assert pipeline(google_program).counts["industry form created"] == 2
    form_id = settings(fake)[id_setting(industry_form_spec(config))]
    form_es = settings(fake)[id_setting(industry_form_spec(config, "es"))]
    assert form_es != form_id and "empresas colaboradoras" in fake.forms.get(form_es).info["title"]
    fake.reset_calls()
    assert "industry form created" not in pipeline(google_program).counts
    assert fake.count("forms.forms.batchUpdate") == 0 and fake.count("forms.forms.create") == 0
    assert fake.count("forms.forms.get") == 2    # the question titles, to read the answers

    # A session moves: partners must see its new date, on the next run, once.
    sessions = [s.model_copy(update={"meetings": [datetime(2027, 3, 17, 15, 30)]})
                if s.id == "cyber-basics" else s for s in config.sessions]
    moved = config.model_copy(update={"sessions": sessions})
    fake.reset_calls()
    assert partner_pipeline(step_context(moved, NOW, env={})).counts["industry form updated"] == 2
    assert fake.count("forms.forms.batchUpdate") == 2
    (dates,) = [item for item in fake.forms.get(form_id).items
                if item["title"] == "Which session dates work for you?"]
    options = [o["value"] for o in dates["questionItem"]["question"]["choiceQuestion"]["options"]]
    assert "Wednesday March 17 2027 at 3:30 PM" in options
    assert "Tuesday March 16 2027 at 3:30 PM" not in options
    (dates,) = [item for item in fake.forms.get(form_es).items
                if item["title"] == "¿Qué fechas de sesión le convienen?"]
    options = [o["value"] for o in dates["questionItem"]["question"]["choiceQuestion"]["options"]]
    assert "miércoles 17 de marzo de 2027 a las 15:30" in options
    fake.reset_calls()
    partner_pipeline(step_context(moved, NOW, env={}))
    assert fake.count("forms.forms.batchUpdate") == 0 and fake.count("forms.forms.get") == 2


def test_the_industry_form_exists_in_the_languages_partners_read(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = google_program.config
    english, spanish = industry_form_spec(config, "en"), industry_form_spec(config, "es")
    seed(google_program, [contacted("solis-cyber", "January 24, 2027")])
    # No partner gives a language: all read the program's default, English. No Spanish form.
    assert pipeline(google_program).counts["industry form created"] == 1
    assert forms_made(fake) == 1 and id_setting(spanish) not in settings(fake)

    # Solis reads Spanish: the next run makes the Spanish form, once. Solis's invitation is in
    # Spanish and links the form in Spanish, the dates ticked as the Spanish form shows them;
    # Desert Health's is in English and links the English form.
    program = reading_spanish(google_program, "solis-cyber")
    context(program).ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: partner_id, sheet.PARTNER_STATUS: "confirmed",
         sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"} for partner_id in ("solis-cyber", "desert-health")])
    fake.reset_calls()
    result = pipeline(program)
    assert result.counts["industry form created"] == 1 and forms_made(fake) == 1, result
    forms = {spec.name: fake.forms.get(settings(fake)[id_setting(spec)]) for spec in (english, spanish)}

    def invitation(partner_id: str) -> str:
        (message,) = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                      if f"/partner_meeting/{partner_id}/" in str(m.message["X-Microintern-Key"])]
        return message.get_body(("plain",)).get_content()

    solis, desert = invitation("solis-cyber"), invitation("desert-health")
    assert "martes 2 de febrero de 2027, de 10:00" in solis and "Reunión de planeación" in solis
    assert "Tuesday, February 2, 2027, 10:00 AM to 10:30 AM" in desert
    (url,) = [w for w in solis.split() if w.startswith(forms[spanish.name].responder_uri)]
    dates = next(q for q in spanish.questions if q.key == "available_dates")
    assert (prefill_entry(dates.question_id), "martes 16 de marzo de 2027 a las 15:30") in \
        parse_qsl(urlsplit(url).query)
    assert forms[english.name].responder_uri in desert
    assert forms[spanish.name].responder_uri not in desert
    fake.reset_calls()
    pipeline(program, NOW + timedelta(hours=1))
    assert forms_made(fake) == 0 and fake.count("gmail.") == 0


def answer(fake: FakeWorkspace, program: GoogleProgram, response_id: str, when: datetime,
           values: dict[str, str | list[str]], language: str = "en") -> None:
    """Submit the industry form in ``language`` as a partner would (answers by question key)."""
    spec = industry_form_spec(program.config, language)
    form_id = settings(fake)[id_setting(spec)]
    ids = spec.question_ids()
    fake.forms.add_response(form_id, response_id, when.astimezone(UTC),
                            {ids[key]: value for key, value in values.items()})


def test_an_answer_on_the_spanish_industry_form_reads_as_on_the_english_one(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    google_program = reading_spanish(google_program, "solis-cyber")
    seed(google_program, [contacted("solis-cyber", **{sheet.PARTNER_STATUS: "meeting scheduled"}),
                          contacted("desert-health", **{sheet.PARTNER_STATUS: "meeting scheduled"})])
    pipeline(google_program)  # makes both forms
    english = {"organization": "x", "topic": "Triage", "skills": "Vital signs", "group_size": "5",
               "recording_consent": "Yes",
               "available_dates": ["Tuesday March 16 2027 at 3:30 PM", "Other dates (tell us below)"]}
    answer(fake, google_program, "en-1", NOW + timedelta(days=2), {**english, "partner_id": "desert-health"})
    # The same answers, as the Spanish form shows its choices.
    answer(fake, google_program, "es-1", NOW + timedelta(days=2), {
        **english, "partner_id": "solis-cyber", "recording_consent": "Sí",
        "available_dates": ["martes 16 de marzo de 2027 a las 15:30", "Otras fechas (indíquelas abajo)"]},
        language="es")
    pipeline(google_program, NOW + timedelta(days=3))
    rows = partners(fake)
    columns = ("Topic", "Skills to teach", "Available dates", "Group size", "Recording consent",
               sheet.PARTNER_STATUS)
    assert rows["solis-cyber"][sheet.PARTNER_STATUS] == "industry form received"
    assert [rows["solis-cyber"][c] for c in columns] == [rows["desert-health"][c] for c in columns]
    assert rows["solis-cyber"]["Recording consent"] == "Yes"


def test_industry_answers_land_in_the_row_forward_only_and_as_text(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seed(google_program, [
        contacted("solis-cyber", **{sheet.PARTNER_STATUS: "meeting scheduled"}),
        contacted("desert-health", **{sheet.PARTNER_STATUS: "confirmed"}),  # set by hand
    ])
    pipeline(google_program)  # makes the form
    formula = '=HYPERLINK("https://evil.example/x","click me")'
    answer(fake, google_program, "r-1", NOW + timedelta(days=2), {
        "partner_id": "solis-cyber", "organization": "Solis Cyber Defense", "topic": formula,
        "skills": "Reading logs\nSpotting phishing", "group_size": "4-6", "recording_consent": "Yes",
        "available_dates": ["Tuesday March 16 2027 at 3:30 PM", "Other dates (tell us below)"],
        "other_dates": "Any Thursday", "co_presenters": "Sam Lee, sam@soliscyber.example"})
    answer(fake, google_program, "r-2", NOW + timedelta(days=3), {
        "partner_id": "desert-health", "organization": "Desert Regional Health", "topic": "Triage",
        "skills": "Vital signs", "group_size": "5", "recording_consent": "No",
        "available_dates": ["Thursday March 18 2027 at 3:30 PM"]})
    answer(fake, google_program, "r-3", NOW + timedelta(days=3), {
        "partner_id": "Maria Lopez", "organization": "Someone", "topic": "x", "skills": "x",
        "group_size": "4", "recording_consent": "No", "available_dates": ["Other dates (tell us below)"]})

    result = pipeline(google_program, NOW + timedelta(days=4))
    rows = partners(fake)
    solis = rows["solis-cyber"]
    assert solis[sheet.PARTNER_STATUS] == "industry form received"
    assert solis["Topic"] == formula
    assert solis["Skills to teach"] == "Reading logs\nSpotting phishing"
    assert solis["Available dates"] == ("Tuesday March 16 2027 at 3:30 PM, Other dates (tell us below); "
                                        "Any Thursday")
    assert (solis["Group size"], solis["Recording consent"]) == ("4-6", "Yes")
    assert solis["Co-presenters"] == "Sam Lee, sam@soliscyber.example"
    assert solis[sheet.PARTNER_INDUSTRY_FORM] == "January 28, 2027"
    assert fake.sheets.formulas(SPREADSHEET_ID, sheet.PARTNERS) == []   # stored RAW: text
    health = rows["desert-health"]
    assert health[sheet.PARTNER_STATUS] == "confirmed"                  # never backwards
    assert (health["Topic"], health["Group size"]) == ("Triage", "5")
    # The unknown id is reported by response, never by what was typed.
    (problem,) = result.problems
    assert "r-3" in problem and "Maria" not in problem
    assert "Maria Lopez" not in str(rows)

    # A rerun writes nothing; a later answer from the same partner replaces the first.
    fake.reset_calls()
    pipeline(google_program, NOW + timedelta(days=4))
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 0
    assert fake.count("sheets.spreadsheets.values.append") == 0
    answer(fake, google_program, "r-4", NOW + timedelta(days=5), {
        "partner_id": "solis-cyber", "organization": "Solis Cyber Defense", "topic": "Blue team basics",
        "skills": "Reading logs", "group_size": "6", "recording_consent": "No",
        "available_dates": ["Tuesday March 16 2027 at 3:30 PM"]})
    pipeline(google_program, NOW + timedelta(days=5))
    solis = partners(fake)["solis-cyber"]
    assert (solis["Topic"], solis["Group size"], solis["Available dates"]) == (
        "Blue team basics", "6", "Tuesday March 16 2027 at 3:30 PM")
    assert solis[sheet.PARTNER_INDUSTRY_FORM] == "January 31, 2027"
