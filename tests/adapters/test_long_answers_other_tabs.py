"""Long answers outside Applications, on the fake Workspace (which refuses cells over 50,000).

A 200,000-character feedback answer and a 200,000-character industry form answer: the write
succeeds for everyone, the cell keeps the beginning and a marker naming its Long answers key,
the full text is kept there, and a rerun writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from adapters.conftest import SPREADSHEET_ID, GoogleProgram
from adapters.test_google_feedback import DAY_2, SESSION, context, seat, tab
from adapters.test_google_feedback import answer as feedback_answer
from adapters.test_google_partners import NOW, contacted, partners, pipeline, seed
from adapters.test_google_partners import answer as industry_answer
from fakeworkspace import FakeWorkspace

from microintern.domain import program_sheet as sheet
from microintern.domain.feedback import IMPROVE_KEY, LEARNED_KEY, SESSION_KEY, feedback_spec
from microintern.domain.long_answers import GOOGLE_CELL_LIMIT, cut_marker, full_text, utf16_length
from microintern.domain.participation import APPLICANT_KEY
from microintern.steps.feedback import request_feedback

LONG = ("Aprendí mucho 😀 sobre redes.\n" * 7_000)[:200_000]   # emoji: two UTF-16 units each


def long_answers(fake: FakeWorkspace) -> list[dict[str, object]]:
    rows = fake.sheets.values(SPREADSHEET_ID, sheet.LONG_ANSWERS)
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:] if row]


def test_a_200k_feedback_answer_is_cut_marked_and_kept_and_everyone_is_written(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat(google_program)
    request_feedback(context(google_program, DAY_2), [SESSION])          # makes the forms
    english = feedback_spec(google_program.config, "en")
    when = DAY_2 + timedelta(hours=12)
    feedback_answer(fake, english, "resp-long", when, {
        APPLICANT_KEY: "A-0000001", SESSION_KEY: SESSION, LEARNED_KEY: LONG, IMPROVE_KEY: "More time"})
    feedback_answer(fake, english, "resp-short", when, {
        APPLICANT_KEY: "A-0000003", SESSION_KEY: SESSION, LEARNED_KEY: "Logs"})

    result = request_feedback(context(google_program, DAY_2 + timedelta(days=1)), [SESSION])
    assert result.counts["answered"] == 2
    assert result.counts["answers cut to fit a cell (full text in Long answers)"] == 1
    rows = tab(fake, sheet.FEEDBACK, sheet.FEEDBACK_KEY)
    assert rows["resp-short"][sheet.FEEDBACK_LEARNED] == "Logs"             # everyone is written
    cell = str(rows["resp-long"][sheet.FEEDBACK_LEARNED])
    assert rows["resp-long"][sheet.FEEDBACK_IMPROVE] == "More time"
    assert utf16_length(cell) <= GOOGLE_CELL_LIMIT and cell.startswith(LONG[:1000])
    marker = cut_marker(cell)
    assert marker is not None and marker.total == len(LONG)
    assert marker.key == "A-0000001/feedback-resp-long-learned"
    kept = long_answers(fake)
    assert full_text(kept, marker.key) == LONG                              # the full text, exactly
    assert {r[sheet.APPLICANT_ID] for r in kept} == {"A-0000001"}
    participants = tab(fake, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    assert participants["A-0000001"][sheet.FEEDBACK_RETURNED] == "2027-03-18"

    # A rerun finds the fitted cell unchanged: nothing is written, no piece twice.
    fake.reset_calls()
    request_feedback(context(google_program, DAY_2 + timedelta(days=1, hours=1)), [SESSION])
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 0
    assert fake.count("sheets.spreadsheets.values.append") == 0
    assert len(long_answers(fake)) == len(kept)


def test_a_200k_industry_answer_is_cut_marked_and_kept_and_every_partner_is_written(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seed(google_program, [contacted("solis-cyber", **{sheet.PARTNER_STATUS: "meeting scheduled"}),
                          contacted("desert-health", **{sheet.PARTNER_STATUS: "meeting scheduled"})])
    pipeline(google_program)                                                # makes the form
    industry_answer(fake, google_program, "r-1", NOW + timedelta(days=2), {
        "partner_id": "solis-cyber", "organization": "Solis Cyber Defense", "topic": "Blue team",
        "skills": LONG, "group_size": "4-6", "recording_consent": "Yes",
        "available_dates": ["Tuesday March 16 2027 at 3:30 PM"]})
    industry_answer(fake, google_program, "r-2", NOW + timedelta(days=2), {
        "partner_id": "desert-health", "organization": "Desert Regional Health", "topic": "Triage",
        "skills": "Vital signs", "group_size": "5", "recording_consent": "No",
        "available_dates": ["Thursday March 18 2027 at 3:30 PM"]})

    result = pipeline(google_program, NOW + timedelta(days=3))
    assert result.counts["industry answers written"] == 2
    assert result.counts["answers cut to fit a cell (full text in Long answers)"] == 1
    rows = partners(fake)
    assert rows["desert-health"]["Skills to teach"] == "Vital signs"
    solis = rows["solis-cyber"]
    assert solis[sheet.PARTNER_STATUS] == "industry form received" and solis["Topic"] == "Blue team"
    cell = str(solis["Skills to teach"])
    assert utf16_length(cell) <= GOOGLE_CELL_LIMIT and cell.startswith(LONG[:1000])
    marker = cut_marker(cell)
    assert marker is not None and marker.total == len(LONG)
    assert marker.key == "partner-solis-cyber/industry-skills"
    kept = long_answers(fake)
    assert full_text(kept, marker.key) == LONG
    assert all(not r.get(sheet.APPLICANT_ID) for r in kept)                 # a partner is no applicant

    fake.reset_calls()
    pipeline(google_program, NOW + timedelta(days=3))
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 0
    assert fake.count("sheets.spreadsheets.values.append") == 0


def test_a_long_hand_in_note_is_cut_to_a_cell_with_a_marker() -> None:
    from microintern.steps.sheet.long_answers import NOTE_CHARS, fitted_note

    assert fitted_note("Short note") == "Short note"
    cell = fitted_note(LONG)
    assert utf16_length(cell) < NOTE_CHARS + 100 and cell.startswith(LONG[:1000])
    assert cell.endswith(f"[cut: {len(LONG):,} characters in all; the whole note is in the hand-in form]")
