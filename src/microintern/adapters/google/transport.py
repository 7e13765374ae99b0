"""The one module that talks HTTP to Google: service objects, routing, retries, errors.

Routing: one base URL (``MICROINTERN_GOOGLE_ENDPOINT`` or ``google.endpoint``) replaces the
host of every Google API. googleapiclient takes it as ``api_endpoint`` plus each service's
``servicePath``; gspread's URLs are constants, so its requests go through a session that
rewrites them.

Retries: only idempotent calls are retried (reads, cell-targeted writes, event inserts with
a client-chosen id), with exponential backoff that honours ``Retry-After``. A send is never
retried here: its outcome is reconciled by the outbox protocol instead.

No hidden repeats: httplib2, under googleapiclient, sends a request a second time when the
connection drops after it went out (a lost response looks like a stale kept-alive connection
to it). :class:`_SingleSendHttp` sends every request that is not a read at most once, on a
fresh connection, so an unknown outcome reaches the adapter, which reconciles it by reading.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import gspread
import httplib2
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from microintern.errors import BackendError

log = logging.getLogger(__name__)

T = TypeVar("T")

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


def _reason(content: bytes | str | None) -> tuple[str, str]:
    """The (reason, message) of a Google error body, empty strings when absent."""
    try:
        error = json.loads(content or b"{}").get("error", {})
    except (ValueError, AttributeError):
        return "", ""
    if not isinstance(error, dict):
        return str(error), ""
    details = error.get("errors") or [{}]
    return str(details[0].get("reason", "")), str(error.get("message", ""))


def to_backend_error(status: int, content: bytes | str | None, what: str,
                     retry_after: str | None = None) -> BackendError:
    """A :class:`BackendError` from a Google error response, marked retryable where it is."""
    reason, message = _reason(content)
    retryable = status in RETRYABLE_STATUS or (status == 403 and reason in RATE_LIMIT_REASONS)
    return BackendError(
        f"{what}: HTTP {status} {reason} {message}".strip(),
        code=status,
        retryable=retryable,
        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
    )


def auth_error(exc: GoogleAuthError, what: str) -> BackendError:
    """A sign-in refused by Google, with where to look; never retried."""
    return BackendError(
        f"{what}: Google refused the sign-in ({exc}). Check the credentials file and, for a "
        "service account, its domain-wide delegation and scopes (docs/setup-google.md).",
        code=401,
    )


def _wait(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    after = getattr(error, "retry_after", None)
    backoff = wait_exponential_jitter(initial=1, max=32)(state)
    return max(float(after), backoff) if after is not None else backoff


def _should_retry(exc: BaseException) -> bool:
    return isinstance(exc, BackendError) and exc.retryable


def _refused(exc: BaseException) -> bool:
    # 429 and a rate-limit 403 are refusals: the server did nothing, so repeating even a call
    # that is not idempotent cannot do it twice. A 5xx or a dropped connection might have.
    return isinstance(exc, BackendError) and exc.retryable and exc.code in (403, 429)


class Retry:
    """The retry policy for idempotent calls; ``sleep`` is injectable for tests.

    ``refusals_only`` retries only rate-limit refusals (429, rate-limit 403), which is safe for
    calls that must never run twice, such as Meet's ``spaces.create``.
    """

    def __init__(self, attempts: int = 5, sleep: Callable[[float], None] | None = None, *,
                 refusals_only: bool = False) -> None:
        self.attempts = attempts
        self.sleep = sleep
        self.refusals_only = refusals_only

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` until it succeeds or fails for good."""
        kwargs: dict[str, Any] = {}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        retrying = Retrying(
            retry=retry_if_exception(_refused if self.refusals_only else _should_retry),
            wait=_wait,
            stop=stop_after_attempt(self.attempts),
            reraise=True,
            before_sleep=lambda s: log.warning(
                "Google call failed (%s); retry %d", s.outcome.exception() if s.outcome else "?",
                s.attempt_number,
            ),
            **kwargs,
        )
        return retrying(fn)

    def pause(self, attempt: int) -> None:
        """Wait before reading back after a call whose outcome is unknown (0 for the first).

        Google may still be applying a request whose answer was lost or timed out: a read made
        at once could miss it, and what it misses would be written a second time.
        """
        (self.sleep or time.sleep)(min(32.0, 2.0 ** attempt))


