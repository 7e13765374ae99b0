"""Request validation against a discovery method: query parameters and the JSON body.

Strict where the real API is strict (unknown query parameters and unknown body fields
are rejected by Google's One Platform front end; wrong types and enum values are
rejected everywhere), so a request the fake accepts is one Google would accept too.
Errors name the offending field path, e.g. ``requests[0].addSheet.properties.index``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from .discovery import MethodSpec, ParamSpec
from .errors import ApiError

_MAX_ERRORS = 10
_INT_RE = re.compile(r"^-?\d+$")
_NUMBER_RE = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(?P<tz>[Zz]|[+-]\d{2}:\d{2})?$"
)
_DURATION_RE = re.compile(r"^-?\d+(\.\d{1,9})?s$")
_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}


def _fail(errors: list[str]) -> ApiError:
    message = "\n".join(errors)
    error = ApiError(400, message)
    return error


def is_rfc3339(value: str, *, offset_required: bool = True) -> bool:
    """Whether ``value`` is an RFC 3339 timestamp (Calendar allows no offset in bodies)."""
    m = _DATETIME_RE.match(value)
    return bool(m) and (m.group("tz") is not None or not offset_required)


def decode_bytes(value: str) -> bytes | None:
    """Decode a proto ``bytes`` JSON value (base64, standard or URL-safe, padding optional)."""
    normal = value.replace("-", "+").replace("_", "/")
    normal += "=" * (-len(normal) % 4)
    try:
        return base64.b64decode(normal, validate=True)
    except (binascii.Error, ValueError):
        return None


# --- query parameters --------------------------------------------------------------------------


def _scalar_error(p: ParamSpec, value: str) -> str | None:
    """Why ``value`` is not a valid value of parameter ``p``, or None."""
    if p.enum and value not in p.enum:
        return f"Invalid value at '{p.name}', \"{value}\": expected one of {list(p.enum)}"
    if p.type == "integer" or p.format in ("int64", "uint64"):
        if not _INT_RE.match(value):
            return f"Invalid value at '{p.name}' ({p.format or 'integer'}), \"{value}\""
        number = int(value)
        low, high = _INT_RANGES.get(p.format or "int32", _INT_RANGES["int64"])
        if p.minimum is not None:
            low = max(low, int(p.minimum))
        if p.maximum is not None:
            high = min(high, int(p.maximum))
        if not low <= number <= high:
            return f"Invalid value at '{p.name}': {value} is out of range [{low}, {high}]"
    elif p.type == "boolean":
        if value.lower() not in ("true", "false"):
            return f"Invalid value at '{p.name}' (TYPE_BOOL), \"{value}\""
    elif p.type == "number":
        if not _NUMBER_RE.match(value):
            return f"Invalid value at '{p.name}' (TYPE_DOUBLE), \"{value}\""
    elif p.format in ("date-time", "google-datetime") and not is_rfc3339(value):
        return f"Invalid value at '{p.name}': \"{value}\" is not an RFC 3339 timestamp"
    if p.pattern and not re.search(p.pattern, value):
        return f"Invalid value at '{p.name}': \"{value}\" does not match {p.pattern}"
    return None


def validate_params(spec: MethodSpec, query: Mapping[str, list[str]], path_params: Mapping[str, str]) -> None:
    """Check query and path parameters of a request against ``spec``.

    Raises:
        ApiError: 400 naming every offending parameter.
    """
    errors: list[str] = []
    for name, values in query.items():
        p = spec.param(name)
        if p is None or p.location != "query":
            errors.append(
                f'Invalid JSON payload received. Unknown name "{name}": '
                f"Cannot bind query parameter. Field '{name}' could not be found in request "
                f"message of {spec.id}."
            )
            continue
        if len(values) > 1 and not p.repeated:
            errors.append(f"Parameter '{name}' is not repeated but was given {len(values)} times")
        errors.extend(e for v in values if (e := _scalar_error(p, v)))
    for name, p in spec.params.items():
        if p.location == "path":
            value = path_params.get(name)
            if not value:
                errors.append(f"Required path parameter '{name}' is missing")
            elif error := _scalar_error(p, value):
                errors.append(error)
        elif p.required and name not in query:
            errors.append(f"Required parameter '{name}' not specified")
    if errors:
        raise _fail(errors[:_MAX_ERRORS])


# --- JSON body ---------------------------------------------------------------------------------


class _BodyValidator:
    """Walks a JSON value alongside a discovery schema, collecting errors."""

    def __init__(self, spec: MethodSpec) -> None:
        self.spec = spec
        self.schemas = spec.service.schemas
        self.errors: list[str] = []

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"]]
        return schema

    def error(self, path: str, message: str) -> None:
        if len(self.errors) < _MAX_ERRORS:
            self.errors.append(message.replace("{at}", f"'{path}'" if path else "top level"))

    def check(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        schema = self.resolve(schema)
        if value is None:
            return  # proto3 JSON: null means "default value" for every field type
        kind = schema.get("type", "any")
        checker = getattr(self, f"_check_{kind}", None)
        if checker is not None:
            checker(schema, value, path)

    def _check_object(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.error(path, f"Invalid value at {{at}} (TYPE_MESSAGE), {_show(value)}")
            return
        props: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = f"{path}.{key}" if path else key
            if key in props:
                self.check(props[key], item, sub)
            elif isinstance(extra, dict):
                self.check(extra, item, f"{path}[{key!r}]")
            else:
                self.error(
                    path,
                    f'Invalid JSON payload received. Unknown name "{key}" at {{at}}: Cannot find field.',
                )
        for key, prop in props.items():
            required_for = prop.get("annotations", {}).get("required", ())
            # A deprecated field's "required" is no longer enforced (YouTube's cdn.format, which
            # resolution and frameRate replace).
            if self.spec.id in required_for and value.get(key) in (None, "") and not prop.get("deprecated"):
                sub = f"{path}.{key}" if path else key
                self.error(sub, f"Required field {{at}} is missing ({self.spec.id})")

    def _check_array(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.error(path, f"Invalid value at {{at}} (TYPE_LIST), {_show(value)}")
            return
        items = schema.get("items", {})
        for i, item in enumerate(value):
            self.check(items, item, f"{path}[{i}]")

    def _check_string(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        fmt = schema.get("format")
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return  # proto3 JSON accepts 64-bit integers as numbers or strings
        if not isinstance(value, str):
            self.error(path, f"Invalid value at {{at}} (TYPE_STRING), {_show(value)}")
            return
        enum = schema.get("enum")
        if enum and value not in enum:
            self.error(path, f"Invalid value at {{at}} (enum), {_show(value)}: expected {enum}")
        problem = _string_format_problem(fmt, value)
        if problem:
            self.error(path, f"Invalid value at {{at}} ({fmt}), {_show(value)}: {problem}")

    def _check_integer(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        if isinstance(value, str) and _INT_RE.match(value):
            value = int(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"Invalid value at {{at}} (TYPE_INT32), {_show(value)}")
            return
        low, high = _INT_RANGES.get(schema.get("format", "int32"), _INT_RANGES["int64"])
        if not low <= value <= high:
            self.error(path, f"Invalid value at {{at}}: {value} is out of range")

    def _check_number(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        if isinstance(value, str) and (_NUMBER_RE.match(value) or value in ("NaN", "Infinity", "-Infinity")):
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, f"Invalid value at {{at}} (TYPE_DOUBLE), {_show(value)}")

    def _check_boolean(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.error(path, f"Invalid value at {{at}} (TYPE_BOOL), {_show(value)}")


def _string_format_problem(fmt: str | None, value: str) -> str | None:
    if fmt in ("int64", "uint64") and not _INT_RE.match(value):
        return "not an integer"
    if fmt == "byte" and decode_bytes(value) is None:
        return "Base64 decoding failed"
    if fmt in ("date-time", "google-datetime") and not is_rfc3339(value, offset_required=False):
        return "not an RFC 3339 timestamp"
    if fmt == "date" and not _DATE_RE.match(value):
        return "not a YYYY-MM-DD date"
    if fmt == "google-duration" and not _DURATION_RE.match(value):
        return "not a duration like '3.5s'"
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_body(spec: MethodSpec, body: Any, *, has_body: bool, is_upload: bool) -> None:
    """Check a request body against the method's ``request`` schema.

    A method without a request schema takes no body. A declared body may only be
    omitted when its message has no fields (e.g. ``ClearValuesRequest``), which Google
    treats as the empty message, or when it travels as media on an upload path.

    Raises:
        ApiError: 400 naming every offending field path.
    """
    if spec.request_ref is None:
        if has_body:
            raise _fail([f"Invalid JSON payload received. {spec.id} takes no request body."])
        return
    schema = spec.service.schemas[spec.request_ref]
    if not has_body:
        if schema.get("properties") and not is_upload:
            raise _fail(
                [f"Invalid JSON payload received. {spec.id} requires a request body ({spec.request_ref})."]
            )
        return
    validator = _BodyValidator(spec)
    validator.check(schema, body, "")
    if is_upload:
        validator.errors = [e for e in validator.errors if not e.startswith("Required field")]
    if validator.errors:
        raise _fail(validator.errors)
