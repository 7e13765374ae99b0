"""Signing in to Google: a service account with domain-wide delegation, or installed-app OAuth.

The token exchange goes to the ``token_uri`` of the credentials file, so a test can point it at
the fake Workspace. Token files are written with mode 0600 and never logged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError, RefreshError
from google.auth.transport.requests import Request
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from microintern.errors import BackendError, ConfigError, ConfigProblem


def _read_json(path: Path, key: str) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), [ConfigProblem(
            key, "a credentials file (see docs/setup-google.md)", "no such file")]) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(str(path), [ConfigProblem(key, "a JSON credentials file",
                                                    type(exc).__name__)]) from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), [ConfigProblem(key, "a JSON object", type(data).__name__)])
    return data


def service_account_credentials(path: Path, *, subject: str, scopes: Sequence[str]) -> Credentials:
    """Credentials of a service account acting as ``subject`` (domain-wide delegation)."""
    info = _read_json(path, "google.credentials_file")
    if info.get("type") != "service_account":
        raise ConfigError(str(path), [ConfigProblem(
            "type", '"service_account" (or set google.auth: oauth)', repr(info.get("type")))])
    try:
        return service_account.Credentials.from_service_account_info(
            info, scopes=list(scopes), subject=subject)
    except (ValueError, GoogleAuthError) as exc:
        raise ConfigError(str(path), [ConfigProblem(
            "(file)", "a complete service account key", str(exc))]) from None


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def user_credentials_from_token(token_file: Path, *, scopes: Sequence[str]) -> Credentials:
    """Saved installed-app credentials, refreshed (and saved again) when expired."""
    info = _read_json(token_file, "google.token_file")
    creds = user_credentials.Credentials.from_authorized_user_info(info, scopes=list(scopes))
    token_uri = info.get("token_uri")
    if isinstance(token_uri, str):
        # from_authorized_user_info ignores token_uri; keep the file's (a test may point it
        # at the fake Workspace).
        creds = creds.with_token_uri(token_uri)
    if not creds.valid:
        try:
            creds.refresh(Request())
        except RefreshError as exc:
            raise BackendError(
                f"the saved Google sign-in no longer works ({exc}); run `microintern login`",
                code=401) from None
        write_private(token_file, creds.to_json())
    return creds


def login(client_secrets: Path, token_file: Path, *, scopes: Sequence[str]) -> Path:
    """Run the installed-app OAuth flow in a browser and save the token (mode 0600)."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=list(scopes))
    creds = flow.run_local_server(port=0, open_browser=True)
    write_private(token_file, creds.to_json())
    return token_file
