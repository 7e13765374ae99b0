"""Google Drive: program folders, shared with named people only.

With the ``drive.file`` scope microintern sees only the files it created, which is all it needs.

Creating is not idempotent on Drive (a client-chosen file id must come from ``files.generateIds``),
so every file the app makes carries private ``appProperties`` that find it again, and a create
is reconciled by reading, never repeated blind:

- before each attempt, ``files.list`` by the tag, name and parent: a folder an earlier attempt
  made (whose answer was lost to a timeout, a 5xx after it was applied, a dropped connection)
  is found and used;
- after a create, the same list again: httplib2 silently re-sends a POST once when the
  connection drops after the request went out, which makes a second copy the client never
  hears of. Of several copies the oldest (created time, then id) is kept by every run alike and
  the empty others are deleted.

``permissions.create`` for a person who already has access replaces the role, so it is
retried as is; ``permissions.delete`` of a permission already gone (404) counts as done.

REST reference: https://developers.google.com/drive/api/reference/rest/v3
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.records import DriveFile
from microintern.errors import BackendError

FOLDER = "application/vnd.google-apps.folder"
FORM = "application/vnd.google-apps.form"
FOLDER_LINK = "https://drive.google.com/drive/folders/{id}"
ROLES = frozenset({"reader", "commenter", "writer"})


def _quoted(value: str) -> str:
    """A string literal for a Drive ``q`` query (backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# appProperties are private to the app that sets them: nobody else can make a folder look ours.
TAG_KEY = "microintern"
TAG_VALUE = "folder"


def _tag_query(tags: dict[str, str]) -> str:
    return " and ".join(f"appProperties has {{ key={_quoted(k)} and value={_quoted(v)} }}"
                        for k, v in tags.items())


def find_tagged(files: Any, retry: Retry, *, name: str, mime_type: str, tags: dict[str, str],
                parent_id: str | None = None) -> list[str]:
    """Ids of the files this app made with ``name``, type, tags and parent, oldest first.

    Only files carrying the app's private ``appProperties`` are found: a file of the same name
    that someone else made and shared with the program account (a student, say) is never taken
    for the program's own, so nothing is ever filed into it.
    """
    query = (f"name = {_quoted(name)} and mimeType = {_quoted(mime_type)} and trashed = false"
             f" and {_tag_query(tags)}")
    if parent_id:
        query += f" and {_quoted(parent_id)} in parents"
    found = execute(files.list(q=query, fields="files(id,createdTime)", pageSize=100),
                    "drive files.list", retry=retry)
    items = found.get("files", [])
    return [str(f["id"]) for f in sorted(items, key=lambda f: (str(f.get("createdTime", "")),
                                                               str(f["id"])))]


def _delete_if_empty(files: Any, retry: Retry, file_id: str) -> None:
    """Delete a copy made by a repeated create, unless something was already put in it."""
    inside = execute(files.list(q=f"{_quoted(file_id)} in parents", fields="files(id)", pageSize=1),
                     "drive files.list", retry=retry)
    if inside.get("files"):
        return
    try:
        execute(files.delete(fileId=file_id), "drive files.delete", retry=retry)
    except BackendError as exc:
        if exc.code != 404:  # deleted already (by a repeat, or by the other run that saw it)
            raise


def create_tagged(files: Any, retry: Retry, *, name: str, mime_type: str, tags: dict[str, str],
                  parent_id: str | None = None) -> str:
    """The id of the app's file ``name`` (found, else created), never made twice.

    Each attempt first looks for the file (an earlier attempt whose answer was lost may have
    made it), creates only when there is none, and looks again after creating to settle on
    one copy (see the module). A failed attempt is tried again by ``retry`` (5xx, timeouts,
    dropped connections, rate limits), so a retried attempt always begins with that read.
    """
    body: dict[str, Any] = {"name": name, "mimeType": mime_type, "appProperties": dict(tags)}
    if parent_id:
        body["parents"] = [parent_id]

    def attempt() -> str:
        copies = find_tagged(files, retry, name=name, mime_type=mime_type, tags=tags,
                             parent_id=parent_id)
        if not copies:
            created = str(execute(files.create(body=body, fields="id"), "drive files.create",
                                  retry=None)["id"])
            copies = find_tagged(files, retry, name=name, mime_type=mime_type, tags=tags,
                                 parent_id=parent_id) or [created]
        for extra in copies[1:]:
            _delete_if_empty(files, retry, extra)
        return copies[0]

    return retry.run(attempt)


class GoogleDriveFolders:
    """The :class:`~microintern.ports.SharedFolders` port on Google Drive."""

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._files = service.files()
        self._permissions = service.permissions()
        self._retry = retry or Retry()

    def ensure_folder(self, name: str, parent_id: str | None = None) -> str:
        """Find the folder this app made by name and parent (``files.list``), else create it.

        Only folders carrying the app's private ``appProperties`` tag are found: a folder of the
        same name that someone else made and shared with the program account (a student, say)
        is never taken for the program's own, so nothing is ever filed into it.
        """
        return create_tagged(self._files, self._retry, name=name, mime_type=FOLDER,
                             tags={TAG_KEY: TAG_VALUE}, parent_id=parent_id)

    def share(self, folder_id: str, email: str, role: str = "reader") -> None:
        """``permissions.create`` for one user; sharing twice is harmless (Drive merges it)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {role!r}")
        body = {"type": "user", "role": role, "emailAddress": email}
        execute(self._permissions.create(fileId=folder_id, body=body, sendNotificationEmail=False,
                                         fields="id"),
                "drive permissions.create", retry=self._retry)

    def unshare(self, folder_id: str, email: str) -> bool:
        """Take ``email``'s access away (``permissions.list`` + ``permissions.delete``).

        True when a permission was removed, False when the person had none. Owners are never
        removed (Drive refuses it, and the program account must keep its own folders).
        https://developers.google.com/drive/api/reference/rest/v3/permissions/delete
        """
        listed = execute(self._permissions.list(
            fileId=folder_id, fields="permissions(id,emailAddress,role,type)"),
            "drive permissions.list", retry=self._retry)
        removed = False
        for permission in listed.get("permissions", []):
            address = str(permission.get("emailAddress") or "")
            if address.casefold() != email.casefold() or permission.get("role") == "owner":
                continue
            try:
                # Idempotent: a repeat after a lost answer meets a 404, which means done.
                execute(self._permissions.delete(fileId=folder_id, permissionId=permission["id"]),
                        "drive permissions.delete", retry=self._retry)
            except BackendError as exc:
                if exc.code != 404:
                    raise
            removed = True
        return removed

    def shared_with(self, folder_id: str) -> dict[str, str]:
        """Every user permission on the folder, address → role."""
        listed = execute(self._permissions.list(
            fileId=folder_id, fields="permissions(emailAddress,role,type)"),
            "drive permissions.list", retry=self._retry)
        return {p["emailAddress"]: p["role"] for p in listed.get("permissions", [])
                if p.get("emailAddress")}

    def files_in(self, folder_id: str) -> list[DriveFile]:
        """``files.list`` of the folder's files (not subfolders, not trashed), every page.

        Files people put in a folder are theirs, not the app's: listing them needs a scope that
        sees files the app did not create (``drive.metadata.readonly``), not only ``drive.file``.
        """
        query = (f"{_quoted(folder_id)} in parents and trashed = false "
                 f"and mimeType != '{FOLDER}'")
        files: list[DriveFile] = []
        token: str | None = None
        while True:
            page = execute(self._files.list(
                q=query, pageSize=100, pageToken=token,
                fields="nextPageToken,files(id,name,webViewLink,modifiedTime)"),
                "drive files.list", retry=self._retry)
            for item in page.get("files", []):
                files.append(DriveFile(
                    file_id=str(item["id"]), name=str(item.get("name") or ""),
                    link=str(item.get("webViewLink") or f"https://drive.google.com/file/d/{item['id']}/view"),
                    modified=datetime.fromisoformat(str(item["modifiedTime"]).replace("Z", "+00:00"))))
            token = page.get("nextPageToken")
            if not token:
                break
        return sorted(files, key=lambda f: (f.modified, f.name))

    def link(self, folder_id: str) -> str:
        """The folder's web address (no API call: Drive's folder links have one shape)."""
        return FOLDER_LINK.format(id=folder_id)
