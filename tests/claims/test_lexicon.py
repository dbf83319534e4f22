"""The lexicon (claims/core/lexicon.json): each group's words read as one term by the wording
comparison and named by group_of for the extractor, and what must stay apart."""

import json

import pytest

from claims.core import lexicon
from claims.core.text_compare import AliasMatcher, analyze, compare, similarity

MATCHER = AliasMatcher([(1, "Sirte"), (2, "Islamic State"), (2, "IS"), (3, "Derna")])


def terms(text: str) -> frozenset[str]:
    return analyze(text, MATCHER).terms


def same_statement(a: str, b: str) -> bool:
    """Whether the wording comparison reads the two as near-identical (their terms)."""
    return similarity(terms(a), terms(b)) >= 0.7


# --- killed / died / dead / deaths / death toll / losses / casualties -----------------------------

KILLED = [
    "40 people were killed in the bombing.",
    "40 people died in the bombing.",
    "The bombing left 40 people dead.",
    "The bombing caused 40 deaths.",
    "The death toll of the bombing reached 40.",
    "The bombing caused 40 casualties.",
    "40 people lost their lives in the bombing.",
]


@pytest.mark.parametrize("wording", KILLED)
def test_words_for_people_killed_are_one_term(wording):
    assert "=killed" in terms(wording)


@pytest.mark.parametrize(
    "phrase", ["were killed", "died", "dead", "deaths", "death toll", "casualties", "heavy losses"]
)
def test_group_of_names_killed_for_each_word(phrase):
    assert lexicon.group_of(phrase).name == "killed"
    assert lexicon.predicate_for(phrase) == "number killed"


def test_killed_and_died_with_different_figures_are_a_contradiction_in_other_words():
    a = analyze("The bombing killed 40 people.", MATCHER)
    b = analyze("63 people died in the bombing.", MATCHER)
    conflict = compare(a, b)
    assert conflict is not None
    assert conflict.explanation.startswith("40 people vs 63 people")


def test_a_death_toll_and_a_number_killed_fill_one_slot():
    a = analyze("A death toll of 63 in the bombing.", MATCHER)
    b = analyze("The bombing killed 40.", MATCHER)
    assert {m.slot for m in a.quantities} == {m.slot for m in b.quantities} == {"of:=killed"}


@pytest.mark.parametrize(
    "wording",
    ["The company reported financial losses of 40 million.", "The loss of Sirte shocked IS."],
)
def test_losses_of_money_or_of_places_are_not_deaths(wording):
    assert "=killed" not in terms(wording)


def test_the_protests_died_down_is_no_death():
    assert "=killed" not in terms("The protests died down in Derna.")


# --- captured / seized / took / took control of / fell to -----------------------------------------

CAPTURED = [
    "IS captured Sirte in 2015.",
    "IS seized Sirte in 2015.",
    "IS took Sirte in 2015.",
    "IS took control of Sirte in 2015.",
    "Sirte fell to IS in 2015.",
]


@pytest.mark.parametrize("wording", CAPTURED)
def test_words_for_taking_a_place_are_one_term(wording):
    assert terms(wording) == frozenset({"=captured", "@1", "@2"})


def test_captured_and_fell_to_with_different_years_are_a_contradiction_in_other_words():
    conflict = compare(analyze(CAPTURED[0], MATCHER), analyze("Sirte fell to IS in 2016.", MATCHER))
    assert conflict is not None
    assert conflict.explanation.startswith("2015 vs 2016")


@pytest.mark.parametrize(
    "wording",
    [
        "The attack on Sirte took place in 2015.",
        "The drive to Sirte took 3 hours.",
        "IS took part in the talks.",
        "The death toll fell to 12.",
        "Attacks on Sirte fell to about 40 a month.",
    ],
)
def test_took_and_fell_to_in_other_senses_are_not_a_capture(wording):
    assert "=captured" not in terms(wording)
    assert lexicon.group_of(wording) is None or lexicon.group_of(wording).name != "captured"


# --- fled / escaped / withdrew from ---------------------------------------------------------------

FLED = [
    "400 fighters fled Sirte.",
    "400 fighters escaped from Sirte.",
    "400 fighters withdrew from Sirte.",
    "400 fighters pulled out of Sirte.",
]


@pytest.mark.parametrize("wording", FLED)
def test_words_for_leaving_under_pressure_are_one_term(wording):
    assert terms(wording) == frozenset({"=fled", "fighter", "@1"})


@pytest.mark.parametrize(
    "wording", ["The escape route from Sirte was cut.", "IS withdrew its support."]
)
def test_an_escape_route_or_a_withdrawn_offer_is_no_flight(wording):
    assert "=fled" not in terms(wording)


# --- wounded / injured ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wording",
    [
        "35 people were wounded in the blast.",
        "35 people were injured in the blast.",
        "The blast caused 35 injuries.",
    ],
)
def test_wounded_and_injured_are_one_term(wording):
    assert "=wounded" in terms(wording)


def test_wounded_and_killed_are_different_events():
    assert not same_statement(
        "35 people were wounded in the blast.", "35 people were killed in the blast."
    )
    assert (
        compare(
            analyze("35 people were wounded in the blast.", MATCHER),
            analyze("12 people were killed in the blast.", MATCHER),
        )
        is None
    )


# --- different statements stay apart --------------------------------------------------------------


def test_fighters_who_escaped_and_militants_killed_stay_unrelated():
    a = analyze("400 fighters escaped.", MATCHER)
    b = analyze("17 militants were killed.", MATCHER)
    assert a.terms & b.terms == frozenset()
    assert compare(a, b) is None
    assert not lexicon.same_event("escaped", "were killed")


def test_no_two_groups_share_a_word():
    owners = {}
    for group in lexicon.lexicon().groups:
        for entry in (*((w,) for w in group.words), *group.phrases):
            assert entry not in owners, f"{entry} in {owners.get(entry)} and {group.name}"
            owners[entry] = group.name


def test_same_event_compares_phrases_through_their_groups():
    assert lexicon.same_event("were killed", "the death toll")
    assert lexicon.same_event("captured", "fell to")
    assert not lexicon.same_event("captured", "fled")
    assert not lexicon.same_event("took place", "captured")


# --- the file -------------------------------------------------------------------------------------


def test_the_lexicon_file_has_the_four_groups():
    assert {g.name for g in lexicon.lexicon().groups} == {"killed", "captured", "fled", "wounded"}


def test_a_word_in_two_groups_is_an_error_naming_it():
    document = json.loads(lexicon.LEXICON_FILE.read_text(encoding="utf-8"))
    document["groups"][1]["words"].append("killed")
    with pytest.raises(lexicon.LexiconError, match='groups\\[1\\]: "kill" is in group killed'):
        lexicon.parse(document)


def test_a_context_for_a_word_outside_the_group_is_an_error():
    document = json.loads(lexicon.LEXICON_FILE.read_text(encoding="utf-8"))
    document["groups"][3]["unless_next"] = {"fled": ["town"]}
    with pytest.raises(lexicon.LexiconError, match="groups\\[3\\].unless_next"):
        lexicon.parse(document)


def test_a_document_of_another_format_is_refused():
    with pytest.raises(lexicon.LexiconError, match="lexicon/1"):
        lexicon.parse({"groups": []})
