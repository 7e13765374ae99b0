"""Apply :class:`~microintern.domain.sheet_rules.SheetRules` to an openpyxl workbook.

Each function changes one tab in memory and says whether it changed anything, so the workbook
is only rewritten when needed. Rules are recognised as microintern's by what they carry, and
replaced as a whole when they differ from the wanted ones, so a rerun stacks nothing:

* dropdowns by their error title (:data:`DROPDOWN_ERROR_TITLE`);
* highlights by their kind, condition and fill colour, whatever column they cover;
* header notes by their author (:data:`NOTE_AUTHOR`).

Excel has no warning-only protection: sheet protection blocks edits outright (and with them
the coordinator's sorting, filtering and inserting rows), and it is all or nothing per tab.
So a tool-owned column gets a comment on its header cell instead, saying microintern writes it.

Columns are found by header in row 1 at the time of the call: a column the coordinator moved
is re-found on the next ``init``, and our rules on its old position are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import Rule
from openpyxl.styles import PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from microintern.domain.sheet_rules import (
    MAX_FROZEN_COLUMNS,
    PROTECTION_NOTE,
    Colour,
    Condition,
    Dropdown,
    Highlight,
    TabRules,
)

DROPDOWN_ERROR_TITLE = "Choose from the list"
"""Title of the message Excel shows when a dropdown cell gets other input; marks our dropdowns."""
NOTE_AUTHOR = "microintern"
"""Author of the header comments on tool-owned columns; marks our comments."""
LISTS_TAB = "microintern lists"
"""A hidden tab holding dropdown options too long for an inline list (Excel's 255-character
limit on a list formula)."""

_LAST_ROW = 1_048_576  # Excel's last row: rules cover the whole column below the header
_INLINE_LIMIT = 255
_PROMPT_LIMIT = 255  # Excel refuses longer input messages
_ERROR_LIMIT = 225  # and longer error messages
_CELL_REF = re.compile(r"\$?[A-Z]{1,3}\$?\d+")


def header_columns(sheet: Worksheet) -> dict[str, int]:
    """Each header of row 1 with its 1-based column; the first of duplicates wins."""
    columns: dict[str, int] = {}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        name = "" if cell.value is None else str(cell.value).strip()
        if name:
            columns.setdefault(name, cell.column)
    return columns


def _below_header(column: int) -> str:
    letter = get_column_letter(column)
    return f"{letter}2:{letter}{_LAST_ROW}"


# --- frozen panes ------------------------------------------------------------------------------


def freeze(sheet: Worksheet, rules: TabRules, columns: Mapping[str, int]) -> bool:
    """Freeze at least the header row (and the id column); never unfreeze what the coordinator froze."""
    row, column = coordinate_to_tuple(sheet.freeze_panes) if sheet.freeze_panes else (1, 1)
    frozen_rows, frozen_columns = row - 1, column - 1
    rows = max(frozen_rows, rules.freeze_rows)
    through = columns.get(rules.freeze_through) if rules.freeze_through else None
    wanted_columns = through if through is not None and through <= MAX_FROZEN_COLUMNS else 0
    cols = max(frozen_columns, wanted_columns)
    if (rows, cols) == (frozen_rows, frozen_columns):
        return False
    sheet.freeze_panes = f"{get_column_letter(cols + 1)}{rows + 1}"
    return True


# --- dropdowns ---------------------------------------------------------------------------------


def dropdowns(book: Workbook, sheet: Worksheet, rules: TabRules, columns: Mapping[str, int]) -> bool:
    """Replace our list validations on the tab when they differ from the wanted ones."""
    wanted: list[DataValidation] = []
    lists_changed = False
    for dropdown in rules.dropdowns:
        if dropdown.header not in columns or not dropdown.options:
            continue
        formula, changed = _list_formula(book, rules.tab, dropdown)
        lists_changed |= changed
        validation = DataValidation(
            type="list", formula1=formula, allow_blank=True,
            showErrorMessage=True, errorStyle="stop", errorTitle=DROPDOWN_ERROR_TITLE,
            error=_limit(f"{dropdown.header}: choose one of the list, or leave the cell blank.",
                         _ERROR_LIMIT),
            showInputMessage=True, promptTitle=dropdown.header[:32],
            prompt=_limit(dropdown.help, _PROMPT_LIMIT),
        )
        validation.add(_below_header(columns[dropdown.header]))
        wanted.append(validation)
    current = sheet.data_validations.dataValidation
    ours = [v for v in current if v.errorTitle == DROPDOWN_ERROR_TITLE]
    if sorted(map(_validation_key, ours)) == sorted(map(_validation_key, wanted)):
        return lists_changed
    sheet.data_validations.dataValidation = [v for v in current if v not in ours] + wanted
    return True


def _validation_key(validation: DataValidation) -> tuple[str, str | None, str | None]:
    return (str(validation.sqref), validation.formula1, validation.prompt)


def _limit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _list_formula(book: Workbook, tab: str, dropdown: Dropdown) -> tuple[str, bool]:
    """The list formula of a dropdown, and whether the hidden lists tab had to change.

    Short lists are inline (``"a,b,c"``); a list over Excel's limit, or with an option holding
    a comma, goes to a column of the hidden :data:`LISTS_TAB`, one column per tab and header.
    """
    inline = '"' + ",".join(option.replace('"', '""') for option in dropdown.options) + '"'
    if len(inline) <= _INLINE_LIMIT and not any("," in option for option in dropdown.options):
        return inline, False
    changed = LISTS_TAB not in book.sheetnames
    lists = book.create_sheet(LISTS_TAB) if changed else book[LISTS_TAB]
    if lists.sheet_state != "hidden":
        lists.sheet_state = "hidden"
        changed = True
    name = f"{tab} / {dropdown.header}"
    present = header_columns(lists)
    column = present.get(name) or max(present.values(), default=0) + 1
    values = [name, *dropdown.options]
    for row in range(1, max(lists.max_row, len(values)) + 1):
        value = values[row - 1] if row <= len(values) else None
        cell = lists.cell(row, column)
        if cell.value != value:
            cell.value = value
            if value is not None:
                cell.data_type = "s"  # an option is text, even one that starts with "="
            changed = True
    letter = get_column_letter(column)
    return f"{quote_sheetname(LISTS_TAB)}!${letter}$2:${letter}${len(values)}", changed


# --- highlights --------------------------------------------------------------------------------


def _fill(colour: Colour) -> PatternFill:
    argb = "FF" + colour.value.lstrip("#").upper()
    return PatternFill(start_color=argb, end_color=argb, fill_type="solid")


def _rule(highlight: Highlight, column: int) -> Rule:
    style = DifferentialStyle(fill=_fill(highlight.colour))
    if highlight.condition is Condition.NOT_BLANK:
        cell = f"{get_column_letter(column)}2"
        return Rule(type="notContainsBlanks", formula=[f"LEN(TRIM({cell}))>0"], dxf=style)
    text = (highlight.value or "").replace('"', '""')
    return Rule(type="cellIs", operator="equal", formula=[f'"{text}"'], dxf=style)


def _signature(rule: Rule) -> tuple[object, ...]:
    """What a rule does, whatever column it covers."""
    fill = rule.dxf.fill if rule.dxf is not None else None
    colour = fill.fgColor.rgb if fill is not None and fill.fgColor is not None else None
    colour = colour[-6:].upper() if isinstance(colour, str) else None
    formula = tuple(_CELL_REF.sub("@", f) for f in (rule.formula or ()))
    return (rule.type, rule.operator, formula, colour)


def highlights(sheet: Worksheet, rules: TabRules, columns: Mapping[str, int]) -> bool:
    """Replace our conditional formats on the tab when they differ from the wanted ones."""
    wanted = [(_below_header(columns[h.header]), _rule(h, columns[h.header]))
              for h in rules.highlights if h.header in columns]
    kinds = {_signature(_rule(h, 1)) for h in rules.highlights}
    existing = [(cf, rule) for cf in sheet.conditional_formatting for rule in cf.rules]
    ours = [(str(cf.sqref), _signature(rule)) for cf, rule in existing if _signature(rule) in kinds]
    if sorted(ours) == sorted((sqref, _signature(rule)) for sqref, rule in wanted):
        return False
    kept = sorted(((cf, rule) for cf, rule in existing if _signature(rule) not in kinds),
                  key=lambda pair: pair[1].priority or 0)
    rebuilt = ConditionalFormattingList()
    # The coordinator's rules first: they keep precedence over ours.
    for priority, (target, rule) in enumerate([*kept, *wanted], start=1):
        rule.priority = priority
        rebuilt.add(target if isinstance(target, str) else str(target.sqref), rule)
    sheet.conditional_formatting = rebuilt
    return True


# --- header notes (in place of warning-only protection) ----------------------------------------


def header_notes(sheet: Worksheet, rules: TabRules, columns: Mapping[str, int]) -> bool:
    """Put :data:`PROTECTION_NOTE` on tool-owned headers; take ours off headers no longer owned.

    A comment someone else wrote on a header is left as it is.
    """
    owned = set(columns) if rules.whole_tab_tool_owned else set(rules.tool_owned) & set(columns)
    changed = False
    for header, column in columns.items():
        cell = sheet.cell(1, column)
        ours = cell.comment is not None and cell.comment.author == NOTE_AUTHOR
        if header in owned and (cell.comment is None or (ours and cell.comment.text != PROTECTION_NOTE)):
            cell.comment = Comment(PROTECTION_NOTE, NOTE_AUTHOR, width=220, height=40)
            changed = True
        elif header not in owned and ours:
            cell.comment = None
            changed = True
    return changed
