"""YouTube Data API v3, live streaming: liveBroadcasts (insert/list/update/bind/delete) and
liveStreams (insert/list/delete), per channel (the token's user).

Bodies, parameters and scopes are checked against the bundled ``youtube.v3`` discovery document
by the pipeline like every other service. On top of that, what YouTube itself refuses: an insert
or update missing ``part`` for a body section it sends, ``mine`` combined with ``id``, a bind to
a stream of another channel. ``fake.youtube.disable(user)`` simulates a channel without live
streaming enabled (403 ``liveStreamingNotEnabled``).
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
from typing import TYPE_CHECKING, Any

from . import paging
from .context import Reply, RequestContext
from .errors import ApiError, bad_request, forbidden, not_found

if TYPE_CHECKING:
    from .context import Handler

INGESTION = "rtmp://a.rtmp.youtube.com/live2"
_MAX_RESULTS = 50


class YouTubeStore:
    """Broadcasts and streams of the fake (``fake.youtube``), by channel owner (the token's user)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._ids = itertools.count(1)
        self.broadcasts: dict[str, dict[str, Any]] = {}
        self.streams: dict[str, dict[str, Any]] = {}
        self.owners: dict[str, str] = {}
        self.disabled: set[str] = set()
        self.deleted: list[str] = []

    def disable(self, user: str) -> None:
        """Live streaming not enabled on ``user``'s channel (it takes up to 24 h to turn on)."""
        with self._lock:
            self.disabled.add(user)

    def with_marker(self, marker: str) -> list[dict[str, Any]]:
        """Live broadcasts whose title ends with ``marker`` (more than one is a duplicate)."""
        with self._lock:
            return [b for b in self.broadcasts.values() if b["snippet"]["title"].endswith(marker)]

    def streams_with_marker(self, marker: str) -> list[dict[str, Any]]:
        """Live streams whose title ends with ``marker``."""
        with self._lock:
            return [s for s in self.streams.values() if s["snippet"]["title"].endswith(marker)]

    def new_id(self) -> str:
        """An id shaped like YouTube's (11 characters for a video)."""
        return f"yt{next(self._ids):09d}"


def _store(ctx: RequestContext) -> YouTubeStore:
    return ctx.fake.youtube  # type: ignore[no-any-return]


def _parts(ctx: RequestContext) -> set[str]:
    return {p.strip() for p in (ctx.arg("part") or "").split(",") if p.strip()}


def _check_parts(ctx: RequestContext, body: dict[str, Any]) -> None:
    """YouTube writes only the parts named in ``part``; a body section outside it is refused."""
    parts = _parts(ctx)
    for key in body:
        if key not in ("id", "kind", "etag") and key not in parts:
            raise bad_request(f"The request body has a '{key}' section that 'part' does not name.")


def _view(resource: dict[str, Any], parts: set[str]) -> dict[str, Any]:
    shown = {k: copy.deepcopy(v) for k, v in resource.items() if k in parts or k in ("kind", "etag")}
    shown["id"] = resource["id"]
    return shown


def _owned(ctx: RequestContext, table: dict[str, dict[str, Any]], item_id: str) -> dict[str, Any]:
    item = table.get(item_id)
    if item is None or _store(ctx).owners.get(item_id) != ctx.user:
        raise not_found("The resource could not be found.")
    return item


def _enabled(ctx: RequestContext) -> None:
    if ctx.user in _store(ctx).disabled:
        raise ApiError(403, "The user is not enabled for live streaming.", reason="liveStreamingNotEnabled",
                       domain="youtube.liveBroadcast")


def broadcasts_insert(ctx: RequestContext) -> dict[str, Any]:
    """liveBroadcasts.insert: a new broadcast on the token user's channel (lifeCycleStatus created)."""
    _enabled(ctx)
    body = ctx.json()
    _check_parts(ctx, body)
    store = _store(ctx)
    broadcast_id = store.new_id()
    resource = {"kind": "youtube#liveBroadcast", "id": broadcast_id,
                "snippet": {**body.get("snippet", {}), "channelId": f"UC-{ctx.user}"},
                "status": {**body.get("status", {}), "lifeCycleStatus": "created"},
                "contentDetails": {**body.get("contentDetails", {})}}
    store.broadcasts[broadcast_id] = resource
    store.owners[broadcast_id] = ctx.user
    return _view(resource, _parts(ctx))


def broadcasts_update(ctx: RequestContext) -> dict[str, Any]:
    """liveBroadcasts.update: replaces the named parts (unset fields are cleared, as YouTube does)."""
    body = ctx.json()
    _check_parts(ctx, body)
    resource = _owned(ctx, _store(ctx).broadcasts, str(body.get("id")))
    for part in _parts(ctx) & {"snippet", "status", "contentDetails"}:
        kept = {}
        if part == "status":
            kept = {"lifeCycleStatus": resource["status"].get("lifeCycleStatus", "created")}
        if part == "contentDetails" and resource["contentDetails"].get("boundStreamId"):
            kept = {"boundStreamId": resource["contentDetails"]["boundStreamId"]}
        if part == "snippet":
            kept = {"channelId": resource["snippet"]["channelId"]}
        resource[part] = {**body.get(part, {}), **kept}
    return _view(resource, _parts(ctx))


def broadcasts_list(ctx: RequestContext) -> dict[str, Any]:
    """liveBroadcasts.list by ``id`` or ``mine``; pages of at most 50."""
    store = _store(ctx)
    mine, ids = ctx.flag("mine"), ctx.arg("id")
    if mine and ids:
        raise bad_request("Incompatible parameters specified in the request: id, mine.")
    if not mine and not ids and not ctx.arg("broadcastStatus"):
        raise bad_request("No filter selected. Expected one of: mine, id, broadcastStatus.")
    wanted = set(ids.split(",")) if ids else None
    items = [_view(b, _parts(ctx)) for key, b in store.broadcasts.items()
             if store.owners.get(key) == ctx.user and (wanted is None or key in wanted)]
    size = min(ctx.integer("maxResults", 5), _MAX_RESULTS)
    page = paging.page(items, ctx.arg("pageToken"), size, "items", [mine, ids])
    page.setdefault("items", [])
    return {"kind": "youtube#liveBroadcastListResponse", **page}


def broadcasts_bind(ctx: RequestContext) -> dict[str, Any]:
    """liveBroadcasts.bind: the stream becomes the broadcast's (binding again is harmless)."""
    store = _store(ctx)
    resource = _owned(ctx, store.broadcasts, str(ctx.arg("id")))
    stream = ctx.arg("streamId")
    if stream:
        _owned(ctx, store.streams, stream)
        resource["contentDetails"]["boundStreamId"] = stream
        resource["status"]["lifeCycleStatus"] = "ready"
    else:
        resource["contentDetails"].pop("boundStreamId", None)
    return _view(resource, _parts(ctx))


def broadcasts_delete(ctx: RequestContext) -> Reply:
    """liveBroadcasts.delete: 204; 404 when there is none (a repeat)."""
    store = _store(ctx)
    broadcast_id = str(ctx.arg("id"))
    _owned(ctx, store.broadcasts, broadcast_id)
    del store.broadcasts[broadcast_id]
    store.deleted.append(broadcast_id)
    return Reply(status=204)


def streams_insert(ctx: RequestContext) -> dict[str, Any]:
    """liveStreams.insert: a new RTMP stream with its ingestion address and key."""
    _enabled(ctx)
    body = ctx.json()
    _check_parts(ctx, body)
    if (body.get("cdn") or {}).get("ingestionType") != "rtmp":
        raise forbidden("The fake YouTube serves RTMP streams only.")
    store = _store(ctx)
    stream_id = store.new_id()
    resource = {"kind": "youtube#liveStream", "id": stream_id, "snippet": dict(body.get("snippet", {})),
                "cdn": {**body.get("cdn", {}), "ingestionInfo": {
                    "streamName": "-".join(secrets.token_hex(2) for _ in range(4)),
                    "ingestionAddress": INGESTION, "backupIngestionAddress": INGESTION + "?backup=1"}},
                "contentDetails": dict(body.get("contentDetails", {})), "status": {"streamStatus": "ready"}}
    store.streams[stream_id] = resource
    store.owners[stream_id] = ctx.user
    return _view(resource, _parts(ctx))


def streams_list(ctx: RequestContext) -> dict[str, Any]:
    """liveStreams.list by ``id`` or ``mine``."""
    store = _store(ctx)
    mine, ids = ctx.flag("mine"), ctx.arg("id")
    if mine and ids:
        raise bad_request("Incompatible parameters specified in the request: id, mine.")
    if not mine and not ids:
        raise bad_request("No filter selected. Expected one of: mine, id.")
    wanted = set(ids.split(",")) if ids else None
    items = [_view(s, _parts(ctx)) for key, s in store.streams.items()
             if store.owners.get(key) == ctx.user and (wanted is None or key in wanted)]
    size = min(ctx.integer("maxResults", 5), _MAX_RESULTS)
    page = paging.page(items, ctx.arg("pageToken"), size, "items", [mine, ids])
    page.setdefault("items", [])
    return {"kind": "youtube#liveStreamListResponse", **page}


def streams_delete(ctx: RequestContext) -> Reply:
    """liveStreams.delete: 204; 404 when there is none."""
    store = _store(ctx)
    stream_id = str(ctx.arg("id"))
    _owned(ctx, store.streams, stream_id)
    del store.streams[stream_id]
    return Reply(status=204)


HANDLERS: dict[str, Handler] = {
    "youtube.liveBroadcasts.insert": broadcasts_insert,
    "youtube.liveBroadcasts.update": broadcasts_update,
    "youtube.liveBroadcasts.list": broadcasts_list,
    "youtube.liveBroadcasts.bind": broadcasts_bind,
    "youtube.liveBroadcasts.delete": broadcasts_delete,
    "youtube.liveStreams.insert": streams_insert,
    "youtube.liveStreams.list": streams_list,
    "youtube.liveStreams.delete": streams_delete,
}
