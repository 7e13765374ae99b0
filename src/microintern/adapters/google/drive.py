"""Google Drive: program folders, shared with named people only.

With the ``drive.file`` scope microintern sees only the files it created, which is all it needs.

REST reference: https://developers.google.com/drive/api/reference/rest/v3
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.records import DriveFile

FOLDER = "application/vnd.google-apps.folder"
FOLDER_LINK = "https://drive.google.com/drive/folders/{id}"
ROLES = frozenset({"reader", "commenter", "writer"})


def _quoted(value: str) -> str:
    """A string literal for a Drive ``q`` query (backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# appProperties are private to the app that sets them: nobody else can make a folder look ours.
TAG_KEY = "microintern"
TAG_VALUE = "folder"


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
        query = (f"name = {_quoted(name)} and mimeType = '{FOLDER}' and trashed = false"
                 f" and appProperties has {{ key='{TAG_KEY}' and value='{TAG_VALUE}' }}")
        if parent_id:
            query += f" and {_quoted(parent_id)} in parents"
        found = execute(self._files.list(q=query, fields="files(id,name)", pageSize=10),
                        "drive files.list", retry=self._retry)
        if found.get("files"):
            return str(found["files"][0]["id"])
        body: dict[str, Any] = {"name": name, "mimeType": FOLDER,
                                "appProperties": {TAG_KEY: TAG_VALUE}}
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
