"""Badgr API v2 (also Canvas Credentials and Parchment Digital Badges): the badge issuer port.

Sign-in is OAuth2's password grant on ``{base}/o/token`` with the public client id. The
password (from the environment variable ``password_env``) is needed once: the answer carries a
refresh token, and every later sign-in refreshes. Badgr **rotates** refresh tokens: each refresh
answers a new one and voids the old, so the new pair is written to ``token_file`` (mode 0600,
atomically) before the access token is used. A 401 refreshes once and repeats the request.

Awarding is ``POST /v2/badgeclasses/{id}/assertions`` with ``notify: true`` (Badgr mails the
student) and ``allowDuplicateAwards: false`` (Badgr refuses a second award of the class to the
same recipient). Before awarding, :meth:`BadgrIssuer.awarded` lists the class's assertions and
matches recipients locally (plaintext, or the ``sha256$`` salted hash): the listing is paged
with ``num`` and never carries student addresses in a URL, where proxies and debug logs would
keep them. A POST whose outcome is unknown (timeout, dropped connection, 5xx) is never repeated
blindly: the class is listed again and the award is settled from what Badgr holds.

Retries (with backoff) apply only to the GET listings and the password grant; a POST is repeated
only after a 429, a refusal that did nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from microintern.config import BadgrSettings
from microintern.domain.badges import identity_matches, iso_instant
from microintern.domain.records import BadgeAward, IssuedBadge
from microintern.errors import BadgeServiceError, BadgeSignInError

log = logging.getLogger(__name__)

SCOPE = "rw:issuer rw:backpack rw:profile"
PAGE_SIZE = 500                 # Badgr's largest page (UncachedPaginatedViewMixin.max_per_page)
MAX_PAGES = 10_000
EARLY_REFRESH_SECONDS = 60      # refresh a little before the access token runs out
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
DUPLICATE_AWARD = "previous award of this badge already exists"


@dataclass(frozen=True)
class _Tokens:
    access_token: str
    refresh_token: str
    expires_at: float


class _InvalidGrant(Exception):
    """The token endpoint refused the grant (wrong password, used or revoked refresh token)."""


class _NoAnswer(Exception):
    """The request went out and no answer came back: its outcome is unknown."""


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by its owner only (0600, folder 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _summary(response: requests.Response, redact: Sequence[str] = ()) -> str:
    """Badgr's error envelope (status description, field and validation errors) as one line."""
    try:
        body = response.json()
    except ValueError:
        text = response.text[:200]
    else:
        if isinstance(body, dict):
            parts = []
            status = body.get("status")
            if isinstance(status, dict) and status.get("description"):
                parts.append(str(status["description"]))
            for key in ("fieldErrors", "validationErrors", "error", "error_description", "detail"):
                if body.get(key):
                    parts.append(f"{key}: {json.dumps(body[key], ensure_ascii=False)}")
            text = "; ".join(parts) or json.dumps(body)[:200]
        else:
            text = json.dumps(body)[:200]
    for secret in redact:
        if secret:
            text = text.replace(secret, "<student address>")
    return text


