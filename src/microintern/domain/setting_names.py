"""How letters, forms and flyers name two of the program's settings: its time zone and its video service.

One place for both, so a letter, the release form and a flyer never disagree: a time on a flyer
reads "3:30 PM Pacific Time" as the session letters write it, and a letter about the whole
program names the service its sessions meet on ("Zoom"), or says "online" when they differ.
Pure: no clock, no I/O.
"""

from __future__ import annotations

from microintern.config import ProgramConfig
from microintern.domain.video import ZOOM, provider_of

# A reader-friendly name of each U.S. zone, per language; any other zone is named by its id.
_ZONE_NAMES = {
    "en": {
        "America/New_York": "Eastern Time", "America/Chicago": "Central Time",
        "America/Denver": "Mountain Time", "America/Phoenix": "Arizona Time",
        "America/Los_Angeles": "Pacific Time", "America/Anchorage": "Alaska Time",
        "Pacific/Honolulu": "Hawaii Time",
    },
    "es": {
        "America/New_York": "hora del Este", "America/Chicago": "hora del Centro",
        "America/Denver": "hora de la Montaña", "America/Phoenix": "hora de Arizona",
        "America/Los_Angeles": "hora del Pacífico", "America/Anchorage": "hora de Alaska",
        "Pacific/Honolulu": "hora de Hawái",
    },
}

GOOGLE_MEET = "Google Meet"
_SERVICES = {ZOOM: "Zoom"}


def zone_name(time_zone: str, language: str = "en") -> str:
    """``time_zone`` as a reader in ``language`` knows it ("Pacific Time", "hora del Pacífico")."""
    names = _ZONE_NAMES["es"] if language == "es" else _ZONE_NAMES["en"]
    return names.get(time_zone, time_zone)


def service_name(provider: str) -> str:
    """The video service a provider setting (``meet``, ``zoom``) names: "Google Meet", "Zoom"."""
    return _SERVICES.get(provider, GOOGLE_MEET)


def program_video_service(config: ProgramConfig) -> str:
    """The one service every session meets on ("Google Meet", "Zoom"); "" when sessions differ.

    For what is written about the program as a whole (the acceptance, the release form and its
    question, the partner outreach): with "" the words say "online" and name no service.
    """
    providers = {provider_of(config, s) for s in config.sessions} or {config.video.provider}
    return service_name(providers.pop()) if len(providers) == 1 else ""
