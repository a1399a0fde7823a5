"""Specification of choosing among drafts for one note: meaning, then grammar, then prose over
the note given back, then voice."""

from __future__ import annotations

import pytest

from penna.writing import grammar
from penna.writing.drafting import ECHO_GRAMMAR, as_sentence, assess, best

needs_grammar = pytest.mark.skipif(not grammar.available(), reason="Link Grammar is not installed")
NOTE = "you might be tempted to use flexible array member to pack size and array together as one allocation"


@needs_grammar
def test_a_note_given_back_is_charged_for_the_words_the_parser_does_not_miss() -> None:
    # Link Grammar reads "flexible array member" as a mass noun: the bare note parses cleanly.
    bare = assess(NOTE, as_sentence(NOTE), "note", sources=[], before=[])
    assert bare.unattached == 0 and bare.echo
    assert bare.grammar_rank == ECHO_GRAMMAR
    restored = assess(NOTE, ("You might be tempted to use a flexible array member to pack the size and array "
                                     "together as one allocation."), "restore", sources=[], before=[])
    assert restored.grammar_rank == 0 and not restored.echo
    assert best([bare, restored]) is restored


@needs_grammar
def test_a_restoration_that_needed_no_words_is_not_charged() -> None:
    note = "I tried it."
    found = assess(note, note, "restore", sources=[], before=[])
    assert found.echo and found.grammar_rank == 0


def test_close_voice_scores_are_a_tie_that_the_earlier_draft_wins() -> None:
    note = "its inflexibility not worth whatever benefits it might have"
    first = assess(note, "Its inflexibility is not worth whatever benefits it might have.", "restore",
                   sources=[], before=[], voice=-0.31)
    second = assess(note, "Its inflexibility is not worth whatever the benefits it might have.", "restore",
                    sources=[], before=[], voice=-0.28)
    if first.grammar_rank == second.grammar_rank:
        assert best([first, second]) is first
    far = assess(note, second.text, "restore", sources=[], before=[], voice=0.2)
    assert best([first, far]).text == far.text or far.grammar_rank > first.grammar_rank
