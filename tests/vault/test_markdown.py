"""Specification of the Markdown reader: every Obsidian construct penna relies on."""

from __future__ import annotations

from penna.vault.markdown import parse_note

NOTE = """---
aliases: [Second name, "Third"]
tags: [alpha, nested/tag]
created: 2024-05-01
source:
author:
related: "[[Frontmatter link]]"
---
# Title heading

First paragraph with a [[Plain link]], a [[Target|shown alias]], a [[Other#Some heading]],
a [[Blocky#^block-id]] and an ![[Embedded note]] plus ![[picture.png]]. Tags: #topic and #deep/nested/tag.

## Second level

- top bullet
  - nested bullet with [[Nested link]]
    - deeper still
- another top
1. ordered item

> A plain quotation from a book.
> It continues here.

> [!note] My own aside
> with a second line

> [!quote] Someone else
> quoted words

```python
# not a heading
[[not a link]] #notatag
```

%% a hidden comment with [[not a link either]] %%

Setext heading
--------------

Last paragraph. ^para-id
"""


def test_frontmatter_fields_are_read() -> None:
    note = parse_note(NOTE)
    assert note.frontmatter["created"] == "2024-05-01"  # dates stay strings
    assert note.aliases == ["Second name", "Third"]
    assert "alpha" in note.tags and "nested/tag" in note.tags
    assert note.body_start_line == 8


def test_headings_atx_and_setext_with_lines() -> None:
    note = parse_note(NOTE)
    assert [(h.level, h.text) for h in note.headings] == [
        (1, "Title heading"), (2, "Second level"), (2, "Setext heading")]
    assert note.headings[0].line == 8


def test_wikilinks_with_alias_heading_block_and_embeds() -> None:
    links = {link.target: link for link in parse_note(NOTE).links}
    assert links["Target"].alias == "shown alias"
    assert links["Other"].heading == "Some heading"
    assert links["Blocky"].block == "block-id"
    assert links["Embedded note"].embed and links["picture.png"].embed
    assert not links["Plain link"].embed
    assert links["Frontmatter link"].line == -1
    assert "Nested link" in links


def test_code_fences_and_comments_are_ignored() -> None:
    note = parse_note(NOTE)
    targets = {link.target for link in note.links}
    assert "not a link" not in targets and "not a link either" not in targets
    assert "notatag" not in note.tags
    assert all("not a heading" not in h.text for h in note.headings)
    code = [b for b in note.blocks if b.kind == "code"]
    assert len(code) == 1 and code[0].text == ""  # code carries no prose


def test_inline_tags_including_nested() -> None:
    assert {"topic", "deep/nested/tag"} <= set(parse_note(NOTE).tags)


def test_nested_bullets_keep_depth() -> None:
    lists = [b for b in parse_note(NOTE).blocks if b.kind == "list"]
    items = [(i.depth, i.text) for i in lists[0].items]
    assert items[:3] == [(0, "top bullet"), (1, "nested bullet with [[Nested link]]"), (2, "deeper still")]
    assert (0, "ordered item") in items


def test_callouts_and_blockquotes() -> None:
    blocks = parse_note(NOTE).blocks
    quote = next(b for b in blocks if b.kind == "quote")
    assert quote.text == "A plain quotation from a book. It continues here."
    callouts = {b.callout: b for b in blocks if b.kind == "callout"}
    assert set(callouts) == {"note", "quote"}
    assert callouts["note"].text.startswith("My own aside")


def test_block_ids_and_link_syntax_do_not_leak_into_prose() -> None:
    paragraphs = [b.text for b in parse_note(NOTE).blocks if b.kind == "paragraph"]
    assert paragraphs[0].startswith("First paragraph with a Plain link, a shown alias, a Other,")
    assert paragraphs[-1] == "Last paragraph."


def test_reference_links_read_as_their_text_and_their_definitions_as_nothing() -> None:
    note = ("I wrote [about arenas][arena] and [w64devkit][] last year.\n\n"
            "[arena]: https://example.com/arena \"Arenas\"\n"
            "  [w64devkit]: https://example.com/w64\n\n"
            "A footnote follows.[^1]\n\n"
            "[^1]: The footnote is prose.\n")
    blocks = parse_note(note).blocks
    assert [b.text for b in blocks] == ["I wrote about arenas and w64devkit last year.", "A footnote follows.",
                                        "The footnote is prose."]


def test_headings_path_recorded_on_blocks() -> None:
    lists = [b for b in parse_note(NOTE).blocks if b.kind == "list"]
    assert lists[0].headings == ("Title heading", "Second level")


def test_unclosed_fence_runs_to_end_without_crashing() -> None:
    note = parse_note("Intro.\n\n```\ncode [[x]]\nmore\n")
    assert [b.kind for b in note.blocks] == ["paragraph", "code"]
    assert note.links == []


def test_broken_frontmatter_is_reported_and_body_still_read() -> None:
    note = parse_note("---\ntitle: [unclosed\n---\nBody text here.\n")
    assert note.warnings and "invalid frontmatter" in note.warnings[0]
    assert note.blocks[0].text == "Body text here."


def test_alias_bomb_is_refused() -> None:
    bomb = "---\na: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n---\nText.\n"
    note = parse_note(bomb)
    assert note.frontmatter == {} and "aliases are not allowed" in note.warnings[0]


def test_ten_thousand_deep_nesting_parses() -> None:
    # markdown-it-py took 30 s on this list; the scanner caps indentation and stays linear.
    deep = "\n".join("  " * i + "- x" for i in range(10_000))
    note = parse_note(deep + "\n\n" + ">" * 10_000 + " quoted\n")
    assert note.blocks[0].kind == "list" and len(note.blocks[0].items) == 10_000
    assert note.blocks[1].kind == "quote" and note.blocks[1].text == "quoted"


def test_a_wikilink_used_as_a_frontmatter_key_is_reported_not_raised() -> None:
    # Seen in a real vault: an unquoted `[[Link]]` key is a YAML list, which cannot be a key.
    from penna.vault.frontmatter import split_frontmatter

    header = split_frontmatter("---\n[[Evergreen notes]]: yes\ntitle: ok\n---\nBody.\n")
    assert header.data == {} and header.error and "frontmatter" in header.error
    assert header.body_start_line == 4
