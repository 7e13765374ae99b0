"""People API v1 ``people.get`` and Admin SDK Directory v1 ``users.get``: the domain's users.

Meet names participants ``users/{id}``; these two methods turn the id into an address. Tests
seed users with :meth:`DirectoryStore.add_user` (``fake.directory``); a user the domain does not
know is a 404, a ``hidden`` one (an outside account, a profile not shared in the directory) a
403. Admin SDK's default ``admin_view`` needs an admin (:attr:`DirectoryStore.admins`); the
``domain_public`` view is open to any user of the domain.
"""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any

from .context import RequestContext
from .errors import ApiError, bad_request, forbidden, not_found

if TYPE_CHECKING:
    from .context import Handler

_PERSON_FIELDS = frozenset({"emailAddresses", "names", "metadata"})


class DirectoryStore:
    """The domain's users (``fake.directory``): id → primary address and name."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self.users: dict[str, dict[str, Any]] = {}
        self.hidden: set[str] = set()
        #: Users allowed Admin SDK's ``admin_view``.
        self.admins: set[str] = set()

    def add_user(self, user_id: str, primary_email: str, full_name: str = "", *,
                 hidden: bool = False) -> str:
        """A user of the domain; returns Meet's name for them, ``users/{id}``."""
        with self._lock:
            self.users[user_id] = {"id": user_id, "primaryEmail": primary_email,
                                   "name": {"fullName": full_name or primary_email.split("@")[0]}}
            if hidden:
                self.hidden.add(user_id)
            else:
                self.hidden.discard(user_id)
        return f"users/{user_id}"

    def find(self, key: str) -> dict[str, Any]:
        """A user by id or primary address: 404 when unknown, 403 when hidden."""
        with self._lock:
            user = self.users.get(key) or next(
                (u for u in self.users.values() if u["primaryEmail"].casefold() == key.casefold()), None)
            if user is None:
                raise not_found("Requested entity was not found.")
            if user["id"] in self.hidden:
                raise forbidden("The caller does not have permission")
            return copy.deepcopy(user)


def _require_user(ctx: RequestContext) -> None:
    if ctx.token.service_account:
        raise forbidden("The domain directory needs a user: use domain-wide delegation (a subject).")


def people_get(ctx: RequestContext) -> dict[str, Any]:
    """``people.people.get`` for ``people/{account id}`` (``personFields`` required)."""
    _require_user(ctx)
    mask = ctx.arg("personFields") or ctx.arg("requestMask.includeField")
    if not mask:
        raise bad_request("personFields mask is required. Please specify one or more valid paths.")
    fields = {f.strip().removeprefix("person.") for f in mask.split(",") if f.strip()}
    unknown = fields - _PERSON_FIELDS
    if unknown:
        raise ApiError(400, f"fake workspace does not support personFields {sorted(unknown)}")
    resource = ctx.path("resourceName")
    user = ctx.fake.directory.find(resource.removeprefix("people/"))
    source = {"type": "DOMAIN_PROFILE", "id": user["id"]}
    person: dict[str, Any] = {"resourceName": f"people/{user['id']}", "etag": f"%E{user['id']}"}
    if "emailAddresses" in fields:
        person["emailAddresses"] = [{"metadata": {"primary": True, "verified": True, "source": source},
                                     "value": user["primaryEmail"]}]
    if "names" in fields:
        person["names"] = [{"metadata": {"primary": True, "source": source},
                            "displayName": user["name"]["fullName"]}]
    return person


def users_get(ctx: RequestContext) -> dict[str, Any]:
    """``directory.users.get`` by id or primary address; ``admin_view`` only for admins."""
    _require_user(ctx)
    view = ctx.arg("viewType") or "admin_view"
    if view == "admin_view" and ctx.user not in ctx.fake.directory.admins:
        raise ApiError(403, "Not Authorized to access this resource/api")
    user = ctx.fake.directory.find(ctx.path("userKey"))
    return {"kind": "admin#directory#user", **user}


HANDLERS: dict[str, Handler] = {
    "people.people.get": people_get,
    "directory.users.get": users_get,
}
