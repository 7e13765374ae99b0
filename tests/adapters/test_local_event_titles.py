"""A session's Calendar event is shared by every guest: its title is the default language's,
and the session's titles in the program's other languages open its description."""

from __future__ import annotations

from collections.abc import Callable

import yaml
from programs import ROOT
from test_local_sessions import context, ics, seed, vevent

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.steps.sessions import build_sessions

ENGLISH = "Defend the Network: a Day in Cybersecurity"
SPANISH = "Defiende la red: un día en la ciberseguridad"


def test_the_event_is_titled_in_the_default_language_with_the_spanish_title_in_its_text(
        make_config: Callable[..., ProgramConfig]) -> None:
    # data-fellows keeps one title for every language (the example gives it a Spanish one).
    example = yaml.safe_load((ROOT / "config" / "program.example.yaml").read_text(encoding="utf-8"))
    sessions = [{**s, "title": s["title"]["en"]} if s["id"] == "data-fellows" else s
                for s in example["sessions"]]
    config = make_config(sessions=sessions)
    ctx = context(config)
    seed(ctx, "cyber-basics", students=2)
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [   # a student in another session
        {sheet.APPLICANT_ID: "S-1", sheet.SESSION_ID: "data-fellows", sheet.PLACEMENT: "placed"}])
    build_sessions(ctx)
    event = vevent(ics(config, "cyber-basics", 1))
    assert str(event["SUMMARY"]) == ENGLISH
    description = str(event["DESCRIPTION"])
    assert description.startswith(f"Español: {SPANISH}\n\n")
    assert "How we join:" in description
    # A session whose title is the same in every language says it once.
    other = vevent(ics(config, "data-fellows", 1))
    assert not str(other["DESCRIPTION"]).startswith("Español")

