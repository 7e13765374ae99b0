"""Zoom through its REST API v2 with a Server-to-Server OAuth app (the VideoMeetings port).

``credentials``: the account id, client id and secret from a 0600 JSON file; ``client``: the
token and every HTTP request (retries for idempotent calls only); ``meetings``: the port.
"""

from __future__ import annotations

from microintern.adapters.zoom.client import ZoomClient, ZoomError
from microintern.adapters.zoom.credentials import ZoomCredentials, load_credentials
from microintern.adapters.zoom.meetings import ZoomMeetings
from microintern.adapters.zoom.scopes import SCOPES

__all__ = ["SCOPES", "ZoomClient", "ZoomCredentials", "ZoomError", "ZoomMeetings", "load_credentials"]
