"""Every OAuth scope microintern asks for, in one place (least privilege).

Each scope is the narrowest one that allows the methods the adapters call; the README lists
the same table for the Workspace admin who grants domain-wide delegation.
"""

from __future__ import annotations

SHEETS = "https://www.googleapis.com/auth/spreadsheets"
GMAIL_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
FORMS_BODY = "https://www.googleapis.com/auth/forms.body"
FORMS_RESPONSES = "https://www.googleapis.com/auth/forms.responses.readonly"
CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events.owned"
MEET_SPACES = "https://www.googleapis.com/auth/meetings.space.created"
MEET_SETTINGS = "https://www.googleapis.com/auth/meetings.space.settings"
DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"
DRIVE_METADATA = "https://www.googleapis.com/auth/drive.metadata.readonly"

SCOPES: dict[str, str] = {
    SHEETS: "read and write the program spreadsheet",
    GMAIL_COMPOSE: "create drafts and send them",
    # Proof of sending. A draft that vanished may have been sent or deleted by a person; only
    # a search of sent mail for the letter's own Message-ID (rfc822msgid:) tells which, so a
    # letter is never booked sent without proof nor sent twice. gmail.metadata was weighed and
    # refused: it cannot search (no `q`), so proving one letter would mean listing the whole
    # Sent folder and reading every message's headers (thousands of calls), and those headers
    # (recipients, subjects) are most of what readonly would show anyway. microintern asks only
    # for message ids (messages.list with fields=messages(id)), never reads a body, and only
    # after a draft has gone missing or a send's answer was lost.
    GMAIL_READONLY: "find a letter among sent mail by its Message-ID, to prove it went out "
                    "(only ids are asked for; no message is read)",
    FORMS_BODY: "create and update the program's forms",
    FORMS_RESPONSES: "read form responses",
    CALENDAR_EVENTS: "create and update events on calendars the user owns",
    MEET_SPACES: "create Meet spaces and read their attendance",
    # A session's space is made by Calendar through its first event (the only way a lost answer
    # cannot leave a second space); it is then not "created by the app", so patching its access,
    # moderation and recording needs this scope rather than meetings.space.created.
    MEET_SETTINGS: "set access, moderation and recording of the sessions' Meet spaces",
    DRIVE_FILE: "files the app creates (flyers, submission folders) and their sharing",
    # drive.file cannot see files students put in their submission folders (they are the
    # students', not the app's): names, links and times only, never contents.
    DRIVE_METADATA: "see which files students handed in to their folders (names and dates, not contents)",
}

ALL = tuple(SCOPES)

# Naming Meet's participants for attendance (config ``attendance.lookup``): only the scope of
# the lookup chosen is asked for, with credentials of its own, so a district that has not
# granted it loses the attendance lookup (the coordinator column remains), not the whole run.
PEOPLE_DIRECTORY = "https://www.googleapis.com/auth/directory.readonly"
ADMIN_DIRECTORY_USERS = "https://www.googleapis.com/auth/admin.directory.user.readonly"
LOOKUP_SCOPES: dict[str, tuple[str, str]] = {
    "people": (PEOPLE_DIRECTORY, "attendance.lookup people: read the domain directory to turn "
               "Meet participants into addresses"),
    "directory": (ADMIN_DIRECTORY_USERS, "attendance.lookup directory: read users (public view) "
                  "to turn Meet participants into addresses"),
}


# Showcase sessions on YouTube Live (a session's ``broadcast: youtube``): asked for with
# credentials of their own, only by a program that has one. liveBroadcasts and liveStreams
# accept ``youtube`` or ``youtube.force-ssl``; both reach the whole channel.
YOUTUBE = "https://www.googleapis.com/auth/youtube"
YOUTUBE_WHY = ("broadcast: youtube only: make, bind and remove the showcase's unlisted live "
               "broadcast and its stream on the delegated user's channel")


def lookup_scope(lookup: str) -> str | None:
    """The scope the attendance lookup needs (None for ``none``)."""
    entry = LOOKUP_SCOPES.get(lookup)
    return entry[0] if entry else None


def needed(lookup: str) -> tuple[str, ...]:
    """Every scope a program asks for: :data:`ALL` plus its attendance lookup's."""
    extra = lookup_scope(lookup)
    return ALL + ((extra,) if extra else ())
