"""The fake Workspace for adapter tests, and a program config that points at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fakeworkspace import FakeWorkspace, write_service_account_file
from programs import write_config

from microintern.adapters.google import scopes
from microintern.adapters.google.auth import service_account_credentials
from microintern.adapters.google.transport import GoogleTransport
from microintern.config import ProgramConfig, load_config

SPREADSHEET_ID = "1MesaValleyProgramSheet000000000000000000000"
FORM_ID = "1MesaValleyApplicationForm00000000000000000"
PROGRAM_USER = "internships@mesavalley.example"


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeWorkspace]:
    """One fake Workspace on loopback for the whole session (state reset per test)."""
    with FakeWorkspace() as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeWorkspace) -> Iterator[FakeWorkspace]:
    """The shared fake, emptied; every test ends with no request rejected by discovery."""
    fake_server.reset()
    yield fake_server
    assert fake_server.rejections == [], fake_server.rejections


@dataclass
class GoogleProgram:
    """A Google-backed program config whose spreadsheet and form exist in the fake."""

    config_file: Path
    config: ProgramConfig
    question_ids: dict[str, str]

    def add_response(self, fake: FakeWorkspace, response_id: str, when: datetime,
                     answers: dict[str, str]) -> None:
        """Submit answers keyed by question title, as a student would."""
        fake.forms.add_response(FORM_ID, response_id, when,
                                {self.question_ids[t]: v for t, v in answers.items() if v})


@pytest.fixture
def transport(tmp_path: Path, fake: FakeWorkspace) -> GoogleTransport:
    """The Google transport as the program's delegated user, pointed at the fake."""
    key = write_service_account_file(tmp_path / "credentials.json", fake)
    creds = service_account_credentials(key, subject=PROGRAM_USER, scopes=scopes.ALL)
    return GoogleTransport(creds, endpoint=fake.url, timeout=5)


@pytest.fixture
def google_program(tmp_path: Path, fake: FakeWorkspace) -> GoogleProgram:
    """The example program on the Google backend, routed to the fake by ``google.endpoint``."""
    key = write_service_account_file(tmp_path / "credentials.json", fake)
    fake.sheets.create(SPREADSHEET_ID, "Mesa Valley program", {"Sheet1": []})
    path = write_config(tmp_path, backend="google", google={
        "auth": "service_account",
        "credentials_file": str(key),
        "delegated_user": PROGRAM_USER,
        "spreadsheet_id": SPREADSHEET_ID,
        "application_form_id": FORM_ID,
        "endpoint": fake.url,
        "timeout_seconds": 5,
    }, mail={"per_minute": None})  # the fake has no quota unless a test sets one
    config = load_config(path)
    question_ids = {q.title: f"{i:08x}" for i, q in enumerate(config.application.questions, 1)}
    fake.forms.create(FORM_ID, config.application.form_title,
                      [(qid, title) for title, qid in question_ids.items()])
    return GoogleProgram(path, config, question_ids)


def forms_made(fake: FakeWorkspace) -> int:
    """Forms the product created: through Drive (tagged, the usual way) or ``forms.create``."""
    from microintern.adapters.google.drive import FORM

    through_drive = [c for c in fake.calls_to("drive.files.create")
                     if (c.body or {}).get("mimeType") == FORM]
    return len(through_drive) + fake.count("forms.forms.create")


# The Sheets calls that name the run lease's tab, a fixed cost of every command that writes
# (issue 19; 10 before): the run's one read of every tab (the lease's among them), the lease
# written and read back, the run's last save (the release with it) and its read-back; on a
# first run also the lease tab's header and its first row (appended).
LEASE_CALLS = 7


def _touches(call: Any, tab: str) -> bool:
    """Whether a Sheets call reads or writes ``tab`` (by its ranges or its path)."""
    ranges = list(call.query.get("ranges", []))
    ranges += [d.get("range", "") for d in (call.body or {}).get("data", []) if isinstance(d, dict)]
    quoted = "%27" + tab.replace(" ", "%20") + "%27"
    return any(f"'{tab}'" in str(r) for r in ranges) or quoted in call.path


def _touches_lease(call: Any) -> bool:
    return _touches(call, "Run lease")


def tab_calls(fake: FakeWorkspace, tab: str) -> list[Any]:
    """The Sheets calls that read or write ``tab``."""
    return [c for c in fake.calls_to("sheets.") if _touches(c, tab)]


def lease_calls(fake: FakeWorkspace) -> list[Any]:
    """The Sheets calls made for the run lease (its tab's reads and writes)."""
    return [c for c in fake.calls_to("sheets.") if _touches_lease(c)]


def program_sheet_calls(fake: FakeWorkspace) -> list[Any]:
    """The Sheets calls made for the program's own tabs (everything but the run lease)."""
    return [c for c in fake.calls_to("sheets.") if not _touches_lease(c)]
