"""One layout for a moment and one for a day, in the program's time zone (domain/dates.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from microintern.domain import dates
from microintern.domain.dates import DATE, DATE_TIME, DATE_TIME_SECONDS, day_text, moment_text, parse_moment

LA = ZoneInfo("America/Los_Angeles")
SOURCE = Path(dates.__file__).resolve().parents[1]


def test_a_moment_is_written_as_a_wall_time_in_the_program_zone() -> None:
    # 14:30 UTC is 06:30 in Los Angeles before DST starts, 07:30 after (2027-03-14).
    assert moment_text(datetime(2027, 2, 20, 14, 30, 59, tzinfo=UTC), LA) == "2027-02-20 06:30"
    assert moment_text(datetime(2027, 3, 16, 14, 30, tzinfo=UTC), LA) == "2027-03-16 07:30"
    assert moment_text(datetime(2027, 3, 16, 15, 30)) == "2027-03-16 15:30"


def test_a_day_is_the_program_local_day() -> None:
    # 03:00 UTC on the 21st is still the 20th in Los Angeles.
    assert day_text(datetime(2027, 2, 21, 3, 0, tzinfo=UTC), LA) == "2027-02-20"
    assert day_text(date(2027, 3, 16)) == "2027-03-16"


def test_written_moments_read_back_and_anything_else_is_none() -> None:
    moment = datetime(2027, 2, 20, 6, 30, tzinfo=LA)
    assert parse_moment(moment_text(moment, LA), LA) == moment
    assert parse_moment("2027-02-20 06:30:15", LA) == moment.replace(second=15)
    assert parse_moment("2027-02-20T06:30:00", LA) == moment      # a date cell read back as ISO
    for unreadable in (None, 46073.27, "", "soon", "02/20/2027 06:30"):
        assert parse_moment(unreadable, LA) is None


def test_the_layouts_sort_as_time_does() -> None:
    moments = [datetime(2027, 1, 9, 9, 5), datetime(2027, 1, 10, 8, 0), datetime(2027, 12, 1, 0, 0)]
    assert sorted(m.strftime(DATE_TIME) for m in moments) == [m.strftime(DATE_TIME) for m in moments]
    assert DATE_TIME.startswith(DATE) and DATE_TIME_SECONDS.startswith(DATE_TIME)


# Every date layout written anywhere in the package belongs to the one family: the day, the
# moment, the moment to the second (form submissions), the moment with its zone's name (console
# and report headers), and two machine stamps that are one word: the Calendar memo's local
# start and UTC instants (the run lease, API filters).
FAMILY = {DATE, DATE_TIME, DATE_TIME_SECONDS, DATE_TIME + " %Z", "%Y-%m-%dT%H:%M",
          "%Y-%m-%dT%H:%M:%SZ"}
_LAYOUT = re.compile(r"%Y-%m-%d[^\"'}]*")


def test_no_other_date_layout_in_the_package() -> None:
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for layout in _LAYOUT.findall(path.read_text(encoding="utf-8")):
            found.setdefault(layout.strip(), []).append(path.relative_to(SOURCE).as_posix())
    strangers = {layout: files for layout, files in found.items() if layout not in FAMILY}
    assert strangers == {}
