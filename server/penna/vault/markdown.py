"""Obsidian Markdown → a structured note: blocks, headings, links, tags, aliases.

The block scanner is line-oriented, like Obsidian's own metadata cache. It is linear in the size
of the note (markdown-it-py took 30 s on a 10,000-deep nested list here) and keeps exact line
numbers, which the editor features need. Frontmatter is parsed by PyYAML (see frontmatter.py);
inline Obsidian syntax ([[links]], #tags, ![[embeds]]) is not CommonMark, so it is matched here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
            lines = [re.sub(r"^(\s*>)+\s?", "", line) for line in self.raw.split("\n")]
            if self.kind == "callout" and lines:
                lines[0] = CALLOUT.sub(r"\2", self.raw.split("\n")[0])
            return plain_text(" ".join(line.strip() for line in lines if line.strip()))
        if self.kind == "paragraph":
            return plain_text(" ".join(line.strip() for line in self.raw.split("\n")))
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


def _scan_blocks(lines: list[str], offset: int) -> tuple[list[Block], list[Heading]]:
    scanner = _BlockScanner(lines, offset)
    scanner.run()
    return scanner.blocks, scanner.headings


class _BlockScanner:
    """One pass over a note's body lines: each block rule reads its block from line `i` and
    returns the line after it."""

    def __init__(self, lines: list[str], offset: int) -> None:
        self.lines, self.offset, self.n = lines, offset, len(lines)
        self.blocks: list[Block] = []
        self.headings: list[Heading] = []
        self.path: list[tuple[int, str]] = []  # (level, text) of the headings above the line
        self.rules: list[tuple[Callable[[str], object], Callable[[int], int]]] = [
            (FENCE.match, self.fence), (ATX_HEADING.match, self.atx_heading), (QUOTE.match, self.quote),
            (LIST_ITEM.match, lambda i: _scan_list(self.lines, i, self.add)), (TABLE_ROW.match, self.table),
            (HTML_START.match, self.html),
        ]

    def run(self) -> None:
        i = 0
        while i < self.n:
            line = self.lines[i]
            if _renders_as_nothing(line):
                i += 1
                continue
            rule = next((scan for matches, scan in self.rules if matches(line)), self.paragraph)
            i = rule(i)

    def add(self, kind: BlockKind, start: int, end: int, **extra: Any) -> None:
        raw = "\n".join(self.lines[start:end])
        self.blocks.append(
            Block(kind, start + self.offset, end + self.offset, raw, tuple(t for _, t in self.path), **extra)
        )

    def heading(self, level: int, text: str, line: int) -> None:
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        clean = plain_text(text)
        self.path.append((level, clean))
        self.headings.append(Heading(level, clean, line + self.offset))

    def run_of(self, i: int, matches: Callable[[str], object]) -> int:
        """The line after the run of lines from `i + 1` on that `matches` accepts."""
        j = i + 1
        while j < self.n and matches(self.lines[j]):
            j += 1
        return j

    def fence(self, i: int) -> int:
        fence = FENCE.match(self.lines[i])
        assert fence is not None  # the rule matched
        marker = fence.group(1)
        closing = re.compile(rf"^ {{0,3}}{marker[0]}{{{len(marker)},}}\s*$")
        j = self.run_of(i, lambda line: not closing.match(line))
        self.add("code", i, min(j + 1, self.n))  # an unclosed fence runs to the end, as in CommonMark
        return j + 1

    def atx_heading(self, i: int) -> int:
        atx = ATX_HEADING.match(self.lines[i])
        assert atx is not None  # the rule matched
        self.heading(len(atx.group(1)), atx.group(2) or "", i)
        return i + 1

    def quote(self, i: int) -> int:
        j = self.run_of(i, QUOTE.match)
        callout = CALLOUT.match(self.lines[i].lstrip())
        self.add("callout" if callout else "quote", i, j, callout=callout.group(1).lower() if callout else None)
        return j

    def table(self, i: int) -> int:
        j = self.run_of(i, TABLE_ROW.match)
        self.add("table", i, j)
        return j

    def html(self, i: int) -> int:
        j = self.run_of(i, str.strip)
        self.add("html", i, j)
        return j

    def paragraph(self, i: int) -> int:
        """A paragraph runs until a blank line or the start of another block; a setext
        underline makes it a heading."""
        j = self.run_of(i, lambda line: bool(line.strip()) and not _interrupts_paragraph(line))
        lines = self.lines
        if j < self.n and SETEXT_UNDERLINE.match(lines[j]) and lines[j].strip():
            level = 1 if lines[j].strip().startswith("=") else 2
            self.heading(level, " ".join(lines[i:j]).strip(), i)
            return j + 1
        self.add("paragraph", i, j)
        return j


def _renders_as_nothing(line: str) -> bool:
    """A blank line, a thematic break, or a `[ref]: url` definition (not prose for retrieval or
    style; a footnote is)."""
    if not line.strip() or THEMATIC_BREAK.match(line):
        return True
    return bool(REFERENCE_DEFINITION.match(line)) and not line.lstrip().startswith("[^")


def _interrupts_paragraph(line: str) -> bool:
    if SETEXT_UNDERLINE.match(line) or FENCE.match(line) or ATX_HEADING.match(line) or QUOTE.match(line):
        return True
    return bool(LIST_ITEM.match(line)) and not line.startswith((" ", "\t"))


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


def _links_in(texts: list[str], line: int) -> list[Link]:
    found = (parse_link(m.group(2), bool(m.group(1)), line) for text in texts for m in WIKILINK.finditer(text))
    return [link for link in found if link]


def parse_note(text: str) -> ParsedNote:
    """Parse one note's text. Never raises on content; problems become `warnings`."""
    warnings: list[str] = []
    front = split_frontmatter(text)
    if front.error:
        warnings.append(front.error)
    lines = text.split("\n")
    body = blank_comments("\n".join(lines[front.body_start_line:]))
    body_lines = [_normalise_line(line) for line in body.split("\n")]
    blocks, headings = _scan_blocks(body_lines, front.body_start_line)
    links = _links_in(string_values(front.data), -1)  # links in the header have no line
    tags: list[str] = []
    for block in blocks:
        if block.kind == "code":
            continue
        for number, line in enumerate(block.raw.split("\n"), start=block.start):
            links += _links_in([line], number)
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
