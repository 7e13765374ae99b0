"""Real Google client libraries pointed at a running fake (test helpers).

These are how the fake's own tests drive it, and a reference for routing the product:
googleapiclient takes ``client_options={"api_endpoint": ...}``; gspread's URLs are
constants, so it gets a session that rewrites ``https://*.googleapis.com`` to the fake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import google_auth_httplib2
import gspread
import httplib2
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from googleapiclient.discovery import build

if TYPE_CHECKING:
    from .workspace import FakeWorkspace

_GOOGLE_API = re.compile(r"^https://[a-z0-9.-]*googleapis\.com")


class RoutedSession(AuthorizedSession):
    """An ``AuthorizedSession`` sending ``https://*.googleapis.com/...`` to ``base_url``."""

    def __init__(self, credentials: Credentials, base_url: str, **kwargs: Any) -> None:
        super().__init__(credentials, **kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Rewrite the Google host, then send as usual."""
        return super().request(method, _GOOGLE_API.sub(self.base_url, url), *args, **kwargs)


def service_account_credentials(
    path: str | Path, scopes: Sequence[str], subject: str | None = None
) -> service_account.Credentials:
    """Service-account credentials from a key file written by ``write_service_account_file``."""
    return service_account.Credentials.from_service_account_file(
        str(path), scopes=list(scopes), subject=subject
    )


def build_service(
    fake: FakeWorkspace,
    name: str,
    version: str,
    credentials: Credentials,
    *,
    timeout: float | None = None,
) -> Any:
    """A googleapiclient service for ``name``/``version`` pointed at ``fake``.

    With ``timeout``, an explicit ``httplib2.Http(timeout=...)`` carries the credentials.
    """
    options = {"api_endpoint": fake.endpoint(name)}
    if timeout is None:
        return build(name, version, credentials=credentials, client_options=options, static_discovery=True)
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
    return build(name, version, http=http, client_options=options, static_discovery=True)


def gspread_client(fake: FakeWorkspace, credentials: Credentials) -> gspread.Client:
    """A gspread 6 client whose requests go to ``fake``."""
    return gspread.Client(auth=credentials, session=RoutedSession(credentials, fake.url))
