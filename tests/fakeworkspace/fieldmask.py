"""Field selections: the ``fields`` partial-response parameter and update masks.

``fields=sheets(properties(sheetId,title)),spreadsheetId`` and the FieldMask form
``sheets.properties.title`` parse to the same tree. The tree filters a response,
is checked against the method's response schema (an unknown field is a 400, as with
Google), and drives ``updateMask``/``fields`` of patch-style requests.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from .errors import ApiError

#: A selection: field name -> sub-selection, or None for "the whole value".
Tree = dict[str, "Tree | None"]

_TOKEN = re.compile(r"\s*([(),/.]|[^(),/.\s]+)")


def _tokens(expr: str) -> list[str]:
    out = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise ApiError(400, f"Invalid field selection {expr!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def _merge(a: Tree | None, b: Tree | None) -> Tree | None:
    if a is None or b is None:
        return None
    merged = dict(a)
    for key, sub in b.items():
        merged[key] = _merge(merged[key], sub) if key in merged else sub
    return merged


def parse_fields(expr: str) -> Tree:
    """Parse a ``fields`` expression or a comma-separated FieldMask into a tree.

    Raises:
        ApiError: 400 on a malformed expression.
    """
    tokens = _tokens(expr)
    if not tokens:
        return {}
    tree, pos = _parse_list(tokens, 0, expr)
    if pos != len(tokens):
        raise ApiError(400, f"Invalid field selection {expr!r}")
    return tree


def _parse_list(tokens: list[str], pos: int, expr: str) -> tuple[Tree, int]:
    tree: Tree = {}
    while True:
        path: list[str] = []
        while True:
            if pos >= len(tokens) or tokens[pos] in "(),/.":
                raise ApiError(400, f"Invalid field selection {expr!r}")
            path.append(tokens[pos])
            pos += 1
            if pos < len(tokens) and tokens[pos] in ("/", "."):
                pos += 1
                continue
            break
        sub: Tree | None = None
        if pos < len(tokens) and tokens[pos] == "(":
            sub, pos = _parse_list(tokens, pos + 1, expr)
            if pos >= len(tokens) or tokens[pos] != ")":
                raise ApiError(400, f"Invalid field selection {expr!r}")
            pos += 1
        for name in reversed(path[1:]):
            sub = {name: sub}
        tree = _merge(tree, {path[0]: sub}) or {}
        if pos < len(tokens) and tokens[pos] == ",":
            pos += 1
            continue
        return tree, pos


def select(tree: Tree | None, value: Any) -> Any:
    """Keep only the selected parts of a response value."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [select(tree, item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in tree:
            out[key] = select(tree[key], item)
        elif "*" in tree:
            out[key] = select(tree["*"], item)
    return out


def check_against_schema(tree: Tree, schema_ref: str, schemas: Mapping[str, Any]) -> None:
    """Reject selections of fields the response schema does not have.

    Raises:
        ApiError: 400 ``Invalid field selection <name>``.
    """
    _check(tree, {"$ref": schema_ref}, schemas)


def _check(tree: Tree, schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> None:
    while "$ref" in schema:
        schema = schemas[schema["$ref"]]
    while schema.get("type") == "array":
        schema = schema.get("items", {})
        while "$ref" in schema:
            schema = schemas[schema["$ref"]]
    if schema.get("type") not in (None, "object"):
        raise ApiError(400, f"Invalid field selection {next(iter(tree))}: not a message")
    props: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, sub in tree.items():
        if key == "*":
            continue
        if key in props:
            child = props[key]
        elif isinstance(extra, dict):
            child = extra
        elif schema.get("type") is None and not props:
            continue  # "any"
        else:
            raise ApiError(400, f"Invalid field selection {key}")
        if sub:
            _check(sub, child, schemas)


def mask_paths(mask: str) -> list[list[str]]:
    """The paths of an update mask, e.g. ``"title,gridProperties.frozenRowCount"``."""
    paths: list[list[str]] = []

    def walk(tree: Tree, prefix: list[str]) -> None:
        for key, sub in tree.items():
            if sub is None:
                paths.append([*prefix, key])
            else:
                walk(sub, [*prefix, key])

    walk(parse_fields(mask), [])
    return paths


def apply_mask(target: dict[str, Any], source: Mapping[str, Any], mask: str) -> None:
    """Copy the masked fields of ``source`` into ``target`` (a field absent in source is cleared).

    ``*`` replaces every field. An empty mask copies every field present in ``source``.
    """
    paths = mask_paths(mask) if mask.strip() else [[k] for k in source]
    for path in paths:
        if path == ["*"]:
            target.clear()
            target.update(copy.deepcopy(dict(source)))
            continue
        src: Any = source
        for key in path:
            src = src.get(key) if isinstance(src, Mapping) else None
        dst = target
        for key in path[:-1]:
            nxt = dst.get(key)
            if not isinstance(nxt, dict):
                nxt = dst[key] = {}
            dst = nxt
        if src is None:
            dst.pop(path[-1], None)
        else:
            dst[path[-1]] = copy.deepcopy(src)
