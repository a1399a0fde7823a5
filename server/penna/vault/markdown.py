"""Obsidian Markdown → a structured note: blocks, headings, links, tags, aliases.

The block scanner is line-oriented, like Obsidian's own metadata cache. It is linear in the size
of the note (markdown-it-py took 30 s on a 10,000-deep nested list here) and keeps exact line
numbers, which the editor features need. Frontmatter is parsed by PyYAML (see frontmatter.py);
inline Obsidian syntax ([[links]], #tags, ![[embeds]]) is not CommonMark, so it is matched here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from penna.vault.frontmatter import split_frontmatter, string_values
from penna.vault.text import REFERENCE_DEFINITION, WIKILINK, plain_text, tags_in

BlockKind = Literal["paragraph", "list", "quote", "callout", "code", "table", "html"]

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
LIST_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(\[.\][ \t]+)?(.*))?$")
QUOTE = re.compile(r"^ {0,3}>")
CALLOUT = re.compile(r"^>\s*\[!([\w-]+)\][-+]?\s*(.*)$")
THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
TABLE_ROW = re.compile(r"^\s*\|")
HTML_START = re.compile(r"^ {0,3}<(?:[A-Za-z][\w-]*|!--)")
COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
QUOTE_MARKERS = re.compile(r"^(\s*>)+\s?")
_CAPPED_STARTS = frozenset(" \t>")
MAX_INDENT = 64  # deeper nesting is flattened: it carries no meaning and costs time
MAX_QUOTE_DEPTH = 16


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(frozen=True)
class Link:
    target: str  # note name or path as written, without .md
    heading: str | None = None
    block: str | None = None
    alias: str | None = None
    embed: bool = False
    line: int = -1  # -1 for links in frontmatter


@dataclass(frozen=True)
class ListItem:
    depth: int
    text: str  # raw inline Markdown of the item
    line: int


@dataclass
class Block:
    kind: BlockKind
    start: int  # first line, 0-based, in the whole file
    end: int  # one past the last line
    raw: str
    headings: tuple[str, ...] = ()  # the heading path above this block
    callout: str | None = None
    items: list[ListItem] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The block as plain prose (for retrieval and style)."""
        if self.kind == "list":
            return "\n".join(plain_text(item.text) for item in self.items)
        if self.kind in ("quote", "callout"):
            lines = [QUOTE_MARKERS.sub("", line) for line in self.raw.split("\n")]
            if self.kind == "callout" and lines:
                lines[0] = CALLOUT.sub(r"\2", self.raw.split("\n")[0])
            return plain_text(" ".join(line.strip() for line in lines if line.strip()))
        if self.kind == "paragraph":
            return plain_text(" ".join([line.strip() for line in self.raw.split("\n")]))
        return ""


@dataclass
class ParsedNote:
    frontmatter: dict[str, Any]
    headings: list[Heading]
    blocks: list[Block]
    links: list[Link]
    tags: list[str]
    aliases: list[str]
    warnings: list[str]
    body_start_line: int


def blank_comments(text: str) -> str:
    """`%% comments %%` become spaces, keeping line numbers intact."""
    return COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _normalise_line(line: str) -> str:
    """Cap pathological nesting so scanning stays linear."""
    stripped = line.lstrip(" \t")
    indent = len(line) - len(stripped)
    if indent > MAX_INDENT:
        line = " " * MAX_INDENT + stripped
    if stripped.startswith(">" * (MAX_QUOTE_DEPTH + 1)):
        marker = re.match(r"^[>\s]+", stripped).group(0)  # type: ignore[union-attr]
        line = ">" * MAX_QUOTE_DEPTH + " " + stripped[len(marker):]
    return line


# One pass, one branch per block kind: split into methods it parsed 9-13% slower, and every note is parsed.
def _scan_blocks(lines: list[str], offset: int) -> tuple[list[Block], list[Heading]]:  # noqa: C901
    blocks: list[Block] = []
    headings: list[Heading] = []
    path: list[tuple[int, str]] = []
    i, n = 0, len(lines)

    def add(kind: BlockKind, start: int, end: int, **extra: Any) -> None:
        raw = "\n".join(lines[start:end])
        blocks.append(
            Block(kind, start + offset, end + offset, raw, tuple(t for _, t in path), **extra)
        )

    def heading(level: int, text: str, line: int) -> None:
        while path and path[-1][0] >= level:
            path.pop()
        clean = plain_text(text)
        path.append((level, clean))
        headings.append(Heading(level, clean, line + offset))

    while i < n:
        line = lines[i]
        if not line.strip() or THEMATIC_BREAK.match(line):
            i += 1
            continue
        if REFERENCE_DEFINITION.match(line) and not line.lstrip().startswith("[^"):
            i += 1  # `[ref]: url` renders as nothing: not prose for retrieval or style (a footnote is)
            continue
        fence = FENCE.match(line)
        if fence:
            marker = fence.group(1)
            j = i + 1
            while j < n and not re.match(rf"^ {{0,3}}{marker[0]}{{{len(marker)},}}\s*$", lines[j]):
                j += 1
            add("code", i, min(j + 1, n))  # an unclosed fence runs to the end, as in CommonMark
            i = j + 1
            continue
        atx = ATX_HEADING.match(line)
        if atx:
            heading(len(atx.group(1)), atx.group(2) or "", i)
            i += 1
            continue
        if QUOTE.match(line):
            j = i + 1
            while j < n and QUOTE.match(lines[j]):
                j += 1
            callout = CALLOUT.match(line.lstrip())
            add("callout" if callout else "quote", i, j, callout=callout.group(1).lower() if callout else None)
            i = j
            continue
        if LIST_ITEM.match(line):
            i = _scan_list(lines, i, add)
            continue
        if TABLE_ROW.match(line):
            j = i + 1
            while j < n and TABLE_ROW.match(lines[j]):
                j += 1
            add("table", i, j)
            i = j
            continue
        if HTML_START.match(line):
            j = i + 1
            while j < n and lines[j].strip():
                j += 1
            add("html", i, j)
            i = j
            continue
        # A paragraph runs until a blank line or the start of another block.
        j = i + 1
        while j < n and lines[j].strip():
            if SETEXT_UNDERLINE.match(lines[j]):
                break
            if FENCE.match(lines[j]) or ATX_HEADING.match(lines[j]) or QUOTE.match(lines[j]):
                break
            if LIST_ITEM.match(lines[j]) and not lines[j].startswith((" ", "\t")):
                break
            j += 1
        if j < n and SETEXT_UNDERLINE.match(lines[j]) and lines[j].strip():
            level = 1 if lines[j].strip().startswith("=") else 2
            heading(level, " ".join(lines[i:j]).strip(), i)
            i = j + 1
            continue
        add("paragraph", i, j)
        i = j
    return blocks, headings


