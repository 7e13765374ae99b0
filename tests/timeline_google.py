"""The demo's whole timeline on the Google backend, day by day, against the fake Workspace.

`make demo` runs the example program on the local backend and plays everyone the tool writes
to. This driver runs the same timeline on the Google backend, in process, against the fake
Workspace: each simulated morning the same people act (the demo's own actors from
``microintern.demo``), then the day's ``microintern run-due --now`` runs in process, exactly
the command cron runs (lock, lease and all).

The actors write what they answer as the form CSVs the local demo reads; the driver submits
each new CSV row to the form the tool made (found in the Settings tab) as a Forms response.
Meet conference records go into the fake's Meet store, the people in Meet into its
directory, a student's file into the fake's Drive. Everyone outside the tool uses Google's own
interfaces, which do not lose responses, so the actors act with the fake's faults switched off:
faults belong to the tool's calls only (see :meth:`GoogleTimeline.day`).
"""

from __future__ import annotations

import csv
import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakeworkspace import FakeWorkspace, write_service_account_file
from fakeworkspace.faults import Fault
from programs import write_config

from microintern.adapters.google.transport import Retry
from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import ProgramConfig, load_config
from microintern.demo.assignments import HandIns
from microintern.demo.attendance import MeetingAttendance
from microintern.demo.feedback import answer_feedback
from microintern.demo.hours import log_and_confirm_hours
from microintern.demo.people import People
from microintern.demo.run import coordinator_decides
from microintern.demo.sample_data import SampleApplication, applications
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import hand_in_spec
from microintern.domain.feedback import feedback_spec
from microintern.domain.forms import FormSpec
from microintern.domain.hours import hours_form_spec
from microintern.domain.participation import registration_spec, release_spec
from microintern.domain.partners import industry_form_spec
from microintern.domain.records import Conference
from microintern.steps.program_forms import id_setting

SPREADSHEET_ID = "1MesaValleyTimelineSheet0000000000000000000"
FORM_ID = "1MesaValleyTimelineForm00000000000000000000"
PROGRAM_USER = "internships@mesavalley.example"

#: Every method the tool calls that changes something, as the fake names them. The lost-response
#: test injects its faults on exactly these, and checks that no other mutating method was called.
MUTATING_METHODS = (
    "sheets.spreadsheets.values.batchUpdate",
    "sheets.spreadsheets.values.update",
    "sheets.spreadsheets.values.append",
    "sheets.spreadsheets.values.clear",
    "sheets.spreadsheets.values.batchClear",
    "sheets.spreadsheets.batchUpdate",
    "gmail.users.drafts.create",
    "gmail.users.drafts.send",
    "gmail.users.drafts.delete",
    "gmail.users.drafts.update",
    "gmail.users.messages.send",
    "calendar.events.insert",
    "calendar.events.patch",
    "calendar.events.update",
    "calendar.events.delete",
    "meet.spaces.create",
    "meet.spaces.patch",
    "meet.spaces.members.create",
    "meet.spaces.members.delete",
    "drive.files.create",
    "drive.files.update",
    "drive.files.delete",
    "drive.permissions.create",
    "drive.permissions.delete",
    "forms.forms.create",
    "forms.forms.batchUpdate",
    "forms.forms.setPublishSettings",
)

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass
class DayOutcome:
    """One simulated day's ``run-due``: its exit code and what it printed (ids, never names)."""

    day: date
    exit_code: int
    output: str
    crashed: str | None = None

    @property
    def failures(self) -> list[str]:
        """What went wrong: the summary's FAILED part, a crash, or a non-zero exit."""
        found = [line for line in self.output.splitlines() if "FAILED" in line]
        if self.crashed:
            found.append(f"run-due crashed: {self.crashed}")
        if self.exit_code != 0 and not found:
            found.append(f"exit code {self.exit_code}: {self.output.strip()[-500:]}")
        return found


@dataclass
class FaultPlan:
    """Faults to put on the tool's calls each day; ``fired`` adds up over the days."""

    kind: str = "drop_after"
    rate: float = 0.10
    seed: int = 13
    methods: tuple[str, ...] = MUTATING_METHODS
    fired: Counter[str] = field(default_factory=Counter)

    def arm(self, fake: FakeWorkspace, day_number: int) -> list[Fault]:
        """Add one fault per method, seeded by the day so every day draws differently."""
        return [fake.faults.add(method, self.kind, rate=self.rate,  # type: ignore[arg-type]
                                seed=self.seed * 100_003 + day_number * 101 + n)
                for n, method in enumerate(self.methods)]

    def disarm(self, fake: FakeWorkspace, armed: Iterable[Fault]) -> None:
        """Count what fired and remove every fault."""
        for fault in armed:
            self.fired[fault.method_glob] += fault.fired
        fake.faults.clear()


