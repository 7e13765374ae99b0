"""The local workbook's batches: writes gathered and saved once, never at the cost of a letter.

What is proved on real files (no stand-ins for our own code):

- inside ``batch()`` writes stay in memory (the file is untouched, reads see them) and are saved
  once when the block ends, also when it ends with an error;
- a ``save_at_once`` tab is saved at once even inside a batch; the run lease, kept beside the
  workbook (``sidecar_tabs``), is written at once and taking it does not rewrite the workbook;
- a person's save during a batch is kept: our gathered writes are redone on their version;
- saves that reuse unchanged tabs' XML give the same workbook as openpyxl's own save;
- the outbox protocol holds with batches: a draft's record is on disk before its send, and a
  run killed with SIGKILL in the middle of a batch of letters, then rerun, sends every letter
  exactly once.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from programs import write_config

from microintern.adapters.local import LocalOutbox
from microintern.adapters.local.workbook import LocalWorkbook
from microintern.adapters.saves_before_drafting import SavesBeforeDrafting
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.outbox import DELIVERED
from microintern.domain.records import OutgoingMessage
from microintern.steps.setup import format_sheet, initialise

ROOT = Path(__file__).resolve().parents[2]


def _signature(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def test_a_batch_saves_once_at_its_end_and_reads_see_its_writes(tmp_path: Path) -> None:
    book = LocalWorkbook(tmp_path / "program.xlsx")
    book.upsert("Outbox", "Key", [{"Key": "k0", "State": "sent"}])
    before = _signature(book.path)
    with book.batch():
        for n in range(1, 20):
            book.upsert("Outbox", "Key", [{"Key": f"k{n}", "State": "drafted"}])
        book.upsert("Timeline", "Key", [{"Key": "t", "Runs": 1}])
        assert _signature(book.path) == before  # nothing saved yet
        assert len(book.read_tabs(["Outbox"])["Outbox"]) == 20  # but every write is seen
    assert _signature(book.path) != before
    fresh = LocalWorkbook(book.path).read_tabs(["Outbox", "Timeline"])
    assert [r["Key"] for r in fresh["Outbox"]] == [f"k{n}" for n in range(20)]
    assert fresh["Timeline"] == [{"Key": "t", "Runs": 1}]


def test_a_batch_left_by_an_error_still_saves_what_was_written(tmp_path: Path) -> None:
    book = LocalWorkbook(tmp_path / "program.xlsx")
    with pytest.raises(RuntimeError), book.batch():
        book.upsert("Outbox", "Key", [{"Key": "k1", "State": "held"}])
        raise RuntimeError("the step failed after writing")
    assert LocalWorkbook(book.path).read_tabs(["Outbox"])["Outbox"] == [{"Key": "k1", "State": "held"}]


def test_a_save_at_once_tab_is_saved_at_once_inside_a_batch(tmp_path: Path) -> None:
    book = LocalWorkbook(tmp_path / "program.xlsx", save_at_once={sheet.SETTINGS})
    with book.batch():
        book.upsert("Outbox", "Key", [{"Key": "k1", "State": "drafted"}])
        book.upsert(sheet.SETTINGS, sheet.SETTING, [{sheet.SETTING: "form", "Value": "f1"}])
        on_disk = LocalWorkbook(book.path).read_tabs([sheet.SETTINGS, "Outbox"])
        assert on_disk[sheet.SETTINGS] == [{sheet.SETTING: "form", "Value": "f1"}]
        assert on_disk["Outbox"] == [{"Key": "k1", "State": "drafted"}]  # saved with it


def test_the_lease_lives_beside_the_workbook_saved_at_once_without_rewriting_it(tmp_path: Path) -> None:
    book = LocalWorkbook(tmp_path / "program.xlsx", sidecar_tabs={sheet.RUN_LEASE})
    book.ensure_tabs({"Outbox": ["Key", "State"], sheet.RUN_LEASE: sheet.LEASE_COLUMNS})
    before = _signature(book.path)
    sidecar = tmp_path / "program.run-lease.json"
    with book.batch():
        book.upsert("Outbox", "Key", [{"Key": "k1", "State": "drafted"}])
        book.upsert(sheet.RUN_LEASE, sheet.LEASE_KEY, [{sheet.LEASE_KEY: "tok", "Host": "h", "PID": 7}])
        # Another process (another machine on the shared folder) sees the lease at once (a
        # plain LocalWorkbook too: the lease is kept beside the workbook by default) ...
        other = LocalWorkbook(book.path)
        assert other.read_tabs([sheet.RUN_LEASE])[sheet.RUN_LEASE] == [
            {sheet.LEASE_KEY: "tok", "Host": "h", "PID": 7}]
        # ... and taking it did not rewrite the workbook (the batch is still gathering).
        assert _signature(book.path) == before
        assert sidecar.stat().st_mode & 0o777 == 0o600
        taken = _signature(sidecar)
        book.upsert(sheet.RUN_LEASE, sheet.LEASE_KEY, [{sheet.LEASE_KEY: "tok", "Host": "h"}])
        assert _signature(sidecar) == taken  # a write that changes nothing is not made
        book.upsert(sheet.RUN_LEASE, sheet.LEASE_KEY, [{sheet.LEASE_KEY: "tok", "State": "released"}])
    assert book.read_tabs([sheet.RUN_LEASE])[sheet.RUN_LEASE] == [
        {sheet.LEASE_KEY: "tok", "Host": "h", "PID": 7, "State": "released"}]
    assert sheet.RUN_LEASE not in openpyxl.load_workbook(book.path).sheetnames
    assert LocalWorkbook(book.path).read_tabs(["Outbox"])["Outbox"] == [{"Key": "k1", "State": "drafted"}]


def test_a_persons_save_during_a_batch_is_kept_and_our_writes_redone_on_it(tmp_path: Path) -> None:
    book = LocalWorkbook(tmp_path / "program.xlsx")
    book.upsert("Outbox", "Key", [{"Key": "k1", "State": "drafted"}, {"Key": "k2", "State": "drafted"}])
    with book.batch():
        book.upsert("Outbox", "Key", [{"Key": "k2", "State": "sent"}])
        # The coordinator inserts a row above and types a note, in their own program.
        theirs = openpyxl.load_workbook(book.path)
        tab = theirs["Outbox"]
        tab.insert_rows(2)
        tab["C1"] = "Note"
        tab["C3"] = "call the family"
        theirs.save(book.path)
    rows = LocalWorkbook(book.path).read_tabs(["Outbox"])["Outbox"]
    assert rows == [{"Key": "k1", "State": "drafted", "Note": "call the family"},
                    {"Key": "k2", "State": "sent", "Note": None}]


def test_saves_reusing_unchanged_tabs_give_openpyxls_own_workbook(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    book = LocalWorkbook(tmp_path / "program.xlsx")
    initialise(config, book)
    format_sheet(config, book)  # header notes: comments and their VML drawing
    for n in range(5):  # each save changes one tab; the others' XML is reused
        book.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, [{sheet.OUTBOX_KEY: f"k{n}", "State": "sent"}])
        book.upsert(sheet.APPLICATIONS, "Application ID", [{"Application ID": f"A{n}", "Score": n}])
    ours = openpyxl.load_workbook(book.path)
    reference = tmp_path / "reference.xlsx"
    ours.save(reference)  # openpyxl's own writer, every tab serialised afresh
    theirs = openpyxl.load_workbook(reference)
    assert ours.sheetnames == theirs.sheetnames
    for name in ours.sheetnames:
        mine, ref = ours[name], theirs[name]
        assert [[c.value for c in r] for r in mine.iter_rows()] == \
            [[c.value for c in r] for r in ref.iter_rows()]
        assert [(c.coordinate, c.comment.text) for r in mine.iter_rows() for c in r if c.comment] == \
            [(c.coordinate, c.comment.text) for r in ref.iter_rows() for c in r if c.comment]
        assert len(mine.data_validations.dataValidation) == len(ref.data_validations.dataValidation)
    assert any(c.comment for r in ours[sheet.APPLICATIONS].iter_rows() for c in r)


class _CheckingOutbox(LocalOutbox):
    """A real outbox that, at each draft, reads the workbook file as another process would."""

    def __init__(self, folder: Path, workbook: Path) -> None:
        super().__init__(folder)
        self.workbook = workbook
        self.seen: list[str | None] = []

    def create_draft(self, message: OutgoingMessage) -> str:
        rows = LocalWorkbook(self.workbook).read_tabs(["Outbox"])["Outbox"]
        self.seen.append(next((str(r["State"]) for r in rows if r["Key"] == message.key), None))
        return super().create_draft(message)


def test_a_letters_record_is_on_disk_before_its_draft_is_made(tmp_path: Path) -> None:
    book = LocalWorkbook(tmp_path / "program.xlsx")
    outbox = _CheckingOutbox(tmp_path / "outbox", book.path)
    mailer = SavesBeforeDrafting(outbox, save=book.flush)
    with book.batch():
        book.upsert("Outbox", "Key", [{"Key": f"p/s/{n}/-", "State": "sending"} for n in range(3)])
        for n in range(3):
            mailer.send_draft(mailer.create_draft(OutgoingMessage(
                key=f"p/s/{n}/-", sender="a@x.example", to=f"s{n}@x.example", subject="s",
                text="t", html="<p>t</p>")))
    assert outbox.seen == ["sending"] * 3


KILLED_RUN = """
import os, signal, sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from microintern.adapters.local import LocalOutbox
from microintern.bootstrap import letter_renderer, local_ports
from microintern.config import load_config
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import program_context
from microintern.steps.mailing import Addressed, deliver

