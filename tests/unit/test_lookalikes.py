"""Look-alike letters: mixed scripts and Latin look-alikes in addresses and names block Accept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hostile_corpus import DOMAIN, application

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.lookalikes import address_lookalike, name_lookalike
from microintern.domain.screening import (
    BLOCKING_CODES,
    FLAG_REASONS,
    FLAGS,
    FlagCode,
    Proposed,
    ScreenedApplication,
    screen,
    screening_cells,
)

NOW = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)
CYRILLIC_A = "\u0430"
GREEK_O = "\u03bf"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        (f"{CYRILLIC_A}na@{DOMAIN}", "the local part mixes Latin and Cyrillic letters"),
        (f"p{GREEK_O}rtal@example.org", "the local part mixes Latin and Greek letters"),
        (f"ana@ex{CYRILLIC_A}mple.org", "the domain mixes Latin and Cyrillic letters"),
        ("ana@\u0455tudents.example", "the domain mixes Latin and Cyrillic letters"),
        ("\u0455\u0430@example.org", "the local part has Cyrillic letters that look Latin"),  # all Cyrillic
        ("\uff41na@example.org", "the local part has fullwidth or styled forms of plain letters"),
    ],
)
def test_look_alike_addresses_say_which_part_and_scripts(address: str, why: str) -> None:
    assert address_lookalike(address) == why


@pytest.mark.parametrize(
    "address",
    [f"ana.rivera@{DOMAIN}", "José@example.org", "ana@bücher.example", "李明@example.cn",
     "o'brien+x_1@example.org", "not an address"],
)
def test_ordinary_addresses_are_not_look_alikes(address: str) -> None:
    assert address_lookalike(address) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        (f"J{GREEK_O}sé", "mixes Latin and Greek letters in one word"),
        ("J\u043es\u00e9 Rivera", "mixes Latin and Cyrillic letters in one word"),
        ("Mary-\u039aate", "mixes Latin and Greek letters in one word"),  # Greek Kappa after a hyphen
        ("Ana \u0421\u043e\u0441\u043e", "has a Cyrillic word that looks Latin"),  # "Сосо" beside Latin
        ("\u0410na", "mixes Latin and Cyrillic letters in one word"),
    ],
)
def test_look_alike_names(name: str, why: str) -> None:
    assert name_lookalike(name) == why


@pytest.mark.parametrize(
    "name",
    [
        "Ana Rivera", "José García-Núñez", "D'Andre O'Connor", "Zoë 🌟", "Zoe\u0308",  # a combining accent
        "محمد", "عبد الله", "李明", "王", "山田 はなこ", "김민준", "Анна Иванова", "Νίκος Παπαδόπουλος",
        "Ana Иванова",  # a Latin and a Cyrillic word side by side, neither posing as the other
        "Ana 李", "עדי כהן",
    ],
)
def test_names_in_one_writing_system_are_never_look_alikes(name: str) -> None:
    assert name_lookalike(name) is None


# --- through screening ----------------------------------------------------------------------------


@pytest.fixture
def config(make_config: Callable[..., ProgramConfig]) -> ProgramConfig:
    return make_config()


def screened(config: ProgramConfig, **answers: str) -> ScreenedApplication:
    [result] = screen([application(config, 1, **answers)], config, now=NOW).applications
    return result


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"student_email": f"{CYRILLIC_A}na.rivera1@{DOMAIN}"},
         "student email: the local part mixes Latin and Cyrillic letters"),
        ({"guardian_email": f"r{GREEK_O}sa@example.org"},
         "guardian email: the local part mixes Latin and Greek letters"),
        ({"first_name": f"{CYRILLIC_A}na"}, "'First name' mixes Latin and Cyrillic letters in one word"),
        ({"guardian_name": f"R{GREEK_O}sa Rivera"},
         "'Parent or guardian name' mixes Latin and Greek letters in one word"),
    ],
)
def test_a_look_alike_blocks_accept_until_a_person_reviews_it(
    config: ProgramConfig, answers: dict[str, str], reason: str
) -> None:
    result = screened(config, **answers)
    assert result.flag_codes == (FlagCode.LOOKALIKE,)
    [flag] = result.flags
    assert flag.reason == reason
    assert flag.blocks and flag.review and FlagCode.LOOKALIKE in BLOCKING_CODES
    # An otherwise perfect application (score 100) is not proposed Accept: a person looks first.
    assert result.score == 100
    assert result.proposal.decision is Proposed.REVIEW
    assert result.proposal.reason == "a person should check: LOOKALIKE (may be fixable)"


def test_reasons_name_the_field_and_scripts_never_the_text(config: ProgramConfig) -> None:
    address = f"{CYRILLIC_A}na.rivera1@{DOMAIN}"
    name = f"J{GREEK_O}sé"
    cells = screening_cells(screen([application(config, 1, student_email=address, first_name=name)],
                                   config, now=NOW))["A-T0001"]
    assert cells[FLAGS] == "LOOKALIKE"
    reasons = str(cells[FLAG_REASONS])
    assert "student email" in reasons and "'First name'" in reasons
    assert address not in reasons and name not in reasons and "rivera" not in reasons


def test_the_coordinators_accept_wins_after_review(config: ProgramConfig) -> None:
    row = application(config, 1, first_name=f"{CYRILLIC_A}na")
    row[sheet.DECISION] = "Accept"
    [result] = screen([row], config, now=NOW).applications
    assert result.flag_codes == (FlagCode.LOOKALIKE,)  # still shown
    assert result.proposal.decision is Proposed.ACCEPT
    assert result.proposal.session_id is not None


def test_one_script_names_are_screened_like_any_other(config: ProgramConfig) -> None:
    rows = [
        application(config, 1, first_name="محمد", last_name="عبد الله", guardian_name="فاطمة عبد الله"),
        application(config, 2, first_name="李明", last_name="王"),
        application(config, 3, first_name="Анна", last_name="Иванова", guardian_name="Мария Иванова"),
        application(config, 4, first_name="Νίκος", last_name="Παπαδόπουλος"),
    ]
    results = screen(rows, config, now=NOW).applications
    assert [r.flag_codes for r in results] == [(), (), (), ()]
    assert {r.proposal.decision for r in results} == {Proposed.ACCEPT}
