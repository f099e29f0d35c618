"""Cell values a spreadsheet file can hold and will not run: for every export built from stored text."""

from __future__ import annotations

import re

# openpyxl's own ILLEGAL_CHARACTERS_RE (openpyxl.cell.cell), the control characters a cell cannot hold, copied so
# that importing this module does not import openpyxl and numpy (~0.3 s at every service start); a unit test
# checks it is still openpyxl's pattern.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

# What a spreadsheet program reads as the start of a formula (CSV); openpyxl itself stores a str starting with
# "=" as a formula, so in .xlsx only that one matters.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_FORMULA_STARTS = ("=",)


def safe_cell(value: object, starts: tuple[str, ...] = XLSX_FORMULA_STARTS) -> object:
    """`value` as the file can hold it: the control characters it cannot store removed (openpyxl refuses the
    whole workbook otherwise), then a would-be formula kept as text (a leading apostrophe)."""
    if not isinstance(value, str):
        return value
    text: str = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + text if text.startswith(starts) else text
