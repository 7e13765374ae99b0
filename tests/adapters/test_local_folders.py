"""Local shared folders: private directories with their sharing recorded."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from microintern.adapters.local import LocalFolders
from microintern.adapters.local.folders import MAX_NAME_BYTES, folder_name


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


def test_a_300_character_non_ascii_first_name_makes_a_bounded_folder_that_keeps_the_id(
        tmp_path: Path) -> None:
    folders = LocalFolders(tmp_path / "drive")
    session = folders.ensure_folder("Mesa Valley / Data fellows — submissions")
    long_name = "Ñandúçå" * 43 + "é"                          # 302 letters, 2 bytes each
    student = folders.ensure_folder(f"{long_name} Q. (A-000042)", session)
    name = student.rsplit("/", 1)[1]
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.startswith("Ñandúçå") and "_A-000042_" in name   # readable start, id kept
    assert (tmp_path / "drive" / student).is_dir()
    # The same name finds the same folder; another long name never shares it.
    assert folders.ensure_folder(f"{long_name} Q. (A-000042)", session) == student
    other = folders.ensure_folder(f"{long_name}x Q. (A-000043)", session)
    assert other != student and "_A-000043_" in other
    folders.share(student, "ana@students.example", "writer")
    assert folders.shared_with(student) == {"ana@students.example": "writer"}


def test_every_made_name_fits_even_without_an_id(tmp_path: Path) -> None:
    folders = LocalFolders(tmp_path / "drive")
    for name in ("ß" * 400, "😀" * 120, "a" * 199 + "😀", "(" + "x" * 300 + ")", " ." * 200):
        made = folders.ensure_folder(name)
        assert 0 < len(made.encode("utf-8")) <= MAX_NAME_BYTES and (tmp_path / "drive" / made).is_dir()
    assert folder_name("Plain name") == "Plain name"


def test_unshare_takes_one_person_off_and_is_idempotent(tmp_path: Path) -> None:
    folders = LocalFolders(tmp_path / "drive")
    folder = folders.ensure_folder("Session")
    folders.share(folder, "old.partner@acme.example", "commenter")
    folders.share(folder, "teacher@school.example", "writer")
    assert folders.unshare(folder, "Old.Partner@acme.example") is True
    assert folders.unshare(folder, "old.partner@acme.example") is False
    assert folders.shared_with(folder) == {"teacher@school.example": "writer"}
