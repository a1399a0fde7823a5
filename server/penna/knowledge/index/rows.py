"""What the index's reads return: note rows and chunk hits, built from SQL rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NoteRow:
    id: int
    path: str
    title: str
    origin: str
    origin_reason: str
    mtime: float
    size: int
    hash: str
    frontmatter: dict[str, Any]
    tags: list[str]
    aliases: list[str]
    headings: list[dict[str, Any]]
    words: int
    tokens: int


@dataclass(frozen=True)
class ChunkHit:
    id: int
    path: str
    title: str
    heading: str
    kind: str
    origin: str
    text: str
    tokens: int
    score: float


def chunk_hit(row: Sequence[Any], *, score: float) -> ChunkHit:
    """A hit from a row of chunk columns (id, path, title, heading, kind, origin, text, tokens)."""
    return ChunkHit(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], score)


NOTE_COLUMNS = ("id, path, title, origin, origin_reason, mtime, size, hash, frontmatter, tags, aliases, headings, "
                "words, tokens")


def _note_row(row: Sequence[Any]) -> NoteRow:
    return NoteRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                   json.loads(row[8]), json.loads(row[9]), json.loads(row[10]), json.loads(row[11]),
                   row[12], row[13])
