"""Specification of output cleanup."""

from __future__ import annotations

from penna.writing.cleanup import clean_paragraph, clean_sentence, drop_half_sentence, longest_shared_run


def test_think_blocks_preambles_and_labels_are_removed() -> None:
    reasoned = "<think>plan the answer</think>Sure, here's the paragraph: Bread is slow."
    assert clean_paragraph(reasoned) == "Bread is slow."
    assert clean_sentence("Text: The dough rose.\nNotes: next") == "The dough rose."
    assert clean_paragraph("Here is a rewritten version:\nThe crust sets late.") == "The crust sets late."


def test_trailing_half_sentence_is_cut() -> None:
    assert drop_half_sentence("It rose well. Then the oven was") == "It rose well."
    assert drop_half_sentence("No full stop at all") == "No full stop at all"
    assert drop_half_sentence("Ends properly!") == "Ends properly!"


def test_longest_shared_run_counts_words() -> None:
    source = "I keep mine on top of the fridge in winter because it is warm"
    assert longest_shared_run("Put it on top of the fridge in winter please", [source]) == 7
    assert longest_shared_run("nothing alike", [source]) == 0
