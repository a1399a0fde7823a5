"""Passages → chunks: the units the index retrieves and the context quotes.

Small neighbouring paragraphs under the same heading and of the same origin are merged up to a
target size; long ones are split at sentence boundaries. Each chunk carries its tiktoken count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from penna.knowledge.tokens import count_tokens
from penna.vault.note import Passage
from penna.vault.text import sentences

TARGET_TOKENS = 160
MAX_TOKENS = 320


@dataclass(frozen=True)
class Chunk:
    kind: str
    origin: str
    heading: str  # the heading path, " › "-joined
    text: str
    tokens: int
    start: int
    end: int
    words: int


def _split_long(text: str) -> list[str]:
    """Split at sentence boundaries into pieces of at most MAX_TOKENS (a sentence may exceed it)."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in _pieces(text):
        cost = count_tokens(sentence)
        if current and size + cost > MAX_TOKENS:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += cost
    if current:
        pieces.append(" ".join(current))
    return pieces


def _pieces(text: str) -> list[str]:
    """Sentences, line by line (list items are not sentences); a run-on without any full stop
    (a 1 MB line, a 10,000-item list) is cut by words, so no chunk is ever huge."""
    out: list[str] = []
    for line in text.split("\n"):
        for sentence in sentences(line) or ([line] if line.strip() else []):
            if len(sentence) <= MAX_TOKENS * 4:
                out.append(sentence)
                continue
            words = sentence.split(" ")
            step = max(1, MAX_TOKENS // 2)
            out.extend(" ".join(words[i:i + step])[: MAX_TOKENS * 4] for i in range(0, len(words), step))
    return out or [text[: MAX_TOKENS * 4]]


def make_chunks(passages: Sequence[Passage]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for passage in passages:
        heading = " › ".join(passage.headings)
        tokens = count_tokens(passage.text)
        texts = [passage.text] if tokens <= MAX_TOKENS else _split_long(passage.text)
        for text in texts:
            size = tokens if len(texts) == 1 else count_tokens(text)
            last = chunks[-1] if chunks else None
            mergeable = (
                last is not None
                and last.kind == passage.kind == "paragraph"
                and last.origin == passage.origin
                and last.heading == heading
                and last.tokens + size <= TARGET_TOKENS
            )
            if mergeable and last is not None:
                chunks[-1] = Chunk(last.kind, last.origin, heading, f"{last.text}\n\n{text}",
                                   last.tokens + size + 1, last.start, passage.end,
                                   last.words + len(text.split()))
            else:
                chunks.append(Chunk(passage.kind, passage.origin, heading, text, size,
                                    passage.start, passage.end, len(text.split())))
    return chunks
