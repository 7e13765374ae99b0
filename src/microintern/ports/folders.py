"""The SharedFolders port: folders of program files shared with named people only."""

from __future__ import annotations

from typing import Protocol

from microintern.domain.records import DriveFile


class SharedFolders(Protocol):
    """Folders of program files (flyers, submissions) shared with named people only."""

    def ensure_folder(self, name: str, parent_id: str | None = None) -> str:
        """The id of the folder ``name`` in ``parent_id``, created if missing (idempotent)."""
        ...

    def share(self, folder_id: str, email: str, role: str = "reader") -> None:
        """Give ``email`` access (``reader``, ``commenter`` or ``writer``), without notifying."""
        ...

    def unshare(self, folder_id: str, email: str) -> bool:
        """Take ``email``'s access to the folder away; False when they had none (idempotent)."""
        ...

    def shared_with(self, folder_id: str) -> dict[str, str]:
        """Who has access to the folder: address → role."""
        ...

    def files_in(self, folder_id: str) -> list[DriveFile]:
        """The files in the folder (not its subfolders), oldest first."""
        ...

    def link(self, folder_id: str) -> str:
        """The address people open the folder at."""
        ...
