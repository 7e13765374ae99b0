"""A realistic program sheet for report tests: the tabs' rows as the steps leave them.

Deterministic for a seed. Students are placed in the config's sessions, register, return release
forms, attend (with Meet minutes), answer the feedback form, hand in work (on time, late or not
at all), get partner feedback, and log hours that teachers confirm or reject.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Record

FIRST = ("Ana", "Ben", "Chloé", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jamal", "Kai", "Lucía",
         "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Ximena")
LAST = ("Nguyễn", "Smith", "García", "Patel", "Johnson", "Lopez", "Kim", "Okafor", "Haddad", "Reyes")
GENDERS = ("Female", "Male", "Non-binary", "")
STATUSES = ("contacted", "meeting scheduled", "confirmed", "session built", "thanked", "declined", "prospect")


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


def program_tabs(config: ProgramConfig, *, applicants: int = 48, seed: int = 7,
                 extra_partners: int = 6) -> dict[str, list[Record]]:
    """Every tab the report reads, filled as after the last session."""
    rng = random.Random(seed)
    titles = {q.key: q.title for q in config.application.questions}
    options = {q.key: q.options for q in config.application.questions}
    seats = [(s, n) for s in config.sessions for n in range(s.group_size.max)]
    applications: list[Record] = []
    for i in range(applicants):
        row: Record = {
            sheet.APPLICANT_ID: f"A{i + 1:05d}",
            sheet.SUBMITTED: _stamp(datetime(2027, 1, 20, 9) + timedelta(minutes=37 * i)),
            titles["first_name"]: FIRST[i % len(FIRST)],
            titles["last_name"]: LAST[(i * 7) % len(LAST)],
            titles["school"]: rng.choice(options["school"]),
            titles["grade"]: rng.choice(options["grade"][1:]),
            titles["family_language"]: rng.choice(options["family_language"]),
            titles["gender"]: rng.choice(GENDERS),
            titles["first_generation"]: rng.choice([*options["first_generation"], ""]),
            sheet.PROPOSED_DECISION: "Accept" if i < len(seats) else "Waitlist",
        }
        if i == applicants - 1 and applicants > 3:
            row[sheet.PROPOSED_DECISION] = "Duplicate"
        elif i < len(seats):
            row[sheet.DECISION] = "Accept"
        else:
            row[sheet.DECISION] = rng.choice(["Waitlist", "Deny"])
        applications.append(row)

    participants: list[Record] = []
    feedback: list[Record] = []
    assignments: list[Record] = []
    hours: list[Record] = []
    accepted = [r for r in applications if r.get(sheet.DECISION) == "Accept"]
    for (session, _n), app in zip(seats, accepted, strict=False):
        applicant = str(app[sheet.APPLICANT_ID])
        meetings = session.meeting_starts()
        registered = rng.random() < 0.92
        released = registered and rng.random() < 0.9
        attended = released and rng.random() < 0.85
        row = {
            sheet.APPLICANT_ID: applicant, "First name": app[titles["first_name"]],
            "Last name": app[titles["last_name"]], sheet.SESSION_ID: session.id,
            sheet.PLACEMENT: sheet.PLACED,
            sheet.REGISTERED: _stamp(meetings[0] - timedelta(days=25)) if registered else None,
            sheet.RELEASE_RETURNED: _stamp(meetings[0] - timedelta(days=16)) if released else None,
            sheet.ATTENDED: "yes" if attended else ("no" if released else None),
            sheet.MINUTES: rng.randint(55, session.duration_minutes) * len(meetings) if attended else None,
            sheet.BADGE: f"{_stamp(meetings[-1] + timedelta(days=4))} assertion-{applicant}"
            if attended and rng.random() < 0.95 else None,
        }
        participants.append(row)
        if attended and rng.random() < 0.8:
            answer: Record = {sheet.FEEDBACK_KEY: f"resp-{applicant}", sheet.SESSION_ID: session.id,
                              sheet.APPLICANT_ID: applicant,
                              sheet.SUBMITTED: _stamp(meetings[-1] + timedelta(days=2))}
            for rating in config.feedback.ratings:
                answer[rating] = rng.choice([3, 4, 4, 5, 5])
            feedback.append(answer)
        for assignment in config.assignments_of(session):
            meeting = meetings[assignment.meeting - 1 if assignment.meeting > 0 else -1]
            due = meeting + timedelta(days=assignment.due_days)
            fate = rng.random()
            handed = (None if fate < 0.15 else due - timedelta(days=1) if fate < 0.8
                      else due + timedelta(days=2))
            sent = handed + timedelta(days=rng.randint(1, 6)) if handed and rng.random() < 0.85 else None
            assignments.append({
                sheet.SUBMISSION_KEY: f"{session.id}:{assignment.id}:{applicant}",
                sheet.SESSION_ID: session.id, sheet.ASSIGNMENT: assignment.id, sheet.APPLICANT_ID: applicant,
                sheet.DUE: due.date().isoformat(),
                sheet.HANDED_IN: _stamp(handed) if handed else None,
                sheet.LATE: ("yes" if handed > due else "no") if handed else "missing",
                sheet.PARTNER_FEEDBACK: "Clear work, well explained." if sent else None,
                sheet.FEEDBACK_SENT: _stamp(sent) if sent else None,
            })
        if session.hours_target is not None:
            for week, start in enumerate(meetings):
                for entry in range(2):
                    state = rng.choices(["confirmed", "rejected", ""], weights=[8, 1, 1])[0]
                    hours.append({
                        sheet.ENTRY_KEY: f"h-{applicant}-{week}-{entry}", sheet.SESSION_ID: session.id,
                        sheet.APPLICANT_ID: applicant, sheet.WORK_DATE: (start + timedelta(days=entry)).date()
                        .isoformat(), sheet.HOURS_LOGGED: rng.choice([1.5, 2, 2.5, 3]),
                        sheet.CONFIRMATION: state or None,
                        sheet.HOURS_FLAGS: "over 12 h a day" if rng.random() < 0.05 else None,
                    })
    # The feedback step's own averages for the first session (the rest are computed).
    first = config.sessions[0].id
    mine = [f for f in feedback if f[sheet.SESSION_ID] == first]
    if mine:
        average: Record = {sheet.FEEDBACK_KEY: f"average:{first}", sheet.SESSION_ID: first,
                           sheet.FEEDBACK_RESPONSES: len(mine)}
        for rating in config.feedback.ratings:
            average[rating] = round(sum(float(str(f[rating])) for f in mine) / len(mine), 2)
        feedback.append(average)

    partners: list[Record] = [
        {sheet.PARTNER_ID: p.id, "Organization": p.organization, sheet.PARTNER_STATUS: "thanked"}
        for p in config.partners]
    partners += [{sheet.PARTNER_ID: f"prospect-{i}", "Organization": f"Prospect {i}",
                  sheet.PARTNER_STATUS: STATUSES[i % len(STATUSES)]} for i in range(extra_partners)]
    return {sheet.APPLICATIONS: applications, sheet.PARTICIPANTS: participants, sheet.FEEDBACK: feedback,
            sheet.ASSIGNMENTS: assignments, sheet.HOURS: hours, sheet.PARTNERS: partners}


def fill_roster(roster: Any, tabs: dict[str, list[Record]]) -> None:
    """Write the tabs into a roster (one upsert per tab, keyed as the steps key them)."""
    keys = {sheet.APPLICATIONS: sheet.APPLICANT_ID, sheet.PARTICIPANTS: sheet.APPLICANT_ID,
            sheet.FEEDBACK: sheet.FEEDBACK_KEY, sheet.ASSIGNMENTS: sheet.SUBMISSION_KEY,
            sheet.HOURS: sheet.ENTRY_KEY, sheet.PARTNERS: sheet.PARTNER_ID}
    for tab, rows in tabs.items():
        if rows:
            roster.upsert(tab, keys[tab], rows)
