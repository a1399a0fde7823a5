"""Which of a request's words to search the vault for, for its own late passages.

The note's topic is already covered by the passages pinned in its prefix; the request's part
should add what is specific to these bullets. Words found in a large share of the vault's chunks
add little to BM25 (their IDF is near zero) yet cost the most, since FTS5 scores every chunk
that contains any of the words: on a 10k-note vault with a common vocabulary a 24-word OR query
took ~250 ms. So only the rarer words are searched, at most a few of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from penna.knowledge.index import Index

MAX_TERMS = 6
MAX_CHUNK_SHARE = 0.02  # a word in more than this share of chunks is not specific to a request
# A vault this small answers any query in a few milliseconds, and a share of it is too strict (5% of
# the sample vault's 11 chunks is 0.55: every word it contains would go, leaving a new user with no
# passages). So small vaults search all their words, the rarest first.
SMALL_VAULT_CHUNKS = 200
# Document frequencies, per index file: reading a common word's (every chunk that has it) was a
# seventh of a request on 10k notes, and requests share most of their words. They only rank words
# and sort out common ones, so they are kept until the vault's chunk count moves by DRIFT.
DRIFT = 0.01
MAX_CACHED_TERMS = 50_000
_frequencies: dict[str, tuple[int, dict[str, int]]] = {}  # db path → (chunk count then, term → chunks; 0: absent)


def rare_terms(index: Index, terms: Sequence[str], *, exclude: Sequence[str] = (), limit: int = MAX_TERMS,
               max_share: float = MAX_CHUNK_SHARE) -> list[str]:
    """`terms` minus `exclude`, the rarest first, without those common in the vault. Falls back
    to the first `limit` terms when document frequencies cannot be read."""
    skip = set(exclude)
    wanted = [t for t in dict.fromkeys(t.lower() for t in terms) if t not in skip]
    if not wanted:
        return []
    frequencies = _document_counts(index, [_folded(t) for t in wanted])
    if frequencies is None:
        return wanted[:limit]
    total, found = frequencies
    docs = {t: found.get(_folded(t)) or None for t in wanted}
    ranked = sorted((n, t) for t, n in docs.items() if n is not None)
    if total <= SMALL_VAULT_CHUNKS:
        return [t for _, t in ranked[:limit]]
    specific = [t for n, t in ranked if n <= max_share * total]
    # Only common words: the rarest two still say more than nothing, unless they are everywhere.
    return (specific or [t for n, t in ranked[:2] if n <= total / 2])[:limit]


def _document_counts(index: Index, folded: list[str]) -> tuple[int, dict[str, int]] | None:
    """(chunk count, chunks containing each term), from the cache while the vault has about the
    same number of chunks; only the terms not seen yet are read."""
    now = index.term_document_counts([])
    if now is None:
        return None
    total = now[0]
    key = str(index.db_path)
    cached_total, cached = _frequencies.get(key, (0, {}))
    if abs(total - cached_total) > DRIFT * cached_total or len(cached) > MAX_CACHED_TERMS:
        cached_total, cached = total, {}
    missing = [t for t in dict.fromkeys(folded) if t not in cached]
    if missing:
        read = index.term_document_counts(missing)
        if read is None:
            return None
        cached.update((t, read[1].get(t, 0)) for t in missing)
        _frequencies[key] = (cached_total, cached)
    return total, cached


def _folded(term: str) -> str:
    """The index's own spelling of a word (FTS5 unicode61 with remove_diacritics)."""
    return "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c))
