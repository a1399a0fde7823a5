"""Specification of the grammar judge (Link Grammar, separate from the model that writes)."""

from __future__ import annotations

import pytest

from penna.writing import grammar

pytestmark = pytest.mark.skipif(not grammar.available(),
                                reason="Link Grammar is not installed (make install adds it where apt-get can)")


def test_a_clean_sentence_has_no_unattached_words() -> None:
    assert grammar.unattached("I start the levain the night before.") == 0


def test_word_salad_and_fragments_score_worse_than_their_repairs() -> None:
    broken = grammar.unattached("A bulk ferment is a can take nine hours, and you watch the dough not the clock.")
    repaired = grammar.unattached("A bulk ferment can take nine hours, so I watch the dough.")
    assert broken is not None and repaired is not None and broken > repaired
    fragment = grammar.unattached("If I bake in a covered pot for steam.")
    assert fragment is not None and fragment > 0


def test_a_text_is_measured_per_100_words() -> None:
    found = grammar.unattached_per_100_words("I start the levain. The rye is no gluten never feels ready.")
    assert found is not None
    rate, judged = found
    assert judged == 12 and rate > 0


def test_a_long_grammatical_sentence_is_not_charged_for_a_sampled_linkage() -> None:
    # Judged on one sampled linkage, this sentence counted 5 unattached words whenever the sample
    # failed post-processing; the parser now weighs enough linkages to find the clean one.
    sentence = "Some models are trained on larger contexts, and their effective context length is much smaller."
    assert grammar.unattached(sentence) == 0


@pytest.mark.parametrize(("fragment", "clause"), [
    ("Tried it.", "I tried it."),  # a participle phrase (Wg)
    ("Compared to a human, tiny.", "Compared to a human, it is tiny."),
    ("Cold kitchen, 17°C, everything slow.", "My kitchen is cold."),  # a bare noun phrase (Wa)
])
def test_a_sentence_no_linkage_reads_as_a_clause_is_charged_as_a_fragment(fragment: str, clause: str) -> None:
    # Link Grammar links every word of "Tried it." but only as a phrase, never with a finite verb.
    found, repaired = grammar.unattached(fragment), grammar.unattached(clause)
    assert found is not None and found >= grammar.FRAGMENT_COST
    assert repaired == 0


def test_a_clause_is_not_charged_when_the_first_linkage_reads_a_noun_phrase() -> None:
    # The parser's first linkage of this sentence links "the Boss" to the wall as a bare noun
    # phrase; a later one reads the clause, and that is the reading a person makes.
    sentence = "The Boss told Snake that she had a vision of a world without borders shortly before they fought."
    assert grammar.unattached(sentence) == 0


def test_imperatives_questions_and_opening_conjunctions_are_clauses() -> None:
    for sentence in ("Pop the remaining stack into the queue.", "Why does it fail?", "But it was fun to explore."):
        assert grammar.unattached(sentence) == 0, sentence


def test_a_part_of_a_sentence_reads_as_a_clause_only_with_a_verb_and_every_word_attached() -> None:
    assert grammar.clause("no parenthesis tokens need to be synthesized") is True
    assert grammar.clause("the real expression is effectively wrapped in parentheses") is True
    assert grammar.clause("in the error message") is False  # no verb: a phrase
    assert grammar.clause("ethics, aesthetics") is False
    assert grammar.clause("tokens need to synthesized the") is False  # a word left unattached
    assert grammar.clause("") is None


def test_a_negation_is_judged_the_same_spelt_with_nt_or_written_out() -> None:
    # The dictionary left "don't" unattached after an opening phrase, and "do not" attached.
    for contracted, written in (("By Occam's Razor, don't feel the need.", "By Occam's Razor, do not feel the need."),
                                ("It doesn’t work, and I can't say why.", "It does not work, and I can not say why."),
                                ("It won't start.", "It will not start.")):
        assert grammar.unattached(contracted) == grammar.unattached(written)
    assert grammar.unattached("By Occam's Razor, don't feel the need.") == 0
    # An inverted question keeps its contraction ("Does not it work?" is no English), as does
    # "ain't", which has no written-out form; the parser reads them as it always did.
    for kept in ("Why doesn't it work?", "Aren't they done?", "Why can't I sleep?", "That ain't right."):
        assert grammar._prepare(kept) == kept
        assert grammar.unattached(kept) == 0
    assert grammar._prepare("I DON'T care.") == "I DO NOT care."