class BadgrIssuer:
    """The :class:`~microintern.ports.BadgeIssuer` port on Badgr's API v2.

    ``password`` is called only when there is no usable saved sign-in; ``clock`` (epoch
    seconds) and ``sleep`` are injectable for tests.
    """

    def __init__(self, settings: BadgrSettings, *, token_file: Path, password: Callable[[], str | None],
                 session: requests.Session | None = None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] | None = None, attempts: int = 4) -> None:
        if settings.username is None:
            raise BadgeSignInError("badge.badgr.username is not set: the Badgr account that awards badges")
        self.settings = settings
        self.base = settings.base_url.rstrip("/")
        self.username = settings.username
        self.token_file = Path(token_file)
        self._password = password
        self.session = session or requests.Session()
        self.clock = clock
        self.sleep = sleep
        self.attempts = attempts
        self.timeout = settings.timeout_seconds
        self._tokens: _Tokens | None = None
        self._loaded = False

    # --- the port ---

    @property
    def assertions_url(self) -> str:
        """The badge class's assertions collection."""
        return f"{self.base}/v2/badgeclasses/{self.settings.badgeclass_id}/assertions"

    def awarded(self, emails: Sequence[str]) -> dict[str, IssuedBadge]:
        """The class's assertions held by these addresses (lowercased address → badge).

        Revoked and expired assertions count too: a badge the coordinator revoked in Badgr is
        not awarded again behind their back.
        """
        wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
        if not wanted:
            return {}
        found: dict[str, tuple[tuple[bool, str], IssuedBadge]] = {}
        url: str | None = self.assertions_url
        params: dict[str, str] | None = {"num": str(PAGE_SIZE), "include_revoked": "true",
                                         "include_expired": "true"}
        pages = 0
        while url and pages < MAX_PAGES:
            response = self._call("GET", url, params=params, idempotent=True)
            if response.status_code != 200:
                raise self._error("list the badge's assertions", response)
            for item in self._results(response):
                recipient = item.get("recipient") or {}
                if not isinstance(recipient, dict):
                    continue
                email = self._match(recipient, wanted)
                if email is None:
                    continue
                # Prefer a standing award over a revoked one, then the earliest.
                rank = (bool(item.get("revoked")), str(item.get("issuedOn") or item.get("createdAt") or ""))
                if email not in found or rank < found[email][0]:
                    found[email] = (rank, self._issued(item, email))
            next_link = response.links.get("next", {}).get("url")
            url, params = (next_link, None) if next_link else (None, None)
            pages += 1
        return {email: issued for email, (_, issued) in found.items()}

    def award(self, award: BadgeAward) -> IssuedBadge:
        """Award the badge class to ``award.email``; Badgr sends the notice.

        On an unknown outcome the class is listed again: an assertion found is returned, and
        none found raises :class:`BadgeServiceError` (retryable) so the next run tries again.
        """
        evidence: dict[str, str] = {"narrative": award.evidence_narrative}
        if award.evidence_url:
            evidence["url"] = award.evidence_url
        now = datetime.fromtimestamp(self.clock(), UTC)
        address = award.email.strip().lower()
        body = {
            "recipient": {"identity": address, "type": "email", "hashed": True},
            "notify": True,
            "evidence": [evidence],
            "narrative": award.narrative,
            # Badgr accepts only past dates; a simulated future `now` becomes the real one.
            "issuedOn": iso_instant(min(award.issued_on, now)),
            "allowDuplicateAwards": False,
        }
        try:
            response = self._call("POST", self.assertions_url, json_body=body, idempotent=False)
        except _NoAnswer as exc:
            return self._settle(award, f"no answer: {exc}", None)
        if response.status_code in (200, 201):
            results = self._results(response)
            if not results:
                return self._settle(award, "an empty answer", response.status_code)
            return self._issued(results[0], award.email)
        if response.status_code >= 500:
            return self._settle(award, f"HTTP {response.status_code}", response.status_code)
        if response.status_code == 400 and DUPLICATE_AWARD in response.text.lower():
            # allowDuplicateAwards: false at work: the student holds it already.
            found = self.awarded([address]).get(address)
            if found is not None:
                return found
        raise BadgeServiceError(
            f"Badgr refused the badge for {award.key}: HTTP {response.status_code}: "
            f"{_summary(response, [award.email, address])}", code=response.status_code)

    # --- awarding helpers ---

    def _settle(self, award: BadgeAward, why: str, code: int | None) -> IssuedBadge:
        """After an unknown outcome: what Badgr holds decides, never a blind second POST."""
        log.warning("Badgr did not confirm an award (%s); listing the badge's assertions", why)
        address = award.email.strip().lower()
        found = self.awarded([address]).get(address)
        if found is not None:
            return found
        raise BadgeServiceError(
            f"Badgr did not confirm the badge for {award.key} ({why}) and holds no assertion for "
            "the student: it was not awarded; the next run tries again", code=code, retryable=True)

    @staticmethod
    def _results(response: requests.Response) -> list[dict[str, Any]]:
        try:
            body = response.json()
        except ValueError:
            raise BadgeServiceError(f"Badgr answered HTTP {response.status_code} with no JSON",
                                    code=response.status_code) from None
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, list):
            raise BadgeServiceError(f"Badgr answered HTTP {response.status_code} without a result list",
                                    code=response.status_code)
        return [item for item in result if isinstance(item, dict)]

    @staticmethod
    def _match(recipient: Mapping[str, Any], wanted: Sequence[str]) -> str | None:
        plaintext = str(recipient.get("plaintextIdentity") or "").strip().lower()
        if plaintext:
            return plaintext if plaintext in wanted else None
        identity = str(recipient.get("identity") or "")
        salt = recipient.get("salt")
        for email in wanted:
            if identity_matches(email, identity, str(salt) if salt is not None else None):
                return email
        return None

    def _issued(self, item: Mapping[str, Any], email: str) -> IssuedBadge:
        entity_id = str(item.get("entityId") or "")
        if not entity_id:
            raise BadgeServiceError("Badgr answered an assertion without an entityId")
        url = str(item.get("openBadgeId") or f"{self.base}/public/assertions/{entity_id}")
        return IssuedBadge(assertion_id=entity_id, url=url, email=email.strip().lower())

    def _error(self, what: str, response: requests.Response) -> BadgeServiceError:
        code = response.status_code
        return BadgeServiceError(f"Badgr could not {what}: HTTP {code}: {_summary(response)}", code=code,
                                 retryable=code in RETRYABLE_STATUS)

    # --- HTTP with sign-in ---

    def _retrying(self, retry: Callable[[BaseException], bool]) -> Retrying:
        kwargs: dict[str, Any] = {}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        return Retrying(retry=retry_if_exception(retry), wait=wait_exponential_jitter(initial=1, max=16),
                        stop=stop_after_attempt(self.attempts), reraise=True, **kwargs)

    def _call(self, method: str, url: str, *, params: Mapping[str, str] | None = None,
              json_body: Mapping[str, Any] | None = None, idempotent: bool) -> requests.Response:
        """One API request with the bearer token; a 401 refreshes once and repeats it.

        Idempotent calls are retried on no answer, 429 and 5xx; others only on 429. A 5xx or no
        answer on a non-idempotent call is returned or raised (:class:`_NoAnswer`) to the caller.
        """

        def once() -> requests.Response:
            response = self._send(method, url, params=params, json_body=json_body)
            if response.status_code == 401:
                self._refresh_after_401()
                response = self._send(method, url, params=params, json_body=json_body)
                if response.status_code == 401:
                    raise BadgeSignInError(
                        f"Badgr refused the new access token too (HTTP 401): check that "
                        f"{self.username} may award badge class {self.settings.badgeclass_id}", code=401)
            if response.status_code == 429 or (idempotent and response.status_code in RETRYABLE_STATUS):
                raise self._error(f"{method} {url.removeprefix(self.base)}", response)
            return response

        def retry(exc: BaseException) -> bool:
            if isinstance(exc, _NoAnswer):
                return idempotent
            return isinstance(exc, BadgeServiceError) and exc.code in RETRYABLE_STATUS and (
                idempotent or exc.code == 429)

        return self._retrying(retry)(once)

    def _send(self, method: str, url: str, *, params: Mapping[str, str] | None,
              json_body: Mapping[str, Any] | None) -> requests.Response:
        token = self._access_token()
        try:
            return self.session.request(
                method, url, params=params, json=json_body, timeout=self.timeout,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _NoAnswer(type(exc).__name__) from None

    # --- tokens ---

    def _access_token(self) -> str:
        tokens = self._saved()
        if tokens is not None and tokens.expires_at - EARLY_REFRESH_SECONDS > self.clock():
            return tokens.access_token
        return self._renew(tokens).access_token

    def _refresh_after_401(self) -> None:
        self._renew(self._saved())

    def _renew(self, tokens: _Tokens | None) -> _Tokens:
        """A fresh token pair: by refresh token when there is one, else by password."""
        if tokens is not None:
            try:
                return self._grant({"grant_type": "refresh_token", "refresh_token": tokens.refresh_token,
                                    "client_id": self.settings.client_id}, retry=False)
            except _InvalidGrant:
                log.warning("the saved Badgr refresh token no longer works; signing in again")
        password = self._password()
        if not password:
            where = "no saved Badgr sign-in" if tokens is None else "the saved Badgr sign-in no longer works"
            raise BadgeSignInError(
                f"{where} ({self.token_file}): set {self.settings.password_env} to the password of "
                f"{self.username} for one run; microintern then keeps a refresh token in that file "
                "(mode 0600) and needs the password no more", code=401)
        try:
            return self._grant({"grant_type": "password", "username": self.username, "password": password,
                                "client_id": self.settings.client_id, "scope": SCOPE}, retry=True)
        except _InvalidGrant as exc:
            raise BadgeSignInError(f"Badgr refused the sign-in of {self.username}: {exc}", code=400) from None

    def _grant(self, data: Mapping[str, str], *, retry: bool) -> _Tokens:
        """POST the token endpoint; save the new pair before anyone uses it."""

        def once() -> requests.Response:
            try:
                response = self.session.post(f"{self.base}/o/token", data=dict(data), timeout=self.timeout,
                                             headers={"Accept": "application/json"})
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _NoAnswer(type(exc).__name__) from None
            if response.status_code in RETRYABLE_STATUS:
                raise self._error("sign in", response)
            return response

        def retryable(exc: BaseException) -> bool:
            return retry and (isinstance(exc, _NoAnswer) or isinstance(exc, BadgeServiceError))

        try:
            response = self._retrying(retryable)(once)
        except _NoAnswer as exc:
            raise BadgeServiceError(f"Badgr's sign-in did not answer ({exc})", retryable=True) from None
        if response.status_code in (400, 401):
            raise _InvalidGrant(_summary(response))
        if response.status_code != 200:
            raise self._error("sign in", response)
        try:
            body = response.json()
            tokens = _Tokens(str(body["access_token"]), str(body["refresh_token"]),
                             self.clock() + float(body.get("expires_in") or 3600))
        except (ValueError, KeyError, TypeError):
            raise BadgeServiceError("Badgr's sign-in answer has no access and refresh token") from None
        # The old refresh token is void now: keep the new one on disk before anything else.
        self._save(tokens)
        return tokens

    def _saved(self) -> _Tokens | None:
        if not self._loaded:
            self._tokens = self._load()
            self._loaded = True
        return self._tokens

    def _load(self) -> _Tokens | None:
        try:
            data = json.loads(self.token_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise BadgeSignInError(f"{self.token_file} cannot be read ({type(exc).__name__}); remove it "
                                   f"and set {self.settings.password_env} for one run") from None
        if not isinstance(data, dict):
            return None
        if (data.get("base_url"), data.get("username")) != (self.base, self.username):
            return None  # a sign-in to another host or account: start over
        try:
            return _Tokens(str(data["access_token"]), str(data["refresh_token"]), float(data["expires_at"]))
        except (KeyError, TypeError, ValueError):
            return None

    def _save(self, tokens: _Tokens) -> None:
        data = {"base_url": self.base, "username": self.username, "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token, "expires_at": tokens.expires_at}
        write_private(self.token_file, json.dumps(data, indent=2).encode("utf-8"))
        self._tokens, self._loaded = tokens, True
