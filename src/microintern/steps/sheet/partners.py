"""The Partners tab: rows for the configured partners, each found by its Partner ID."""

from __future__ import annotations

from collections.abc import Mapping

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.partners import PROSPECT
from microintern.domain.records import Record


def partner_rows(config: ProgramConfig, present: Mapping[str, Record]) -> list[Record]:
    """Rows for configured partners missing from the Partners tab, as prospects."""
    return [
        {sheet.PARTNER_ID: p.id, "Organization": p.organization, "Contact": p.contact.name,
         "Email": p.contact.email, "Industry": p.industry, sheet.PARTNER_STATUS: PROSPECT}
        for p in config.partners if p.id not in present
    ]
