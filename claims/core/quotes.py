"""Checking that a quote occurs in its source's text."""

import re

# Typographic quote marks and primes, folded onto the two ASCII marks: a quote typed with
# straight quotes must match an article set with curly ones, and the other way round.
_QUOTE_MARKS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_WHITESPACE = re.compile(r"\s+")


def fold_for_quote_search(text: str) -> str:
    """The text with quote marks unified and every run of white space made one space."""
    return _WHITESPACE.sub(" ", text.translate(_QUOTE_MARKS)).strip()


def quote_occurs_in(quote: str, folded_text: str) -> bool:
    """Whether `quote` occurs in a text already passed through fold_for_quote_search."""
    return fold_for_quote_search(quote) in folded_text
