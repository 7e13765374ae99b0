"""The request pipeline, independent of HTTP plumbing.

route -> authenticate -> scopes -> validate -> quota -> fault -> hooks -> handler.

Everything before "fault" happens for every request, so a request that would be
refused by Google is refused (and recorded in ``fake.rejections``) even when a fault
is configured for it. Faults decide *how* a valid request is answered.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import traceback
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .auth import AccessToken
from .context import Call, Reply, RequestContext
from .discovery import MethodSpec
from .errors import ApiError, OAuthError, not_implemented
from .faults import Fault
from .fieldmask import check_against_schema, parse_fields, select
from .validation import validate_body, validate_params

if TYPE_CHECKING:
    from .workspace import FakeWorkspace

TOKEN_PATH = "/token"
TOKEN_METHOD_ID = "oauth.token"
_JSON = {"Content-Type": "application/json; charset=UTF-8"}


@dataclass(frozen=True)
class RawRequest:
    """An HTTP request as received."""

    http_method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Answer:
    """An HTTP answer to write."""

    status: int
    body: bytes = b""
    headers: dict[str, str] | None = None


@dataclass
class Prepared:
    """A request after the checks: either an immediate answer or work to execute."""

    request: RawRequest
    method_id: str
    user: str | None = None
    answer: Answer | None = None
    ctx: RequestContext | None = None
    form: dict[str, str] | None = None
    fault: Fault | None = None


def _error_answer(error: ApiError) -> Answer:
    return Answer(error.code, error.to_bytes(), {**_JSON, **error.headers})


def _json_answer(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Answer:
    if status == 204 or body is None:
        return Answer(204 if body is None and status == 200 else status, b"", dict(headers or {}))
    return Answer(status, json.dumps(body).encode(), {**_JSON, **(headers or {})})


def fault_error(fault: Fault) -> ApiError:
    """The error answer of an error-kind fault."""
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.kind == "429":
        return ApiError(429, "Resource has been exhausted (e.g. check quota).", headers=headers)
    if fault.kind == "403rate":
        return ApiError(
            403,
            "Rate Limit Exceeded",
            reason="rateLimitExceeded",
            domain="usageLimits",
            headers=headers,
        )
    if fault.kind == "500":
        return ApiError(500, "Internal error encountered.", headers=headers)
    return ApiError(503, "The service is currently unavailable.", headers=headers)


class Pipeline:
    """Turns raw requests into answers against one fake's state."""

    def __init__(self, fake: FakeWorkspace) -> None:
        self.fake = fake

    # --- phase 1: checks ---------------------------------------------------------------------

    def prepare(self, request: RawRequest) -> Prepared:
        """Route, authenticate and validate; pick a fault. Early answers are recorded here."""
        if request.path == TOKEN_PATH:
            return self._prepare_token(request)
        prepared = Prepared(request, method_id=f"{request.http_method} {request.path}")
        try:
            ctx = prepared.ctx = self._checked(request, prepared)
        except ApiError as error:
            if error.code != 401:  # a missing/expired token is the client's normal refresh path
                self._reject(prepared, error)
            prepared.answer = _error_answer(error)
            self._record(prepared, error.code)
            return prepared
        exhausted = self.fake.quotas.admit(ctx.method_id, ctx.user)
        if exhausted is not None:
            error = ApiError(
                429,
                f"Quota exceeded for quota metric '{exhausted.method_glob}' and limit "
                f"'{exhausted.per_minute} per minute per user' of service "
                f"'{ctx.spec.service.name}.googleapis.com' for user {ctx.user}.",
            )
            prepared.answer = _error_answer(error)
            self._record(prepared, 429)
            return prepared
        prepared.fault = self.fake.faults.pick(ctx.method_id)
        return prepared

    def _checked(self, request: RawRequest, prepared: Prepared) -> RequestContext:
        """Everything Google checks before running a method, in its order.

        Raises:
            ApiError: 404 route, 401 token, 403 scope, 400 parameters/body/fields, 501.
        """
        match = self.fake.router.match(request.http_method, request.path)
        spec = match.spec
        prepared.method_id = spec.id
        token = self._authenticate(request, spec.param("access_token") is not None)
        prepared.user = token.user
        _check_scopes(spec, token)
        query = {k: v for k, v in request.query.items() if k != "access_token"}
        validate_params(spec, query, match.path_params)
        body, has_body, media, media_type = self._parse_body(request, match.is_upload)
        validate_body(spec, body, has_body=has_body, is_upload=match.is_upload)
        fields = None
        if "fields" in query and spec.response_ref:
            fields = parse_fields(query["fields"][0])
            check_against_schema(fields, spec.response_ref, spec.service.schemas)
        if spec.id not in self.fake.handlers:
            raise not_implemented(spec.id)
        return RequestContext(
            fake=self.fake,
            spec=spec,
            path_params=match.path_params,
            query=query,
            body=body,
            token=token,
            media=media,
            media_type=media_type,
            fields=fields,
        )

    def _prepare_token(self, request: RawRequest) -> Prepared:
        prepared = Prepared(request, method_id=TOKEN_METHOD_ID)
        if request.http_method != "POST":
            prepared.answer = _error_answer(ApiError(405, "Use POST"))
            self._record(prepared, 405)
            return prepared
        ctype = request.headers.get("Content-Type", "")
        if "json" in ctype:
            try:
                loaded = json.loads(request.body or b"{}")
            except ValueError:
                loaded = {}
            prepared.form = {k: str(v) for k, v in loaded.items()}
        else:
            parsed = urllib.parse.parse_qs(request.body.decode(), keep_blank_values=True)
            prepared.form = {k: v[0] for k, v in parsed.items()}
        prepared.fault = self.fake.faults.pick(TOKEN_METHOD_ID)
        return prepared

    def _authenticate(self, request: RawRequest, query_token_allowed: bool) -> AccessToken:
        header = request.headers.get("Authorization", "")
        bearer = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not bearer and query_token_allowed:
            bearer = (request.query.get("access_token") or [""])[0]
        www = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        if not bearer:
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
                reason="required",
                headers=www,
            )
        token = self.fake.auth.lookup(bearer)
        if token is None:
            raise ApiError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                reason="authError",
                headers=www,
            )
        return token

    @staticmethod
    def _parse_body(request: RawRequest, is_upload: bool) -> tuple[Any, bool, bytes | None, str | None]:
        """Return (json body, has json body, media bytes, media type)."""
        ctype = request.headers.get("Content-Type", "")
        if is_upload:
            upload_type = (request.query.get("uploadType") or ["media"])[0]
            if upload_type == "media":
                return None, False, request.body, ctype
            if upload_type == "multipart":
                return _parse_multipart(ctype, request.body)
            raise ApiError(400, f"fake workspace does not support uploadType={upload_type}")
        if not request.body:
            return None, False, None, None
        if "json" not in ctype:
            raise ApiError(400, f"Invalid JSON payload received. Content-Type {ctype!r}.")
        try:
            return json.loads(request.body), True, None, None
        except ValueError as exc:
            raise ApiError(400, f"Invalid JSON payload received. {exc}") from exc

    # --- phase 2: execution ------------------------------------------------------------------

    def execute(self, prepared: Prepared) -> Answer:
        """Run hooks and the handler under the state lock; record the call."""
        if prepared.form is not None:
            return self._execute_token(prepared)
        ctx = prepared.ctx
        assert ctx is not None
        handler = self.fake.handlers[ctx.method_id]
        try:
            with self.fake.lock:
                for hook in self.fake.hooks.due(ctx.method_id):
                    hook(self.fake)
                result = handler(ctx)
        except ApiError as error:
            if error.code in (400, 501) and error.reason in ("badRequest", "notImplemented"):
                self._reject(prepared, error)
            answer = _error_answer(error)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: loud 500, never a silent 200
            text = "".join(traceback.format_exception(exc))
            self.fake.errors.append(f"{ctx.method_id}: {text}")
            answer = _error_answer(ApiError(500, f"fake workspace crashed: {exc!r}"))
        else:
            reply = result if isinstance(result, Reply) else Reply(body=result)
            body = select(ctx.fields, reply.body) if ctx.fields else reply.body
            answer = _json_answer(reply.status, body, reply.headers)
        self._record(prepared, answer.status)
        return answer

    def _execute_token(self, prepared: Prepared) -> Answer:
        try:
            body = self.fake.auth.grant(prepared.form or {})
        except OAuthError as error:
            answer = Answer(error.code, json.dumps(error.to_json()).encode(), dict(_JSON))
        else:
            issued = self.fake.auth.lookup(str(body["access_token"]))
            prepared.user = issued.user if issued else None
            answer = _json_answer(200, body)
        self._record(prepared, answer.status)
        return answer

    def fault_answer(self, prepared: Prepared, fault: Fault) -> Answer:
        """Answer an error-kind fault without processing the request."""
        answer = _error_answer(fault_error(fault))
        self._record(prepared, answer.status, fault=fault.kind)
        return answer

    # --- bookkeeping -------------------------------------------------------------------------

    def _reject(self, prepared: Prepared, error: ApiError) -> None:
        self.fake.rejections.append(f"{prepared.method_id}: {error.code} {error.message}")

    def _record(self, prepared: Prepared, status: int, *, fault: str | None = None) -> None:
        request = prepared.request
        body = prepared.ctx.body if prepared.ctx else None
        fault_kind = fault or (prepared.fault.kind if prepared.fault else None)
        with self.fake.lock:
            self.fake.calls.append(
                Call(
                    method_id=prepared.method_id,
                    http_method=request.http_method,
                    path=request.path,
                    user=prepared.user,
                    status=status,
                    query=request.query,
                    body=body,
                    fault=fault_kind,
                )
            )


def _check_scopes(spec: MethodSpec, token: AccessToken) -> None:
    if spec.scopes and not token.scopes & spec.scopes:
        raise ApiError(
            403,
            "Request had insufficient authentication scopes.",
            reason="insufficientPermissions",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                    "metadata": {"method": spec.id},
                }
            ],
        )


def _parse_multipart(ctype: str, raw: bytes) -> tuple[Any, bool, bytes | None, str | None]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise ApiError(400, "multipart upload without a multipart body")
    parts = list(message.iter_parts())  # type: ignore[attr-defined]
    if len(parts) != 2:
        raise ApiError(400, "multipart upload needs a metadata part and a media part")
    try:
        metadata = json.loads(parts[0].get_payload(decode=True) or b"{}")
    except ValueError as exc:
        raise ApiError(400, f"Invalid JSON payload received in metadata part. {exc}") from exc
    return metadata, True, parts[1].get_payload(decode=True), parts[1].get_content_type()