def waits_for_the_fake(monkeypatch: pytest.MonkeyPatch, fake: FakeWorkspace) -> None:
    """Backoff waits of the Google adapters become "until the fake has answered everything".

    Every adapter's ``Retry`` takes an injectable ``sleep`` for tests; bootstrap builds them with
    the real one, whose 1-32 s waits would make 10% lost answers cost minutes. The waits exist so
    that Google finishes applying a request whose answer was lost before the tool reads back; the
    fake applies a ``drop_after`` request fully before dropping it, so waiting for it to be idle
    keeps that meaning.
    """
    original = Retry.__init__

    def init(self: Retry, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.sleep is None:
            self.sleep = lambda _seconds: fake.wait_idle()

    monkeypatch.setattr(Retry, "__init__", init)


def settings(fake: FakeWorkspace) -> dict[str, str]:
    """The Settings tab as label → value, read from the fake's store (no API call)."""
    if fake.sheets.get(SPREADSHEET_ID).sheet_by_title(sheet.SETTINGS) is None:
        return {}
    return {str(r[0]): str(r[1]) for r in fake.sheets.values(SPREADSHEET_ID, sheet.SETTINGS)[1:]
            if len(r) > 1}


class _FakeMeetRecords:
    """Where the demo's meetings write their conference records: the fake's Meet store."""

    def __init__(self, fake: FakeWorkspace) -> None:
        self.fake = fake

    def record(self, space: str, conferences: Iterable[Conference]) -> None:
        """Seed each conference, its participants and their sessions, as Meet keeps them."""
        for conference in conferences:
            record = self.fake.meet.add_conference_record(
                space, conference.start, conference.end,
                record_id=conference.name.removeprefix("conferenceRecords/"))
            for person in conference.participants:
                name = self.fake.meet.add_participant(
                    record, person.display_name, user=person.user,
                    participant_id=person.name.rsplit("/", 1)[-1])
                for n, presence in enumerate(person.presences):
                    self.fake.meet.add_participant_session(name, presence.start, presence.end,
                                                           session_id=str(n))


class _FakeDirectory:
    """The people who joined a meeting, as users of the district's domain."""

    def __init__(self, fake: FakeWorkspace) -> None:
        self.fake = fake

    def add(self, users: dict[str, str]) -> None:
        """``users/{id}`` → address, added to the fake's directory."""
        for user, address in users.items():
            self.fake.directory.add_user(user.removeprefix("users/"), address)


class _DriveHandIns(HandIns):
    """The demo's hand-ins, with the student's file put into the fake's Drive folder."""

    fake: FakeWorkspace

    def _drop_file(self, folder_id: str, assignment_id: str, when: datetime) -> None:
        # The student owns the file they upload: the folder is shared with them alone.
        students = [p["emailAddress"] for p in self.fake.drive.shared_with(folder_id)
                    if p.get("role") != "owner" and p.get("emailAddress")]
        stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self.fake.drive.register(self.fake.drive.new_id(), f"{assignment_id}-my-work.csv", "text/csv",
                                 students[0] if students else PROGRAM_USER, [folder_id],
                                 modifiedTime=stamp, createdTime=stamp)


class GoogleTimeline:
    """The example program on the fake Workspace, run through its whole timeline a day at a time."""

    def __init__(self, fake: FakeWorkspace, folder: Path, *, applicants: int = 30, seed: int = 2027,
                 faults: FaultPlan | None = None) -> None:
        self.fake = fake
        self.folder = folder
        self.faults = faults
        key = write_service_account_file(folder / "credentials.json", fake)
        fake.sheets.create(SPREADSHEET_ID, "Mesa Valley program", {"Sheet1": []})
        path = write_config(folder, backend="google", google={
            "auth": "service_account", "credentials_file": str(key), "delegated_user": PROGRAM_USER,
            "spreadsheet_id": SPREADSHEET_ID, "application_form_id": FORM_ID,
            "endpoint": fake.url, "timeout_seconds": 5,
        }, mail={"per_minute": None})  # the fake has no send quota here: no pacing waits
        self.config_file = path
        self.config: ProgramConfig = load_config(path)
        self.question_ids = {q.title: f"{i:08x}" for i, q in enumerate(self.config.application.questions, 1)}
        fake.forms.create(FORM_ID, self.config.application.form_title,
                          [(qid, title) for title, qid in self.question_ids.items()])
        self.sample: list[SampleApplication] = applications(self.config, count=applicants, seed=seed)
        self.submitted: set[int] = set()
        self.answered: set[tuple[str, str]] = set()
        self.people_folder = folder / "people"
        self.people = People(self.config, self.people_folder / "forms")
        self.meetings = MeetingAttendance(self.config, self.people_folder / "meet")
        self.meetings.records = _FakeMeetRecords(fake)  # type: ignore[assignment]
        self.meetings.directory = _FakeDirectory(fake)  # type: ignore[assignment]
        self.hand_ins = _DriveHandIns(self.config, self.people_folder)
        self.hand_ins.fake = fake
        zone = self.config.zone
        self.first = self.config.first_meeting().date() - timedelta(weeks=8)
        self.last = max(s.meeting_starts()[-1] for s in self.config.sessions).date() + timedelta(days=7)
        self.decisions_day = self.config.first_meeting().date() - timedelta(weeks=4)
        self.zone = zone
        self.outcomes: list[DayOutcome] = []
        self.seconds = 0.0

    # --- the days ------------------------------------------------------------------------------

    def days(self) -> list[date]:
        """Every simulated day, eight weeks before the first session to a week after the last."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def morning(self, day: date) -> datetime:
        """The moment cron runs on ``day``."""
        return datetime.combine(day, self.config.schedule.run_at, tzinfo=self.zone)

    def run(self, days: Iterable[date] | None = None) -> list[DayOutcome]:
        """Play the days: people act, then run-due (under faults when a plan is given)."""
        started = time.perf_counter()
        done = [self.day(d) for d in (self.days() if days is None else days)]
        self.seconds += time.perf_counter() - started
        return done

    def day(self, day: date, *, faults: bool = True) -> DayOutcome:
        """One simulated day: the people act on Google's side, then the tool's daily run."""
        now = self.morning(day)
        self.fake.meet.clock = lambda: now
        self.act(now)
        armed = (self.faults.arm(self.fake, (day - self.first).days)
                 if self.faults is not None and faults else [])
        try:
            # Exactly what cron runs, in process: the CLI takes the program's lock and lease.
            result = CliRunner().invoke(cli, ["--config", str(self.config_file), "run-due",
                                              "--now", now.strftime("%Y-%m-%dT%H:%M")])
            crashed = (None if result.exception is None or isinstance(result.exception, SystemExit)
                       else f"{type(result.exception).__name__}: {result.exception}")
            outcome = DayOutcome(day, result.exit_code, result.output, crashed)
        finally:
            if self.faults is not None:
                self.faults.disarm(self.fake, armed)
            self.fake.wait_idle()
        self.outcomes.append(outcome)
        return outcome

    # --- the people ----------------------------------------------------------------------------

    def act(self, now: datetime) -> None:
        """Everyone outside the tool does what is due by ``now``, as in `make demo`."""
        self._apply(now)
        if self.fake.sheets.get(SPREADSHEET_ID).sheet_by_title(sheet.OUTBOX) is None:
            return  # the tool has not made the program sheet yet: nobody has anything to answer
        roster = step_context(self.config, now, env={}).ports.roster
        forms = self.people_folder / "forms"
        self.people.act(now, roster)
        self.meetings.act(now, roster)
        answer_feedback(self.config, forms, now, roster)
        log_and_confirm_hours(self.config, forms, now, roster)
        self.hand_ins.act(now, roster)
        if now.date() == self.decisions_day:
            coordinator_decides(self.config, roster)
        self._submit_form_csvs(forms)

    def _apply(self, now: datetime) -> None:
        for n, app in enumerate(self.sample):
            if n in self.submitted or app.submitted_at > now:
                continue
            self.fake.forms.add_response(FORM_ID, f"app-{n:04d}", app.submitted_at.astimezone(UTC), {
                self.question_ids[t]: v for t, v in app.answers.items() if v and t in self.question_ids})
            self.submitted.add(n)

    def specs(self) -> list[FormSpec]:
        """Every form the tool makes that the demo's people answer."""
        config = self.config
        return [industry_form_spec(config), registration_spec(config), release_spec(config, "en"),
                release_spec(config, "es"),
                *(feedback_spec(config, lang) for lang in config.form_texts.languages("feedback")),
                hours_form_spec(config), hand_in_spec(config)]

    def _submit_form_csvs(self, forms: Path) -> None:
        """Each new row of the people's CSVs becomes a response to the tool's form, once."""
        ids = settings(self.fake)
        for spec in self.specs():
            path = forms / f"{spec.name}.csv"
            form_id = ids.get(id_setting(spec))
            if not path.exists() or not form_id:
                continue
            question_ids = [spec.question_ids()[q.key] for q in spec.questions]
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))[1:]
            seen: Counter[tuple[str, ...]] = Counter()
            for row in rows:
                # The response id names the answers, not when they came: a letter a lost answer
                # delayed by a day draws the same responses a day later, under the same ids.
                seen[tuple(row[1:])] += 1
                response = "r" + hashlib.sha256("\x1f".join(
                    [spec.name, str(seen[tuple(row[1:])]), *row[1:]]).encode()).hexdigest()[:20]
                if (form_id, response) in self.answered:
                    continue
                when = datetime.strptime(row[0], "%m/%d/%Y %H:%M:%S").replace(tzinfo=self.zone)
                answers = {qid: _forms_value(value) for qid, value in zip(question_ids, row[1:], strict=False)
                           if value}
                self.fake.forms.add_response(form_id, response, when.astimezone(UTC), answers)
                self.answered.add((form_id, response))


