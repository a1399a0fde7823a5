"""A note as penna sees it: title, origin, structure, and passages of prose.

Passages are the units of retrieval and of style: paragraphs, lists, quotes and callouts, each
labelled read or written. Code is kept out of passages (it is not prose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from penna.vault.classify import Origin, block_origin, classify_note
from penna.vault.markdown import Block, ParsedNote, parse_note

PROSE_KINDS = ("paragraph", "list", "quote", "callout")


@dataclass(frozen=True)
class Passage:
    kind: str  # paragraph | list | quote | callout
    text: str  # plain text
    headings: tuple[str, ...]
    origin: Origin
    start: int  # first line in the note, 0-based
    end: int


@dataclass
class Note:
    rel_path: str
    title: str
    origin: Origin
    origin_reason: str
    parsed: ParsedNote
    passages: list[Passage]
    warnings: list[str]


def note_title(rel_path: str) -> str:
    """Obsidian's title is the file name without its extension."""
    return PurePosixPath(rel_path).stem


def passages_of(blocks: Sequence[Block], note_origin: Origin) -> list[Passage]:
    out: list[Passage] = []
    for block in blocks:
        if block.kind not in PROSE_KINDS:
            continue
        text = block.text
        if not text.strip():
            continue
        origin = block_origin(note_origin, block.kind, block.callout)
        out.append(Passage(block.kind, text, block.headings, origin, block.start, block.end))
    return out


def load_note(
    rel_path: str,
    text: str,
    reading_folders: Sequence[str],
    author_name: str = "",
    warnings: Sequence[str] = (),
) -> Note:
    parsed = parse_note(text)
    origin, reason = classify_note(rel_path, parsed.frontmatter, parsed.tags, reading_folders, author_name)
    return Note(
        rel_path=rel_path,
        title=note_title(rel_path),
        origin=origin,
        origin_reason=reason,
        parsed=parsed,
        passages=passages_of(parsed.blocks, origin),
        warnings=list(warnings) + parsed.warnings,
    )
