"""YouTube Live for showcase sessions: the :class:`~microintern.ports.video.Broadcasts` port.

YouTube Data API v3, through google-api-python-client and its bundled discovery document.
REST reference: https://developers.google.com/youtube/v3/live/docs/liveBroadcasts

A showcase gets one liveBroadcast (unlisted, made-for-kids as the district decides, auto start
and auto stop: it goes live when the teacher starts streaming to the key and ends when they
stop) bound to one liveStream (RTMP, resolution and frame rate detected). The stream's key is
read when the run sheet is written (:meth:`YouTubeBroadcasts.stream_key`), never stored.

Lost answers. Neither ``liveBroadcasts.insert`` nor ``liveStreams.insert`` takes a request id,
so an insert is never repeated blindly: both titles end with the session's tag, and after an
insert whose outcome is unknown (a dropped connection, a timeout, a 5xx) the channel's
broadcasts (or streams) are listed and the one with the tag is taken. Everything else is safe
to repeat: ``update`` sets the same resource again, ``bind`` binds the same stream again, a
second ``delete`` answers 404 (taken as gone). Inserts are retried only after a refusal (429 or
a rate-limit 403), which made nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.video import Broadcast, BroadcastPlan, watch_url
from microintern.errors import BackendError

_PAGE = 50                # the API's largest page
_MAX_PAGES = 200
_INSERT_ATTEMPTS = 3


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def broadcast_to_api(plan: BroadcastPlan, broadcast_id: str | None = None) -> dict[str, Any]:
    """The liveBroadcast body for ``plan`` (camelCase stays in this module)."""
    body: dict[str, Any] = {
        "snippet": {"title": plan.title, "description": plan.description,
                    "scheduledStartTime": _stamp(plan.start), "scheduledEndTime": _stamp(plan.end)},
        # Unlisted: only people with the link (the session's families) find it.
        "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": plan.made_for_kids},
        "contentDetails": {"enableAutoStart": True, "enableAutoStop": True,
                           # update needs these two; the monitor stream is YouTube's preview.
                           "monitorStream": {"enableMonitorStream": True, "broadcastStreamDelayMs": 0}},
    }
    if broadcast_id is not None:
        body["id"] = broadcast_id
    return body


def stream_to_api(plan: BroadcastPlan) -> dict[str, Any]:
    """The liveStream body: RTMP, resolution and frame rate left to YouTube to detect."""
    return {"snippet": {"title": plan.title},
            "cdn": {"ingestionType": "rtmp", "resolution": "variable", "frameRate": "variable"},
            "contentDetails": {"isReusable": False}}


class YouTubeBroadcasts:
    """Broadcasts on the channel of the signed-in (delegated) user."""

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._broadcasts = service.liveBroadcasts()
        self._streams = service.liveStreams()
        self._retry = retry or Retry()
        self._refusals = Retry(self._retry.attempts, self._retry.sleep, refusals_only=True)

    # --- the port ---

    def ensure_broadcast(self, plan: BroadcastPlan) -> Broadcast:
        """The session's broadcast (found by its tag, else made once), set to ``plan`` and bound."""
        found = self._find(self._list_broadcasts, plan.marker)
        if found is not None:
            return self.update_broadcast(str(found["id"]), plan)
        made = self._insert(lambda: self._broadcasts.insert(
            part="id,snippet,status,contentDetails", body=broadcast_to_api(plan)),
            "youtube liveBroadcasts.insert", self._list_broadcasts, plan.marker)
        return self._bound(str(made["id"]), plan, made)

    def update_broadcast(self, broadcast_id: str, plan: BroadcastPlan) -> Broadcast:
        """Set the broadcast to ``plan`` and make sure its stream is bound; 404 when it is gone."""
        updated = execute(self._broadcasts.update(part="id,snippet,status,contentDetails",
                                                  body=broadcast_to_api(plan, broadcast_id)),
                          "youtube liveBroadcasts.update", retry=self._retry)
        return self._bound(broadcast_id, plan, updated)

    def delete_broadcast(self, broadcast_id: str) -> bool:
        """Delete the broadcast and then its stream; False when the broadcast was gone already."""
        stream = self._bound_stream(broadcast_id)
        try:
            execute(self._broadcasts.delete(id=broadcast_id), "youtube liveBroadcasts.delete",
                    retry=self._retry)
        except BackendError as exc:
            if exc.code != 404:
                raise
            return False
        if stream:
            try:
                execute(self._streams.delete(id=stream), "youtube liveStreams.delete", retry=self._retry)
            except BackendError as exc:
                if exc.code != 404:
                    raise
        return True

    def stream_key(self, broadcast_id: str) -> tuple[str, str] | None:
        """(ingestion address, stream key) of the broadcast's stream, read now; None when unbound."""
        stream = self._bound_stream(broadcast_id)
        if not stream:
            return None
        page = execute(self._streams.list(part="id,cdn", id=stream), "youtube liveStreams.list",
                       retry=self._retry)
        for item in page.get("items", []):
            info = (item.get("cdn") or {}).get("ingestionInfo") or {}
            if info.get("streamName"):
                return str(info.get("ingestionAddress", "")), str(info["streamName"])
        return None

    # --- helpers ---

    def _bound(self, broadcast_id: str, plan: BroadcastPlan, broadcast: dict[str, Any]) -> Broadcast:
        """Bind the session's stream (made once, found by its tag) unless it is bound already."""
        stream = str((broadcast.get("contentDetails") or {}).get("boundStreamId") or "")
        if not stream:
            found = self._find(self._list_streams, plan.marker)
            made = found if found is not None else self._insert(
                lambda: self._streams.insert(part="id,snippet,cdn,contentDetails", body=stream_to_api(plan)),
                "youtube liveStreams.insert", self._list_streams, plan.marker)
            stream = str(made["id"])
            execute(self._broadcasts.bind(id=broadcast_id, streamId=stream, part="id,contentDetails"),
                    "youtube liveBroadcasts.bind", retry=self._retry)
        return Broadcast(broadcast_id=broadcast_id, stream_id=stream, watch_url=watch_url(broadcast_id))

    def _bound_stream(self, broadcast_id: str) -> str:
        page = execute(self._broadcasts.list(part="id,contentDetails", id=broadcast_id),
                       "youtube liveBroadcasts.list", retry=self._retry)
        for item in page.get("items", []):
            return str((item.get("contentDetails") or {}).get("boundStreamId") or "")
        return ""

    def _insert(self, request: Callable[[], Any], what: str,
                lister: Callable[[str | None], Any], marker: str) -> dict[str, Any]:
        """Insert once; after an unknown outcome, take what the list shows before trying again."""
        for _ in range(_INSERT_ATTEMPTS):
            try:
                made: dict[str, Any] = execute(request(), what, retry=self._refusals)
                return made
            except BackendError as exc:
                if not exc.retryable or exc.code in (403, 429):
                    raise
            found = self._find(lister, marker)
            if found is not None:
                return found
        raise BackendError(f"{what}: nothing made after several attempts; a rerun looks again first",
                           retryable=True)

    def _list_broadcasts(self, token: str | None) -> Any:
        return execute(self._broadcasts.list(part="id,snippet,contentDetails", mine=True, broadcastType="all",
                                             maxResults=_PAGE, pageToken=token),
                       "youtube liveBroadcasts.list", retry=self._retry)

    def _list_streams(self, token: str | None) -> Any:
        return execute(self._streams.list(part="id,snippet", mine=True, maxResults=_PAGE, pageToken=token),
                       "youtube liveStreams.list", retry=self._retry)

    @staticmethod
    def _find(lister: Callable[[str | None], Any], marker: str) -> dict[str, Any] | None:
        """The first item whose title ends with ``marker``, every page read."""
        token: str | None = None
        for _ in range(_MAX_PAGES):
            page = lister(token)
            for item in page.get("items", []):
                if str((item.get("snippet") or {}).get("title", "")).endswith(marker):
                    return dict(item)
            token = page.get("nextPageToken")
            if not token:
                break
        return None
