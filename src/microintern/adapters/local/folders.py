"""Local shared folders: real directories, with who-may-see-it kept beside them.

The local backend cannot share anything with anyone; it records the sharing a Google Drive
folder would have, so the demo and the tests can check it.

Folder names come from people (a student's first name, an assignment's title), so each is made
safe and bounded: at most :data:`MAX_NAME_BYTES` bytes of UTF-8, well under the 255 bytes most
file systems allow per name. A long name keeps its start and the id in its closing brackets
("Ana-María … (A-000042)") and gains a short hash of the whole name, so two long names never
share a folder.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from microintern.adapters.local._files import atomic_write_bytes, ensure_private_dir
from microintern.domain.records import DriveFile

ROLES = frozenset({"reader", "commenter", "writer"})
SHARING = ".sharing.json"
MAX_NAME_BYTES = 200
# The id a name ends with, e.g. "Ana M. (A-000042)": kept whole when the name is cut.
_ID_TAIL = re.compile(r"^(.*?)(\s*\([^()]{1,60}\))?$", re.DOTALL)


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_. " else "_" for c in text)


def _cut(text: str, budget: int) -> str:
    """The longest start of ``text`` whose UTF-8 fits in ``budget`` bytes (whole characters)."""
    return text.encode("utf-8")[:max(budget, 0)].decode("utf-8", errors="ignore")


def folder_name(name: str) -> str:
    """The directory name for the folder ``name``: safe characters, at most MAX_NAME_BYTES bytes.

    A name that had to change gets ``-<6 hex>`` of the original, so distinct names stay distinct.
    """
    safe = _safe(name).strip(" .") or "folder"
    if safe == name and len(safe.encode("utf-8")) <= MAX_NAME_BYTES:
        return safe
    digest = "-" + hashlib.sha256(name.encode("utf-8", errors="surrogatepass")).hexdigest()[:6]
    if len((safe + digest).encode("utf-8")) <= MAX_NAME_BYTES:
        return safe + digest
    match = _ID_TAIL.match(name)
    head, tail = (match.group(1), match.group(2) or "") if match else (name, "")
    tail = _safe(tail)
    head = _cut(_safe(head), MAX_NAME_BYTES - len((tail + digest).encode("utf-8"))).rstrip(" .")
    bounded = (head + tail).strip(" .") or "folder"
    return _cut(bounded, MAX_NAME_BYTES - len(digest.encode("utf-8"))) + digest


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
        """Create ``<root>/<parent>/<safe name>`` (0700) if missing; its relative path is its id.

        The directory name is :func:`folder_name` of ``name`` (safe and bounded).
        """
        safe = folder_name(name)
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

    def unshare(self, folder_id: str, email: str) -> bool:
        """Take ``email`` out of the folder's sharing record; False when it was not in it."""
        sharing = self.shared_with(folder_id)
        kept = {k: v for k, v in sharing.items() if k.casefold() != email.casefold()}
        if kept == sharing:
            return False
        text = json.dumps(kept, indent=2, sort_keys=True)
        atomic_write_bytes(self._path(folder_id) / SHARING, text.encode())
        return True

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
