"""Email addresses as identities: one normal form, so that one student is one address.

Two spellings reach the same mailbox when they differ only in case or surrounding spaces, and at
Gmail (``gmail.com`` / ``googlemail.com``) also in dots in the local part and in a ``+tag``.
:func:`normalised_address` maps all of them to one key. It is for comparing addresses (is this
the same student?), never for sending: letters go to the address as the student gave it.
"""

from __future__ import annotations

import unicodedata

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
"""Domains whose mailboxes ignore dots and ``+tags`` in the local part (one canonical domain)."""


def normalised_address(address: str) -> str:
    """The comparison key of ``address``: NFC, no whitespace, case-folded, Gmail dots and +tags off.

    ``" Ana.Lopez+apply@GoogleMail.com "`` and ``"analopez@gmail.com"`` give the same key. An
    address without an ``@`` is returned folded, so that two identical non-addresses still
    compare equal and an empty answer stays empty.
    """
    text = "".join(unicodedata.normalize("NFC", address or "").split()).casefold()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return text
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def in_domain(address: str, domain: str | None) -> bool:
    """Whether ``address`` is a mailbox of ``domain`` exactly (no subdomain, case aside).

    With no domain configured every address is in it (the check is off).
    """
    if not domain:
        return True
    text = "".join((address or "").split()).casefold()
    local, at, host = text.rpartition("@")
    return bool(at and local) and host == domain.strip().casefold().lstrip("@")


def same_student(respondent: str | None, address: str | None) -> bool:
    """Whether the form's verified address is the student's own (case, Gmail dots and +tags aside).

    No verified address (a form made before collection was on) or no known student address
    cannot prove a mismatch, so it passes; the id check still applies.
    """
    if not respondent or not address:
        return True
    return normalised_address(respondent) == normalised_address(address)
