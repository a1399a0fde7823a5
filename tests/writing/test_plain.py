"""Specification of plain edits: generic phrases become plain words, nothing else changes."""

from __future__ import annotations

from penna.knowledge.style import generic_phrases
from penna.writing.plain import PLAIN, edit_sentence, plain_edit


def test_padding_phrases_are_dropped_and_the_claim_stays() -> None:
    sentence = "In today's fast-paced world, it is important to note that bread baking requires patience."
    assert edit_sentence(sentence) == "Bread baking requires patience."


def test_generic_words_get_plain_ones_with_articles_agreeing() -> None:
    assert plain_edit("This is a robust method that plays a crucial role.") == "This is a solid method that matters."
    assert plain_edit("We delve into the intricacies of rye.") == "We dig into the details of rye."
    assert plain_edit("It was a meticulous effort.") == "It was a careful effort."


def test_only_the_named_phrase_is_edited_when_asked() -> None:
    sentence = "We delve into a robust method."
    assert plain_edit(sentence, ["delve"]) == "We dig into a robust method."


def test_a_sentence_without_generic_phrases_is_returned_unchanged() -> None:
    sentence = "I bake in a covered pot for steam."
    assert edit_sentence(sentence) is sentence


def test_every_generic_phrase_has_a_plain_replacement() -> None:
    missing = [p for p in generic_phrases() if p not in PLAIN]
    assert missing == []


def test_wordy_padding_becomes_plain_and_the_claim_stays() -> None:
    sentence = "Furthermore, it is crucial to leverage a hot oven in order to achieve a good crust."
    assert edit_sentence(sentence) == "Also, you need to use a hot oven to achieve a good crust."
    assert plain_edit("Additionally, we utilize a significant amount of rye.") == "Also, we use a lot of rye."


def test_phrases_the_author_writes_are_kept() -> None:
    # An author whose notes say "robust" and "in order to" keeps them; the rest is still made plain.
    sentence = "We delve into a robust method in order to bake."
    assert plain_edit(sentence, keep={"robust", "in order to"}) == "We dig into a robust method in order to bake."
    assert plain_edit(sentence, keep={"delve"}) == "We delve into a solid method to bake."
    assert edit_sentence(sentence, keep={"delve", "robust", "in order to"}) is sentence


def test_the_authors_phrase_is_kept_as_listed_and_other_forms_are_not() -> None:
    # Keeping "delve" (a listed phrase) keeps "delve into"; "delves" is another listed phrase.
    assert plain_edit("We delve into it.", keep={"Delve"}) == "We delve into it."
    assert plain_edit("She delves into a tapestry.", keep={"delve"}) == "She digs into a mix."


def test_curly_apostrophes_are_read_as_straight_ones() -> None:
    assert plain_edit("It’s worth noting that rye is dense.") == "Rye is dense."


def test_crucial_to_becomes_need_to_only_before_a_verb() -> None:
    assert edit_sentence("It is crucial to the plan that we go.") == "It is crucial to the plan that we go."
    assert plain_edit("It's essential to score the loaf.") == "You need to score the loaf."
