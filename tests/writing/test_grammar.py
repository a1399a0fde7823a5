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
