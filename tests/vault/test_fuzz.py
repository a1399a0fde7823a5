"""Fuzzing the vault reader (hypothesis): decoding, frontmatter and Markdown structure never
raise on any input, stay fast, and keep their structural promises (line numbers inside the
note, blocks in order and disjoint, frontmatter a JSON-storable mapping).

CI runs a bounded number of examples; `PENNA_FUZZ_EXAMPLES=5000` runs a longer campaign
(see docs/reliability.md).
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from penna.config import DEFAULT_READING_FOLDERS
from penna.vault.files import NotANote, decode_note
from penna.vault.frontmatter import parse_yaml_mapping, split_frontmatter
from penna.vault.markdown import parse_note
from penna.vault.note import load_note

EXAMPLES = int(os.environ.get("PENNA_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that make Markdown and YAML structure, so the fuzzer reaches the interesting paths.
PIECES = ["---", "...", "- ", "* ", "1. ", "  ", "\t", "> ", ">>", "> [!note] ", "> [!quote]- ", "```", "~~~",
          "# ", "### ", "[[", "]]", "![[", "|", "#tag", "^id", "%%", "**", "_", "==", "<div>", "|a|b|", "\n",
          "\n\n", "key: ", "tags: [a, b]", "&a", "*a", "!!python/object", "[[x]]: y", "? ", "{", "}", "[", "]",
          "\"", "'", ":", "é", "e\u0301", "\u200b", "\r\n", "\x00", "word", "Another sentence. ", "-\n", "===",
          "===\n", "http://x.y/z", "`code`", "[a](b)", "\\", "\ufeff"]
markdownish = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=60).map("".join)


def check_structure(text: str) -> None:
    note = parse_note(text)
    lines = text.split("\n")
    n = len(lines)
    assert 0 <= note.body_start_line <= n
    previous_end = note.body_start_line
    for block in note.blocks:
        assert previous_end <= block.start < block.end <= n, (block.start, block.end, n)
        previous_end = block.end
        assert isinstance(block.text, str)
    for heading in note.headings:
        assert note.body_start_line <= heading.line < n and 1 <= heading.level <= 6
    for link in note.links:
        assert link.line == -1 or note.body_start_line <= link.line < n
        assert link.target or link.heading or link.block
    json.dumps(note.frontmatter)  # storable in the index as it is
    assert all(isinstance(t, str) and t for t in note.tags)


@FUZZ
@given(markdownish)
def test_markdown_structure_holds_for_any_text(text: str) -> None:
    check_structure(text)


@FUZZ
@given(st.text())
def test_markdown_parser_never_raises_on_arbitrary_unicode(text: str) -> None:
    check_structure(text)


@FUZZ
@given(markdownish)
def test_frontmatter_is_a_json_mapping_or_a_reported_error(body: str) -> None:
    front = split_frontmatter("---\n" + body + "\n---\nBody.\n")
    assert isinstance(front.data, dict) and all(isinstance(k, str) for k in front.data)
    json.dumps(front.data)
    data, error = parse_yaml_mapping(body)
    assert isinstance(data, dict) and (error is None or isinstance(error, str))


@FUZZ
@given(st.binary(max_size=2000))
def test_decoding_any_bytes_gives_text_or_says_binary(data: bytes) -> None:
    try:
        note = decode_note(data)
    except NotANote:
        return
    assert "\r" not in note.text
    check_structure(note.text)


@FUZZ
@given(markdownish, st.sampled_from(["a.md", "Clippings/b.md", "x/y/z.md"]))
def test_loading_a_note_labels_every_passage(text: str, path: str) -> None:
    note = load_note(path, text, DEFAULT_READING_FOLDERS)
    assert note.origin in ("read", "written")
    for passage in note.passages:
        assert passage.origin in ("read", "written") and passage.text.strip()
        if note.origin == "read":
            assert passage.origin == "read"  # a clipping never lends the author its words
