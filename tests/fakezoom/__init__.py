"""A fake Zoom REST API v2 on loopback for tests: ``from fakezoom import FakeZoom``.

It signs in Server-to-Server OAuth apps (account credentials grant), keeps users, meetings,
registrants and past meetings, validates every request's route, scopes, query parameters and
body (unknown fields refused), and injects the Workspace fake's faults (``drop_after``: applied,
response lost)::

    with FakeZoom() as zoom:
        zoom.add_app("ACC", "CID", "SECRET", ZOOM_SCOPES)
        zoom.add_user("host@district.example")
        zoom.faults.add("zoom.meetings.create", "drop_after", rate=0.1, seed=1)
        ...  # point the client's api_base at zoom.api_base and token_url at zoom.token_url
        assert zoom.rejections == [] and zoom.errors == []
"""

from .server import FakeZoom
from .state import Answer, Call, ZoomState

ACCOUNT_ID = "acc-mesa-valley"
CLIENT_ID = "cid-microintern"
CLIENT_SECRET = "secret-for-tests-only"

__all__ = ["ACCOUNT_ID", "CLIENT_ID", "CLIENT_SECRET", "Answer", "Call", "FakeZoom", "ZoomState"]
