"""A fake Badgr API v2 on loopback for tests: ``from fakebadgr import FakeBadgr``.

It keeps accounts, issuers, badge classes and assertions; signs in with the password grant and
rotating refresh tokens; validates every request's auth and body like Badgr's serializers (and
refuses unknown fields); and injects faults, e.g. a 500 *after* an assertion was created::

    with FakeBadgr() as badgr:
        badgr.add_user("internships@district.example", "pw")
        badgr.add_issuer("ISSUER1", "District", staff=["internships@district.example"])
        badgr.add_badgeclass("CLASS1", "ISSUER1", "Micro-Intern")
        badgr.fail("POST", "/v2/badgeclasses/CLASS1/assertions", 500, after=True)
        ...  # point BadgrSettings.base_url at badgr.url
        assert badgr.rejections == []
"""

from .server import FakeBadgr
from .state import Assertion, BadgrState, Call, Fault, sha256_identity

# The account the tests' program awards with (the `badgr` fixture seeds it).
BADGR_USER = "internships@mesavalley.example"
BADGR_PASSWORD = "correct horse battery staple"

__all__ = ["BADGR_PASSWORD", "BADGR_USER", "Assertion", "BadgrState", "Call", "FakeBadgr", "Fault",
           "sha256_identity"]
