import decimal

import pytest

from tracker.spreadsheets import spreadsheet_cell


@pytest.mark.parametrize(
    "text",
    [
        "=HYPERLINK(1)",
        "+1+1",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1)",
        " =HYPERLINK(1)",
        "   @SUM(A1)",
        "\n=1+1",
        "\r\n+1",
        "\t-1",
        "\u00a0=1",  # a no-break space
        "\x0b\x0c=1",
        "\tplain text after a tab",
        "\rplain text after a carriage return",
        "\0anything",
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_quoted_as_text(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["400 fighters", "a = b", "e-mail", "  spaced", "\nline", "", "'already quoted"]
)
def test_plain_text_is_left_as_it_is(text):
    assert spreadsheet_cell(text) == text


def test_numbers_booleans_and_nothing_are_written_as_values():
    assert spreadsheet_cell(-5) == "-5"
    assert spreadsheet_cell(-0.5) == "-0.5"
    assert spreadsheet_cell(decimal.Decimal("-1.25")) == "-1.25"
    assert spreadsheet_cell(True) == "true" and spreadsheet_cell(False) == "false"
    assert spreadsheet_cell(None) == ""
