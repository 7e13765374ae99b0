"""Errors the fake answers with, in Google's JSON error format.

Google APIs answer errors as::

    {"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT",
               "errors": [{"reason": "badRequest", "domain": "global", "message": "..."}]}}

googleapiclient and gspread both parse this shape (``errors[0].reason`` drives
googleapiclient's retry of rate-limit 403s), so every failure the fake produces
uses it. The OAuth token endpoint has its own RFC 6749 shape: :class:`OAuthError`.
"""

from __future__ import annotations

import json
from typing import Any

_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}

_REASON_BY_CODE = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "duplicate",
    410: "deleted",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    501: "notImplemented",
    503: "backendError",
}


class ApiError(Exception):
    """An error answer of a Google API, raised by handlers and the request pipeline."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        status: str | None = None,
        domain: str = "global",
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _REASON_BY_CODE.get(code, "unknown")
        self.status = status or _STATUS_BY_CODE.get(code, "UNKNOWN")
        self.domain = domain
        self.headers = dict(headers or {})
        self.details = list(details or [])

    def to_json(self) -> dict[str, Any]:
        """Return the error body as Google sends it."""
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def to_bytes(self) -> bytes:
        """Return the serialised error body."""
        return json.dumps(self.to_json()).encode()


def bad_request(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT with reason ``badRequest``."""
    return ApiError(400, message)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    """A 404 NOT_FOUND with reason ``notFound``."""
    return ApiError(404, message)


def forbidden(message: str = "The caller does not have permission") -> ApiError:
    """A 403 PERMISSION_DENIED with reason ``forbidden``."""
    return ApiError(403, message)


def conflict(message: str = "The requested identifier already exists.") -> ApiError:
    """A 409 with reason ``duplicate`` (Calendar's answer to a reused event id)."""
    return ApiError(409, message)


def not_implemented(what: str) -> ApiError:
    """A 501 telling the test author the fake lacks something the request needs."""
    return ApiError(501, f"fake workspace does not implement {what}")


class OAuthError(Exception):
    """An error answer of the OAuth 2.0 token endpoint (RFC 6749 section 5.2)."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.code = code
        self.error = error
        self.description = description

    def to_json(self) -> dict[str, str]:
        """Return the error body as Google's token endpoint sends it."""
        return {"error": self.error, "error_description": self.description}
