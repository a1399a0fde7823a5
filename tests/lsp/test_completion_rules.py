"""Completion rules that decide what is offered, without a server: tag order, closed links."""

from __future__ import annotations

from penna.lsp.features.completion import DAY, TAG_OPEN, link_closed, rank_tags


def test_tags_rank_by_use_and_recency_not_by_case_or_alphabet() -> None:
    now = 1_000_000_000.0
    usage = [("Wanderlust", 1, now - 400 * DAY), ("walking", 9, now - 200 * DAY), ("weather", 2, now),
             ("apple", 1, now - 300 * DAY)]
    ranked = [tag for tag, _uses in rank_tags(usage, 14.0, now)]
    assert ranked == ["weather", "walking", "apple", "Wanderlust"]  # two uses today outrank nine long ago


def test_a_tag_opens_after_a_space_only() -> None:
    assert TAG_OPEN.search("Filed under #wal")
    assert TAG_OPEN.search("#") is None  # a heading starts here


def test_a_link_is_closed_when_its_brackets_follow_before_another_opens() -> None:
    assert link_closed("]] and more")
    assert link_closed("#Heading]]")
    assert not link_closed("")
    assert not link_closed(" text [[Other]]")
