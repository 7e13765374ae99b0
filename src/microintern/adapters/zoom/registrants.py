"""Students' own join links on Zoom: meeting registrants, matched by email.

REST reference: https://developers.zoom.us/docs/api/meetings/ ("Add a meeting registrant",
"List meeting registrants").

Why registrants and not invite links (``POST /meetings/{meetingId}/invite_links``): invite links
are made per name and cannot be listed back, so after a lost answer there is no telling whether
a student's link exists, and a repeat makes a second one. Registrants are keyed by email:
``GET /meetings/{meetingId}/registrants`` answers who is registered with each one's link, so a
rerun (or a retry after a lost answer) registers nobody twice and the link is never stored.

The meeting asks for registration with automatic approval and no mail from Zoom (see
``meetings.meeting_to_api``), so each link reaches its student only through microintern's
letters. Zoom keeps registration to meetings with fixed times: a recurring meeting without one
has none, and its students use the meeting's link through the waiting room.

A student no longer placed in the session (withdrawn, moved to another session) is cancelled
(``PUT /meetings/{meetingId}/registrants/status`` with ``action: cancel``), so their own link
stops working. Only registrants the tool made are touched: an address the program knows as a
student's school address and not placed in this session. The teacher, the partner and anyone
the host added by hand are left alone.

No student's address or link is ever put in an error message: Zoom's own message is dropped.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Collection, Sequence
from typing import Any

from microintern.adapters.zoom.client import ZoomClient, ZoomError
from microintern.domain.video import Registrant

PAGE_SIZE = 300
MAX_PAGES = 1000
_ATTEMPTS = 3  # a registration whose answer was lost and that the list does not show is sent again
CANCEL_BATCH = 30  # registrants per status update (Zoom takes at most 30 in one request)


def _quiet(exc: ZoomError, what: str) -> ZoomError:
    """``exc`` without Zoom's message (it may name the registrant's address)."""
    error = ZoomError(f"Zoom {what}: {exc.code or 'no answer'}"
                      + (f" (code {exc.zoom_code})" if exc.zoom_code is not None else ""),
                      code=exc.code, zoom_code=exc.zoom_code, retryable=exc.retryable,
                      unknown=exc.unknown, retry_after=exc.retry_after)
    return error


def registrant_body(person: Registrant) -> dict[str, Any]:
    """The body of ``POST /meetings/{meetingId}/registrants``: email, first name, last initial."""
    body: dict[str, Any] = {"email": person.email, "first_name": person.first_name[:64] or "Student"}
    if person.last_initial:
        body["last_name"] = person.last_initial[:64]
    return body


class ZoomRegistrants:
    """The registrants of one account's meetings."""

    def __init__(self, client: ZoomClient) -> None:
        self.client = client

    @staticmethod
    def _path(meeting_id: str) -> str:
        return f"/meetings/{urllib.parse.quote(meeting_id, safe='')}/registrants"

    def listed(self, meeting_id: str) -> dict[str, str]:
        """Every approved registrant of the meeting: casefolded email → their join link."""
        found: dict[str, str] = {}
        token = ""
        for _ in range(MAX_PAGES):
            params = {"status": "approved", "page_size": PAGE_SIZE,
                      **({"next_page_token": token} if token else {})}
            try:
                page = self.client.call("GET", self._path(meeting_id), params=params,
                                        what="registrants.list") or {}
            except ZoomError as exc:
                raise _quiet(exc, "registrants.list") from None
            for item in page.get("registrants", []):
                email = str(item.get("email") or "").strip().casefold()
                if email and item.get("join_url"):
                    found.setdefault(email, str(item["join_url"]))
            token = str(page.get("next_page_token") or "")
            if not token:
                break
        return found

    def join_links(self, meeting_id: str, people: Sequence[Registrant]) -> dict[str, str]:
        """Each of ``people`` registered once: casefolded email → their own join link.

        Reads the registrants first; registers only those missing. A registration whose answer
        was lost is looked for in the list before it is sent again.
        """
        links = self.listed(meeting_id)
        for person in people:
            key = person.email.strip().casefold()
            if not key or key in links:
                continue
            for _ in range(_ATTEMPTS):
                try:
                    made = self.client.call("POST", self._path(meeting_id), body=registrant_body(person),
                                            what="registrants.create")
                except ZoomError as exc:
                    if not exc.unknown:
                        raise _quiet(exc, "registrants.create") from None
                    again = self.listed(meeting_id)
                    if key in again:
                        links[key] = again[key]
                        break
                    continue  # not registered: safe to send again
                links[key] = str(made["join_url"])
                break
            else:
                raise ZoomError("Zoom registrants.create: a student could not be registered after "
                                "several attempts; a rerun looks for them again first", retryable=True)
        wanted = {p.email.strip().casefold() for p in people}
        return {k: v for k, v in links.items() if k in wanted}

    def cancel_unplaced(self, meeting_id: str, placed: Collection[str], students: Collection[str]) -> int:
        """Cancel each registrant who is one of ``students`` but not in ``placed``; how many were cancelled.

        ``students``: every school address the program knows (only these were registered by the
        tool); ``placed``: the addresses of the students placed in this meeting's session. Safe to
        repeat: the list is read first, and after a lost answer it is read again before anything
        is sent again, so nobody is cancelled twice and a rerun sends nothing.
        """
        keep = {e.strip().casefold() for e in placed}
        ours = {e.strip().casefold() for e in students} - keep
        done = 0
        for _ in range(_ATTEMPTS):
            gone = sorted(e for e in self.listed(meeting_id) if e in ours)
            if not gone:
                return done
            try:
                for start in range(0, len(gone), CANCEL_BATCH):
                    batch = gone[start:start + CANCEL_BATCH]
                    self.client.call("PUT", f"{self._path(meeting_id)}/status",
                                     body={"action": "cancel",
                                           "registrants": [{"email": e} for e in batch]},
                                     what="registrants.status")
                    done += len(batch)
            except ZoomError as exc:
                if not exc.unknown and not exc.retryable:
                    raise _quiet(exc, "registrants.status") from None
                continue  # the outcome is unknown (or Zoom was busy): read the list again first
            return done
        raise ZoomError("Zoom registrants.status: students no longer placed could not all be "
                        "cancelled; a rerun reads the list again first", retryable=True)
