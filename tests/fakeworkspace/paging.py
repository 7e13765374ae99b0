"""Opaque page tokens bound to the request that produced them (as Google's are)."""

from __future__ import annotations

import base64
import json
from typing import Any

from .errors import bad_request


def encode(offset: int, binding: Any = None) -> str:
    """A page token for the item at ``offset`` of a listing made with ``binding``."""
    raw = json.dumps({"o": offset, "b": binding}, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None, binding: Any = None) -> int:
    """The offset in ``token`` (0 if None); 400 if it is malformed or from another listing."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request("Invalid page token.") from exc
    if data.get("b") != json.loads(json.dumps(binding)):  # compare as JSON (tuples -> lists)
        raise bad_request("The page token does not match the other request parameters.")
    return offset


def page(items: list[Any], token: str | None, size: int, key: str, binding: Any = None) -> dict[str, Any]:
    """``{key: items[...], "nextPageToken": ...}``; an empty page omits ``key`` like Google."""
    start = decode(token, binding)
    chunk = items[start : start + size]
    out: dict[str, Any] = {}
    if chunk:
        out[key] = chunk
    if start + size < len(items):
        out["nextPageToken"] = encode(start + size, binding)
    return out
