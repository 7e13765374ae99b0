"""Naming Meet participants: ``users/{id}`` → primary address, by People API or Admin SDK.

Meet's participant records carry the user's id, not their address. Two ways to turn it into one
(config ``attendance.lookup``):

* People API ``people.get`` (``people/{id}``, ``personFields=emailAddresses``), scope
  ``directory.readonly``: https://developers.google.com/people/api/rest/v1/people/get
* Admin SDK Directory ``users.get`` (``userKey={id}``, the domain's public view), scope
  ``admin.directory.user.readonly``:
  https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/get

A user the directory does not know or may not show (404, 403: an outside account, a hidden
profile) is None, not an error.
"""

from __future__ import annotations

from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.errors import BackendError

_UNKNOWN = (403, 404)


def _user_id(user: str) -> str:
    """The bare id of ``users/{id}`` (Meet's form)."""
    return user.removeprefix("users/")


def primary_email(person: dict[str, Any]) -> str | None:
    """The primary address of a People API ``Person`` (else its first one)."""
    addresses = [a for a in person.get("emailAddresses", []) if a.get("value")]
    for address in addresses:
        if (address.get("metadata") or {}).get("primary"):
            return str(address["value"])
    return str(addresses[0]["value"]) if addresses else None


class GoogleDirectory:
    """The :class:`~microintern.ports.Directory` port on the People API or the Admin SDK.

    ``via`` is ``"people"`` (a People API service) or ``"directory"`` (an Admin SDK Directory
    service, asked for the domain's public view, which a delegated user who is not an admin may
    read). ``calls`` counts the requests made.
    """

    def __init__(self, service: Any, *, via: str = "people", retry: Retry | None = None) -> None:
        if via not in ("people", "directory"):
            raise ValueError(f"via must be people or directory, not {via!r}")
        self._service = service.people() if via == "people" else service.users()
        self._via = via
        self._retry = retry or Retry()
        self.calls = 0

    def email_of(self, user: str) -> str | None:
        """The primary address of ``user`` (``users/{id}``), or None when the directory has none.

        One request per call: the attendance step asks each user once per run.
        """
        self.calls += 1
        try:
            return self._lookup(_user_id(user))
        except BackendError as exc:
            if exc.code not in _UNKNOWN or exc.retryable:
                raise
            return None

    def _lookup(self, user_id: str) -> str | None:
        if self._via == "people":
            person = execute(self._service.get(resourceName=f"people/{user_id}",
                                               personFields="emailAddresses",
                                               sources=["READ_SOURCE_TYPE_PROFILE"]),
                             "people people.get", retry=self._retry)
            return primary_email(person)
        user = execute(self._service.get(userKey=user_id, viewType="domain_public", fields="primaryEmail"),
                       "directory users.get", retry=self._retry)
        email = user.get("primaryEmail")
        return str(email) if email else None
