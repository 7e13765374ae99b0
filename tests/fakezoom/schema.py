"""Request body schemas of the Zoom endpoints the fake serves, and a strict validator.

Written from Zoom's API reference (Meetings: "Create a meeting", "Update a meeting", "Add a
meeting registrant"). Stricter than Zoom on purpose: an unknown field is refused (Zoom ignores
most), so a typo in the client shows up in ``fake.rejections``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Invalid(Exception):
    """A body or parameter Zoom would refuse (answered 400, code 300)."""


@dataclass(frozen=True)
class Enum:
    """One of ``values`` (compared with their Python type: 2 is not "2")."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Text:
    """A string of at most ``limit`` characters, optionally matching ``pattern`` in full."""

    limit: int = 10_000
    pattern: str | None = None


@dataclass(frozen=True)
class Integer:
    """An integer within ``[low, high]``."""

    low: int = -(2**31)
    high: int = 2**31


@dataclass(frozen=True)
class ListOf:
    """A JSON array of ``item``."""

    item: Any


class Boolean:
    """true or false."""


class WallTime:
    """``yyyy-MM-ddTHH:mm:ss`` (local, with ``timezone``) or the same with ``Z`` (UTC)."""


class TimeZone:
    """An IANA zone id."""


BOOL = Boolean()
RECURRENCE = {
    "type": Enum((1, 2, 3)),
    "repeat_interval": Integer(1, 90),
    "weekly_days": Text(13, r"[1-7](,[1-7])*"),
    "monthly_day": Integer(1, 31),
    "monthly_week": Enum((-1, 1, 2, 3, 4)),
    "monthly_week_day": Integer(1, 7),
    "end_times": Integer(1, 60),
    "end_date_time": WallTime(),
}
SETTINGS = {
    "host_video": BOOL, "participant_video": BOOL, "join_before_host": BOOL, "jbh_time": Enum((0, 5, 10, 15)),
    "mute_upon_entry": BOOL, "waiting_room": BOOL, "meeting_authentication": BOOL,
    "authentication_option": Text(100), "authentication_domains": Text(1000),
    "approval_type": Enum((0, 1, 2)), "registration_type": Enum((1, 2, 3)),
    "auto_recording": Enum(("local", "cloud", "none")), "alternative_hosts": Text(1024),
    "alternative_hosts_email_notification": BOOL, "audio": Enum(("both", "telephony", "voip", "thirdParty")),
    "email_notification": BOOL, "registrants_email_notification": BOOL,
    "registrants_confirmation_email": BOOL, "private_meeting": BOOL,
    "encryption_type": Enum(("enhanced_encryption", "e2ee")), "focus_mode": BOOL,
}
MEETING = {
    "topic": Text(200), "type": Enum((1, 2, 3, 8)), "start_time": WallTime(), "duration": Integer(1, 1440),
    "timezone": TimeZone(), "agenda": Text(2000), "password": Text(10, r"[A-Za-z0-9@\-_*]*"),
    "default_password": BOOL, "pre_schedule": BOOL, "schedule_for": Text(128), "template_id": Text(64),
    "recurrence": RECURRENCE, "settings": SETTINGS,
    "tracking_fields": ListOf({"field": Text(64), "value": Text(256)}),
}
REGISTRANT = {
    "email": Text(128, r"[^@\s]+@[^@\s]+"), "first_name": Text(64), "last_name": Text(64),
    "auto_approve": BOOL, "language": Text(10),
}
REQUIRED = {"meetings.create": ("topic",), "registrants.create": ("email", "first_name")}
_WALL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?")


def validate(value: Any, schema: Any, where: str = "") -> None:
    """Raise :class:`Invalid` naming the field when ``value`` does not fit ``schema``."""
    label = where or "body"
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise Invalid(f"{label}: expected an object")
        for key, item in value.items():
            if key not in schema:
                raise Invalid(f"{label}: unknown field {key!r}")
            validate(item, schema[key], f"{where}.{key}" if where else key)
    elif isinstance(schema, ListOf):
        if not isinstance(value, list):
            raise Invalid(f"{label}: expected an array")
        for index, item in enumerate(value):
            validate(item, schema.item, f"{label}[{index}]")
    elif isinstance(schema, Enum):
        if value not in schema.values or isinstance(value, bool):
            raise Invalid(f"{label}: expected one of {list(schema.values)}, found {value!r}")
    elif isinstance(schema, Text):
        if not isinstance(value, str) or len(value) > schema.limit:
            raise Invalid(f"{label}: expected a string of at most {schema.limit} characters")
        if schema.pattern and value and not re.fullmatch(schema.pattern, value):
            raise Invalid(f"{label}: {value[:40]!r} does not match {schema.pattern}")
    elif isinstance(schema, Integer):
        if not isinstance(value, int) or isinstance(value, bool) or not schema.low <= value <= schema.high:
            raise Invalid(f"{label}: expected an integer in [{schema.low}, {schema.high}]")
    elif isinstance(schema, Boolean):
        if not isinstance(value, bool):
            raise Invalid(f"{label}: expected true or false")
    elif isinstance(schema, WallTime):
        if not isinstance(value, str) or not _WALL.fullmatch(value):
            raise Invalid(f"{label}: expected yyyy-MM-ddTHH:mm:ss[Z], found {value!r}")
        datetime.fromisoformat(value.rstrip("Z"))
    elif isinstance(schema, TimeZone):
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(f"{label}: unknown time zone {value!r}") from None
    else:  # pragma: no cover - a schema bug
        raise TypeError(schema)


def check_meeting(body: dict[str, Any], *, creating: bool) -> None:
    """The rules between fields Zoom enforces on a meeting (after :func:`validate`)."""
    validate(body, MEETING)
    if creating:
        for key in REQUIRED["meetings.create"]:
            if key not in body:
                raise Invalid(f"{key}: required")
    kind = body.get("type")
    if kind in (2, 8) and "start_time" not in body and creating:
        raise Invalid("start_time: required for a scheduled or fixed-time recurring meeting")
    if kind == 8:
        recurrence = body.get("recurrence")
        if not isinstance(recurrence, dict) or "type" not in recurrence:
            raise Invalid("recurrence: required for a recurring meeting with a fixed time (type 8)")
        if recurrence["type"] == 2 and "weekly_days" not in recurrence:
            raise Invalid("recurrence.weekly_days: required for a weekly recurrence")
        if "end_times" in recurrence and "end_date_time" in recurrence:
            raise Invalid("recurrence: end_times and end_date_time cannot both be given")


def check_registrant_status(body: dict[str, Any]) -> None:
    """``PUT /meetings/{meetingId}/registrants/status``: an action, and at most 30 registrants.

    Each registrant is named by ``email`` or ``id`` (nothing else); without ``registrants`` the
    action applies to every registrant, which the fake allows as Zoom does.
    """
    if set(body) - {"action", "registrants"}:
        raise Invalid(f"{sorted(set(body) - {'action', 'registrants'})[0]}: unknown field")
    if body.get("action") not in ("approve", "cancel", "deny"):
        raise Invalid("action: expected approve, cancel or deny")
    registrants = body.get("registrants", [])
    if not isinstance(registrants, list) or len(registrants) > 30:
        raise Invalid("registrants: expected a list of at most 30")
    for item in registrants:
        if not isinstance(item, dict) or not item or set(item) - {"email", "id"} \
                or not all(isinstance(v, str) and v for v in item.values()):
            raise Invalid("registrants: each is {email} or {id}")
