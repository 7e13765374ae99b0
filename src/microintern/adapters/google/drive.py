"""Google Drive: program folders, shared with named people only.

With the ``drive.file`` scope microintern sees only the files it created, which is all it needs.

REST reference: https://developers.google.com/drive/api/reference/rest/v3
"""

from __future__ import annotations

from typing import Any

from microintern.adapters.google.transport import Retry, execute

FOLDER = "application/vnd.google-apps.folder"
ROLES = frozenset({"reader", "commenter", "writer"})


def _quoted(value: str) -> str:
    """A string literal for a Drive ``q`` query (backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class GoogleDriveFolders:
    """The :class:`~microintern.ports.SharedFolders` port on Google Drive."""

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._files = service.files()
        self._permissions = service.permissions()
        self._retry = retry or Retry()

    def ensure_folder(self, name: str, parent_id: str | None = None) -> str:
        """Find the folder by name and parent (``files.list``), else create it."""
        query = f"name = {_quoted(name)} and mimeType = '{FOLDER}' and trashed = false"
        if parent_id:
            query += f" and {_quoted(parent_id)} in parents"
        found = execute(self._files.list(q=query, fields="files(id,name)", pageSize=10),
                        "drive files.list", retry=self._retry)
        if found.get("files"):
            return str(found["files"][0]["id"])
        body: dict[str, Any] = {"name": name, "mimeType": FOLDER}
        if parent_id:
            body["parents"] = [parent_id]
        # Not retried: a repeated create would make a second folder.
        created = execute(self._files.create(body=body, fields="id"), "drive files.create",
                          retry=None)
        return str(created["id"])

    def share(self, folder_id: str, email: str, role: str = "reader") -> None:
        """``permissions.create`` for one user; sharing twice is harmless (Drive merges it)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {role!r}")
        body = {"type": "user", "role": role, "emailAddress": email}
        execute(self._permissions.create(fileId=folder_id, body=body, sendNotificationEmail=False,
                                         fields="id"),
                "drive permissions.create", retry=self._retry)

    def shared_with(self, folder_id: str) -> dict[str, str]:
        """Every user permission on the folder, address → role."""
        listed = execute(self._permissions.list(
            fileId=folder_id, fields="permissions(emailAddress,role,type)"),
            "drive permissions.list", retry=self._retry)
        return {p["emailAddress"]: p["role"] for p in listed.get("permissions", [])
                if p.get("emailAddress")}
