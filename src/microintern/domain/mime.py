"""Turning an :class:`OutgoingMessage` into RFC 5322 bytes, safely.

Names and subjects often come straight from applicants, so every header value is one clean
line: control characters and line breaks become a space (no header injection), bidi controls
and zero-width or other invisible characters are removed (a right-to-left override cannot make
a Subject or a display name read as something else), and every address field is parsed into exactly one
:class:`email.headerregistry.Address` (a display name can never smuggle in a second recipient),
and non-ASCII text is left to the ``email`` package's RFC 2047/2231 encoders. (Text that itself
looks like an encoded-word, ``=?utf-8?q?x?=``, is passed through and shown decoded by mail
clients: cosmetic, it cannot add a header or a recipient.)

Pure: no clock, no I/O. The caller passes the ``Date`` it wants, if any.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from microintern.domain.hidden_text import hidden_characters, one_line
from microintern.domain.records import OutgoingMessage

DEFAULT_DOMAIN = "microintern.local"
KEY_HEADER = "X-Microintern-Key"
MAX_DISPLAY_NAME = 128

# Headers are serialized with RFC 5322's hard limit (998) instead of the soft 78. Python's folder
# may split a non-ASCII phrase into encoded-words in the middle of a word, and decoders disagree
# on how to rejoin those (CPython 3.11's own parser inserts a space). Unfolded headers give every
# decoder one encoded-word per run. Bodies are still encoded under the 78-column SMTP policy.
_WIRE_POLICY = policy.SMTP.clone(max_line_length=998)

# Characters allowed in the local part of a dot-atom address (RFC 5322 atext) and in a domain
# label. Quoted local parts and SMTPUTF8 addresses are refused: school mail systems don't need
# them and they are a classic place for parser disagreements.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
# A MIME type or charset token (lower-cased before matching).
_TOKEN = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*")
# What an address field holding a list would show: separators or a second mailbox.
_LIST_HINT = re.compile(r"[,;\s]")
_QUOTED_NAME = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ANGLE_ADDR = re.compile(r"<[^<>]*@[^<>]*>")
_LISTED_ADDR = re.compile(r"@[^,;]*[,;]|[,;][^@]*@")


def message_key_id(key: str) -> str:
    """Return the 32-hex-digit id derived from a message's ledger key.

    The same key always gives the same id, so a rerun finds (or overwrites) the same draft and
    stamps the same ``Message-ID`` instead of minting a new one.
    """
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def message_id_for(key: str, domain: str = DEFAULT_DOMAIN) -> str:
    """The ``Message-ID`` (without angle brackets) every message of ``key`` carries.

    Deterministic, so the mailbox can be searched for it (Gmail's ``rfc822msgid:``) to prove
    whether a message went out. Raises ValueError when ``domain`` is not a usable domain.
    """
    try:
        id_domain = clean_header(domain).encode("idna").decode("ascii")
    except UnicodeError:
        id_domain = ""
    if not _DOMAIN.fullmatch(id_domain) and id_domain != "localhost":
        raise ValueError(f"domain: not a valid domain for Message-ID: {domain!r}")
    return f"{message_key_id(key)}@{id_domain}"


def clean_text(value: str) -> str:
    """Replace lone surrogates (which no encoder accepts) with U+FFFD, keeping the rest."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def clean_header(value: str) -> str:
    """Make ``value`` one clean header line: controls and line breaks → space, hidden chars out.

    CR/LF would start a new header (injection); other controls (NUL, ESC, U+2028, NEL...) are
    never meaningful in a header and confuse some mail clients. Bidi controls, zero-width and
    other invisible characters are removed (see :func:`hidden_text.one_line`: an emoji's
    joiner stays). Tabs and runs of whitespace collapse to one space, because address parsers
    collapse them anyway and round-trips should be exact. Applied to every header, always.
    """
    return one_line(clean_text(value))


def normalize_addr_spec(value: str, field: str) -> str:
    """Validate a bare ``local@domain`` address and return it (IDNA-encoding the domain).

    Raises ValueError naming ``field`` when the value holds no @, several addresses, or
    characters no plain mailbox has.
    """
    if hidden_characters(value):
        # Never silently drop them: "ana\u200b@x" is not the address it looks like.
        raise ValueError(f"{field}: address holds invisible or bidi characters")
    addr = clean_header(value)
    if not addr:
        raise ValueError(f"{field}: empty address")
    if _LIST_HINT.search(addr) or addr.count("@") > 1:
        raise ValueError(f"{field}: must hold exactly one address, found {addr!r}")
    if "@" not in addr:
        raise ValueError(f"{field}: address has no @: {addr!r}")
    local, domain = addr.split("@")
    try:
        # An internationalized domain (accents, CJK) is legal mail; its ASCII form goes on the wire.
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{field}: invalid domain in {addr!r}") from exc
    if not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        raise ValueError(f"{field}: not a valid address: {addr!r}")
    return f"{local}@{domain}"


def parse_single_address(value: str, field: str) -> Address:
    """Parse ``value`` (``addr``, ``Name <addr>`` or ``"Name" <addr>``) into one Address.

    The mailbox is the last ``<...>`` of the value; everything before it is display name, however
    many quotes, commas or angle brackets it holds, so a hostile name stays a name. An *unquoted*
    name that itself holds a mailbox (``<x@y>``) or an ``@`` next to a list separator is refused
    as "several addresses": that is what two addresses pasted into one field look like.
    """
    raw = clean_text(value).strip()
    raw_addr = raw[raw.rindex("<") + 1 : -1] if raw.endswith(">") and "<" in raw else raw
    if hidden_characters(raw_addr):
        # Checked before cleaning: "ana\u200b@x" must be refused, not quietly become "ana@x".
        raise ValueError(f"{field}: address holds invisible or bidi characters")
    text = clean_header(value)
    if text.endswith(">") and "<" in text:
        cut = text.rindex("<")
        name_part, addr_part = text[:cut].strip(), text[cut + 1 : -1]
        quoted = _QUOTED_NAME.fullmatch(name_part)
        if quoted:
            name = re.sub(r"\\(.)", r"\1", quoted.group(1))
        else:
            if _ANGLE_ADDR.search(name_part) or _LISTED_ADDR.search(name_part):
                raise ValueError(f"{field}: must hold exactly one address, found {text!r}")
            name = name_part
    else:
        name, addr_part = "", text
    addr = normalize_addr_spec(addr_part, field)
    name = name.strip()
    if len(name) > MAX_DISPLAY_NAME:  # a name this long is abuse; keep the header line sane
        name = name[: MAX_DISPLAY_NAME - 1].rstrip() + "…"
    # Address() quotes or RFC 2047-encodes the name as needed; an empty name yields a bare addr.
    return Address(display_name=name, addr_spec=addr)


def _content_type(value: str, data: bytes) -> tuple[str, str, dict[str, str]]:
    """Split a MIME type into main type, subtype and params (only ``charset`` is kept).

    Anything odd becomes application/octet-stream. A text attachment without a charset is
    labelled utf-8 when its bytes are UTF-8, so accents survive in the recipient's viewer.
    """
    kind, *params = clean_header(value).split(";")
    maintype, _, subtype = kind.strip().lower().partition("/")
    if not (_TOKEN.fullmatch(maintype) and _TOKEN.fullmatch(subtype)) or maintype == "multipart":
        return "application", "octet-stream", {}
    charset = ""
    for param in params:
        name, _, param_value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = param_value.strip().strip('"')
    if maintype == "text" and not _TOKEN.fullmatch(charset.lower()):
        try:
            data.decode("utf-8")
            charset = "utf-8"
        except UnicodeDecodeError:
            charset = ""
    return maintype, subtype, ({"charset": charset} if charset and maintype == "text" else {})


def build_mime(
    message: OutgoingMessage,
    *,
    domain: str = DEFAULT_DOMAIN,
    date: datetime | None = None,
) -> bytes:
    """Render ``message`` as RFC 5322 bytes (CRLF line ends, 7-bit safe headers).

    One ``To`` (``message.to``), ``Cc`` only from ``message.cc``, ``From`` = ``message.sender``,
    optional ``Reply-To``; ``Message-ID`` is derived from ``message.key`` under ``domain`` and the
    key itself travels in ``X-Microintern-Key``. Text and HTML form a multipart/alternative;
    attachments wrap it in multipart/mixed. ``date`` must be timezone-aware when given.

    Raises ValueError naming the field for an address that is missing an @ or holds several.
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = parse_single_address(message.sender, "sender")
    msg["To"] = parse_single_address(message.to, "to")
    if message.cc:
        msg["Cc"] = tuple(
            parse_single_address(addr, f"cc[{i}]") for i, addr in enumerate(message.cc)
        )
    if message.reply_to:
        msg["Reply-To"] = parse_single_address(message.reply_to, "reply_to")
    msg["Subject"] = clean_header(message.subject)
    if date is not None:
        if date.tzinfo is None or date.utcoffset() is None:
            raise ValueError("date: must be timezone-aware")
        msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{message_id_for(message.key, domain)}>"
    msg[KEY_HEADER] = clean_header(message.key)

    msg.set_content(clean_text(message.text))
    if message.html:
        msg.add_alternative(clean_text(message.html), subtype="html")
    for attachment in message.attachments:
        maintype, subtype, params = _content_type(attachment.content_type, attachment.data)
        # add_attachment turns the alternative into a multipart/mixed around it.
        msg.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=clean_header(attachment.filename) or "attachment",
            params=params,
        )
    _set_boundaries(msg, message)
    return msg.as_bytes(policy=_WIRE_POLICY)


def _set_boundaries(msg: EmailMessage, message: OutgoingMessage) -> None:
    """Give each multipart a boundary derived from the content instead of a random one.

    The same message then always renders to the same bytes (a rerun rewrites an identical
    draft), and a boundary containing a hash of the content cannot occur inside that content.
    """
    digest = hashlib.sha256()
    for part in (message.key, message.subject, message.text, message.html):
        digest.update(clean_text(part).encode("utf-8"))
        digest.update(b"\0")
    for attachment in message.attachments:
        digest.update(attachment.data)
    token = digest.hexdigest()[:40]
    multiparts = (part for part in msg.walk() if part.is_multipart())
    for index, part in enumerate(multiparts):
        part.set_boundary(f"=_mi{index}_{token}")
