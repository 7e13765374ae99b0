"""Every OAuth scope microintern asks for, in one place (least privilege).

Each scope is the narrowest one that allows the methods the adapters call; the README lists
the same table for the Workspace admin who grants domain-wide delegation.
"""

from __future__ import annotations

SHEETS = "https://www.googleapis.com/auth/spreadsheets"
GMAIL_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
FORMS_BODY = "https://www.googleapis.com/auth/forms.body"
FORMS_RESPONSES = "https://www.googleapis.com/auth/forms.responses.readonly"
CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events.owned"
MEET_SPACES = "https://www.googleapis.com/auth/meetings.space.created"
DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"

SCOPES: dict[str, str] = {
    SHEETS: "read and write the program spreadsheet",
    GMAIL_COMPOSE: "create drafts and send them (no access to read mail)",
    FORMS_BODY: "create and update the program's forms",
    FORMS_RESPONSES: "read form responses",
    CALENDAR_EVENTS: "create and update events on calendars the user owns",
    MEET_SPACES: "create Meet spaces and read their attendance",
    DRIVE_FILE: "files the app creates (flyers, submission folders) and their sharing",
}

ALL = tuple(SCOPES)
