"""Shared fixtures: a program config in a temporary folder, and sample applications."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakebadgr import BADGR_PASSWORD, BADGR_USER, FakeBadgr
from fakeworkspace.testing import Harness
from programs import write_config

from microintern.config import ProgramConfig, load_config


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


@pytest.fixture(autouse=True)
def private_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own state folder (run lock), never the user's real one."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.delenv("MICROINTERN_GOOGLE_ENDPOINT", raising=False)
    monkeypatch.delenv("MICROINTERN_CONFIG", raising=False)
    return state


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A running fake Workspace with a service-account key and real clients, per test module."""
    with Harness.start(tmp_path_factory.mktemp("fake")) as harness:
        yield harness


@pytest.fixture
def badgr() -> Iterator[FakeBadgr]:
    """A fake Badgr with the program's account, issuer ISSUER1 and badge class CLASS1."""
    with FakeBadgr() as fake:
        fake.add_user(BADGR_USER, BADGR_PASSWORD)
        fake.add_issuer("ISSUER1", "Mesa Valley Unified School District", staff=[BADGR_USER])
        fake.add_badgeclass("CLASS1", "ISSUER1", "Mesa Valley Micro-Intern")
        yield fake