def execute(request: Any, what: str, *, retry: Retry | None) -> Any:
    """Execute a googleapiclient request; ``retry=None`` for calls that must not repeat."""

    def once() -> Any:
        try:
            # num_retries=0: googleapiclient's own retries repeat sends too.
            return request.execute(num_retries=0)
        except HttpError as exc:
            raise to_backend_error(exc.resp.status, exc.content, what,
                                   exc.resp.get("retry-after")) from None
        except GoogleAuthError as exc:
            raise auth_error(exc, what) from None
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise BackendError(f"{what}: {type(exc).__name__}: {exc}", retryable=True) from None

    return retry.run(once) if retry is not None else once()


class ResponseLost(httplib2.HttpLib2Error):
    """The connection dropped after a request that is not a read went out; not sent again."""


class _SendOnce:
    """A connection whose ``request`` works once: httplib2's own re-send then fails instead."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._sent = False

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """Send the request the first time; refuse any second time."""
        if self._sent:
            raise ResponseLost("the connection dropped after the request was sent; the outcome "
                               "is unknown and the request was not sent again")
        self._sent = True
        return self._conn.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _SingleSendHttp(httplib2.Http):
    """httplib2.Http that never sends a request other than a read twice (DESIGN §5).

    httplib2 re-sends once when the answer does not come (``RETRIES``, and again "regardless of
    RETRIES" on a first ``BadStatusLine``, which is what a dropped connection raises): for a
    POST that repeats a write whose outcome is unknown, such as a second Calendar event or
    Drive folder. Setting ``httplib2.RETRIES`` cannot stop the second path, so the connection
    is wrapped instead. A kept-alive connection is closed first: the server may have closed it
    while idle, and that failure cannot be told from a lost answer once the request is out.
    """

    def _conn_request(self, conn: Any, request_uri: str, method: str, body: Any,
                      headers: Any) -> Any:
        if method in ("GET", "HEAD"):
            return super()._conn_request(conn, request_uri, method, body, headers)
        if conn.sock is not None:
            conn.close()
        return super()._conn_request(_SendOnce(conn), request_uri, method, body, headers)


class _RoutedSession(AuthorizedSession):
    """An authorized requests session that sends gspread's fixed Google URLs to ``endpoint``."""

    def __init__(self, credentials: Credentials, endpoint: str | None) -> None:
        super().__init__(credentials)
        self._endpoint = endpoint

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Rewrite the Google host to the configured endpoint, then send."""
        if self._endpoint:
            for host in GOOGLE_HOSTS:
                if url.startswith(host):
                    url = self._endpoint + url[len(host):]
                    break
        return super().request(method, url, *args, **kwargs)


class GoogleTransport:
    """Builds API clients that share credentials, timeout and endpoint routing."""

    def __init__(self, credentials: Credentials, *, endpoint: str | None = None,
                 timeout: float = 60.0) -> None:
        self.credentials = credentials
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.timeout = timeout

    def service(self, name: str, version: str) -> Any:
        """A googleapiclient service built from the discovery document shipped with the library."""
        document = get_static_doc(name, version)
        if document is None:
            raise BackendError(f"no discovery document for {name} {version}")
        options = None
        if self.endpoint:
            service_path = json.loads(document).get("servicePath", "")
            options = {"api_endpoint": f"{self.endpoint}/{service_path}"}
        http = AuthorizedHttp(self.credentials, http=_SingleSendHttp(timeout=self.timeout))
        return build(name, version, http=http, static_discovery=True, client_options=options)

    def sheets_http(self) -> gspread.HTTPClient:
        """gspread's low-level client (one method per REST call), routed and timed out."""
        client = gspread.HTTPClient(auth=None, session=_RoutedSession(self.credentials, self.endpoint))  # type: ignore[arg-type]
        client.set_timeout(self.timeout)
        return client
