"""What a handler receives (:class:`RequestContext`) and may return (:class:`Reply`).

Handlers are plain functions ``handler(ctx) -> dict | Reply``: a dict is a 200 JSON
answer; errors are raised as :class:`~fakeworkspace.errors.ApiError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .auth import AccessToken
from .discovery import MethodSpec
from .errors import ApiError
from .fieldmask import Tree

if TYPE_CHECKING:
    from .workspace import FakeWorkspace


@dataclass(frozen=True)
class Call:
    """One request the fake received, as recorded in ``fake.calls``."""

    method_id: str
    http_method: str
    path: str
    user: str | None
    status: int
    query: dict[str, list[str]] = field(default_factory=dict)
    body: Any = None
    fault: str | None = None


@dataclass
class Reply:
    """A non-default answer: another status (e.g. 204) or extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RequestContext:
    """A validated, authenticated request on its way to a handler."""

    fake: FakeWorkspace
    spec: MethodSpec
    path_params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    token: AccessToken
    media: bytes | None = None
    media_type: str | None = None
    fields: Tree | None = None

    @property
    def method_id(self) -> str:
        """The discovery method id, e.g. ``sheets.spreadsheets.values.get``."""
        return self.spec.id

    @property
    def user(self) -> str:
        """The user the access token acts for (the delegation subject, if any)."""
        return self.token.user

    def path(self, name: str) -> str:
        """A (decoded) path parameter."""
        return self.path_params[name]

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter."""
        return list(self.query.get(name, ()))

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean query parameter (already validated as true/false)."""
        value = self.arg(name)
        return default if value is None else value.lower() == "true"

    def integer(self, name: str, default: int) -> int:
        """An integer query parameter (already validated)."""
        value = self.arg(name)
        return default if value is None else int(value)

    def json(self) -> dict[str, Any]:
        """The JSON body as a dict (empty when the body is absent)."""
        return self.body if isinstance(self.body, dict) else {}

    def gmail_user(self) -> str:
        """Resolve Gmail's ``userId``: ``me`` or the token's own address, else 403."""
        user_id = self.path("userId")
        if user_id in ("me", self.user):
            return self.user
        raise ApiError(403, f"Delegation denied for {self.user}", reason="forbidden")


Handler = Callable[[RequestContext], "dict[str, Any] | Reply | None"]
