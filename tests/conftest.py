"""Shared fixtures: a program config in a temporary folder, and sample applications."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from microintern.config import ProgramConfig, load_config

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


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A local-backend program config in a fresh temporary folder."""
    return write_config(tmp_path)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., ProgramConfig]:
    """Build a config with top-level overrides."""

    def make(**overrides: Any) -> ProgramConfig:
        return load_config(write_config(tmp_path, **overrides))

    return make
