"""Specification of task inputs: bullets, notes for rephrasing, and the prompt tail."""

from __future__ import annotations

from penna.knowledge.items import notes_from_sentence
from penna.writing.tasks import join_sentences, notes_for, parse_bullets, task_tail


def test_nested_bullets_fold_into_their_parent() -> None:
    text = "- first point\n  - detail a\n  - detail b\n- second point\n* third\n1. fourth"
    assert parse_bullets(text) == ["first point; detail a; detail b", "second point", "third", "fourth"]


def test_plain_lines_count_as_bullets() -> None:
    assert parse_bullets("one idea\nanother idea\n") == ["one idea", "another idea"]


def test_rephrase_reduces_sentences_to_their_content_words() -> None:
    notes = notes_for("rephrase", "The oven was not hot enough. I waited 20 minutes.")
    assert notes == ["oven not hot", "waited 20 minutes"]
    assert notes_from_sentence("Emacs is never the answer") == "emacs never answer"


def test_tail_shows_written_sentences_then_the_next_note() -> None:
    tail = task_tail("expand", "Post", ["a b", "c d", "e f"], ["Wrote A."], demo="Notes: x\nText: X.")
    assert tail.endswith("Notes: a b\nText: Wrote A.\nNotes: c d\nText:")
    assert tail.index("Notes: x") < tail.index("## Post")


def test_sentences_join_into_capitalised_paragraphs() -> None:
    assert join_sentences(["it rose", "Then it fell."], None) == "It rose. Then it fell."
