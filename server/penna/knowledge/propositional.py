"""Propositional knowledge: what the author knows about the request's topic.

BM25 over the vault's chunks, boosted by salience (recent reading counts more), plus the best
passage of each note the current note links to or is linked from. Every passage is labelled read
or written; read passages are later quoted as data, never as instructions.
"""

from __future__ import annotations

from collections.abc import Sequence

from penna.knowledge.index import ChunkHit, Index
from penna.knowledge.items import Item, Section

SEARCH_LIMIT = 40
SALIENCE_BOOST = 0.5


def retrieve(index: Index, terms: Sequence[str], *, current_path: str | None, salience: dict[str, float],
             limit: int = 12, linked: bool = True) -> list[Item]:
    exclude = [current_path] if current_path else []
    hits = index.search(terms, limit=SEARCH_LIMIT, exclude_paths=exclude)
    top_salience = max(salience.values(), default=0.0) or 1.0

    def boosted(hit: ChunkHit) -> float:
        return hit.score * (1.0 + SALIENCE_BOOST * salience.get(hit.path, 0.0) / top_salience)

    ranked = sorted(hits, key=lambda h: (-boosted(h), h.id))
    items: list[Item] = []
    per_note: dict[str, int] = {}
    for hit in ranked:
        if per_note.get(hit.path, 0) >= 2:  # keep the section from being one note's dump
            continue
        per_note[hit.path] = per_note.get(hit.path, 0) + 1
        items.append(Item(hit.text, hit.path, hit.origin, "passage", round(boosted(hit), 3)))
        if len(items) >= limit:
            break
    if current_path and linked:
        neighbours = list(dict.fromkeys(index.outgoing(current_path) + index.backlinks(current_path)))
        for path in neighbours[:8]:
            if path in per_note:
                continue
            best = _best_chunk(index, path, terms)
            if best:
                items.append(Item(best.text, best.path, best.origin, "linked", 0.0))
    return items


def _best_chunk(index: Index, path: str, terms: Sequence[str]) -> ChunkHit | None:
    chunks = index.chunks_of(path)
    if not chunks:
        return None
    wanted = set(terms)
    return max(chunks, key=lambda c: (sum(1 for w in c.text.lower().split() if w in wanted), -c.id))


def propositional_section(index: Index, terms: Sequence[str], *, current_path: str | None,
                          salience: dict[str, float], linked: bool = True) -> Section:
    """`linked`: add the best passage of each linked note (the note's pinned part has them; a
    request's own part does not need them again)."""
    section = Section("propositional", "What I know about this")
    section.items = retrieve(index, terms, current_path=current_path, salience=salience, linked=linked)
    if not section.items:
        section.notes.append("nothing in the vault matched the request")
    return section
