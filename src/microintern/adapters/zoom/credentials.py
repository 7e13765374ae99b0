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


def load_credentials(path: Path) -> ZoomCredentials:
    """Read the credentials file; :class:`ConfigError` when it is missing, open to others or incomplete."""
    where = str(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(where, [ConfigProblem("video.zoom.credentials_file",
                                                "a JSON file with account_id, client_id and client_secret",
                                                "no such file")]) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(where, [ConfigProblem(
            "video.zoom.credentials_file", "a file only its owner can read (chmod 600)",
            f"mode {stat.S_IMODE(mode):04o}")])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(where, [ConfigProblem("video.zoom.credentials_file", "a JSON object",
                                                type(exc).__name__)]) from None
    missing = [k for k in _KEYS if not isinstance(data, dict) or not str(data.get(k) or "").strip()]
    if missing:
        raise ConfigError(where, [ConfigProblem(f"video.zoom.credentials_file: {k}", "a value", "nothing")
                                  for k in missing])
    return ZoomCredentials(*(str(data[k]).strip() for k in _KEYS))
