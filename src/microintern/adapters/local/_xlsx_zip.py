"""The .xlsx container written by hand, so that parts unchanged since the last save are not
compressed again.

A save writes every part of the workbook (each tab, the styles, the charts, the notes), but
most saves change one or two tabs. Deflating the unchanged ones again was a fixed cost of every
save, as large as serialising the changed cells. :class:`PartWriter` keeps each part's bytes
with their CRC and deflated form; a part whose bytes are the same as last time is copied as
it was compressed. Whether a part changed is decided by comparing its bytes, not by tracking
writes, so a stale entry cannot be written: at worst a part is compressed again.

The format is the plain ZIP layout every reader takes (local headers, central directory, end
record; deflate at zlib's default level, as :mod:`zipfile` writes): no ZIP64, so a workbook
whose parts would need it (4 GiB, 65,535 parts) is refused with :class:`TooLarge`, and the
caller writes it with :mod:`zipfile` instead.
"""

from __future__ import annotations

import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_LIMIT = 0xFFFFFFFF
_VERSION = 20  # 2.0: deflate
_MADE_BY = (3 << 8) | _VERSION  # Unix, so the external attributes carry a mode
_DEFLATED = 8
_UTF8_NAME = 0x800


class TooLarge(Exception):
    """The workbook needs ZIP64 (a part or the file over 4 GiB, or over 65,535 parts)."""


@dataclass(frozen=True)
class Compressed:
    """One part as last written: its bytes, their CRC-32 and their deflated form."""

    data: bytes
    crc: int
    deflated: bytes


def compress(data: bytes) -> Compressed:
    """Deflate ``data`` as :mod:`zipfile` does (raw deflate, zlib's default level)."""
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return Compressed(data, zlib.crc32(data), packer.compress(data) + packer.flush())


def stored_parts(path: Path, wanted: dict[str, tuple[str, bytes]]) -> dict[str, Compressed]:
    """Parts of the file at ``path`` as they are stored, to be copied without compressing again.

    ``wanted`` maps the name a part will be written under to its name in the file and its
    (already read) bytes. A part stored otherwise than deflated, or that cannot be found as
    expected, is left out: it is compressed again when written.
    """
    import zipfile

    found: dict[str, Compressed] = {}
    with path.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        for target, (name, data) in wanted.items():
            try:
                info = archive.getinfo(name)
            except KeyError:
                continue
            if info.compress_type != _DEFLATED or info.flag_bits & 0x1 or info.file_size != len(data):
                continue  # stored, another method, or encrypted
            handle.seek(info.header_offset)
            header = handle.read(_LOCAL.size)
            if len(header) != _LOCAL.size:
                continue
            fields = _LOCAL.unpack(header)
            if fields[0] != 0x04034B50:
                continue
            handle.seek(info.header_offset + _LOCAL.size + fields[9] + fields[10])
            deflated = handle.read(info.compress_size)
            if len(deflated) == info.compress_size:
                # zipfile checked this CRC when it read ``data`` from the same part.
                found[target] = Compressed(data, info.CRC, deflated)
    return found


def _dos_time(moment: float) -> tuple[int, int]:
    """ZIP's (time, date) fields of ``moment`` in local time, as :mod:`zipfile` writes them."""
    t = time.localtime(moment)
    year = max(t.tm_year, 1980)
    return ((t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2),
            ((year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday)


class PartWriter:
    """A write-only ZIP archive with the ``writestr``/``write``/``close`` that openpyxl uses.

    ``cache`` maps part names to what the previous save wrote; on close it holds this save's
    parts only (a part no longer written is forgotten).
    """

    def __init__(self, handle: BinaryIO, cache: dict[str, Compressed]) -> None:
        self.handle = handle
        self.previous = cache
        self.cache: dict[str, Compressed] = {}
        self.entries: list[tuple[bytes, Compressed, int]] = []
        self.offset = 0
        self.clock, self.date = _dos_time(time.time())

    def writestr(self, name: str, data: bytes | str) -> None:
        """Add part ``name`` holding ``data`` (str is written as UTF-8)."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        known = self.previous.get(name)
        part = known if known is not None and known.data == raw else compress(raw)
        if len(raw) > _LIMIT or len(part.deflated) > _LIMIT or len(self.entries) >= 0xFFFF:
            raise TooLarge(name)
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else _UTF8_NAME
        header = _LOCAL.pack(0x04034B50, _VERSION, flags, _DEFLATED, self.clock, self.date,
                             part.crc, len(part.deflated), len(raw), len(encoded), 0)
        self.handle.write(header + encoded)
        self.handle.write(part.deflated)
        self.entries.append((encoded, part, self.offset))
        self.offset += len(header) + len(encoded) + len(part.deflated)
        if self.offset > _LIMIT:
            raise TooLarge(name)
        self.cache[name] = part

    def namelist(self) -> list[str]:
        """The parts written so far, in order (openpyxl's manifest reads them)."""
        return list(self.cache)

    def write(self, filename: str | Path, arcname: str) -> None:
        """Add the file ``filename`` as part ``arcname``."""
        self.writestr(arcname, Path(filename).read_bytes())

    def close(self) -> None:
        """Write the central directory and the end record; remember this save's parts."""
        start = self.offset
        directory = bytearray()
        for encoded, part, offset in self.entries:
            flags = 0 if encoded.isascii() else _UTF8_NAME
            directory += _CENTRAL.pack(
                0x02014B50, _MADE_BY, _VERSION, flags, _DEFLATED, self.clock, self.date,
                part.crc, len(part.deflated), len(part.data), len(encoded), 0, 0, 0, 0,
                0o600 << 16, offset)
            directory += encoded
        if start + len(directory) > _LIMIT:
            raise TooLarge("central directory")
        self.handle.write(bytes(directory))
        self.handle.write(_END.pack(0x06054B50, 0, 0, len(self.entries), len(self.entries),
                                    len(directory), start, 0))
        self.previous.clear()
        self.previous.update(self.cache)
