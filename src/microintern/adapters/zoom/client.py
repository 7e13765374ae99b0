"""Zoom's REST API v2 over ``requests``: the account-credentials token and every request.

Sign-in is the Server-to-Server OAuth grant: ``POST {token_url}?grant_type=account_credentials
&account_id=...`` with the client id and secret as HTTP Basic auth; the access token lasts an
hour and is asked for again a minute before it runs out, or once after a 401.
https://developers.zoom.us/docs/internal-apps/s2s-oauth/

Retries (tenacity, exponential backoff with jitter, ``Retry-After`` honoured up to a cap) are
for idempotent calls only: GET, PATCH (the same body again) and DELETE (a repeat answers 404,
taken as done by the caller). A POST is sent once; when its answer is lost (a dropped
connection, a timeout, a 5xx) the outcome is unknown and :class:`ZoomError` says so
(``unknown=True``): the caller looks before it creates again. A 429 made nothing, so a POST is
repeated after one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from microintern.adapters.zoom.credentials import ZoomCredentials
from microintern.errors import BackendError

API_BASE = "https://api.zoom.us/v2"
TOKEN_URL = "https://zoom.us/oauth/token"  # noqa: S105 - an address, not a secret
EARLY_REFRESH_SECONDS = 60
RETRY_AFTER_CAP = 30.0
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
_IDEMPOTENT = frozenset({"GET", "PATCH", "DELETE"})


class ZoomError(BackendError):
    """Zoom refused or failed a request: ``code`` is the HTTP status, ``zoom_code`` Zoom's own.

    ``unknown`` is True when a request that changes something went out and no answer came back.
    """

    def __init__(self, message: str, code: int | None = None, *, zoom_code: int | None = None,
                 retryable: bool = False, unknown: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message, code=code, retryable=retryable, retry_after=retry_after)
        self.zoom_code = zoom_code
        self.unknown = unknown


@dataclass
class _Token:
    value: str
    expires_at: float


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return min(float(value), RETRY_AFTER_CAP) if value else None
    except ValueError:
        return None


def _error(what: str, response: requests.Response) -> ZoomError:
    """Zoom's error envelope ``{"code": ..., "message": ...}`` as one line (never a body echo)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    zoom_code = body.get("code") if isinstance(body, dict) else None
    message = str(body.get("message") or body.get("reason") or "") if isinstance(body, dict) else ""
    return ZoomError(f"Zoom {what}: {response.status_code}"
                     + (f" (code {zoom_code})" if zoom_code is not None else "")
                     + (f": {message[:200]}" if message else ""),
                     code=response.status_code,
                     zoom_code=zoom_code if isinstance(zoom_code, int) else None,
                     retryable=response.status_code in _RETRYABLE, retry_after=_retry_after(response))


class ZoomClient:
    """One Zoom account's API: ``call(method, path, ...)`` answers the JSON body (None for 204).

    ``calls`` counts requests to the API (token requests apart). ``sleep`` and ``clock`` are
    injectable so tests do not wait.
    """

    def __init__(self, credentials: ZoomCredentials, *, api_base: str = API_BASE,
                 token_url: str = TOKEN_URL, session: requests.Session | None = None,
                 timeout: float = 30.0, attempts: int = 4,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.credentials = credentials
        self.api_base = api_base.rstrip("/")
        self.token_url = token_url
        self.session = session or requests.Session()
        self.timeout = timeout
        self.attempts = attempts
        self.sleep = sleep or time.sleep
        self.clock = clock
        self.calls = 0
        self._token: _Token | None = None

    # --- sign-in ---

    def _access_token(self, *, fresh: bool = False) -> str:
        if not fresh and self._token and self.clock() < self._token.expires_at - EARLY_REFRESH_SECONDS:
            return self._token.value

        def ask() -> requests.Response:
            return self.session.post(
                self.token_url,
                params={"grant_type": "account_credentials", "account_id": self.credentials.account_id},
                auth=(self.credentials.client_id, self.credentials.client_secret), timeout=self.timeout)

        # Asking for a token changes nothing: safe to repeat.
        response = self._retrying(ask, idempotent=True)
        if response.status_code != 200:
            raise ZoomError(f"Zoom sign-in refused ({response.status_code}): check the Server-to-Server "
                            "OAuth app's account id, client id and secret, and that the app is activated",
                            code=response.status_code)
        body = response.json()
        self._token = _Token(str(body["access_token"]), self.clock() + float(body.get("expires_in", 3600)))
        return self._token.value

    # --- requests ---

    def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             body: Mapping[str, Any] | None = None, what: str = "") -> Any:
        """Send one request to ``{api_base}{path}``; raises :class:`ZoomError` unless it succeeded."""
        what = what or f"{method} {path.split('?')[0]}"
        idempotent = method in _IDEMPOTENT

        def send() -> requests.Response:
            self.calls += 1
            return self.session.request(
                method, f"{self.api_base}{path}", params=params, json=body, timeout=self.timeout,
                headers={"Authorization": f"Bearer {self._access_token()}"})

        try:
            response = self._retrying(send, idempotent=idempotent)
            if response.status_code == 401:
                # An expired or revoked token: sign in again once (Zoom refused, nothing was made).
                self._token = None
                response = self._retrying(send, idempotent=idempotent)
        except requests.RequestException as exc:
            raise ZoomError(f"Zoom {what}: no answer ({type(exc).__name__})", retryable=True,
                            unknown=not idempotent) from None
        if response.status_code >= 400:
            error = _error(what, response)
            # A 5xx to a POST may come after the meeting was made: the outcome is unknown.
            error.unknown = not idempotent and response.status_code >= 500
            raise error
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _retrying(self, send: Callable[[], requests.Response], *, idempotent: bool) -> requests.Response:
        """``send()`` with backoff: any failure for idempotent calls, only 429 for the others."""

        def worth_retrying(exc: BaseException) -> bool:
            if isinstance(exc, _Again):
                return True
            return idempotent and isinstance(exc, requests.ConnectionError | requests.Timeout)

        def attempt() -> requests.Response:
            response = send()
            if response.status_code == 429 or (idempotent and response.status_code in _RETRYABLE):
                raise _Again(response)
            return response

        retrying = Retrying(stop=stop_after_attempt(self.attempts), reraise=True, sleep=self.sleep,
                            wait=_wait, retry=retry_if_exception(worth_retrying))
        try:
            return retrying(attempt)
        except _Again as again:
            return again.response


class _Again(Exception):
    """An answer worth another attempt (429, or a 5xx to an idempotent call)."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


_backoff = wait_exponential_jitter(max=10.0)


def _wait(state: Any) -> float:
    """Zoom's ``Retry-After`` when it gave one, else exponential backoff with jitter."""
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    if isinstance(error, _Again):
        after = _retry_after(error.response)
        if after is not None:
            return after
    return float(_backoff(state))
