"""Local shared folders: real directories, with who-may-see-it kept beside them.

The local backend cannot share anything with anyone; it records the sharing a Google Drive
folder would have, so the demo and the tests can check it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from microintern.adapters.local._files import atomic_write_bytes, ensure_private_dir
from microintern.domain.records import DriveFile

ROLES = frozenset({"reader", "commenter", "writer"})
SHARING = ".sharing.json"


class LocalFolders:
    """The :class:`~microintern.ports.SharedFolders` port on a local directory tree."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, folder_id: str) -> Path:
        path = (self.root / folder_id).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"folder id {folder_id!r} is outside {self.root}")
        return path

    def ensure_folder(self, name: str, parent_id: str | None = None) -> str:
        """Create ``<root>/<parent>/<safe name>`` (0700) if missing; its relative path is its id."""
        safe = "".join(c if c.isalnum() or c in "-_. " else "_" for c in name).strip(" .") or "folder"
        if safe != name:
            safe += "-" + hashlib.sha256(name.encode()).hexdigest()[:6]
        folder_id = f"{parent_id}/{safe}" if parent_id else safe
        ensure_private_dir(self._path(folder_id))
        return folder_id

    def share(self, folder_id: str, email: str, role: str = "reader") -> None:
        """Record that ``email`` may open the folder."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {role!r}")
        sharing = self.shared_with(folder_id)
        if sharing.get(email) != role:
            sharing[email] = role
            text = json.dumps(sharing, indent=2, sort_keys=True)
            atomic_write_bytes(self._path(folder_id) / SHARING, text.encode())

    def shared_with(self, folder_id: str) -> dict[str, str]:
        """Who may open the folder, address → role."""
        path = self._path(folder_id) / SHARING
        if not path.exists():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}

    def files_in(self, folder_id: str) -> list[DriveFile]:
        """The regular files in the folder (not subfolders, not hidden ones), oldest change first."""
        folder = self._path(folder_id)
        if not folder.is_dir():
            return []
        files = [
            DriveFile(file_id=f"{folder_id}/{path.name}", name=path.name, link=path.as_uri(),
                      modified=datetime.fromtimestamp(path.stat().st_mtime, UTC))
            for path in folder.iterdir()
            if path.is_file() and not path.name.startswith(".")
        ]
        return sorted(files, key=lambda f: (f.modified, f.name))

    def link(self, folder_id: str) -> str:
        """The folder as a ``file://`` address."""
        return self._path(folder_id).as_uri()
