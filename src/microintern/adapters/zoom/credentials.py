"""The Server-to-Server OAuth app's credentials: a private JSON file, never the config.

``{"account_id": "...", "client_id": "...", "client_secret": "..."}``. A file that its group
or anyone else may read is refused: the secret opens every meeting of the district's account.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path

from microintern.errors import ConfigError, ConfigProblem

_KEYS = ("account_id", "client_id", "client_secret")


@dataclass(frozen=True)
class ZoomCredentials:
    """The app's account id, client id and secret (the secret is never printed)."""

    account_id: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"ZoomCredentials(account_id={self.account_id!r}, client_id={self.client_id!r})"


def credential_problems(path: Path) -> list[ConfigProblem]:
    """Every problem of the credentials file, one each, without any network call (check-config).

    Missing, open to its group or others (not 0600), not a JSON object, or without a non-blank
    ``account_id``, ``client_id`` or ``client_secret``. Never names a value read from the file.
    """
    key = "video.zoom.credentials_file"
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return [ConfigProblem(key, "a JSON file with account_id, client_id and client_secret",
                              f"no such file ({path})")]
    except OSError as exc:
        return [ConfigProblem(key, "a file microintern can read", f"{type(exc).__name__} ({path})")]
    problems: list[ConfigProblem] = []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(ConfigProblem(key, "a file only its owner can read (chmod 600)",
                                      f"mode {stat.S_IMODE(mode):04o}"))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [*problems, ConfigProblem(key, "a JSON object", type(exc).__name__)]
    if not isinstance(data, dict):
        return [*problems, ConfigProblem(key, "a JSON object", type(data).__name__)]
    problems.extend(ConfigProblem(f"{key}: {k}", "a value", "nothing")
                    for k in _KEYS if not str(data.get(k) or "").strip())
    return problems


def load_credentials(path: Path) -> ZoomCredentials:
    """Read the credentials file; :class:`ConfigError` when it is missing, open to others or incomplete."""
    problems = credential_problems(path)
    if problems:
        raise ConfigError(str(path), problems)
    data = json.loads(path.read_text(encoding="utf-8"))
    return ZoomCredentials(*(str(data[k]).strip() for k in _KEYS))
