"""The demo's people who tidy up while microintern works: both things issue 13 made safe.

* **Sorting tabs mid-program.** One morning the coordinator opens the workbook in a
  spreadsheet program, sorts the Outbox by recipient address and the Participants tab by
  session (Z to A), and saves. Rows are found by key, so nothing lands on the wrong row:
  :func:`check_on_key` proves it at the end (every Outbox row's recipient matches its key and
  its sent file; every Participants row's name matches its applicant).
* **A cut-off run and a tidied Drafts folder.** One morning the run dies in the middle of a
  batch (a power cut; stood in by :class:`CutOff`, which nothing catches): nine letters have
  gone out with their records unsaved, the tenth waits in Drafts, the rest are on record as
  ``sending``. Someone then deletes the waiting draft. The rerun finds the nine in ``sent/``
  (booked, not resent), finds neither a sent copy nor a draft of the tenth, so it drafts that
  letter again and sends it, once: :func:`sent_once` checks the letter's key among the sent
  files.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from microintern.adapters.local._files import atomic_write_bytes
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.domain.records import OutgoingMessage
from microintern.ports import Mailer
from microintern.steps.context import Ports

SORTS = {sheet.OUTBOX: ("To", False), sheet.PARTICIPANTS: (sheet.SESSION_ID, True)}
"""Tab -> (column, descending): how the coordinator sorts each tab."""


def sort_tabs(workbook: Path) -> list[str]:
    """Sort the data rows of the Outbox and Participants tabs as a person would, and save."""
    book = load_workbook(workbook)
    said: list[str] = []
    for tab, (column, descending) in SORTS.items():
        if tab not in book.sheetnames:
            continue
        ws = book[tab]
        headers = [cell.value for cell in ws[1]]
        if column not in headers or ws.max_row < 3:
            continue
        at = headers.index(column)
        rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=2)]
        rows.sort(key=lambda r: str(r[at] or ""), reverse=descending)
        for r, values in enumerate(rows, start=2):
            for c, value in enumerate(values, start=1):
                # Assigned, not passed: ws.cell(..., value=None) would leave the old value.
                ws.cell(row=r, column=c).value = value
        said.append(f"{tab} by {column}{' (Z to A)' if descending else ''}")
    buffer = io.BytesIO()
    book.save(buffer)
    atomic_write_bytes(workbook, buffer.getvalue())  # the program's files stay owner-only
    return said


#: Tab -> (key column, columns that must stay with the key): what "misplaced" would break.
FOLLOW_THE_KEY = {sheet.OUTBOX: (sheet.OUTBOX_KEY, ("Recipient ID", "To", "Language")),
                  sheet.PARTICIPANTS: (sheet.APPLICANT_ID, ("First name", "Last name"))}


def snapshot(roster: Any) -> dict[str, dict[str, tuple[object, ...]]]:
    """What each row of the sorted tabs holds, by key, before the sort."""
    tabs = roster.read_tabs(list(FOLLOW_THE_KEY))
    return {tab: {str(r.get(key)): tuple(r.get(c) for c in columns) for r in tabs[tab] if r.get(key)}
            for tab, (key, columns) in FOLLOW_THE_KEY.items()}


def check_on_key(roster: Any, before: dict[str, dict[str, tuple[object, ...]]],
                 sent_folder: Path) -> tuple[dict[str, int], list[str]]:
    """Every row still on its key after the sort: (rows checked per tab, what is misplaced).

    A row present before the sort holds the same recipient, address and names after it; every
    Outbox row's Recipient ID is its key's, and a sent row's Message ID is a file in ``sent/``
    carrying that key.
    """
    tabs = roster.read_tabs(list(FOLLOW_THE_KEY))
    keys_of = {path.stem: str(_key(path)) for path in sent_folder.glob("*.eml")}
    wrong: list[str] = []
    checked: dict[str, int] = {}
    for tab, (key_column, columns) in FOLLOW_THE_KEY.items():
        checked[tab] = 0
        for row in tabs[tab]:
            key = str(row.get(key_column) or "")
            if not key:
                continue
            checked[tab] += 1
            if key in before[tab] and tuple(row.get(c) for c in columns) != before[tab][key]:
                wrong.append(f"{tab} {key}: moved to another row's values")
            if tab == sheet.OUTBOX:
                parts = key.split("/")
                if len(parts) == 4 and str(row.get("Recipient ID") or "") != parts[2]:
                    wrong.append(f"Outbox {key}: another recipient")
                message = str(row.get("Message ID") or "")
                if message in keys_of and keys_of[message] != key:
                    wrong.append(f"Outbox {key}: another letter's Message ID")
    return checked, wrong


def _key(path: Path) -> str | None:
    """The letter's key from the message's headers (the body, attachments included, is not parsed)."""
    with path.open("rb") as handle:
        headers = BytesHeaderParser().parse(handle)
    value = headers[KEY_HEADER]
    return None if value is None else "".join(str(value).split())  # unfolded; keys hold no spaces


class CutOff(BaseException):
    """Stands in for a power cut: nothing after it runs, and no ``except Exception`` catches it."""


class DiesMidBatch:
    """The real mailer of a run that dies as it is about to send its ``at``-th letter.

    The letters before it went out with their records still unsaved (they are saved with the
    run's last save), the ``at``-th waits in Drafts, and the rest of its batch is on record as
    ``sending`` with no draft yet.
    """

    def __init__(self, real: Mailer, at: int = 10) -> None:
        self.real = real
        self.at = at
        self.sent = 0

    def create_draft(self, message: OutgoingMessage) -> str:
        """The real draft."""
        return self.real.create_draft(message)

    def send_draft(self, draft_id: str) -> str:
        """The power goes here, at the ``at``-th send; until then, the real send."""
        self.sent += 1
        if self.sent >= self.at:
            raise CutOff
        return self.real.send_draft(draft_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)  # find_sent and the rest: the real mailer's


def cut_off_then_tidy(run: Callable[[Ports], object], ports: Ports,
                      drafts: Path) -> tuple[list[str], str | None]:
    """Run with a mailer that dies at its tenth send, then delete the draft left waiting.

    Returns lines to print and the key of the deleted draft's letter (None if none waited).
    """
    said: list[str] = []
    try:
        run(replace(ports, mailer=(cut := DiesMidBatch(ports.mailer))))  # type: ignore[arg-type]
    except CutOff:
        pass
    waiting = sorted(drafts.glob("*.eml"))
    said.append(f"(a power cut stops the morning run: {cut.sent - 1} letter(s) sent, "
                f"{len(waiting)} drafted)")
    if not waiting:
        return said, None
    victim = waiting[0]
    key = _key(victim)
    victim.unlink()
    said.append("(someone tidying Drafts deletes one waiting draft; the run is started again)")
    return said, None if key is None else str(key)


def sent_once(sent_folder: Path, key: str) -> int:
    """How many sent files carry ``key``."""
    return Counter(str(_key(p)) for p in sent_folder.glob("*.eml"))[key]
