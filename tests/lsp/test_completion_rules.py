"""Completion rules that decide what is offered, without a server: tag order, closed links."""

from __future__ import annotations

from lsprotocol import types

from penna.lsp.features.completion import DAY, TAG_OPEN, link_closed, link_item, rank_tags


def test_tags_rank_by_use_and_recency_not_by_case_or_alphabet() -> None:
    now = 1_000_000_000.0
    usage = [("Wanderlust", 1, now - 400 * DAY), ("walking", 9, now - 200 * DAY), ("weather", 2, now),
             ("apple", 1, now - 300 * DAY)]
    ranked = [tag for tag, _uses in rank_tags(usage, 14.0, now)]
    assert ranked == ["weather", "walking", "apple", "Wanderlust"]  # two uses today outrank nine long ago


def test_a_tag_opens_after_a_space_or_at_the_start_of_a_line() -> None:
    assert TAG_OPEN.search("Filed under #wal")
    found = TAG_OPEN.search("#cat")  # a tag opening a line, as Obsidian reads it
    assert found is not None and found.group(1) == "cat"
    assert TAG_OPEN.search("word#tag") is None  # inside a word: not a tag
    assert TAG_OPEN.search("# Method") is None  # a heading: nothing to complete


def test_a_link_is_closed_when_its_brackets_follow_before_another_opens() -> None:
    assert link_closed("]] and more")
    assert link_closed("#Heading]]")
    assert not link_closed("")
    assert not link_closed(" text [[Other]]")


def test_a_link_item_replaces_what_was_typed_and_closes_the_link() -> None:
    typed = types.Range(types.Position(3, 10), types.Position(3, 13))  # "Sta" after "[["
    snippet = link_item("Start $here}", "Start $here}", typed, closed=False, snippets=True)
    assert snippet.text_edit.new_text == "Start \\$here\\}]]"  # type: ignore[union-attr]
    assert snippet.insert_text_format == types.InsertTextFormat.Snippet
    plain = link_item("Start here", "Start here", typed, closed=True, snippets=False)
    assert plain.text_edit.new_text == "Start here" and plain.insert_text_format is None  # type: ignore[union-attr]
