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

No student's address or link is ever put in an error message: Zoom's own message is dropped.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from microintern.adapters.zoom.client import ZoomClient, ZoomError
from microintern.domain.video import Registrant

PAGE_SIZE = 300
MAX_PAGES = 1000
_ATTEMPTS = 3  # a registration whose answer was lost and that the list does not show is sent again


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
