"""Specification of natural notes: what a writer jots before writing a sentence."""

from __future__ import annotations

from penna.knowledge.jotting import jot


def test_phrases_stay_and_sentence_glue_goes() -> None:
    assert jot("I start the levain the night before.") == "start levain night before"
    assert jot("My kitchen is cold, so everything is slow.") == "my kitchen cold, everything slow"


def test_negations_numbers_modals_and_names_are_kept() -> None:
    note = jot("A bulk ferment can take nine hours in Berlin, but it doesn't need 30°C.")
    for kept in ("can", "nine", "hours", "Berlin", "not", "30°C"):
        assert kept in note.split() or kept in note
    assert "doesn't" not in note and " a " not in f" {note} "


def test_hedges_and_clause_openers_are_dropped() -> None:
    assert jot("However, I think it's probably fine.") == "fine"
    assert jot("So we just wait.") == "wait"


def test_a_capital_that_only_opens_the_sentence_is_not_kept() -> None:
    assert jot("Rye has no gluten.").startswith("rye")
    assert jot("The Linux kernel boots.").startswith("Linux")


def test_it_is_deterministic_and_reads_only_its_sentence() -> None:
    sentence = "I've always found that the dough tells you more than the recipe does."
    assert jot(sentence) == jot(sentence)
