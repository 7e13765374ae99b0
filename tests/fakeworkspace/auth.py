"""The OAuth 2.0 side of the fake: registered clients, the token endpoint, bearer tokens.

Two grants, the two the project uses:

* ``urn:ietf:params:oauth:grant-type:jwt-bearer`` -- a service account's signed JWT
  (RS256, header ``kid`` = ``private_key_id``), with ``sub`` for domain-wide delegation.
* ``refresh_token`` -- an installed-app user's refresh token.

Issued access tokens carry a user and scopes; API calls are checked against them.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .errors import OAuthError

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: google-auth always signs this audience, whatever ``token_uri`` the credentials use.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
TOKEN_LIFETIME = 3600
_MAX_ASSERTION_LIFETIME = 3600
_LEEWAY = 300


@dataclass(frozen=True)
class ServiceAccount:
    """A registered service account key."""

    client_email: str
    key_id: str
    public_key: RSAPublicKey
    delegation_scopes: frozenset[str] | None = None


@dataclass(frozen=True)
class RefreshGrant:
    """A registered installed-app refresh token."""

    client_id: str
    client_secret: str
    refresh_token: str
    user: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class AccessToken:
    """An issued bearer token."""

    token: str
    user: str
    scopes: frozenset[str]
    expires_at: float
    service_account: bool = False


class TokenIssuer:
    """Registry of clients and issued tokens; implements the token endpoint."""

    def __init__(self, token_uri: Callable[[], str]) -> None:
        self._token_uri = token_uri
        self._lock = threading.Lock()
        self._accounts: dict[str, ServiceAccount] = {}
        self._refresh: dict[str, RefreshGrant] = {}
        self._tokens: dict[str, AccessToken] = {}

    # --- registration ------------------------------------------------------------------------

    def add_service_account(
        self,
        client_email: str,
        key_id: str,
        public_key_pem: bytes,
        delegation_scopes: Iterable[str] | None = None,
    ) -> ServiceAccount:
        """Register a service account's public key under its ``private_key_id``.

        ``delegation_scopes``: the scopes the domain admin granted this client for
        domain-wide delegation; None allows any, an empty list allows none.
        """
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, RSAPublicKey):
            raise TypeError("service account keys are RSA")
        account = ServiceAccount(
            client_email,
            key_id,
            key,
            None if delegation_scopes is None else frozenset(delegation_scopes),
        )
        with self._lock:
            self._accounts[key_id] = account
        return account

    def add_refresh_token(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        user: str,
        scopes: Iterable[str],
    ) -> RefreshGrant:
        """Register a refresh token that yields access tokens for ``user`` with ``scopes``."""
        grant = RefreshGrant(client_id, client_secret, refresh_token, user, frozenset(scopes))
        with self._lock:
            self._refresh[refresh_token] = grant
        return grant

    def issue(self, user: str, scopes: Iterable[str], *, service_account: bool = False) -> AccessToken:
        """Mint an access token directly (for tests that skip the OAuth dance)."""
        token = AccessToken(
            token="ya29.fake-" + secrets.token_urlsafe(24),
            user=user,
            scopes=frozenset(scopes),
            expires_at=time.time() + TOKEN_LIFETIME,
            service_account=service_account,
        )
        with self._lock:
            self._tokens[token.token] = token
        return token

    def revoke_all(self) -> None:
        """Forget every issued access token (clients must fetch new ones)."""
        with self._lock:
            self._tokens.clear()

    def lookup(self, bearer: str) -> AccessToken | None:
        """The live token for a bearer string, or None if unknown or expired."""
        with self._lock:
            token = self._tokens.get(bearer)
        if token is None or token.expires_at < time.time():
            return None
        return token

    # --- the endpoint ------------------------------------------------------------------------

    def grant(self, form: Mapping[str, str]) -> dict[str, object]:
        """Handle one token request (form or JSON fields already decoded).

        Raises:
            OAuthError: with the status and RFC 6749 error code Google uses.
        """
        grant_type = form.get("grant_type", "")
        if grant_type == JWT_BEARER:
            token = self._jwt_grant(form.get("assertion", ""))
        elif grant_type == "refresh_token":
            token = self._refresh_grant(form)
        else:
            raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        body: dict[str, object] = {
            "access_token": token.token,
            "expires_in": TOKEN_LIFETIME,
            "token_type": "Bearer",
        }
        if grant_type == "refresh_token":
            body["scope"] = " ".join(sorted(token.scopes))
        return body

    def _jwt_grant(self, assertion: str) -> AccessToken:
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise OAuthError(400, "invalid_grant", f"Invalid JWT: {exc}") from exc
        with self._lock:
            account = self._accounts.get(str(header.get("kid", "")))
        if account is None or account.client_email != unverified.get("iss"):
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        try:
            claims = jwt.decode(
                assertion,
                key=account.public_key,
                algorithms=["RS256"],
                audience=[self._token_uri(), GOOGLE_TOKEN_AUDIENCE],
                leeway=_LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError as exc:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from exc
        except jwt.PyJWTError as exc:
            raise OAuthError(400, "invalid_grant", f"Invalid JWT: {exc}") from exc
        if int(claims["exp"]) - int(claims["iat"]) > _MAX_ASSERTION_LIFETIME:
            raise OAuthError(
                400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes)"
            )
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        subject = claims.get("sub")
        if subject and subject != account.client_email:
            allowed = account.delegation_scopes
            if allowed is not None and not scopes <= allowed:
                raise OAuthError(
                    401,
                    "unauthorized_client",
                    "Client is unauthorized to retrieve access tokens using this method, "
                    "or client not authorized for any of the scopes requested.",
                )
            return self.issue(str(subject), scopes)
        return self.issue(account.client_email, scopes, service_account=True)

    def _refresh_grant(self, form: Mapping[str, str]) -> AccessToken:
        with self._lock:
            grant = self._refresh.get(form.get("refresh_token", ""))
        if grant is None:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        if (form.get("client_id"), form.get("client_secret")) != (
            grant.client_id,
            grant.client_secret,
        ):
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        requested = frozenset(form.get("scope", "").split()) or grant.scopes
        if not requested <= grant.scopes:
            raise OAuthError(400, "invalid_scope", "Bad Request")
        return self.issue(grant.user, requested)
