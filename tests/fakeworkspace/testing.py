"""A test harness: one running fake, one service-account key, cached real clients.

``tests/conftest.py`` provides it as the module fixture ``ws``; a module resets it per test::

    @pytest.fixture(autouse=True)
    def _fresh(ws):
        ws.fake.reset()
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gspread
import requests
from google.oauth2 import service_account

from .clients import build_service, gspread_client, service_account_credentials
from .keys import write_service_account_file
from .workspace import FakeWorkspace

SUBJECT = "coordinator@district.test"
VERSIONS = {
    "sheets": "v4",
    "gmail": "v1",
    "calendar": "v3",
    "forms": "v1",
    "meet": "v2",
    "drive": "v3",
    "people": "v1",
    "admin": "directory_v1",
}
_AUTH = "https://www.googleapis.com/auth/"
ALL_SCOPES: tuple[str, ...] = (
    _AUTH + "spreadsheets",
    _AUTH + "gmail.compose",
    _AUTH + "gmail.readonly",
    _AUTH + "calendar.events",
    _AUTH + "forms.body",
    _AUTH + "forms.responses.readonly",
    _AUTH + "meetings.space.created",
    _AUTH + "meetings.space.readonly",
    _AUTH + "meetings.space.settings",
    _AUTH + "drive",
    _AUTH + "directory.readonly",
    _AUTH + "admin.directory.user.readonly",
)


class Harness:
    """A started fake plus a registered service account and client factories."""

    def __init__(self, fake: FakeWorkspace, key_file: Path) -> None:
        self.fake = fake
        self.key_file = key_file
        self._creds: dict[tuple[tuple[str, ...], str | None], service_account.Credentials] = {}
        self._services: dict[tuple[Any, ...], Any] = {}
        self._sessions: list[requests.Session] = []

    @classmethod
    @contextmanager
    def start(cls, folder: Path) -> Iterator[Harness]:
        """Start a fake and write a service-account key for it into ``folder``."""
        with FakeWorkspace() as fake:
            harness = cls(fake, write_service_account_file(folder / "service-account.json", fake))
            try:
                yield harness
            finally:
                harness.close()

    def close(self) -> None:
        """Close the clients' connections."""
        for service in self._services.values():
            service.close()
        for session in self._sessions:
            session.close()
        self._services.clear()
        self._sessions.clear()

    def creds(
        self, scopes: Sequence[str] = ALL_SCOPES, subject: str | None = SUBJECT
    ) -> service_account.Credentials:
        """Service-account credentials (cached, so tokens are fetched once)."""
        key = (tuple(scopes), subject)
        if key not in self._creds:
            self._creds[key] = service_account_credentials(self.key_file, scopes, subject)
        return self._creds[key]

    def service(
        self,
        name: str,
        *,
        scopes: Sequence[str] = ALL_SCOPES,
        subject: str | None = SUBJECT,
        timeout: float | None = None,
    ) -> Any:
        """A googleapiclient service for ``name`` (``sheets``, ``gmail``...) against the fake."""
        key = (name, tuple(scopes), subject, timeout)
        if key not in self._services:
            creds = self.creds(scopes, subject)
            self._services[key] = build_service(self.fake, name, VERSIONS[name], creds, timeout=timeout)
        return self._services[key]

    def gspread(self, scopes: Sequence[str] = ALL_SCOPES) -> gspread.Client:
        """A gspread client against the fake."""
        return gspread_client(self.fake, self.creds(scopes))

    def http(self, user: str = SUBJECT, scopes: Sequence[str] = ALL_SCOPES) -> requests.Session:
        """A plain HTTP session with a bearer token, for requests no client library would make."""
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + self.fake.issue_token(user, scopes)
        self._sessions.append(session)
        return session
