"""The extractor's plain-Python core (claims.extraction): no database needed."""

import pytest

from claims.core.extraction import NameIndex, candidates_document, extract_candidates
from claims.core.values import PartialDate

PUBLISHED = PartialDate(2016, 3, 4)


def values_of(candidates):
    out = []
    for c in candidates:
        if "quantity" in c.value:
            q = c.value["quantity"]
            out.append((q["as_written"], q["low"], q["high"]))
        else:
            d = c.value["date"]
            out.append((d["as_written"], d["from"], d["to"]))
    return out


def test_every_quote_is_the_text_between_its_offsets_with_nbsp_curly_quotes_and_line_breaks():
    text = (
        "Home \u203a News\n\n"
        "\u201cWe counted at\u00a0least\u00a0400 fighters,\u201d a Libyan commander said on"
        " Thursday.\r\nThe army\u2019s spokesman said about 75\u00a0000 people had fled since"
        " mid\u2011July 2015, and that the battle had lasted nearly an hour as it was\n"
        "reported in the late evening by three witnesses.\n"
    )
    candidates = extract_candidates(text, published=PUBLISHED)
    assert values_of(candidates) == [
        ("at\u00a0least\u00a0400", 400, None),
        ("Thursday", "2016-03-03", "2016-03-03"),
        ("about 75\u00a0000", 67500, 82500),
        ("mid\u2011July 2015", "2015-07-11", "2015-07-20"),
        ("nearly an hour", 0.9, 1),
        ("three", 3, 3),
    ]
    for candidate in candidates:
        assert text[candidate.start : candidate.end] == candidate.quote
        assert text[candidate.value_start : candidate.value_end] in candidate.quote


def test_a_hard_wrapped_sentence_is_one_quote_across_its_line_break():
    text = (
        "The ministry of health in the capital said on Friday that exactly 63 people\n"
        "were killed when the two car bombs exploded near the market.\n"
    )
    candidates = extract_candidates(text, published=PUBLISHED)
    assert [c.quote for c in candidates][0].endswith("near the market.")
    assert all(text[c.start : c.end] == c.quote for c in candidates)


def test_two_figures_in_a_sentence_give_two_candidates_in_text_order():
    text = "At least 63 people were killed and more than 200 wounded in 2015."
    got = values_of(extract_candidates(text))
    assert got == [
        ("At least 63", 63, None),
        ("more than 200", 200, None),
        ("2015", "2015-01-01", "2015-12-31"),
    ]


def test_furniture_and_words_that_count_nothing_are_no_candidates():
    text = (
        "BEIRUT, March 3 (Reuters) - Officials met.\n\n"
        "By John Smith, 45\n\n"
        "Thursday, June 25, 2015\n\n"
        "One of the men said that at one point many people and a number of soldiers left. "
        "Resolution 2259 was cited. Call +44 20 7946 0958 today. She was 1st. It may rain.\n"
    )
    assert values_of(extract_candidates(text, published=PUBLISHED)) == [
        ("today", "2016-03-04", "2016-03-04")
    ]


def test_a_bare_month_needs_a_word_that_introduces_a_time():
    text = "Talks may resume in May. March was long. They will march in March."
    got = values_of(extract_candidates(text, published=PartialDate(2016)))
    assert got == [
        ("May", "2016-05-01", "2016-05-31"),
        ("March", "2016-03-01", "2016-03-31"),
    ]


def test_a_relative_date_without_a_publication_date_is_left_out():
    assert extract_candidates("The attack happened yesterday, in 2014.") and values_of(
        extract_candidates("The attack happened yesterday, in 2014.")
    ) == [("2014", "2014-01-01", "2014-12-31")]


def test_values_carry_the_phrase_tables_intervals_and_the_counted_noun():
    text = (
        "Dozens of Islamic State fighters were killed. Between 10 and 20 km of road was lost."
        " Several hundred protesters gathered. Some 2.5 million people fled. It cost $5 million."
    )
    document = candidates_document(extract_candidates(text))
    quantities = [c["value"]["quantity"] for c in document["candidates"]]
    assert [(q["low"], q["high"], q["unit"]) for q in quantities] == [
        (24, 99, "Islamic State fighters"),
        (10, 20, "km"),
        (300, 900, "protesters"),
        (2250000, 2750000, "people"),
        (5000000, 5000000, "dollars"),
    ]
    assert quantities[0]["low_inclusive"] and quantities[0]["high_inclusive"]


def test_open_ends_are_null_and_not_inclusive():
    q = extract_candidates("More than 400 fighters escaped.")[0].value["quantity"]
    assert (q["low"], q["high"], q["low_inclusive"], q["high_inclusive"]) == (
        400,
        None,
        False,
        False,
    )


ENTITIES = NameIndex.from_names(
    [
        ("isis", "Islamic State"),
        ("isis", "ISIS"),
        ("isis", "Daesh"),
        ("bunyan", "al-Bunyan al-Marsous"),
        ("richards", "Marie Richards"),
        ("usa", "United States"),
        ("usa", "U.S."),
        ("sirte", "Sirte"),
    ]
)


def test_subjects_are_matched_to_stored_entities_by_any_alias_after_normalisation():
    text = "Albunyan Almarsous forces said 400 Daesh fighters escaped Sirte."
    candidate = extract_candidates(text, entities=ENTITIES)[0]
    assert candidate.subject["entity"] in ("isis", "sirte")
    assert candidate.subject["entity"] == "isis"  # the nearest mention to the figure
    assert candidate.subject["as_written"] == "Daesh"