def _forms_value(value: str) -> str:
    """A CSV export's answer as the Forms API gives it: dates as YYYY-MM-DD, the rest as typed."""
    found = _US_DATE.match(value)
    if found is None:
        return value
    month, day, year = (int(x) for x in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


# --- what the fake holds ----------------------------------------------------------------------


def tabs(fake: FakeWorkspace) -> dict[str, list[list[Any]]]:
    """Every tab of the program sheet with its values."""
    names = [tab.title for tab in fake.sheets.get(SPREADSHEET_ID).sheets]
    return {name: fake.sheets.values(SPREADSHEET_ID, name) for name in names}


def duplicated_keys(fake: FakeWorkspace,
                    key_columns: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """Per tab, the key values found on more than one row (the key is the first column unless given)."""
    found: dict[str, list[str]] = {}
    for name, values in tabs(fake).items():
        if not values or not values[0]:
            continue
        header = [str(h) for h in values[0]]
        wanted = (key_columns or {}).get(name, header[0])
        column = header.index(wanted)
        counts = Counter(str(r[column]) for r in values[1:] if len(r) > column and str(r[column]))
        twice = sorted(k for k, n in counts.items() if n > 1)
        if twice:
            found[f"{name}[{wanted}]"] = twice
    return found


def sent_keys(fake: FakeWorkspace) -> Counter[str]:
    """Sent letters by their X-Microintern-Key header."""
    return Counter(str(m.message["X-Microintern-Key"]) for m in fake.gmail.sent(PROGRAM_USER))


def store_counts(fake: FakeWorkspace) -> dict[str, int]:
    """Live Calendar events, Meet spaces, Drive folders and Forms the tool made."""
    events = [e for e in fake.calendar.events(PROGRAM_USER, include_cancelled=True)
              if e.get("status") != "cancelled"]
    folders = [f for f in fake.drive.files.values()
               if f["mimeType"] == "application/vnd.google-apps.folder" and not f.get("trashed")]
    return {"calendar events": len({e["id"] for e in events}),
            "cancelled events": sum(1 for e in fake.calendar.events(PROGRAM_USER)
                                    if e.get("status") == "cancelled"),
            "meet spaces": len(fake.meet.spaces),
            "drive folders": len(folders),
            "forms": sum(1 for f in fake.drive.files.values()
                         if f["mimeType"] == "application/vnd.google-apps.form" and not f.get("trashed")),
            "forms (Forms API)": len(fake.forms._forms)}


def calls_per_service(fake: FakeWorkspace) -> Counter[str]:
    """API calls by service (the method id's first part), token exchanges apart."""
    return Counter(c.method_id.split(".", 1)[0] for c in fake.calls)


def each_day(driver: GoogleTimeline, when: Callable[[DayOutcome], bool]) -> list[DayOutcome]:
    """The outcomes that match ``when`` (for reports)."""
    return [o for o in driver.outcomes if when(o)]
