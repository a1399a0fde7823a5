"""Where an action applies, and how its result lands without losing a keystroke.

Pure functions over document text, so they are tested without a server:
- `find_target`: the span an action works on (selection, or the block under the cursor);
- `reanchor`: if the document changed while generating, find the original span again; refuse
  when it is gone or ambiguous. An edit is never applied over newer text;
- URIs, client positions and offsets, shared by every feature (features never import each other).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.workspace import TextDocument

from penna.vault.markdown import Block, parse_note

Action = Literal["expand", "rephrase", "continue", "variants"]


@dataclass(frozen=True)
class Span:
    """Half-open character offsets into the document text."""

    start: int
    end: int

    def text(self, document: str) -> str:
        return document[self.start:self.end]


def uri_to_path(uri: str) -> Path | None:
    """The local path of a `file:` URI; None for any other scheme."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def offset_of(doc: TextDocument, position: types.Position) -> int:
    """Client position → offset into `doc.source`; positions past the end are clamped."""
    lines = doc.lines
    if position.line >= len(lines) or position.line < 0:
        return len(doc.source) if position.line >= 0 else 0
    column = doc.position_codec.position_from_client_units(lines, position).character
    column = min(max(column, 0), len(lines[position.line].rstrip("\r\n")))
    return sum(len(line) for line in lines[: position.line]) + column


def position_of(doc: TextDocument, text: str, offset: int) -> types.Position:
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return types.Position(line, doc.position_codec.client_num_units(text[line_start:offset]))


def range_of(doc: TextDocument, text: str, span: Span) -> types.Range:
    return types.Range(position_of(doc, text, span.start), position_of(doc, text, span.end))


def line_offsets(text: str) -> list[int]:
    offsets, total = [0], 0
    for line in text.split("\n"):
        total += len(line) + 1
        offsets.append(total)
    return offsets


def block_at(text: str, line: int, kinds: tuple[str, ...]) -> Block | None:
    for block in parse_note(text).blocks:
        if block.kind in kinds and block.start <= line < block.end:
            return block
    return None


def block_span(text: str, block: Block) -> Span:
    offsets = line_offsets(text)
    end = offsets[block.end] - 1 if block.end < len(offsets) else len(text)
    return Span(offsets[block.start], min(end, len(text)))


def find_target(text: str, action: Action, start: int, end: int) -> tuple[Span, str] | None:
    """The span and the kind of input ("bullets" or "prose") for an action, or None if the
    action does not apply here. `start`/`end` are offsets of the selection (equal for a cursor)."""
    offsets = line_offsets(text)
    line = max(0, sum(1 for o in offsets[1:] if o <= start))
    if start != end:
        selected = text[start:end]
        if not selected.strip():
            return None
        bullets = any(_is_list_line(line) for line in selected.splitlines())
        if action == "expand" and not bullets:
            return None
        if action in ("rephrase", "continue") and bullets:
            return None
        return Span(start, end), "bullets" if bullets else "prose"
    if action in ("expand", "variants"):
        block = block_at(text, line, ("list",))
        if block:
            return block_span(text, block), "bullets"
        if action == "expand":
            return None
    block = block_at(text, line, ("paragraph",))
    if block is None:
        return None
    span = block_span(text, block)
    if action == "continue":
        return Span(span.end, span.end), "prose"
    return span, "prose"


def _is_list_line(line: str) -> bool:
    from penna.vault.markdown import LIST_ITEM

    return bool(LIST_ITEM.match(line))


def _occurrences(text: str, needle: str, limit: int = 2) -> list[int]:
    """Where `needle` starts in `text`, overlapping matches included (str.count skips them)."""
    found: list[int] = []
    at = text.find(needle)
    while at >= 0 and len(found) < limit:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def reanchor(original_text: str, span: Span, current_text: str) -> Span | None:
    """The span's new place in `current_text`, or None when it cannot be found unambiguously.

    Unchanged document: same span. Otherwise the original content of the span (plus, for an
    insertion point, the text just before it) must occur exactly once in the new text, and
    exactly once in the original: were there two copies, the user may have deleted the target
    and the edit would land on the other one.
    """
    if original_text == current_text:
        return span
    needle = span.text(original_text)
    if not needle:  # an insertion point: anchor on the text before it
        context = original_text[max(0, span.start - 80):span.start]
        if not context or len(_occurrences(original_text, context)) != 1:
            return None
        found = _occurrences(current_text, context)
        if len(found) != 1:
            return None
        at = found[0] + len(context)
        return Span(at, at)
    if len(_occurrences(original_text, needle)) != 1:
        return None
    found = _occurrences(current_text, needle)
    if len(found) != 1:
        return None
    return Span(found[0], found[0] + len(needle))


def paragraph_before(text: str, offset: int) -> str:
    """The paragraph text from its start up to `offset` (what "continue" continues)."""
    start = text.rfind("\n\n", 0, offset)
    return text[start + 2 if start >= 0 else 0:offset]


def paragraph_key(rel_path: str, paragraph: str) -> str:
    """The key of a paragraph's prepared rephrasing (hover writes it, code actions offer it)."""
    return hashlib.sha1(f"{rel_path}\0{paragraph.strip()}".encode()).hexdigest()
