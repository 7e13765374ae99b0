"""``FakeWorkspace``: the fake Google Workspace a test starts, drives and inspects."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType

from . import calendar_api, drive_api, forms_api, gmail_api, meet_api, people_api, sheets_api, youtube_api
from .auth import RefreshGrant, ServiceAccount, TokenIssuer
from .context import Call, Handler
from .discovery import Router, default_router
from .faults import Faults
from .hooks import Hooks
from .pipeline import TOKEN_PATH, Pipeline
from .quotas import Quotas
from .server import LoopbackServer


class FakeWorkspace:
    """A fake Google Workspace (Sheets, Gmail, Calendar, Forms, Meet, Drive, OAuth) on loopback.

    Every request is validated against the discovery documents bundled with
    google-api-python-client; see ``tests/fakeworkspace/README.md``.

    Usage::

        with FakeWorkspace() as fake:
            write_service_account_file(tmp_path / "sa.json", fake)
            ...  # point the product at fake.url, then assert on fake.sheets / fake.gmail ...
            assert not fake.rejections
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.lock = threading.RLock()
        #: Seconds, for quota windows; replace with a fake clock to test quotas quickly.
        self.clock: Callable[[], float] = time.monotonic
        self.router: Router = default_router()
        self.auth = TokenIssuer(lambda: self.token_uri)
        self.faults = Faults()
        self.quotas = Quotas(lambda: self.clock())
        self.hooks = Hooks()
        #: Every request received, in completion order.
        self.calls: list[Call] = []
        #: Requests the real API would refuse whatever the state: unknown path, bad
        #: parameter, body or ``fields``, missing scope, unimplemented method (not 401s
        #: or token-endpoint errors: see ``calls``). Tests assert it stays empty.
        self.rejections: list[str] = []
        #: Crashes inside the fake itself (answered as 500); should always be empty.
        self.errors: list[str] = []
        self._new_stores()
        self.handlers: dict[str, Handler] = {
            **sheets_api.HANDLERS,
            **gmail_api.HANDLERS,
            **forms_api.HANDLERS,
            **calendar_api.HANDLERS,
            **meet_api.HANDLERS,
            **drive_api.HANDLERS,
            **people_api.HANDLERS,
            **youtube_api.HANDLERS,
        }
        self._host = host
        self._port = port
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    def _new_stores(self) -> None:
        self.sheets = sheets_api.SheetsStore(self.lock)
        self.gmail = gmail_api.GmailStore(self.lock)
        self.forms = forms_api.FormsStore(self.lock)
        self.calendar = calendar_api.CalendarStore(self.lock)
        self.meet = meet_api.MeetStore(self.lock)
        self.drive = drive_api.DriveStore(self.lock)
        self.directory = people_api.DirectoryStore(self.lock)
        self.youtube = youtube_api.YouTubeStore(self.lock)

    def reset(self) -> None:
        """Empty every store and forget faults, quotas, hooks and calls (credentials stay).

        For a fake shared by several tests (a module- or session-scoped fixture).
        """
        with self.lock:
            self._new_stores()
            self.faults.clear()
            self.quotas.clear()
            self.hooks.clear()
            self.clock = time.monotonic
            self.reset_calls()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeWorkspace:
        """Start serving on ``127.0.0.1`` (an OS-chosen port unless one was given)."""
        if self._server is not None:
            return self
        self._server = LoopbackServer(Pipeline(self), self._host, self._port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fakeworkspace",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: close client connections and interrupt delayed (faulted) requests."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeWorkspace:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being processed (e.g. a ``timeout`` fault finishing)."""
        return self._server.wait_idle(timeout) if self._server else True

    # --- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeWorkspace is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_uri(self) -> str:
        """The OAuth token endpoint to put in credential files."""
        return self.url + TOKEN_PATH

    def endpoint(self, service: str) -> str:
        """``api_endpoint`` for googleapiclient: the fake URL plus the service's path.

        Args:
            service: ``sheets``, ``gmail``, ``calendar``, ``forms``, ``meet`` or ``drive``.
        """
        for label, svc in self.router.services.items():
            if label.split(".")[0] == service:
                return self.url + "/" + svc.prefix
        raise KeyError(service)

    # --- credentials -------------------------------------------------------------------------

    def add_service_account(
        self,
        client_email: str,
        key_id: str,
        public_key_pem: bytes,
        delegation_scopes: Iterable[str] | None = None,
    ) -> ServiceAccount:
        """Register a service-account public key (see :func:`keys.write_service_account_file`)."""
        return self.auth.add_service_account(client_email, key_id, public_key_pem, delegation_scopes)

    def add_refresh_token(
        self, client_id: str, client_secret: str, refresh_token: str, user: str, scopes: Iterable[str]
    ) -> RefreshGrant:
        """Register an installed-app refresh token for ``user``."""
        return self.auth.add_refresh_token(client_id, client_secret, refresh_token, user, scopes)

    def issue_token(self, user: str, scopes: Iterable[str]) -> str:
        """A bearer token for ``user`` with ``scopes``, without the OAuth dance."""
        return self.auth.issue(user, scopes).token

    # --- inspection --------------------------------------------------------------------------

    def count(self, prefix: str) -> int:
        """Calls whose method id starts with ``prefix`` (``"sheets."`` counts Sheets calls)."""
        with self.lock:
            return sum(1 for call in self.calls if call.method_id.startswith(prefix))

    def calls_to(self, prefix: str) -> list[Call]:
        """The calls whose method id starts with ``prefix``."""
        with self.lock:
            return [call for call in self.calls if call.method_id.startswith(prefix)]

    def reset_calls(self) -> None:
        """Forget recorded calls, rejections and errors (state stores are kept)."""
        with self.lock:
            self.calls.clear()
            self.rejections.clear()
            self.errors.clear()

    def __repr__(self) -> str:
        where = self.url if self._server else "stopped"
        return f"<FakeWorkspace {where} calls={len(self.calls)}>"
