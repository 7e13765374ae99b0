"""The HTTP layer: a threaded HTTP/1.1 server on loopback that feeds the pipeline.

Only this module knows about sockets: it reads requests, applies the timing side of
faults (sleep, lost response), and writes answers.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .pipeline import Answer, Pipeline, RawRequest

_ERROR_KINDS = frozenset({"429", "500", "503", "403rate"})


class LoopbackServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that tracks connections and in-flight requests."""

    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, pipeline: Pipeline, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _RequestHandler)
        self.pipeline = pipeline
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.idle = threading.Condition()
        self.in_flight = 0

    def close_connections(self) -> None:
        """Shut down every open client connection (keep-alive sockets included)."""
        with self.idle:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being processed; False on timeout."""
        with self.idle:
            return self.idle.wait_for(lambda: self.in_flight == 0, timeout)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeWorkspace/1.0"
    disable_nagle_algorithm = True  # small answers must not wait for delayed ACKs
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        with self.server.idle:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.idle:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Serve GET."""
        self._dispatch()

    def do_POST(self) -> None:
        """Serve POST."""
        self._dispatch()

    def do_PUT(self) -> None:
        """Serve PUT."""
        self._dispatch()

    def do_PATCH(self) -> None:
        """Serve PATCH."""
        self._dispatch()

    def do_DELETE(self) -> None:
        """Serve DELETE."""
        self._dispatch()

    def _dispatch(self) -> None:
        with self.server.idle:
            self.server.in_flight += 1
        try:
            self._serve()
        finally:
            with self.server.idle:
                self.server.in_flight -= 1
                self.server.idle.notify_all()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client went away mid-request (a killed run): Google never sees such a
            # request whole, so it is neither processed nor counted as a refusal.
            raise ConnectionAbortedError("request body cut short")
        return body

    def _serve(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        try:
            body = self._read_body()
        except (ConnectionError, ValueError):
            self.close_connection = True
            return
        request = RawRequest(
            http_method=self.command,
            path=split.path,
            query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,  # type: ignore[arg-type]
            body=body,
        )
        pipeline = self.server.pipeline
        prepared = pipeline.prepare(request)
        if prepared.answer is not None:
            self._send(prepared.answer)
            return
        fault = prepared.fault
        if fault is not None and fault.kind in _ERROR_KINDS:
            self._send(pipeline.fault_answer(prepared, fault))
            return
        if fault is not None and fault.kind in ("slow", "timeout"):
            if self.server.stopping.wait(fault.delay):
                self._drop()
                return
        answer = pipeline.execute(prepared)
        if fault is not None and fault.kind == "drop_after":
            self._drop()
            return
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        try:
            self.send_response(answer.status)
            for name, value in (answer.headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away (e.g. after a timeout)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
