"""Open Badges 2.0 on disk (the :class:`~microintern.ports.BadgeIssuer` port, local provider).

The folder mirrors the hosted URLs, so publishing it as-is at ``badge.hosted_url`` makes every
badge verifiable (hosted verification):

    issuer.json  badgeclass.json  badge.png
    assertions/<id>.json   the hosted assertion (the recipient's address only as a salted hash)
    assertions/<id>.png    the badge image baked with the assertion (iTXt chunk "openbadges")

An assertion JSON file is the award: it is written last, atomically, so a run killed before it
awarded nothing and a run killed after it awarded once. A missing baked image is baked again
from its assertion on the next look. Files are 0600 and folders 0700, like all local data.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import textwrap
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from microintern.adapters.local._files import atomic_write_bytes, ensure_private_dir
from microintern.domain.badges import (
    BadgeProfile,
    assertion_document,
    badgeclass_document,
    identity_matches,
    issuer_document,
)
from microintern.domain.records import BadgeAward, IssuedBadge
from microintern.errors import BackendError

BAKED_KEYWORD = "openbadges"        # Open Badges 2.0 baking: the PNG iTXt chunk's keyword
IMAGE_SIZE = 400


def _json_bytes(document: object) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def default_badge_image(name: str, size: int = IMAGE_SIZE) -> bytes:
    """A plain round badge with ``name`` on it, the same bytes for the same name."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    # A dark colour from the name (each channel 40-139) keeps white text readable.
    fill = tuple(40 + b % 100 for b in digest[:3])
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    margin = size // 20
    draw.ellipse((margin, margin, size - margin, size - margin), fill=(*fill, 255),
                 outline=(255, 215, 90, 255), width=max(4, size // 40))
    font = ImageFont.load_default(size=max(12, size // 13))
    lines = textwrap.wrap(name, width=16)[:4] or [""]
    boxes = [draw.textbbox((0, 0), line, font=font) for line in lines]
    line_height = max(b[3] - b[1] for b in boxes) + size // 50
    top = (size - line_height * len(lines)) // 2
    for i, (line, box) in enumerate(zip(lines, boxes, strict=True)):
        width = box[2] - box[0]
        draw.text(((size - width) // 2, top + i * line_height), line, font=font, fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def bake(image: bytes, assertion: object) -> bytes:
    """``image`` (a PNG) with the assertion JSON in an iTXt chunk keyword ``openbadges``.

    Any earlier ``openbadges`` chunk is dropped: a baked image carries exactly one assertion.
    """
    with Image.open(io.BytesIO(image)) as source:
        source.load()
        info = PngInfo()
        for key, value in getattr(source, "text", {}).items():
            if key != BAKED_KEYWORD:
                info.add_text(key, value)
        info.add_itxt(BAKED_KEYWORD, json.dumps(assertion, ensure_ascii=False), zip=False)
        out = io.BytesIO()
        source.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def baked_assertion(png: bytes) -> dict[str, object]:
    """The assertion baked into a PNG (its iTXt ``openbadges`` chunk)."""
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        text = getattr(image, "text", {}).get(BAKED_KEYWORD)
    if text is None:
        raise ValueError("the image carries no baked Open Badges assertion")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("the baked assertion is not a JSON object")
    return value


class LocalBadges:
    """Open Badges 2.0 assertions and baked images in ``folder`` (see the module docstring).

    ``image_file`` is the badge class's PNG (None: one drawn from the badge's name), read when
    the first badge is awarded.
    """

    def __init__(self, folder: Path, profile: BadgeProfile, image_file: Path | None = None) -> None:
        self.folder = Path(folder)
        self.assertions = self.folder / "assertions"
        self.profile = profile
        self.image_file = image_file
        self._image: bytes | None = None
        self._published = False
        # Assertions already parsed; the run lock keeps other writers out while a run lasts.
        self._known: dict[str, dict[str, object]] = {}

    @property
    def image(self) -> bytes:
        """The badge class's PNG."""
        if self._image is None:
            if self.image_file is None:
                self._image = default_badge_image(self.profile.name)
            else:
                try:
                    data = Path(self.image_file).read_bytes()
                except OSError as exc:
                    raise BackendError(
                        f"badge.image {self.image_file} cannot be read: {exc.strerror}") from None
                if not data.startswith(b"\x89PNG\r\n\x1a\n"):
                    raise BackendError(f"badge.image {self.image_file} is not a PNG (Open Badges bakes PNG)")
                self._image = data
        return self._image

    def awarded(self, emails: Sequence[str]) -> dict[str, IssuedBadge]:
        """The assertions on disk held by these addresses (lowercased address → badge)."""
        wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
        found: dict[str, IssuedBadge] = {}
        if not wanted or not self.assertions.is_dir():
            return found
        for assertion_id, document in self._documents().items():
            recipient = document.get("recipient")
            if not isinstance(recipient, dict):
                continue
            identity, salt = str(recipient.get("identity") or ""), recipient.get("salt")
            for email in wanted:
                if email not in found and identity_matches(email, identity, str(salt) if salt else None):
                    found[email] = self._issued(assertion_id, email, document)
                    break
        return found

    def _documents(self) -> dict[str, dict[str, object]]:
        """Every assertion on disk by id; each file is parsed once per instance (run)."""
        for path in sorted(self.assertions.glob("*.json")):
            if path.stem not in self._known:
                self._known[path.stem] = self._read(path)
        return self._known

    def award(self, award: BadgeAward) -> IssuedBadge:
        """Write the assertion and its baked image; an address that holds one gets it back."""
        existing = self.awarded([award.email]).get(award.email.strip().lower())
        if existing is not None:
            return existing
        self._publish()
        assertion_id = secrets.token_hex(10)
        document = assertion_document(self.profile, award, assertion_id, secrets.token_hex(16))
        png = self.assertions / f"{assertion_id}.png"
        atomic_write_bytes(png, bake(self.image, document))
        atomic_write_bytes(self.assertions / f"{assertion_id}.json", _json_bytes(document))
        self._known[assertion_id] = document
        return IssuedBadge(assertion_id=assertion_id, url=self.profile.baked_image_url(assertion_id),
                           email=award.email.strip().lower(), image_path=str(png))

    def _issued(self, assertion_id: str, email: str, document: dict[str, object]) -> IssuedBadge:
        png = self.assertions / f"{assertion_id}.png"
        if not png.exists():
            # Killed between the two writes of an earlier award: bake the image again.
            atomic_write_bytes(png, bake(self.image, document))
        return IssuedBadge(assertion_id=assertion_id, url=self.profile.baked_image_url(assertion_id),
                           email=email, image_path=str(png))

    def _publish(self) -> None:
        """Write the issuer, badge class and image when they are missing or changed."""
        if self._published:
            return
        ensure_private_dir(self.assertions)
        for name, data in (("issuer.json", _json_bytes(issuer_document(self.profile))),
                           ("badgeclass.json", _json_bytes(badgeclass_document(self.profile))),
                           ("badge.png", self.image)):
            path = self.folder / name
            if not path.exists() or path.read_bytes() != data:
                atomic_write_bytes(path, data)
        self._published = True

    @staticmethod
    def _read(path: Path) -> dict[str, object]:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackendError(f"{path} is damaged ({type(exc).__name__}); fix or remove it") from exc
        if not isinstance(document, dict):
            raise BackendError(f"{path} is not an Open Badges assertion")
        return document
