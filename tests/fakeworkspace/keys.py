"""Credential files for tests, generated at test time and registered with the fake.

No key material lives in the repository: each call makes a fresh RSA key (or refresh
token), writes the JSON file google-auth reads (mode 0600, like a real key file should
be), and tells the fake about it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from .workspace import FakeWorkspace

DEFAULT_CLIENT_EMAIL = "svc@district-test.iam.gserviceaccount.com"


def _write_private(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to an existing file
    return path


def write_service_account_file(
    path: str | os.PathLike[str],
    fake: FakeWorkspace,
    client_email: str = DEFAULT_CLIENT_EMAIL,
    delegation_scopes: Iterable[str] | None = None,
) -> Path:
    """Write a service-account key file whose ``token_uri`` is the fake's, and register it.

    Args:
        path: where to write the JSON key file.
        fake: the running fake; its ``token_uri`` goes in the file.
        client_email: the service account's address (JWT ``iss``).
        delegation_scopes: scopes granted for domain-wide delegation; None allows any
            ``subject`` with any scope, an empty list refuses every delegated token.

    Returns:
        The path written.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_id = secrets.token_hex(20)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    project_id = "district-test"
    client_id = str(100000000000000000000 + secrets.randbelow(10**20))
    document = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": key_id,
        "private_key": private_pem,
        "client_email": client_email,
        "client_id": client_id,
        "auth_uri": fake.url + "/auth",
        "token_uri": fake.token_uri,
        "auth_provider_x509_cert_url": fake.url + "/oauth2/v1/certs",
        "client_x509_cert_url": fake.url + "/robot/v1/metadata/x509/" + client_email,
        "universe_domain": "googleapis.com",
    }
    fake.auth.add_service_account(client_email, key_id, public_pem, delegation_scopes)
    return _write_private(Path(path), document)


def write_authorized_user_file(
    path: str | os.PathLike[str],
    fake: FakeWorkspace,
    user: str,
    scopes: Iterable[str],
) -> Path:
    """Write an installed-app ``authorized_user`` file and register its refresh token.

    google-auth ignores ``token_uri`` in these files (it always uses Google's endpoint):
    load them with ``Credentials.from_authorized_user_file(path).with_token_uri(...)``.

    Returns:
        The path written.
    """
    client_id = f"{secrets.token_hex(6)}.apps.googleusercontent.com"
    client_secret = "fake-secret-" + secrets.token_urlsafe(12)
    refresh_token = "1//fake-" + secrets.token_urlsafe(24)
    scope_list = sorted(set(scopes))
    fake.auth.add_refresh_token(client_id, client_secret, refresh_token, user, scope_list)
    document = {
        "type": "authorized_user",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "token_uri": fake.token_uri,
        "scopes": scope_list,
        "account": user,
        "universe_domain": "googleapis.com",
    }
    return _write_private(Path(path), document)
