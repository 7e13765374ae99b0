"""Drive v3: file metadata (folders, Google-native files), sharing, basic search.

Creating a Google Sheets or Forms file through Drive also creates the spreadsheet or
form in the fake (gspread's ``Client.create`` does exactly this). Without ``fields``,
answers carry only Drive v3's default fields (``kind,id,name,mimeType``), so code that
forgets to ask for a field fails here as it would against Google.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import paging
from .context import RequestContext
from .errors import ApiError, bad_request, not_found
from .fieldmask import parse_fields, select
from .timefmt import now, rfc3339

if TYPE_CHECKING:
    from .context import Handler

FOLDER_MIME = "application/vnd.google-apps.folder"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
FORM_MIME = "application/vnd.google-apps.form"
_DEFAULT_FILE = parse_fields("kind,id,name,mimeType")
_DEFAULT_LIST = parse_fields("kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)")
_DEFAULT_PERMISSION = parse_fields("kind,id,type,role")
_DEFAULT_PERMISSION_LIST = parse_fields("kind,nextPageToken,permissions(kind,id,type,role)")
_ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
_WRITABLE = (
    "name",
    "mimeType",
    "parents",
    "description",
    "appProperties",
    "properties",
    "starred",
    "trashed",
    "folderColorRgb",
    "originalFilename",
    "writersCanShare",
    "copyRequiresWriterPermission",
    # Drive v3 lets a client set it ("setting modifiedTime will also update modifiedByMeTime"):
    # an upload keeps the file's own time, and tests date a student's hand-in with it.
    "modifiedTime",
)


class DriveStore:
    """Files and permissions of the fake (``fake.drive``)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._ids = itertools.count(1)
        self.files: dict[str, dict[str, Any]] = {}
        self.permissions: dict[str, dict[str, dict[str, Any]]] = {}
        self.content: dict[str, bytes] = {}
        #: (file id, permission id, sendNotificationEmail, emailMessage) per share.
        self.notifications: list[tuple[str, str, bool, str | None]] = []

    def new_id(self) -> str:
        """A file id shaped like Drive's (33 characters)."""
        return "1" + hashlib.sha256(f"file-{next(self._ids)}".encode()).hexdigest()[:32]

    def register(
        self,
        file_id: str,
        name: str,
        mime_type: str,
        owner: str,
        parents: list[str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a file record (the stores call this for spreadsheets and forms they create)."""
        stamp = rfc3339(now())
        record = {
            "kind": "drive#file",
            "id": file_id,
            "name": name,
            "mimeType": mime_type,
            "parents": list(parents or ["root"]),
            "createdTime": stamp,
            "modifiedTime": stamp,
            "trashed": False,
            "owners": [{"kind": "drive#user", "emailAddress": owner, "displayName": owner}],
            "webViewLink": _web_link(file_id, mime_type),
            **extra,
        }
        with self._lock:
            self.files[file_id] = record
            self.permissions[file_id] = {}
            self._grant(file_id, {"type": "user", "role": "owner", "emailAddress": owner})
        return record

    def add_file(
        self, name: str, mime_type: str, owner: str, parents: list[str] | None = None
    ) -> dict[str, Any]:
        """Seed a file; returns its record."""
        return self.register(self.new_id(), name, mime_type, owner, parents)

    def file(self, file_id: str) -> dict[str, Any]:
        """A file record; the API's 404 if unknown."""
        with self._lock:
            record = self.files.get(file_id)
        if record is None:
            raise not_found(f"File not found: {file_id}.")
        return record

    def shared_with(self, file_id: str) -> list[dict[str, Any]]:
        """The permissions of a file (copies)."""
        with self._lock:
            return [copy.deepcopy(p) for p in self.permissions.get(file_id, {}).values()]

    def _grant(self, file_id: str, given: dict[str, Any]) -> dict[str, Any]:
        who = given.get("emailAddress") or given.get("domain") or "anyone"
        if given["type"] == "anyone":
            perm_id = "anyoneWithLink"
        else:
            perm_id = str(int(hashlib.sha256(who.lower().encode()).hexdigest()[:15], 16))
        permission = {"kind": "drive#permission", "id": perm_id, **copy.deepcopy(given)}
        if "emailAddress" in permission:
            permission.setdefault("displayName", permission["emailAddress"])
        self.permissions[file_id][perm_id] = permission
        return permission


def _web_link(file_id: str, mime_type: str) -> str:
    if mime_type == SPREADSHEET_MIME:
        return f"https://docs.google.com/spreadsheets/d/{file_id}/edit"
    if mime_type == FORM_MIME:
        return f"https://docs.google.com/forms/d/{file_id}/edit"
    if mime_type == FOLDER_MIME:
        return f"https://drive.google.com/drive/folders/{file_id}"
    return f"https://drive.google.com/file/d/{file_id}/view"


def _answer(ctx: RequestContext, value: dict[str, Any], default: Any) -> dict[str, Any]:
    value = copy.deepcopy(value)
    return value if ctx.fields is not None else select(default, value)


# --- search ------------------------------------------------------------------------------------

_QUOTED = r"'((?:[^'\\]|\\.)*)'"
_TERMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^(name|mimeType|fullText)\s*(=|!=|contains)\s*{_QUOTED}$"), "field"),
    (re.compile(rf"^{_QUOTED}\s+in\s+(parents|owners|writers|readers)$"), "in"),
    (re.compile(r"^(trashed|starred)\s*(=|!=)\s*(true|false)$"), "flag"),
    (
        re.compile(
            rf"^(appProperties|properties)\s+has\s*\{{\s*key\s*=\s*{_QUOTED}\s+and\s+"
            rf"value\s*=\s*{_QUOTED}\s*\}}$"
        ),
        "has",
    ),
]


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _split_and(query: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    tokens = re.split(r"(\s+and\s+)", query)
    for token in tokens:
        if re.fullmatch(r"\s+and\s+", token) and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
            continue
        current += token
        for i, ch in enumerate(token):
            if ch == "'" and (i == 0 or token[i - 1] != "\\"):
                quoted = not quoted
            elif not quoted and ch == "{":
                depth += 1
            elif not quoted and ch == "}":
                depth -= 1
    parts.append(current.strip())
    return [p for p in parts if p]


_IN_ROLES = {"owners": {"owner"}, "writers": {"owner", "writer"}, "readers": set(_ROLES)}
Predicate = Callable[[dict[str, Any]], bool]


def _field_term(field_name: str, op: str, value: str) -> Predicate:
    def check(f: dict[str, Any]) -> bool:
        if field_name == "fullText":
            actual = f"{f.get('name', '')} {f.get('description', '')}"
        else:
            actual = str(f.get(field_name, ""))
        if op == "contains":
            return value.lower() in actual.lower()
        return (actual == value) == (op == "=")

    return check


def _in_term(store: DriveStore, value: str, where: str) -> Predicate:
    def check(f: dict[str, Any]) -> bool:
        if where == "parents":
            return value in f.get("parents", [])
        return any(
            p.get("emailAddress", "").lower() == value.lower() and p["role"] in _IN_ROLES[where]
            for p in store.permissions.get(f["id"], {}).values()
        )

    return check


def _predicate(store: DriveStore, term: str) -> Predicate:
    for pattern, kind in _TERMS:
        m = pattern.match(term.strip())
        if not m:
            continue
        if kind == "field":
            return _field_term(m.group(1), m.group(2), _unquote(m.group(3)))
        if kind == "in":
            return _in_term(store, _unquote(m.group(1)), m.group(2))
        if kind == "flag":
            name, op, flag = m.group(1), m.group(2), m.group(3) == "true"
            return lambda f: (bool(f.get(name, False)) == flag) == (op == "=")
        scope, key, value = m.group(1), _unquote(m.group(2)), _unquote(m.group(3))
        return lambda f: (f.get(scope) or {}).get(key) == value
    raise bad_request(f"fake workspace does not support Drive query term {term!r}")


# --- handlers ----------------------------------------------------------------------------------


def files_create(ctx: RequestContext) -> dict[str, Any]:
    """``files.create`` (metadata, or media on the upload path)."""
    store = ctx.fake.drive
    body = ctx.json()
    unknown = [k for k in body if k not in (*_WRITABLE, "id")]
    if unknown:
        raise bad_request(f"fake workspace: files.create cannot set {unknown} (read-only)")
    file_id = body.get("id") or store.new_id()
    if file_id in store.files:
        raise ApiError(409, f"A file already exists with the provided ID: {file_id}.")
    mime = body.get("mimeType") or (ctx.media_type if ctx.media is not None else None)
    mime = mime or "application/octet-stream"
    name = body.get("name") or "Untitled"
    for parent in body.get("parents") or []:
        if parent != "root" and store.files.get(parent, {}).get("mimeType") != FOLDER_MIME:
            raise not_found(f"File not found: {parent}.")
    extra = {
        k: copy.deepcopy(body[k]) for k in _WRITABLE if k in body and k not in ("name", "mimeType", "parents")
    }
    record = store.register(file_id, name, mime, ctx.user, body.get("parents"), **extra)
    if ctx.media is not None:
        store.content[file_id] = ctx.media
        record["size"] = str(len(ctx.media))
    if mime == SPREADSHEET_MIME and not ctx.fake.sheets.exists(file_id):
        ctx.fake.sheets.create(file_id, name)
    elif mime == FORM_MIME:
        ctx.fake.forms.create(file_id, name, published=ctx.fake.forms.api_forms_published_by_default)
    return _answer(ctx, record, _DEFAULT_FILE)


def files_get(ctx: RequestContext) -> dict[str, Any]:
    """``files.get`` (metadata only; ``alt=media`` is not supported)."""
    if ctx.arg("alt") == "media":
        raise bad_request("fake workspace does not implement file downloads (alt=media)")
    return _answer(ctx, ctx.fake.drive.file(ctx.path("fileId")), _DEFAULT_FILE)


def files_update(ctx: RequestContext) -> dict[str, Any]:
    """``files.update`` (metadata patch, addParents/removeParents)."""
    store = ctx.fake.drive
    record = store.file(ctx.path("fileId"))
    body = ctx.json()
    unknown = [k for k in body if k not in _WRITABLE or k == "parents"]
    if unknown:
        raise bad_request(f"The resource body includes fields which are not directly writable: {unknown}")
    for key, value in body.items():
        if key in ("appProperties", "properties") and isinstance(value, dict):
            merged = dict(record.get(key) or {})
            for k, v in value.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            record[key] = merged
        else:
            record[key] = copy.deepcopy(value)
    parents = [p for p in record["parents"] if p not in (ctx.arg("removeParents") or "").split(",")]
    parents += [p for p in (ctx.arg("addParents") or "").split(",") if p and p not in parents]
    record["parents"] = parents
    if "modifiedTime" not in body:
        record["modifiedTime"] = rfc3339(now())
    return _answer(ctx, record, _DEFAULT_FILE)


def files_list(ctx: RequestContext) -> dict[str, Any]:
    """``files.list`` (``q`` with and-joined basic terms; orderBy name/createdTime/modifiedTime)."""
    store = ctx.fake.drive
    query = ctx.arg("q") or ""
    predicates = [_predicate(store, term) for term in _split_and(query)]
    found = [f for f in store.files.values() if all(p(f) for p in predicates)]
    for clause in reversed([c.strip() for c in (ctx.arg("orderBy") or "").split(",") if c.strip()]):
        key, _, direction = clause.partition(" ")
        if key not in ("name", "createdTime", "modifiedTime", "folder"):
            raise bad_request(f"fake workspace does not support orderBy {clause!r}")
        if key == "folder":
            found.sort(key=lambda f: f["mimeType"] != FOLDER_MIME, reverse=direction == "desc")
        else:
            found.sort(key=lambda f, k=key: f[k], reverse=direction == "desc")
    size = min(ctx.integer("pageSize", 100) or 100, 1000)
    page = paging.page(
        [copy.deepcopy(f) for f in found], ctx.arg("pageToken"), size, "files", [query, ctx.arg("orderBy")]
    )
    out = {"kind": "drive#fileList", "incompleteSearch": False, "files": page.get("files", [])}
    if "nextPageToken" in page:
        out["nextPageToken"] = page["nextPageToken"]
    return out if ctx.fields is not None else select(_DEFAULT_LIST, out)


def files_delete(ctx: RequestContext) -> None:
    """``files.delete`` (permanent)."""
    store = ctx.fake.drive
    file_id = ctx.path("fileId")
    mime = store.file(file_id)["mimeType"]
    del store.files[file_id]
    store.permissions.pop(file_id, None)
    if mime == SPREADSHEET_MIME:
        ctx.fake.sheets.delete(file_id)
    elif mime == FORM_MIME:
        ctx.fake.forms.delete(file_id)


def permissions_create(ctx: RequestContext) -> dict[str, Any]:
    """``permissions.create`` (a second grant to the same grantee replaces the role)."""
    store = ctx.fake.drive
    file_id = ctx.path("fileId")
    store.file(file_id)
    body = ctx.json()
    kind, role = body.get("type"), body.get("role")
    if role not in _ROLES:
        raise bad_request(f"Invalid permission role: {role}")
    if kind in ("user", "group") and not body.get("emailAddress"):
        raise bad_request("The permission emailAddress field is required for user and group.")
    if kind == "domain" and not body.get("domain"):
        raise bad_request("The permission domain field is required for type domain.")
    if kind not in ("user", "group", "domain", "anyone"):
        raise bad_request(f"Invalid permission type: {kind}")
    if role == "owner" and not ctx.flag("transferOwnership"):
        raise ApiError(
            403,
            "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
            reason="forbidden",
        )
    permission = store._grant(file_id, {k: v for k, v in body.items() if k not in ("id", "kind")})
    notify = ctx.flag("sendNotificationEmail", default=kind in ("user", "group"))
    store.notifications.append((file_id, permission["id"], notify, ctx.arg("emailMessage")))
    return _answer(ctx, permission, _DEFAULT_PERMISSION)


def permissions_list(ctx: RequestContext) -> dict[str, Any]:
    """``permissions.list``."""
    store = ctx.fake.drive
    file_id = ctx.path("fileId")
    store.file(file_id)
    out = {"kind": "drive#permissionList", "permissions": store.shared_with(file_id)}
    return out if ctx.fields is not None else select(_DEFAULT_PERMISSION_LIST, out)


def permissions_get(ctx: RequestContext) -> dict[str, Any]:
    """``permissions.get``."""
    store = ctx.fake.drive
    store.file(ctx.path("fileId"))
    permission = store.permissions[ctx.path("fileId")].get(ctx.path("permissionId"))
    if permission is None:
        raise not_found(f"Permission not found: {ctx.path('permissionId')}.")
    return _answer(ctx, permission, _DEFAULT_PERMISSION)


def permissions_delete(ctx: RequestContext) -> None:
    """``permissions.delete``."""
    store = ctx.fake.drive
    store.file(ctx.path("fileId"))
    if store.permissions[ctx.path("fileId")].pop(ctx.path("permissionId"), None) is None:
        raise not_found(f"Permission not found: {ctx.path('permissionId')}.")


HANDLERS: dict[str, Handler] = {
    "drive.files.create": files_create,
    "drive.files.get": files_get,
    "drive.files.update": files_update,
    "drive.files.list": files_list,
    "drive.files.delete": files_delete,
    "drive.permissions.create": permissions_create,
    "drive.permissions.list": permissions_list,
    "drive.permissions.get": permissions_get,
    "drive.permissions.delete": permissions_delete,
}
