"""No names or addresses in logs, at any verbosity.

Students are minors, and logs travel: cron mails stderr, journald keeps it, people paste it
into tickets. Our own log calls carry applicant ids and tab names only; what could still leak
comes from elsewhere, so every record is scrubbed before any handler sees it:

- email addresses (also URL-encoded, ``%40``) become ``<address>``;
- a URL's query string becomes ``?<query>``: Drive ``files.list`` queries name student
  folders (first name, last initial, id), Gmail searches carry Message-IDs;
- anything after ``q=`` (a search however it is written) becomes ``q=<redacted>``.

Google's client libraries log every request URL (googleapiclient at INFO, urllib3 at DEBUG),
so their loggers stay at WARNING whatever ``-v`` says; ``--debug-http`` lets them through,
still scrubbed. Names outside those shapes cannot be recognised by a pattern, which is why
the request loggers stay quiet by default rather than relying on the scrubbing alone.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Callable
from typing import Any

# The libraries that log request URLs, bodies or headers at INFO or DEBUG.
HTTP_LOGGERS = ("googleapiclient", "google", "google_auth_httplib2", "httplib2", "urllib3",
                "requests", "requests_oauthlib", "oauthlib", "gspread")

FORMAT = "%(levelname)s %(name)s: %(message)s"

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ENCODED_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+%40[A-Za-z0-9.-]+", re.IGNORECASE)
_QUERY = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s?#'\"<>]*)\?(?!<query>)[^\s'\"#<>]*",
                    re.IGNORECASE)
_Q_PARAMETER = re.compile(r"(?<![A-Za-z0-9_])q=.*")
_Q_ENTRY = re.compile(r"""(['"]q['"]\s*:\s*)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def redact(text: str) -> str:
    """``text`` with email addresses, URL query strings and search queries taken out."""
    text = _QUERY.sub(r"\1?<query>", text)
    text = _Q_PARAMETER.sub("q=<redacted>", text)
    text = _Q_ENTRY.sub(r"\1'<redacted>'", text)
    text = _ENCODED_EMAIL.sub("<address>", text)
    return _EMAIL.sub("<address>", text)


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """Render the record's message and traceback now, scrubbed; the record is changed in place.

    The arguments are merged into the message first (they are where URLs and addresses come
    in), so no handler or formatter ever sees them raw.
    """
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - logging must never raise where it is called
        # A bad format string or a failing __str__: keep what can be shown, scrubbed.
        message = f"{record.msg!s} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        # The formatter uses exc_text when it is set; an exception's text is often a URL.
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """A handler filter that scrubs every record passing through it (it never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub ``record``; always keep it."""
        scrub(record)
        return True


_FACTORY_MARK = "_microintern_scrubs"


def _install_record_factory() -> None:
    """Scrub records where they are made, so handlers added later (a test's, syslog) are safe."""
    current: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(current, _FACTORY_MARK, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub(current(*args, **kwargs))

    setattr(factory, _FACTORY_MARK, True)
    logging.setLogRecordFactory(factory)


def setup_logging(verbose: int, *, debug_http: bool = False) -> None:
    """Configure logging for the CLI: stderr, ``-v`` INFO, ``-vv`` DEBUG, always scrubbed.

    The Google request loggers stay at WARNING unless ``debug_http``: they log URLs at INFO
    and DEBUG, which is where names and addresses would come from.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.WARNING - 10 * min(verbose, 2))
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    _install_record_factory()
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug_http else logging.WARNING)
