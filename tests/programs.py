"""Helpers shared by the tests: a program config written into a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "program.example.yaml"


def write_config(folder: Path, **overrides: Any) -> Path:
    """The example program with its data in ``folder`` (top-level keys overridden)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["local"] = {"folder": str(folder / "local")}
    data["templates_folder"] = str(ROOT / "templates")
    data.update(overrides)
    path = folder / "program.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def english_only(data: Any) -> Any:
    """``data`` (a config as loaded from YAML) with every per-language text reduced to its English.

    For a one-language program made from the bilingual example: such a program may not give
    text in a language it does not offer.
    """
    if isinstance(data, dict):
        if data and set(data) <= {"en", "es"} and isinstance(data.get("en"), str):
            return data["en"]
        return {key: english_only(value) for key, value in data.items()}
    if isinstance(data, list):
        return [english_only(value) for value in data]
    return data
