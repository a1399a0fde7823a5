"""Specification of the meaning check: a sentence keeps its note's words and claims."""

from __future__ import annotations

from penna.writing.meaning import claim_words, judge, names, stem, terms


def test_a_sentence_with_the_notes_words_and_only_small_words_added_is_faithful() -> None:
    verdict = judge("start the levain the night before", "I start the levain the night before.")
    assert verdict.faithful and verdict.reason() == "faithful"


def test_inflections_count_as_the_same_word() -> None:
    assert stem("bakes") == stem("baked") == stem("baking") == stem("bake")
    assert judge("bake in a covered pot", "I baked it in a covered pot.").faithful


def test_a_dropped_content_word_is_a_fault() -> None:
    verdict = judge("bulk ferment can take nine hours, watch dough not clock", "Bulk ferment can take nine hours.")
    assert not verdict.faithful and {"watch", "dough", "clock"} <= set(verdict.dropped)


def test_claim_words_are_never_added_or_dropped() -> None:
    added = judge("bulk ferment can take nine hours", "A bulk ferment can take nine or more hours.")
    assert not added.faithful and added.added_claims == ["more"]
    dropped = judge("starter never doubles in winter", "The starter doubles in winter.")
    assert not dropped.faithful and dropped.dropped_claims == ["never"]
    modal = judge("you bake in a pot", "You must bake in a pot.")
    assert modal.added_claims == ["must"]
    number = judge("bake at 250 degrees", "Bake at 230 degrees.")
    assert number.added_claims == ["230"] and number.dropped_claims == ["250"]


def test_contracted_negations_and_modals_count_as_their_parts() -> None:
    contracted = claim_words("You can't rush it, and it won't wait.")
    assert contracted == claim_words("You can not rush it, and it will not wait.")
    assert judge("dough doesn't rise", "The dough does not rise.").faithful


def test_added_content_words_beyond_the_allowance_change_the_claim() -> None:
    verdict = judge("core administers sandbox", "The secure core would like to administer every remote sandbox.")
    assert not verdict.faithful
    assert "would" in verdict.added_claims and "every" in verdict.added_claims


def test_word_order_is_measured() -> None:
    assert judge("dog bites man", "The dog bites the man.").order == 1.0
    assert judge("dog bites man", "The man bites the dog.").order < 1.0


def test_names_that_swap_places_change_who_did_what() -> None:
    note = "Boss told Snake that she had vision of world without borders"
    assert judge(note, "The Boss told Snake that she had a vision of a world without borders.").faithful
    swapped = judge(note, "Snake told the Boss that she had a vision of a world without borders.")
    assert swapped.swapped and not swapped.faithful and "swaps who does what" in swapped.reason()
    # A clause moved to the front keeps who did what; a capitalised small word opening the note is no name.
    assert not judge("Boss told Snake before they fought", "Before they fought, the Boss told Snake.").swapped
    assert names("The oven was cold, so Anna waited for Ben") == ["anna", "ben"]


def test_a_technical_term_must_come_back_letter_for_letter() -> None:
    note = "look for matching GGUF model: bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
    # The word check alone passes this ("instructgguf" starts with "instruct").
    mangled = judge(note, "Look for the matching GGUF model: bartowski/Meta-Llama-3.1-8B-InstructGGUF.")
    assert not mangled.faithful and mangled.dropped == ["bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"]
    assert judge(note, "Look for the matching GGUF model: bartowski/Meta-Llama-3.1-8B-Instruct-GGUF.").faithful
    assert not judge("pass -lchkstk to the linker", "Pass lchkstk to the linker.").faithful
    assert judge("c++filt no use on MSVC", "C++filt is no use on MSVC.").faithful  # a capital opening the sentence


def test_terms_are_paths_flags_versions_and_mixed_words_not_amounts_or_abbreviations() -> None:
    assert terms("debug builds i.e. -O0 much slower, typically ~10x, 4GB arena, SDL2 for llama.cpp") == [
        "-O0", "SDL2", "llama.cpp"]
    assert terms("double-agent mission, goldfish-sized memory, 17°C, 78% hydration") == []
    assert terms("w64devkit as libchkstk (-lchkstk), c++filt, InstructGGUF") == [
        "w64devkit", "-lchkstk", "c++filt", "InstructGGUF"]
