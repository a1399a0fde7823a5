"""Plain-text helpers shared by every stage: Markdown inline → plain text, words, sentences.

One definition of "a word" and "a sentence" keeps the style profile, hover, diagnostics and the
voice evaluation comparable with each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable

WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
# CommonMark reference links, `[text][ref]` and `[text][]`: a reader sees only the text.
REFERENCE_LINK = re.compile(r"\[([^\[\]\n]*)\]\[[^\[\]\n]*\]")
# `[ref]: https://…` lines, the other half of a reference link: they render as nothing.
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S+.*$")
INLINE_CODE = re.compile(r"`+[^`\n]*`+")
EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|==)(?=\S)(.+?)(?<=\S)\1")
EMPHASIS_MARKERS = ("*", "_", "~~", "==")
HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
FOOTNOTE_REF = re.compile(r"\[\^[^\]\n]+\]")
BLOCK_ID = re.compile(r"\s\^[A-Za-z0-9-]+\s*$", re.MULTILINE)
# Obsidian tags: '#' after whitespace or line start, at least one non-digit character.
TAG = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=[(,]))#([\w/-]*[^\W\d][\w/-]*)", re.MULTILINE)

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
# A sentence ends at . ! ? (or …) followed by space and a capital/quote/digit, or at a line end.
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")
ABBREVIATIONS = frozenset(
    "e.g i.e etc vs mr mrs ms dr prof st cf fig no al approx incl".split()
)


def wikilink_display(inner: str) -> str:
    """`[[Target#Heading|Alias]]` reads as `Alias`; without alias as `Target`."""
    if "|" in inner:
        return inner.split("|", 1)[1].strip()
    target = inner.split("#", 1)[0].strip()
    return target or inner.lstrip("#^").strip()


# Inline syntax, step by step: each pattern needs its literal characters to match, so a step
# whose characters are absent is skipped (most prose has no inline syntax at all, and every
# passage of every note passes through here).
_INLINE_STEPS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("`", lambda text: INLINE_CODE.sub(lambda m: m.group(0).strip("`"), text)),
    ("[[", lambda text: WIKILINK.sub(lambda m: "" if m.group(1) else wikilink_display(m.group(2)), text)),
    ("](", lambda text: MD_LINK.sub(lambda m: m.group(1), text)),
    ("][", lambda text: REFERENCE_LINK.sub(lambda m: m.group(1), text)),
    # a footnote's text is prose
    ("[^", lambda text: FOOTNOTE_REF.sub("", re.sub(r"^\[\^[^\]\n]+\]:\s*", "", text))),
    ("<", lambda text: HTML_TAG.sub("", text)),
    ("^", lambda text: BLOCK_ID.sub("", text)),
)


def plain_text(markdown_inline: str) -> str:
    """Markdown inline syntax removed, as a reader would see the words."""
    text = markdown_inline
    # Every step's pattern needs one of these four characters ("](" needs MD_LINK's "[" too).
    if "[" in text or "`" in text or "<" in text or "^" in text:
        for needle, step in _INLINE_STEPS:
            if needle in text:
                text = step(text)
    for _ in range(3):  # nested emphasis, bounded
        if not _has_emphasis_marker(text):
            break
        new = EMPHASIS.sub(lambda m: m.group(2), text)
        if new == text:
            break
        text = new
    if "  " in text or "\t" in text:
        text = re.sub(r"[ \t]+", " ", text)
    return text.strip()


def _has_emphasis_marker(text: str) -> bool:
    """Whether any of EMPHASIS_MARKERS is in `text`, spelt out: any() over a generator was a
    quarter of plain_text's time."""
    return "*" in text or "_" in text or "~~" in text or "==" in text


def words(text: str) -> list[str]:
    """Lower-cased words, apostrophes kept inside words (don't, it's)."""
    if text.isascii():  # lower() maps letters to letters one for one in ASCII: the same words
        return WORD.findall(text.lower())
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def sentences(text: str) -> list[str]:
    """Split prose into sentences. Good enough for stylometry, not a linguistic parser."""
    # Whitespace runs become one space, the ends none: str.split() splits where `\s` matches.
    text = " ".join(text.split())
    if not text:
        return []
    pieces = SENTENCE_END.split(text)
    merged: list[str] = []
    for piece in pieces:
        last_word = merged[-1].rstrip(".").rsplit(" ", 1)[-1].lower() if merged else ""
        if merged and (last_word in ABBREVIATIONS or (len(last_word) == 1 and "a" <= last_word <= "z")):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return [s.strip() for s in merged if s.strip()]


def tags_in(text: str) -> list[str]:
    """Inline #tags (nested ones like #a/b kept whole), outside inline code."""
    if "#" not in text:
        return []
    if "`" not in text:
        return [t.rstrip("/") for t in TAG.findall(text)]
    return [t.rstrip("/") for t in TAG.findall(INLINE_CODE.sub(" ", text))]
