"""The people of the demo: partners who answer, students who register, families who sign.

The demo plays everyone microintern writes to, from what the tool did (the Outbox and the
Partners tab), so every form it builds gets returns, late ones draw reminders and a few never
come. Choices are derived from ids with a hash, so every demo run tells the same story.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from pathlib import Path

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import FormSpec
from microintern.domain.participation import (
    ATTENDING_NO,
    ATTENDING_YES,
    registration_spec,
    release_spec,
)
from microintern.domain.partners import (
    OTHER_DATES,
    industry_form_spec,
    parse_day,
    parse_meeting_time,
    partner_dates,
)
from microintern.domain.records import Record
from microintern.ports import Roster

# Partners who allow recording; the others say no (the rule then keeps recording off).
RECORDING_PARTNERS = frozenset({"solis-cyber", "desert-health"})
# Every family of this session allows recording and returns the form: its session is recorded.
OPEN_SESSION = "cyber-basics"
# A partner who stays silent until the follow-up.
SLOW_PARTNER = "valley-analytics"


def seeded_roll(*parts: str) -> int:
    """A stable pseudo-random number from ``parts``, so the demo data is the same on every run."""
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16)


def _day(cell: object) -> datetime | None:
    try:
        return datetime.strptime(str(cell or "")[:10], "%Y-%m-%d")
    except ValueError:
        return None


class People:
    """Everyone outside the tool, acting once a simulated morning before cron runs."""

    def __init__(self, config: ProgramConfig, forms_folder: Path) -> None:
        self.config = config
        self.folder = forms_folder
        self.zone = config.zone
        self.returns: dict[str, dict[str, tuple[datetime, list[str]]]] = {}
        self.titles: dict[str, list[str]] = {}

    def act(self, now: datetime, roster: Roster) -> list[str]:
        """Do what is due by ``now``; return lines worth printing."""
        tabs = roster.read_tabs([sheet.PARTNERS, sheet.OUTBOX])
        said = self._partners(now, tabs[sheet.PARTNERS], roster)
        self._students_and_families(tabs[sheet.OUTBOX])
        self._write(now)
        return said

    # --- partners -------------------------------------------------------------------------------

    def _partners(self, now: datetime, partners: list[Record], roster: Roster) -> list[str]:
        said: list[str] = []
        today = now.astimezone(self.zone).replace(tzinfo=None)
        updates: list[Record] = []
        spec = industry_form_spec(self.config)
        for row in partners:
            partner_id = str(row.get(sheet.PARTNER_ID) or "")
            status = str(row.get(sheet.PARTNER_STATUS) or "")
            contacted = parse_day(row.get(sheet.PARTNER_CONTACTED), partner_id, sheet.PARTNER_CONTACTED)
            if status == "contacted" and contacted and not row.get(sheet.PARTNER_MEETING_TIME):
                wait = 9 if partner_id == SLOW_PARTNER else 4
                if today.date() >= contacted + timedelta(days=wait):
                    meeting = datetime.combine((today + timedelta(days=3)).date(), time(10, 0))
                    updates.append({sheet.PARTNER_ID: partner_id,
                                    sheet.PARTNER_MEETING_TIME: meeting.strftime("%Y-%m-%d %H:%M")})
                    said.append(f"(partner {partner_id} replies; the coordinator books the planning "
                                f"meeting for {meeting:%b %-d %H:%M})")
            meeting_at = parse_meeting_time(row.get(sheet.PARTNER_MEETING_TIME), partner_id)
            if status == "meeting scheduled" and meeting_at and today >= meeting_at + timedelta(days=1):
                self._answer_industry_form(spec, row, partner_id, meeting_at + timedelta(days=1, hours=14))
            if status == "industry form received":
                updates.append({sheet.PARTNER_ID: partner_id, sheet.PARTNER_STATUS: "confirmed"})
                said.append(f"(the coordinator reads {partner_id}'s industry form and confirms them)")
        if updates:
            roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, updates)
        return said

    def _answer_industry_form(self, spec: FormSpec, row: Record, partner_id: str, when: datetime) -> None:
        dates = partner_dates(self.config, partner_id)
        answers = {
            "partner_id": partner_id,
            "organization": str(row.get("Organization") or ""),
            "topic": f"A day in {str(row.get('Industry') or 'our field').lower()}",
            "skills": "How we plan a project; the tools we use; how to ask good questions at work.",
            "available_dates": ", ".join(dates or [OTHER_DATES]),
            "group_size": "4-6",
            "recording_consent": "Yes" if partner_id in RECORDING_PARTNERS else "No",
            "co_presenters": "",
        }
        self._answer(spec, partner_id, when, answers)

    # --- students and families --------------------------------------------------------------------

    def _students_and_families(self, outbox: list[Record]) -> None:
        registration = registration_spec(self.config)
        for row in outbox:
            key = str(row.get(sheet.OUTBOX_KEY) or "")
            parts = key.split("/")
            if len(parts) != 4 or not str(row.get("State") or "").startswith("sent"):
                continue
            _, letter, applicant, session = parts
            sent = _day(row.get("Updated"))
            if sent is None:
                continue
            roll = seeded_roll(letter, applicant)
            if letter == "registration" and roll % 12 != 0:      # one in twelve never registers
                when = sent + timedelta(days=roll % 5 + 1, hours=19)
                attending = ATTENDING_NO if roll % 29 == 1 else ATTENDING_YES
                self._answer(registration, applicant, when, {
                    "applicant_id": applicant, "attending": attending,
                    "needs_device": "Yes" if roll % 6 == 0 else "No", "accessibility": ""})
            elif letter == "release_form" and (session == OPEN_SESSION or roll % 10 != 0):
                # One family in ten never returns it (a reminder goes, then the coordinator calls).
                language = str(row.get("Language") or "en")
                spec = release_spec(self.config, language if language in ("en", "es") else "en")
                yes, no = spec.questions[3].options
                when = sent + timedelta(days=roll % 6 + 1, hours=20)
                self._answer(spec, applicant, when, {
                    "applicant_id": applicant, "guardian_name": "A parent", "relationship": "parent",
                    "participation": yes,
                    "recording": no if session != OPEN_SESSION and roll % 3 == 0 else yes,
                    "media": no if roll % 3 == 0 else yes, "signature": "A parent"})

    def _answer(self, spec: FormSpec, who: str, when: datetime, answers: dict[str, str]) -> None:
        self.returns.setdefault(spec.name, {})[who] = (
            when.replace(tzinfo=self.zone), [answers.get(q.key, "") for q in spec.questions])
        self.titles[spec.name] = [q.title for q in spec.questions]

    def _write(self, now: datetime) -> None:
        for name, rows in self.returns.items():
            arrived = sorted((v for v in rows.values() if v[0] <= now), key=lambda v: v[0])
            write_form_csv(self.folder, name, self.titles[name], arrived)


def write_form_csv(folder: Path, form_name: str, titles: Sequence[str],
                   rows: Sequence[tuple[datetime, Sequence[str]]]) -> None:
    """Write a form's responses as Google's CSV export does (Timestamp first), atomically, 0600.

    Timestamps are written as local wall times of the aware datetimes given.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"{form_name}.csv"
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["Timestamp", *titles])
    for when, values in rows:
        writer.writerow([when.strftime("%m/%d/%Y %H:%M:%S"), *values])
    data = text.getvalue().encode("utf-8")
    try:
        if target.read_bytes() == data:
            return  # the demo writes every form every day; most days nobody answered
    except FileNotFoundError:
        pass
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
