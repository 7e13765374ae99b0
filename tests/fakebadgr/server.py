"""The fake Badgr's HTTP layer: a threaded HTTP/1.1 server on loopback around :class:`BadgrState`."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .state import Answer, BadgrState


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, state: BadgrState, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self.state = state


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeBadgr/1.0"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve()

    def do_POST(self) -> None:
        """Serve POST."""
        self._serve()

    def do_PUT(self) -> None:
        """Serve PUT."""
        self._serve()

    def do_DELETE(self) -> None:
        """Serve DELETE."""
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        try:
            answer = self.server.state.handle(self.command, self.path, headers, raw)
        except Exception as exc:  # noqa: BLE001 - a crash in the fake is a 500 and a test failure
            with self.server.state.lock:
                self.server.state.rejections.append(f"fake Badgr crashed: {type(exc).__name__}: {exc}")
            answer = Answer(500, {"detail": "fake crashed"})
        if answer.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        body = json.dumps(answer.body).encode("utf-8") if answer.body is not None else b""
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class FakeBadgr(BadgrState):
    """A fake Badgr API v2 on ``127.0.0.1`` (OS-chosen port); ``url`` is its base URL.

    Use as a context manager, seed accounts and badge classes, point the client's ``base_url``
    at ``url``, then assert on ``assertions_of``, ``notifications``, ``calls`` and
    ``rejections == []``.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, token_lifetime: int = 86400) -> None:
        self._server = _Server(self, host, port)
        super().__init__(f"http://{host}:{self._server.server_address[1]}", token_lifetime=token_lifetime)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL (no trailing slash)."""
        return self.base_url

    def start(self) -> FakeBadgr:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-badgr", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBadgr:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
