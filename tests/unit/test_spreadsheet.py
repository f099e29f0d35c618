"""shared.spreadsheet keeps openpyxl out of every start; its copy of openpyxl's pattern must stay openpyxl's."""

from __future__ import annotations

import subprocess
import sys

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as OPENPYXL_PATTERN

from shared.spreadsheet import ILLEGAL_CHARACTERS_RE, safe_cell


def test_the_illegal_characters_are_openpyxls() -> None:
    assert ILLEGAL_CHARACTERS_RE.pattern == OPENPYXL_PATTERN.pattern
    assert safe_cell("a\x00b\x0bc\td\ne") == "abc\td\ne" and safe_cell("=1+1") == "'=1+1"


def test_importing_it_imports_no_openpyxl() -> None:
    code = "import sys, shared.spreadsheet; print('openpyxl' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"
