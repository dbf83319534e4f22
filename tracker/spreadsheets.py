"""Cells of the CSV files the tracker writes (the facts, the contradiction report): what a
spreadsheet would run as a formula is written as text.

A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` as a formula, and LibreOffice and
Excel skip white space and line breaks before it when they read a CSV (`" =HYPERLINK(...)"`,
`"\\n=1+1"`); a cell starting with a tab, a carriage return or a NUL is also suspect (OWASP,
"CSV Injection"). Such a cell gets a leading `'`, which spreadsheets show as text and which a
reader of the raw file sees at once. Numbers are written as they are: `-5` is a number, not a
formula, and stays one.
"""

import re
from decimal import Decimal

# A formula sign after any run of white space or control characters (\s is Unicode-aware).
_FORMULA = re.compile(r"[\s\x00-\x1f\x7f]*[=+\-@]")
_SUSPECT_START = ("\t", "\r", "\0")


def spreadsheet_cell(value: object) -> str:
    """`value` as a CSV cell: "" for None, true/false for booleans, numbers as written, and
    text quoted with a leading `'` when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if text.startswith(_SUSPECT_START) or _FORMULA.match(text):
        return "'" + text
    return text
