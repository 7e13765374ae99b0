"""Assignments (multi-week sessions): folders, the hand-in form, hand-ins, feedback, reminders.

Every run, for each session with assignments:

- **Folders** (Drive, made once): one per session, "<program> / <session> — submissions", shared
  with the partner (commenter), the teacher and the coordinator (writers) and never with a
  student; inside it one folder per student, shared with that student only (writer), and in
  it one folder per assignment. Students see their own folder and nothing else. The session
  folder's id is kept in the Settings tab and each assignment folder's in the Assignments tab's
  Folder ID column, so a rerun makes no folder twice (and a lost id is found again by name).
- **Access follows the sheet**: who the session folder is shared with is remembered in the
  Settings tab; when the session's partner or teacher changes, the new one is given access and
  the old one's is taken away. ``assignment.access_ends_after_days`` after the session's last
  meeting, the students lose their folders and the partner and teacher the session folder (the
  coordinator keeps it), once.
- **The hand-in form** (one for the program): student id and assignment prefilled, a link to
  the work, notes for the partner. The Forms API cannot make file-upload questions, so files go
  in the student's folder instead: work is handed in by a usable link in the form or by a file
  in the assignment's folder, whichever comes first.
- **The Assignments tab**: one row per student and assignment (Due, Handed in, Late, Work,
  Student note, Folder), tool columns only; the partner or teacher fills Partner feedback and
  Rating, the coordinator Notes.
- **Letters**, exactly once per Outbox key: the assignment from the day of the meeting it
  follows; one reminder ``assignment.student_reminder_days`` before the due date if nothing
  came in; the partner's feedback and rating once Partner feedback is filled (sent once: later
  edits are not sent again); and to the partner and the teacher, the hand-ins still waiting for
  feedback ``assignment.partner_feedback_reminder_days`` after they came in (first name and last
  initial only), at most once a day, again when another hand-in becomes overdue or after the
  same number of days.
"""

from __future__ import annotations

from microintern.steps.assignments.folders import (
    access_ends_on,
    session_folder_name,
    student_folder_name,
)
from microintern.steps.assignments.letters import FEEDBACK, GIVEN, PARTNER_REMINDER, REMINDER
from microintern.steps.assignments.run import run_assignments

# Where the step keeps its folders' ids and access, importable from here as before the split.
from microintern.steps.sheet.settings import access_ended_setting, access_setting, folder_setting

__all__ = [
    "FEEDBACK", "GIVEN", "PARTNER_REMINDER", "REMINDER", "access_ended_setting", "access_ends_on",
    "access_setting", "folder_setting", "run_assignments", "session_folder_name", "student_folder_name",
]
