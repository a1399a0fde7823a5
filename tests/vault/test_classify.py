"""Specification of read versus written (the brief's rules)."""

from __future__ import annotations

from penna.config import DEFAULT_READING_FOLDERS
from penna.vault.classify import block_origin, classify_note


def origin(path: str, front: dict | None = None, tags: list[str] | None = None, me: str = "") -> str:
    return classify_note(path, front or {}, tags or [], DEFAULT_READING_FOLDERS, me)[0]


def test_reading_folders_are_read() -> None:
    assert origin("Clippings/x.md") == "read"
    assert origin("Archive/Readwise/y.md") == "read"
    assert origin("Notes/x.md") == "written"


def test_source_url_and_foreign_author_mean_read() -> None:
    assert origin("x.md", {"source": "https://a"}) == "read"
    assert origin("x.md", {"url": "https://a"}) == "read"
    assert origin("x.md", {"url": ""}) == "written"  # empty template fields do not count
    assert origin("x.md", {"author": ["[[Steph Ango]]"]}) == "read"
    assert origin("x.md", {"author": ["[[Me]]"]}) == "written"
    assert origin("x.md", {"author": "Maren Holt"}, me="Maren Holt") == "written"
    assert origin("x.md", {"author": []}) == "written"


def test_clippings_tag_means_read() -> None:
    assert origin("x.md", tags=["clippings"]) == "read"


def test_blockquotes_in_written_notes_are_read_but_own_callouts_are_not() -> None:
    assert block_origin("written", "quote", None) == "read"
    assert block_origin("written", "callout", "quote") == "read"
    assert block_origin("written", "callout", "note") == "written"
    assert block_origin("written", "paragraph", None) == "written"
    assert block_origin("read", "paragraph", None) == "read"