config = load_config(Path(sys.argv[1]))
kill_at = int(sys.argv[2])


class Dying(LocalOutbox):
    sends = 0

    def send_draft(self, draft_id):
        Dying.sends += 1
        if Dying.sends == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().send_draft(draft_id)


ports = local_ports(config)
if kill_at:
    ports = replace(ports, mailer=type(ports.mailer)(
        Dying(ports.mailer.mailer.folder, domain="mesavalley.example"), save=ports.roster.flush))
ctx = StepContext(config=config, ports=ports, letters=letter_renderer(config),
                  now=datetime(2027, 2, 1, 14, 30, tzinfo=UTC), application_form_id="applications")
items = [Addressed(key=f"{config.program.id}/application_received/A-{i:04d}/-", step="applications",
                   recipient_id=f"A-{i:04d}", to=f"student{i}@students.mesavalley.example",
                   letter="application_received", language="en",
                   context={**program_context(config), "applicant": {
                       "first_name": f"S{i}", "last_name": "P", "id": f"A-{i:04d}"}})
         for i in range(60)]
with ports.roster.batch():  # as a step runs: its writes gathered, saved at its end
    ports.roster.upsert("Applications", "Application ID", [{"Application ID": "A-0000", "Score": 1}])
    outbox = {str(r["Key"]): r for r in ports.roster.read_tabs(["Outbox"])["Outbox"] if r.get("Key")}
    deliver(ctx, items, outbox, StepResult())