def test_a_possessive_still_matches_its_entity():
    candidate = extract_candidates("Sirte\u2019s 80,000 residents fled.", entities=ENTITIES)[0]
    assert candidate.subject == {"entity": "sirte", "as_written": "Sirte\u2019s"}


def test_an_ambiguous_alias_matches_nothing_and_unmatched_names_are_kept_as_written():
    index = NameIndex.from_names([("a", "IS"), ("b", "IS")])
    assert index.lookup("IS") is None
    candidate = extract_candidates("Tobruk has 3 rival governments.", entities=index)[0]
    assert candidate.subject == {"entity": None, "as_written": "Tobruk"}


def test_speakers_by_alias_unnamed_ones_as_descriptions_and_stances():
    text = (
        "\u201cWe hold 400 prisoners,\u201d said Marie Richards, the coordinator. "
        "A Libyan commander estimated that at least 400 fighters escaped. "
        "According to an AFP report, 17 militants died in 2017. "
        "The army denied that 300 civilians had died. "
        "Police did not find 40 weapons."
    )
    by_value = {
        (c.value.get("quantity") or c.value["date"])["as_written"]: c
        for c in extract_candidates(text, entities=ENTITIES)
    }
    assert by_value["400"].speaker == {"entity": "richards", "as_written": "Marie Richards"}
    assert by_value["400"].stance == "asserts"
    assert by_value["at least 400"].speaker == {"description": "A Libyan commander"}
    assert by_value["17"].speaker == {"description": "an AFP report"}
    assert by_value["17"].stance == "reports"
    assert by_value["2017"].stance == "reports"
    assert by_value["300"].stance == "denies"
    assert by_value["300"].negated is False
    assert by_value["40"].negated is True
    assert by_value["40"].speaker is None


@pytest.mark.parametrize("published", [None, PartialDate(2015), PartialDate(2015, 7)])
def test_output_is_deterministic(published):
    text = "In May, 400 fighters left; in June 2015 some 300 came back."
    first = candidates_document(extract_candidates(text, published=published))
    assert first == candidates_document(extract_candidates(text, published=published))


def test_a_negated_speech_verb_attributes_nothing_and_negates_no_figure_after_it():
    text = (
        "The government has not confirmed the figures and denied that more than 100 people "
        "had died."
    )
    candidate = extract_candidates(text)[0]
    assert candidate.speaker == {"description": "The government"}
    assert candidate.stance == "denies"
    assert candidate.negated is False


def test_bare_one_is_no_count_but_at_least_one_is():
    text = "One man told Reuters he saw it. At least one soldier was killed."
    assert values_of(extract_candidates(text)) == [("At least one", 1, None)]


def test_the_noun_before_of_names_the_predicate_and_is_matched_to_a_stored_one():
    predicates = NameIndex.from_names([("population", "population"), ("toll", "death toll")])
    text = "Sirte had a population of 80,000. The death toll of 63 rose. 400 fighters fled."
    got = [c.predicate for c in extract_candidates(text, predicates=predicates)]
    assert got == [
        {"predicate": "population", "as_written": "population"},
        {"predicate": "toll", "as_written": "death toll"},
        {"predicate": None, "as_written": "number of fighters fled"},
    ]


def test_a_speaker_is_matched_by_alias():
    index = NameIndex.from_names([("lna", "Libyan National Army"), ("lna", "LNA")])
    candidate = extract_candidates("The LNA said 40 fighters died.", entities=index)[0]
    assert candidate.speaker == {"entity": "lna", "as_written": "The LNA"}
    candidate = extract_candidates(
        "40 fighters died, the Libyan National Army said.", entities=index
    )[0]
    assert candidate.speaker == {"entity": "lna", "as_written": "the Libyan National Army"}


def test_addresses_times_of_day_scores_and_glued_multipliers_are_no_candidates():
    text = (
        "The deal, worth $1.2bn, was signed at 10:30 on Monday. It runs 24/7. See "
        "https://example.com/2016/08/12/story or write to desk2016@example.com. The 150km road "
        "cost \u00a35m. Ranked #3, the team won 3-2."
    )
    assert values_of(extract_candidates(text, published=PUBLISHED)) == [
        ("Monday", "2016-02-29", "2016-02-29"),
        ("150", 150, 150),
    ]


def test_fractions_hyphenated_number_words_a_dozen_and_per_cent():
    text = (
        "Two thirds of the fighters fled and three-quarters of residents left. A third of the "
        "city burned. Forty-two people died, a dozen were hurt and 12 per cent were missing. "
        "Tens of thousands marched; hundreds of thousands watched. The third day was calm."
    )
    got = [
        (c.value["quantity"]["as_written"], c.value["quantity"]["low"])
        for c in extract_candidates(text)
    ]
    assert got == [
        ("Two thirds", pytest.approx(2 / 3)),
        ("three-quarters", 0.75),
        ("A third", pytest.approx(1 / 3)),
        ("Forty-two", 42),
        ("a dozen", 12),
        ("12", 12),
    ]


def test_the_extractor_core_imports_no_django(settings):
    import subprocess
    import sys

    check = (
        "import sys, claims.core.extraction;"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'django');"
        "assert not loaded, loaded"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", check], cwd=settings.BASE_DIR, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
