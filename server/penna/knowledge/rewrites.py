"""The author's rewrites of generated text: the most precise evidence of their voice.

A pair (what penna wrote, what the author kept) becomes a high-priority procedural exemplar, and
words the author keeps deleting from penna's drafts go on an avoid list that is shown in the
context and used to score candidates. Stored in the index, never in the vault.
"""

from __future__ import annotations

from collections import Counter

from penna.knowledge.index import Index
from penna.knowledge.items import Item, content_words

EXEMPLAR_LIMIT = 3
AVOID_LIMIT = 20
AVOID_SAMPLE = 200  # the newest rewrites the avoid list is learnt from


def store_rewrite(index: Index, path: str, generated: str, final: str) -> bool:
    """Remember a rewrite; identical or emptied text teaches nothing and is skipped."""
    if not final.strip() or final.strip() == generated.strip():
        return False
    index.add_rewrite(path, generated, final)
    return True


def rewrite_items(index: Index, limit: int = EXEMPLAR_LIMIT) -> list[Item]:
    return [Item(final, path, "written", "rewrite", 1.0) for path, final in index.recent_rewrites(limit)]


def avoid_words(index: Index) -> list[str]:
    """Content words deleted in rewrites: in at least two rewrites once there are several."""
    rows = index.rewrite_pairs(AVOID_SAMPLE)
    deleted: Counter[str] = Counter()
    for generated, final in rows:
        kept = set(content_words(final))
        deleted.update(set(content_words(generated)) - kept)
    needed = 2 if len(rows) >= 3 else 1
    return [word for word, count in deleted.most_common() if count >= needed][:AVOID_LIMIT]


def rewrite_exemplars(index: Index) -> list[Item]:
    """The author's rewrites of penna's drafts, and the words they keep cutting, as procedural items."""
    items = rewrite_items(index)
    avoid = avoid_words(index)
    if avoid:
        items.insert(0, Item("Words I cut from drafts: " + ", ".join(avoid), None, "written", "avoid"))
    return items


def forget_rewrites(index: Index) -> int:
    return index.forget_rewrites()
