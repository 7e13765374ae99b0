"""The demo's students and partner for assignments: hand-ins, a late one, a file, feedback.

For each session with assignments, once a student has the assignment letter (the Outbox says
so): most hand in a link through the hand-in form (its CSV export) a few days before the due
date; one hands in two days late; one drops a file into their own submissions folder instead;
one never hands in (a reminder goes, then the row says "missing"). The partner writes feedback and a
rating in the Assignments tab three days after each hand-in, except one, left waiting until
the partner's reminder about it has gone out. Everything is derived from ids, so every demo run
tells the same story.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, time, timedelta
from pathlib import Path

from microintern.adapters.local._files import atomic_write_bytes
from microintern.config import ProgramConfig
from microintern.demo.people import seeded_roll, write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import (
    FORM_NAME,
    assignment_options,
    dated_assignments,
    hand_in_spec,
    letter_step,
    option_label,
    parse_stamp,
    submission_key,
)
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.records import Record
from microintern.ports import Roster

FEEDBACK_AFTER_DAYS = 3
_FEEDBACK = (
    "Clear and careful work. Next time, say in one sentence why you made each change.",
    "You found the tricky part and explained it well. Try labelling your chart's axes.",
    "A good start. Compare your result with last year's numbers to see if it makes sense.",
)


class HandIns:
    """Students handing in work and the partner giving feedback, a simulated morning at a time."""

    def __init__(self, config: ProgramConfig, local: Path) -> None:
        self.config = config
        self.forms = local / "forms"
        self.drive = local / "drive"
        self.zone = config.zone
        self.spec = hand_in_spec(config)
        self.options = assignment_options(config)
        self.answers: dict[str, tuple[datetime, list[str]]] = {}
        self.dropped: set[str] = set()
        self.sessions = [s for s in config.sessions if config.assignments_of(s)]
        given = [d.given_on for s in self.sessions for d in dated_assignments(config, s)]
        self.starts = min(given) if given else None

    def act(self, now: datetime, roster: Roster) -> list[str]:
        """Hand in what is due by ``now`` and write the partner's feedback; return lines to print."""
        if self.starts is None or now.astimezone(self.zone).date() < self.starts:
            return []
        tabs = roster.read_tabs([sheet.OUTBOX, sheet.ASSIGNMENTS])
        outbox = {str(r.get(sheet.OUTBOX_KEY) or ""): r for r in tabs[sheet.OUTBOX]}
        rows = {str(r.get(sheet.SUBMISSION_KEY) or ""): r for r in tabs[sheet.ASSIGNMENTS]}
        said: list[str] = []
        arrived = self._students(now, outbox, rows)
        if arrived:
            said.append(f"(students hand in work: {arrived})")
        written = self._partner(now, outbox, rows, roster)
        if written:
            said.append(f"(the partner writes feedback and a rating on {written} hand-in(s) "
                        "in the Assignments tab)")
        return said

    # --- students --------------------------------------------------------------------------------

    def _sent_day(self, outbox: dict[str, Record], key: str) -> datetime | None:
        row = outbox.get(key)
        if row is None or str(row.get("State") or "") not in DELIVERED:
            return None
        try:
            return datetime.strptime(str(row.get("Updated") or "")[:10], "%Y-%m-%d")
        except ValueError:
            return None

    def _students(self, now: datetime, outbox: dict[str, Record], rows: dict[str, Record]) -> str:
        counts = {"by the form": 0, "late": 0, "as a file in their folder": 0}
        for session in self.sessions:
            seated = sorted({str(r.get(sheet.APPLICANT_ID) or "") for r in rows.values()
                             if r.get(sheet.SESSION_ID) == session.id} - {""})
            for item in dated_assignments(self.config, session):
                aid = item.assignment.id
                for rank, applicant in enumerate(seated):
                    key = message_key(self.config.program.id, letter_step("assignment_given", aid),
                                      applicant, session.id)
                    given = self._sent_day(outbox, key)
                    row_key = submission_key(session.id, aid, applicant)
                    if given is None or rank == 0 or row_key in self.answers or row_key in self.dropped:
                        continue  # the first student never hands in
                    due = datetime.combine(item.due, time(0))
                    if rank == 1:       # two days late
                        when, kind = due + timedelta(days=2, hours=17), "late"
                    elif rank == 2:     # a file in the folder, the evening before the due date
                        when, kind = due - timedelta(hours=4), "as a file in their folder"
                    else:               # one to three days before the due date
                        days = 1 + seeded_roll(aid, applicant) % 3
                        when = max(due - timedelta(days=days, hours=5), given + timedelta(hours=19))
                        kind = "by the form"
                    aware = when.replace(tzinfo=self.zone)
                    if aware > now:
                        continue
                    if kind == "as a file in their folder":
                        folder_id = str(rows.get(row_key, {}).get(sheet.FOLDER_ID) or "")
                        if not folder_id:
                            continue
                        self._drop_file(folder_id, aid, aware)
                        self.dropped.add(row_key)
                    else:
                        document = hashlib.sha256(row_key.encode()).hexdigest()[:24]
                        self.answers[row_key] = (aware, [
                            applicant, option_label(self.options, aid),
                            f"https://docs.google.com/document/d/{document}/edit",
                            "I found this one hard but interesting." if seeded_roll(applicant) % 2 else ""])
                    counts[kind] += 1
        if any(counts.values()):
            write_form_csv(self.forms, FORM_NAME, [q.title for q in self.spec.questions],
                           sorted(self.answers.values(), key=lambda v: v[0]))
        return ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)

    def _drop_file(self, folder_id: str, assignment_id: str, when: datetime) -> None:
        path = self.drive / folder_id / f"{assignment_id}-my-work.csv"
        atomic_write_bytes(path, b"date,amount\n2027-04-01,12.50\n2027-04-02,8.00\n")
        stamp = when.timestamp()
        os.utime(path, (stamp, stamp))

    # --- the partner -----------------------------------------------------------------------------

    def _partner(self, now: datetime, outbox: dict[str, Record], rows: dict[str, Record],
                 roster: Roster) -> int:
        updates: list[Record] = []
        for session in self.sessions:
            pending = sorted(k for k, r in rows.items() if r.get(sheet.SESSION_ID) == session.id)
            # The folder hand-in of the first assignment waits until the partner is reminded.
            first = dated_assignments(self.config, session)[0].assignment.id
            held = next((k for k in pending if k in self.dropped and f":{first}:" in k), None)
            reminded = [self._sent_day(outbox, k) for k in outbox
                        if f"/{letter_step('partner_feedback_reminder', '')}" in k
                        and k.endswith(f"/{session.partner}/{session.id}")]
            last_reminder = max((d for d in reminded if d is not None), default=None)
            for key in pending:
                row = rows[key]
                handed = parse_stamp(row.get(sheet.HANDED_IN), self.zone)
                if handed is None or str(row.get(sheet.PARTNER_FEEDBACK) or "").strip():
                    continue
                if key == held:
                    if last_reminder is None or now.replace(tzinfo=None) < last_reminder + timedelta(days=2):
                        continue
                elif now < handed + timedelta(days=FEEDBACK_AFTER_DAYS):
                    continue
                roll = seeded_roll(key)
                updates.append({sheet.SUBMISSION_KEY: key, sheet.PARTNER_FEEDBACK: _FEEDBACK[roll % 3],
                                sheet.PARTNER_RATING: 3 + roll % 3})
        if updates:
            roster.upsert(sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY, updates)
        return len(updates)
