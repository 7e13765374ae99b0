"""The discovery documents bundled with google-api-python-client, as a routing table.

Every request the fake receives is matched against the methods of these documents:
the same files googleapiclient builds its clients from, so the fake and the real
client library agree on paths, parameters and body schemas by construction.

All services are served from one base URL. Their paths do not collide because each
document's ``rootUrl`` path, ``servicePath`` and method path together start with a
distinct prefix (``v4/`` Sheets, ``gmail/v1/``, ``v1/forms`` Forms, ``v2/`` Meet,
``calendar/v3/``, ``drive/v3/``, ``v1/people`` People, ``admin/directory/v1/`` Admin SDK,
``youtube/v3/`` YouTube).
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .errors import ApiError

#: The documents loaded, as ``name.version``.
SERVICES: tuple[str, ...] = (
    "sheets.v4",
    "gmail.v1",
    "calendar.v3",
    "forms.v1",
    "meet.v2",
    "drive.v3",
    "people.v1",
    "admin.directory_v1",
    "youtube.v3",
)

_TEMPLATE_VAR = re.compile(r"\{(\+?)([^}]+)\}")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a method (or a standard parameter of a document)."""

    name: str
    location: str
    type: str
    format: str | None = None
    required: bool = False
    repeated: bool = False
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: str | None = None
    maximum: str | None = None

    @classmethod
    def from_doc(cls, name: str, doc: dict[str, Any]) -> ParamSpec:
        """Build from a discovery ``parameters`` entry."""
        return cls(
            name=name,
            location=doc.get("location", "query"),
            type=doc.get("type", "string"),
            format=doc.get("format"),
            required=bool(doc.get("required")),
            repeated=bool(doc.get("repeated")),
            enum=tuple(doc.get("enum", ())),
            pattern=doc.get("pattern"),
            minimum=doc.get("minimum"),
            maximum=doc.get("maximum"),
        )


@dataclass(frozen=True)
class Service:
    """One discovery document: its schemas and standard parameters."""

    name: str
    version: str
    schemas: dict[str, Any]
    standard_params: dict[str, ParamSpec]
    prefix: str

    @property
    def label(self) -> str:
        """``name.version``, e.g. ``sheets.v4``."""
        return f"{self.name}.{self.version}"


@dataclass(frozen=True)
class MethodSpec:
    """One REST method of a discovery document."""

    id: str
    service: Service
    http_method: str
    path: str
    flat_path: str
    params: dict[str, ParamSpec]
    request_ref: str | None
    response_ref: str | None
    scopes: frozenset[str]
    upload_path: str | None = None

    def param(self, name: str) -> ParamSpec | None:
        """The method's own parameter or the document's standard parameter ``name``."""
        return self.params.get(name) or self.service.standard_params.get(name)


@dataclass(frozen=True)
class Route:
    """A compiled path template pointing at a method."""

    spec: MethodSpec
    matcher: re.Pattern[str]
    extractor: re.Pattern[str]
    literal_chars: int
    is_upload: bool


@dataclass(frozen=True)
class RouteMatch:
    """A request path resolved to a method and its (decoded) path parameters."""

    spec: MethodSpec
    path_params: dict[str, str] = field(default_factory=dict)
    is_upload: bool = False


def _compile(template: str) -> tuple[re.Pattern[str], int]:
    """Compile a URI template into a regex over the still percent-encoded path."""
    pattern = []
    literal = 0
    pos = 0
    for var in _TEMPLATE_VAR.finditer(template):
        text = template[pos : var.start()]
        pattern.append(re.escape(text))
        literal += len(text)
        reserved, name = var.groups()
        group = re.sub(r"\W", "_", name)
        pattern.append(f"(?P<{group}>.+)" if reserved else f"(?P<{group}>[^/]+)")
        pos = var.end()
    pattern.append(re.escape(template[pos:]))
    literal += len(template) - pos
    return re.compile("^" + "".join(pattern) + "$"), literal


def _documents_dir() -> Any:
    return resources.files("googleapiclient") / "discovery_cache" / "documents"


def _walk_methods(resources_doc: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource in resources_doc.values():
        found.extend(resource.get("methods", {}).values())
        found.extend(_walk_methods(resource.get("resources", {})))
    return found


def _load_service(label: str) -> tuple[Service, list[MethodSpec]]:
    doc = json.loads((_documents_dir() / f"{label}.json").read_text(encoding="utf-8"))
    root_path = urllib.parse.urlsplit(doc["rootUrl"]).path.lstrip("/")
    prefix = root_path + doc.get("servicePath", "")
    service = Service(
        name=doc["name"],
        version=doc["version"],
        schemas=doc.get("schemas", {}),
        standard_params={name: ParamSpec.from_doc(name, p) for name, p in doc.get("parameters", {}).items()},
        prefix=prefix,
    )
    methods = []
    for m in _walk_methods(doc.get("resources", {})):
        upload = (m.get("mediaUpload") or {}).get("protocols", {}).get("simple", {})
        methods.append(
            MethodSpec(
                id=m["id"],
                service=service,
                http_method=m["httpMethod"],
                path=prefix + m["path"],
                flat_path=prefix + m.get("flatPath", m["path"]),
                params={name: ParamSpec.from_doc(name, p) for name, p in m.get("parameters", {}).items()},
                request_ref=(m.get("request") or {}).get("$ref"),
                response_ref=(m.get("response") or {}).get("$ref"),
                scopes=frozenset(m.get("scopes", ())),
                upload_path=upload.get("path", "").lstrip("/") or None,
            )
        )
    return service, methods


class Router:
    """Resolves ``(HTTP method, path)`` to a discovery method."""

    def __init__(self, labels: tuple[str, ...] = SERVICES) -> None:
        self.services: dict[str, Service] = {}
        self.methods: dict[str, MethodSpec] = {}
        self._routes: list[Route] = []
        for label in labels:
            service, methods = _load_service(label)
            self.services[label] = service
            for spec in methods:
                self.methods[spec.id] = spec
                self._add(spec, spec.flat_path, spec.path, is_upload=False)
                if spec.upload_path:
                    self._add(spec, spec.upload_path, spec.upload_path, is_upload=True)

    def _add(self, spec: MethodSpec, match_tpl: str, extract_tpl: str, *, is_upload: bool) -> None:
        matcher, literal = _compile(match_tpl)
        extractor, _ = _compile(extract_tpl)
        self._routes.append(Route(spec, matcher, extractor, literal, is_upload))

    def match(self, http_method: str, raw_path: str) -> RouteMatch:
        """Resolve a request; the most literal template wins (``files/trash`` over ``files/{id}``).

        Raises:
            ApiError: 404 when no method of any loaded document has this method and path.
        """
        path = raw_path.lstrip("/")
        best: Route | None = None
        for route in self._routes:
            if route.spec.http_method != http_method or not route.matcher.match(path):
                continue
            if best is None or route.literal_chars > best.literal_chars:
                best = route
        if best is None:
            raise ApiError(404, f"fake workspace: no discovery method for {http_method} /{path}")
        extracted = best.extractor.match(path)
        params: dict[str, str] = {}
        if extracted:
            names = {re.sub(r"\W", "_", n): n for n in best.spec.params}
            for group, value in extracted.groupdict().items():
                params[names.get(group, group)] = urllib.parse.unquote(value)
        return RouteMatch(best.spec, params, best.is_upload)


@functools.cache
def default_router() -> Router:
    """The router over :data:`SERVICES`, parsed once per process."""
    return Router()
