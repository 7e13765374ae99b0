"""Local shared folders: private directories with their sharing recorded."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from microintern.adapters.local import LocalFolders


def test_folders_are_private_idempotent_and_record_sharing(tmp_path: Path) -> None:
    folders = LocalFolders(tmp_path / "drive")
    parent = folders.ensure_folder("Mesa Valley")
    child = folders.ensure_folder("cyber/basics: submissions", parent)
    assert folders.ensure_folder("cyber/basics: submissions", parent) == child
    path = tmp_path / "drive" / child
    assert path.is_dir() and "/" not in child.removeprefix(parent + "/")
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    folders.share(child, "m.ortega@soliscyber.example", "commenter")
    folders.share(child, "m.ortega@soliscyber.example", "commenter")
    assert folders.shared_with(child) == {"m.ortega@soliscyber.example": "commenter"}
    assert stat.S_IMODE((path / ".sharing.json").stat().st_mode) == 0o600


def test_folder_ids_cannot_escape_the_root(tmp_path: Path) -> None:
    folders = LocalFolders(tmp_path / "drive")
    with pytest.raises(ValueError, match="outside"):
        folders.shared_with("../../etc")
    with pytest.raises(ValueError, match="role"):
        folders.share(folders.ensure_folder("x"), "a@b.org", "owner")