"""


def _delivered(folder: Path) -> Counter[str]:
    keys: Counter[str] = Counter()
    for path in (folder / "sent").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        keys[str(message["X-Microintern-Key"])] += 1
    return keys


@pytest.mark.parametrize("kill_at", [1, 13, 26, 51])
def test_kill_9_during_a_batch_of_letters_then_rerun_sends_each_once(tmp_path: Path, kill_at: int) -> None:
    config_file = write_config(tmp_path)
    config = load_config(config_file)
    assert sheet.OUTBOX_KEY == "Key"  # the script reads the Outbox by this header
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, str(config_file), str(kill_at)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    rerun = subprocess.run([sys.executable, "-c", KILLED_RUN, str(config_file), "0"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    local = config.resolve(config.local.folder)
    delivered = _delivered(local / "outbox")
    assert len(delivered) == 60  # 0 missing
    assert max(delivered.values()) == 1  # 0 duplicates
    rows = LocalWorkbook(local / "program.xlsx").read_tabs([sheet.OUTBOX])[sheet.OUTBOX]
    assert len(rows) == 60 and all(str(r["State"]) in DELIVERED for r in rows)


def _openpyxl_rows(path: Path, tab: str) -> list[list[object]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [list(r) for r in book[tab].iter_rows(values_only=True)]
    finally:
        book.close()
    return [[v for v in r] for r in rows]


def _trim(rows: list[list[object]]) -> list[list[object]]:
    out = [list(r) for r in rows]
    for r in out:
        while r and r[-1] is None:
            r.pop()
    return out


def test_the_fast_reader_reads_what_openpyxl_reads_and_hands_dates_to_it(tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from microintern.adapters.local._xlsx_read import Unsupported, read_rows

    path = tmp_path / "program.xlsx"
    book = openpyxl.Workbook()
    tab = book.active
    tab.title = "Applications"
    tab.append(["Key", "Name", "Score", "Ratio", "Ok", "Formula", "Essay"])
    tab.append(["a1", "=IMPORTXML(x)", 3, 2.5, True, "=1+1", "line one\nline two  "])
    tab.cell(2, 2).data_type = "s"  # stored as text, as the tool stores applicants' text
    tab.append([1001, "José Ñúñez", -7, 1e-9, False, None, "ok"])
    tab.cell(4, 1, "gap above")
    tab.cell(6, 9, "far right, nothing between")
    tab.cell(7, 1, CellRichText(["bold ", TextBlock(InlineFont(b=True), "part")]))
    tab.cell(8, 3, "#N/A").data_type = "e"
    book.create_sheet("Timeline").append(["Key", "Runs"])
    book.save(path)
    # A formula's cached value, as Excel would leave it, for the data-only read.
    _patch_formula_value(path, "2")

    grids = read_rows(path, ["Applications", "Timeline", "Absent"])
    assert set(grids) == {"Applications", "Timeline"}
    assert _trim(grids["Applications"]) == _trim(_openpyxl_rows(path, "Applications"))
    assert grids["Timeline"] == [["Key", "Runs"]]
    records = LocalWorkbook(path).read_tabs(["Applications"])["Applications"]
    assert records[0]["Name"] == "=IMPORTXML(x)" and records[0]["Formula"] == 2
    assert records[1]["Key"] == 1001 and records[1]["Name"] == "José Ñúñez"

    tab = openpyxl.load_workbook(path)
    tab["Timeline"].append(["t", datetime(2027, 2, 1, 6, 30)])
    tab.save(path)
    with pytest.raises(Unsupported):
        read_rows(path, ["Timeline"])
    # ... and the workbook reads it through openpyxl: the same value as before this reader.
    assert LocalWorkbook(path).read_tabs(["Timeline"])["Timeline"] == [
        {"Key": "t", "Runs": "2027-02-01T06:30:00"}]


def _patch_formula_value(path: Path, value: str) -> None:
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = re.sub(r"<f>1\+1</f><v\s*/>|<f>1\+1</f><v></v>|<f>1\+1</f>",
                 f"<f>1+1</f><v>{value}</v>", xml, count=1)
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_write_to_one_tab_leaves_the_others_xml_as_it_was_and_every_note_and_dropdown(
        tmp_path: Path) -> None:
    import zipfile

    config = load_config(write_config(tmp_path))
    book = LocalWorkbook(tmp_path / "program.xlsx")
    initialise(config, book)
    format_sheet(config, book)  # header notes (comments + VML), dropdowns, highlights
    book.upsert(sheet.APPLICATIONS, "Application ID",
                [{"Application ID": f"A{n}", "Score": n, "Name": f"Ana {n}"} for n in range(300)])
    before = openpyxl.load_workbook(book.path)
    with zipfile.ZipFile(book.path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}

    fresh = LocalWorkbook(book.path)  # a new run: loads only what it writes
    fresh.upsert(sheet.TIMELINE, sheet.TIMELINE_KEY, [{sheet.TIMELINE_KEY: "screening", "Runs": 2}])
    assert sheet.APPLICATIONS in fresh._unbound  # the 300 applications were not parsed
    assert fresh.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS][299]["Name"] == "Ana 299"

    after = openpyxl.load_workbook(book.path)
    assert after.sheetnames == before.sheetnames
    with zipfile.ZipFile(book.path) as archive:
        unchanged = {name for name in archive.namelist() if parts.get(name) == archive.read(name)}
    for name in before.sheetnames:
        old, new = before[name], after[name]
        if name != sheet.TIMELINE:
            assert f"xl/worksheets/sheet{before.sheetnames.index(name) + 1}.xml" in unchanged
            assert [[c.value for c in r] for r in old.iter_rows()] == \
                [[c.value for c in r] for r in new.iter_rows()]
        assert [(c.coordinate, c.comment.text) for r in old.iter_rows() for c in r if c.comment] == \
            [(c.coordinate, c.comment.text) for r in new.iter_rows() for c in r if c.comment]
        assert [str(v.sqref) for v in old.data_validations.dataValidation] == \
            [str(v.sqref) for v in new.data_validations.dataValidation]
        assert [(str(f.sqref), [r.dxf.fill.bgColor.rgb if r.dxf and r.dxf.fill else None
                                for r in f.rules]) for f in old.conditional_formatting] == \
            [(str(f.sqref), [r.dxf.fill.bgColor.rgb if r.dxf and r.dxf.fill else None
                             for r in f.rules]) for f in new.conditional_formatting]
        if name != sheet.TIMELINE:  # the same cell formats (bold headers, fills) by index
            assert [[(c.font.b, c.fill.fgColor.rgb) for c in r] for r in old.iter_rows()] == \
                [[(c.font.b, c.fill.fgColor.rgb) for c in r] for r in new.iter_rows()]
    timeline = LocalWorkbook(book.path).read_tabs([sheet.TIMELINE])[sheet.TIMELINE]
    assert [(r[sheet.TIMELINE_KEY], r["Runs"]) for r in timeline] == [("screening", 2)]

    # A write to a tab left unparsed parses that tab first (from the XML kept): nothing is lost.
    fresh.upsert(sheet.APPLICATIONS, "Application ID", [{"Application ID": "A7", "Score": 70}])
    rows = LocalWorkbook(book.path).read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    assert len(rows) == 300 and rows[7]["Score"] == 70 and rows[299]["Name"] == "Ana 299"
