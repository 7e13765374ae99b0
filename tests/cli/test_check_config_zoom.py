"""check-config looks at the Zoom credentials file when a session is on Zoom (issue 18).

Present, JSON, with account id, client id and secret, and readable by its owner only (0600);
one problem line each, exit 2; read from disk only, never a network call.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from programs import write_config

from microintern.cli import cli

GOOGLE = {"auth": "service_account", "credentials_file": "sa.json",
          "delegated_user": "program@mesavalley.example", "spreadsheet_id": "sheet-1",
          "application_form_id": "form-1"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection attempt fails the test: check-config reads the file, it never signs in."""
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("check-config opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def check(tmp_path: Path, secret: Path, *, provider: str = "zoom", backend: str = "google") -> Result:
    extra: dict[str, Any] = {"google": GOOGLE} if backend == "google" else {}
    path = write_config(tmp_path, backend=backend, video={"provider": provider,
                                                          "zoom": {"credentials_file": str(secret)}}, **extra)
    return CliRunner().invoke(cli, ["--config", str(path), "check-config"], catch_exceptions=False)


def lines(result: Result) -> list[str]:
    return [line.strip()[2:] for line in result.output.splitlines() if line.strip().startswith("- ")]


def secret_file(tmp_path: Path, content: str, mode: int = 0o600) -> Path:
    path = tmp_path / "zoom-credentials.json"
    path.write_text(content, encoding="utf-8")
    os.chmod(path, mode)
    return path


GOOD = json.dumps({"account_id": "acc", "client_id": "cid", "client_secret": "s3cr3t-value"})


def test_a_good_private_file_passes(tmp_path: Path) -> None:
    result = check(tmp_path, secret_file(tmp_path, GOOD))
    assert result.exit_code == 0, result.output
    assert ": OK" in result.output


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    result = check(tmp_path, tmp_path / "nowhere.json")
    assert result.exit_code == 2
    assert lines(result) == [f"video.zoom.credentials_file: expected a JSON file with account_id, client_id "
                             f"and client_secret, found no such file ({tmp_path / 'nowhere.json'})"]


def test_a_readable_incomplete_file_names_each_problem_and_never_the_secret(tmp_path: Path) -> None:
    content = json.dumps({"account_id": "acc", "client_id": " ", "client_secret": "s3cr3t-value"})
    result = check(tmp_path, secret_file(tmp_path, content, 0o644))
    assert result.exit_code == 2
    assert lines(result) == [
        "video.zoom.credentials_file: expected a file only its owner can read (chmod 600), found mode 0644",
        "video.zoom.credentials_file: client_id: expected a value, found nothing"]
    assert "s3cr3t-value" not in result.output


@pytest.mark.parametrize(("content", "found"), [("{not json", "JSONDecodeError"), ("[1, 2]", "list")])
def test_a_file_that_is_no_json_object_is_one_problem(tmp_path: Path, content: str, found: str) -> None:
    result = check(tmp_path, secret_file(tmp_path, content))
    assert result.exit_code == 2
    assert lines(result) == [f"video.zoom.credentials_file: expected a JSON object, found {found}"]


def test_no_check_without_a_zoom_session_or_on_the_local_backend(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    assert check(tmp_path, missing, provider="meet").exit_code == 0
    # The local backend's Zoom links are placeholders: it never reads the file.
    assert check(tmp_path, missing, backend="local").exit_code == 0
