"""The author's rewrites of generated text: the most precise evidence of their voice.

A pair (what penna wrote, what the author kept) becomes a high-priority procedural exemplar, and
words the author keeps deleting from penna's drafts go on an avoid list that is shown in the
context and used to score candidates. Stored in the index, never in the vault.
"""

from __future__ import annotations

import time
from collections import Counter

from penna.knowledge.index import Index
from penna.knowledge.items import Item, content_words

EXEMPLAR_LIMIT = 3
AVOID_LIMIT = 20


def store_rewrite(index: Index, path: str, generated: str, final: str) -> bool:
    """Remember a rewrite; identical or emptied text teaches nothing and is skipped."""
    if not final.strip() or final.strip() == generated.strip():
        return False
    with index.transaction() as conn:
        conn.execute("INSERT INTO rewrites(path, generated, final, ts) VALUES (?,?,?,?)",
                     (path, generated, final, time.time()))
    return True


def rewrite_items(index: Index, limit: int = EXEMPLAR_LIMIT) -> list[Item]:
    rows = index.conn.execute("SELECT path, final FROM rewrites ORDER BY ts DESC, id DESC LIMIT ?", (limit,)).fetchall()
    return [Item(final, path, "written", "rewrite", 1.0) for path, final in rows]


def avoid_words(index: Index) -> list[str]:
    """Content words deleted in rewrites: in at least two rewrites once there are several."""
    rows = index.conn.execute("SELECT generated, final FROM rewrites ORDER BY ts DESC LIMIT 200").fetchall()
    deleted: Counter[str] = Counter()
    for generated, final in rows:
        kept = set(content_words(final))
        deleted.update(set(content_words(generated)) - kept)
    needed = 2 if len(rows) >= 3 else 1
    return [word for word, count in deleted.most_common() if count >= needed][:AVOID_LIMIT]


def rewrite_count(index: Index) -> int:
    return index.conn.execute("SELECT COUNT(*) FROM rewrites").fetchone()[0]


def forget_rewrites(index: Index) -> int:
    with index.transaction() as conn:
        return conn.execute("DELETE FROM rewrites").rowcount
