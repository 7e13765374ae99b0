"""What lives beside the local workbook: tabs kept in a file of their own.

(The mailer wrapper that saves the workbook before every draft is made is
:mod:`microintern.adapters.saves_before_drafting`, shared with the Sheets backend.)

Split from :mod:`.workbook` (see its module docstring for the batches these serve).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from microintern.adapters.local._files import atomic_write_bytes
from microintern.adapters.local.workbook_cells import key_text, read_value
from microintern.domain.records import Record
from microintern.errors import BackendError
from microintern.ports import UpsertResult

if TYPE_CHECKING:
    pass


def sidecar_path(workbook: Path, tab: str) -> Path:
    """Where ``tab`` of ``workbook`` is kept: ``program.xlsx`` → ``program.run-lease.json``."""
    slug = re.sub(r"[^a-z0-9]+", "-", tab.lower()).strip("-") or "tab"
    return workbook.with_name(f"{workbook.stem}.{slug}.json")


class Sidecar:
    """One tab kept as a small JSON file beside the workbook, for rows that must be saved at once.

    The run lease is taken, renewed and released by every run, and another machine must see
    each of these the moment it happens. Kept in the workbook, each would be a save of the
    whole .xlsx (seconds for 10,000 applications; half of the demo's saves). Beside it, in the
    same folder, it is as visible to every machine that opens the workbook (the folder is what
    a shared drive shares), and a write is a few hundred bytes, replaced atomically (0600).
    Rows are found by their key, as in the workbook; a write that changes nothing is not made.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[Record]:
        """The rows as stored (none when the file is absent)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise BackendError(f"{self.path} cannot be read ({type(exc).__name__}: {exc}); move it "
                               "away: it only says which run holds the program") from exc
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BackendError(f"{self.path} is not a microintern lease file; move it away")
        return [{str(k): read_value(v) for k, v in row.items()} for row in rows
                if isinstance(row, dict)]

    def upsert(self, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Write ``rows`` by key (only the columns each names) and save at once, if anything changed."""
        stored = self.read()
        position = {key_text(row.get(key_column)): index for index, row in enumerate(stored)}
        before = [dict(row) for row in stored]
        updated = appended = 0
        for row in rows:
            key = key_text(row.get(key_column))
            clean = {str(k): read_value(v) for k, v in row.items()}
            if key in position:
                stored[position[key]].update(clean)
                updated += 1
            else:
                position[key] = len(stored)
                stored.append(clean)
                appended += 1
        if stored != before:
            data = json.dumps({"rows": stored}, ensure_ascii=False, indent=1).encode("utf-8")
            atomic_write_bytes(self.path, data)
        return UpsertResult(updated=updated, appended=appended)