def _scan_list(lines: list[str], i: int, add: Any) -> int:
    """A list block: items and their continuation lines, nested by indentation."""
    items: list[ListItem] = []
    indents: list[int] = []
    start, n = i, len(lines)
    while i < n:
        line = lines[i]
        match = LIST_ITEM.match(line)
        if match:
            indent = len(match.group(1).expandtabs(4))
            while indents and indents[-1] > indent:
                indents.pop()
            if not indents or indents[-1] < indent:
                indents.append(indent)
            items.append(ListItem(len(indents) - 1, (match.group(4) or "").strip(), i))
        elif line.strip() and line.startswith((" ", "\t")) and items:
            last = items[-1]
            items[-1] = ListItem(last.depth, f"{last.text} {line.strip()}", last.line)
        elif not line.strip():
            nxt = i + 1
            if nxt < n and (LIST_ITEM.match(lines[nxt]) or lines[nxt].startswith(("  ", "\t"))):
                i += 1
                continue
            break
        else:
            break
        i += 1
    end = i
    while end > start and not lines[end - 1].strip():
        end -= 1
    add("list", start, end, items=items)
    return i


def parse_link(inner: str, embed: bool, line: int) -> Link | None:
    """`Target#Heading|Alias`, `Target#^block`, `#Heading` (same note)."""
    target_part, _, alias = inner.partition("|")
    target, _, anchor = target_part.partition("#")
    target = target.strip()
    if target.lower().endswith(".md"):
        target = target[:-3]
    heading = block = None
    if anchor.startswith("^"):
        block = anchor[1:].strip() or None
    elif anchor:
        heading = anchor.strip() or None
    if not target and not heading and not block:
        return None
    return Link(target, heading, block, alias.strip() or None, embed, line)


def parse_note(text: str) -> ParsedNote:  # noqa: C901 - the hot path, as _scan_blocks
    """Parse one note's text. Never raises on content; problems become `warnings`."""
    warnings: list[str] = []
    front = split_frontmatter(text)
    if front.error:
        warnings.append(front.error)
    lines = text.split("\n")
    body = blank_comments("\n".join(lines[front.body_start_line:]))
    # Only a line starting with a space, a tab or '>' can need capping (most start otherwise).
    body_lines = [_normalise_line(line) if line[:1] in _CAPPED_STARTS else line for line in body.split("\n")]
    blocks, headings = _scan_blocks(body_lines, front.body_start_line)

    links: list[Link] = []
    for value in string_values(front.data):
        for match in WIKILINK.finditer(value):
            link = parse_link(match.group(2), bool(match.group(1)), -1)
            if link:
                links.append(link)
    tags: list[str] = []
    for block in blocks:
        if block.kind == "code":
            continue
        lines_with_links = enumerate(block.raw.split("\n"), start=block.start) if "[[" in block.raw else ()
        for number, line in lines_with_links:
            for match in WIKILINK.finditer(line):
                link = parse_link(match.group(2), bool(match.group(1)), number)
                if link:
                    links.append(link)
        if block.kind != "html":
            tags.extend(tags_in(block.raw))
    for raw_tag in string_values(front.data.get("tags") or front.data.get("tag")):
        tags.extend(t.lstrip("#") for t in re.split(r"[,\s]+", raw_tag) if t.strip("#"))
    aliases = [a.strip() for a in string_values(front.data.get("aliases") or front.data.get("alias")) if a.strip()]
    if isinstance(front.data.get("title"), str) and front.data["title"].strip():
        aliases.append(front.data["title"].strip())
    return ParsedNote(
        frontmatter=front.data,
        headings=headings,
        blocks=blocks,
        links=links,
        tags=list(dict.fromkeys(tags)),
        aliases=list(dict.fromkeys(aliases)),
        warnings=warnings,
        body_start_line=front.body_start_line,
    )
