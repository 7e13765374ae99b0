"""The fake Zoom's HTTP layer: a threaded HTTP/1.1 server on loopback around :class:`ZoomState`.

Faults behave as in the Workspace fake: ``429``/``500``/``503`` answer without processing,
``slow``/``timeout`` wait then process, ``drop_after`` processes and closes the connection
without an answer (applied, response lost).
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .state import Answer, ZoomState

_ERROR_KINDS = frozenset({"429", "500", "503", "403rate"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, state: ZoomState, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self.state = state
        self.stopping = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeZoom/1.0"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve()

    def do_POST(self) -> None:
        """Serve POST."""
        self._serve()

    def do_PATCH(self) -> None:
        """Serve PATCH."""
        self._serve()

    def do_PUT(self) -> None:
        """Serve a PUT (a registrants' status update)."""
        self._serve()

    def do_DELETE(self) -> None:
        """Serve DELETE."""
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        state = self.server.state
        headers = {k: v for k, v in self.headers.items()}
        prepared = state.prepare(self.command, self.path, headers, raw)
        if prepared.answer is not None:
            self._send(prepared.answer)
            return
        fault = prepared.fault
        if fault is not None and fault.kind in _ERROR_KINDS:
            self._send(state.fault_answer(prepared, self.command, self.path))
            return
        if fault is not None and fault.kind in ("slow", "timeout") and self.server.stopping.wait(fault.delay):
            self._drop()
            return
        answer = state.execute(prepared, self.command, self.path)
        if fault is not None and fault.kind == "drop_after":
            self._drop()
            return
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        body = json.dumps(answer.body).encode() if answer.body is not None and answer.status != 204 else b""
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FakeZoom(ZoomState):
    """A fake Zoom REST API v2 and OAuth token endpoint on ``127.0.0.1``; ``url`` is its base.

    The API is at ``url + "/v2"``, the token endpoint at ``url + "/oauth/token"``.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server(self, host, port)
        super().__init__(f"http://{host}:{self._server.server_address[1]}")
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL (no trailing slash)."""
        return self.base_url

    @property
    def api_base(self) -> str:
        """Where the API's ``/v2`` paths start."""
        return self.base_url + "/v2"

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint."""
        return self.base_url + "/oauth/token"

    def start(self) -> FakeZoom:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-zoom", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (delayed requests are dropped)."""
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeZoom:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
