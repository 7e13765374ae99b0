"""A partner's language (config ``partners[].language``): the industry forms made, what is checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from programs import EXAMPLE

from microintern.config import ProgramConfig, parse_config
from microintern.errors import ConfigError
from microintern.steps.partners import industry_form_languages

ROOT = Path(__file__).resolve().parents[2]


def parsed(partner_languages: dict[str, str], **program: Any) -> ProgramConfig:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["program"].update(program)
    for partner in data["partners"]:
        if partner["id"] in partner_languages:
            partner["language"] = partner_languages[partner["id"]]
    return parse_config(data, source="test.yaml", base_dir=ROOT / "config")


def test_a_partner_reads_the_program_default_unless_given() -> None:
    config = parsed({"solis-cyber": "es"})
    partners = {partner.id: partner for partner in config.partners}
    solis, desert = partners["solis-cyber"], partners["desert-health"]
    assert (solis.language, desert.language) == ("es", None)
    assert (solis.reads("en"), desert.reads("en"), desert.reads("es")) == ("es", "en", "es")


def test_the_industry_form_is_made_in_the_languages_partners_read() -> None:
    # Families read English and Spanish; partners all English: the English form only.
    assert industry_form_languages(parsed({})) == ["en"]
    assert industry_form_languages(parsed({"solis-cyber": "es"})) == ["en", "es"]
    # The default language's form is made even when no partner reads it (earlier runs' form).
    everyone = {p: "es" for p in ("solis-cyber", "desert-health", "ridgeline-build", "valley-analytics")}
    assert industry_form_languages(parsed(everyone)) == ["en", "es"]
    # A Spanish-default program: partners read Spanish unless they say otherwise.
    assert industry_form_languages(parsed({}, default_language="es")) == ["es"]
    assert industry_form_languages(parsed({"solis-cyber": "en"}, default_language="es")) == ["es", "en"]


def test_a_language_no_one_offers_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        parsed({"solis-cyber": "fr"})
    assert "partners[0].language: expected one of program.languages (en, es), found 'fr'" in [
        str(p) for p in caught.value.problems]


def test_a_language_the_program_does_not_offer_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        parsed({"solis-cyber": "es"}, languages=["en"])
    # (The example's Spanish names are named too: each problem at its own key.)
    assert any(str(p).startswith("partners[0].language: expected one of program.languages (en)")
               for p in caught.value.problems), caught.value.problems
