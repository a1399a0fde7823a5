"""Procedural knowledge: how this author writes. From written material only.

- `Profile`: the style figures plus characteristic phrases, cached by the index's
  `written_version`, so it is recomputed only when the author's own writing changes.
- `style_card`: the profile as lines a writer (and the model) can read.
- `select_exemplars`: real paragraphs by the author, typical of their style and close to the
  note's topic. Chosen per note, not per request, so the prompt prefix stays stable.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from penna.knowledge.index import ChunkHit, Index
from penna.knowledge.items import Item, Section, is_stopword
from penna.knowledge.style import StyleProfile, WordProfile, counts_for_text, foreign_phrases
from penna.vault.text import sentences, words

log = logging.getLogger(__name__)

# Background rebuilds at most this often (seconds): every typing pause changes the author's
# writing, and a rebuild costs seconds on a large vault. Saves and closes ask for one at once.
PROFILE_MIN_INTERVAL = 45.0
EXEMPLAR_MIN_WORDS = 35
EXEMPLAR_MAX_WORDS = 200
PHRASE_SAMPLE = 1500  # written paragraphs sampled for characteristic phrases
FALLBACK_EXEMPLARS = 60  # recent paragraphs looked at when too few are on topic
# Addresses and `[ref]: url` definitions are not the author's words (for the word profile).
URL_OR_REFERENCE = re.compile(r"\[[^\]\n]+\]:\s*\S+|\S+://\S+|(?<!\w)/[\w./#-]+")


@dataclass
class Profile:
    style: StyleProfile
    phrases: list[str]  # characteristic phrases, most characteristic first
    version: int

    @property
    def words(self) -> int:
        return self.style.counts.words


def characteristic_phrases(texts: Sequence[tuple[str, str]], limit: int = 12) -> list[str]:
    """Word pairs and triples the author reuses across different notes.

    A phrase counts once per note, must recur in at least three notes, and must hold a content
    word (so "of the" is not a habit worth showing).
    """
    per_note: dict[str, set[str]] = {}
    for path, text in texts:
        tokens = words(text)
        grams = per_note.setdefault(path, set())
        for n in (2, 3):
            for i in range(len(tokens) - n + 1):
                gram = tokens[i:i + n]
                if any(not is_stopword(t) for t in gram) and not all(len(t) < 3 for t in gram):
                    grams.add(" ".join(gram))
    counts: Counter[str] = Counter()
    for grams in per_note.values():
        counts.update(grams)
    ranked = [(g, c) for g, c in counts.items() if c >= 3]
    # Prefer phrases mixing function and content words: those are habits, not topics.
    ranked.sort(key=lambda gc: (-(gc[1] * (1.5 if any(is_stopword(t) for t in gc[0].split()) else 1.0)), gc[0]))
    chosen: list[str] = []
    for phrase, _ in ranked:
        if any(phrase in c or c in phrase for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) >= limit:
            break
    return chosen


class ProfileCache:
    """One profile per index, rebuilt only when the author's writing changed.

    `get` computes when needed (seconds on a large vault). `peek` never waits: it returns the
    last profile, possibly a version behind, or None, and asks the one background worker for a
    rebuild: at once the first time or when `now` (a save, a close), else at most once every
    `min_interval` seconds. Editor requests use `peek`, so they never stall behind the profile.
    One long-lived worker means one SQLite connection, however long the author types.
    """

    def __init__(self, min_interval: float = PROFILE_MIN_INTERVAL) -> None:
        self.min_interval = min_interval
        self.builds = 0  # profiles computed, for tests and benchmarks
        self._lock = threading.Lock()
        self._cached: Profile | None = None
        self._cond = threading.Condition()
        self._index: Index | None = None
        self._wanted = self._urgent = self._closed = False
        self._last_build = float("-inf")  # monotonic end of the last background rebuild
        self._worker: threading.Thread | None = None

    def get(self, index: Index) -> Profile:
        version = index.written_version
        with self._lock:
            if self._cached is None or self._cached.version != version:
                self._cached = _build_profile(index, version)
                self.builds += 1
            return self._cached

    def peek(self, index: Index, *, now: bool = False) -> Profile | None:
        cached = self._cached
        if cached is None or cached.version != index.written_version:
            with self._cond:
                if not self._closed:
                    self._index, self._wanted = index, True
                    self._urgent = self._urgent or now or cached is None
                    if self._worker is None:
                        self._worker = threading.Thread(target=self._run, daemon=True, name="penna-profile")
                        self._worker.start()
                    self._cond.notify_all()
        return cached

    def hurry(self) -> None:
        """A rebuild already asked for runs now, not after the interval (no index access: safe on
        an event loop)."""
        with self._cond:
            if self._wanted:
                self._urgent = True
                self._cond.notify_all()

    def close(self, timeout: float = 1.0) -> None:
        """Stop the worker (a rebuild under way finishes on its own; the thread is a daemon)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout)

    def _run(self) -> None:
        index: Index | None = None
        try:
            while True:
                with self._cond:
                    while not self._closed:
                        if not self._wanted:
                            self._cond.wait()
                            continue
                        wait = 0.0 if self._urgent else self._last_build + self.min_interval - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    if self._closed:
                        return
                    index, self._wanted, self._urgent = self._index, False, False
                try:
                    if index is not None:
                        self.get(index)
                except Exception:  # the last profile stays; the next change retries
                    log.exception("rebuilding the style profile failed")
                self._last_build = time.monotonic()
        finally:
            if index is not None:
                index.close_thread()


def _build_profile(index: Index, version: int) -> Profile:
    by_note: dict[str, list[str]] = {}
    for path, text in index.written_paragraphs():
        by_note.setdefault(path, []).extend(words(URL_OR_REFERENCE.sub(" ", text)))
    style = StyleProfile(index.written_style(), WordProfile.fit(list(by_note.values())))
    rows = index.newest_written_paragraphs(PHRASE_SAMPLE)
    return Profile(style, characteristic_phrases([(path, URL_OR_REFERENCE.sub(" ", text)) for path, text in rows]),
                   version)


def style_card(profile: Profile) -> list[str]:
    """The author's style in plain lines: figures first, then habits."""
    style = profile.style
    if style.counts.sentences < 5:
        return ["Not enough of the author's own prose in the vault yet to describe a style."]
    low, high = style.sentence_iqr
    punct = style.punctuation_rates()
    habits = [f"{name.replace('_', ' ')} {rate:.1f}"
              for name, rate in sorted(punct.items(), key=lambda kv: -kv[1]) if rate >= 0.5]
    lines = [
        (f"Sentences: median {style.sentence_median:.0f} words (half between {low:.0f} and {high:.0f}); "
         f"paragraphs: median {style.paragraph_median:.0f} sentences."),
        "Punctuation per 1,000 words: " + (", ".join(habits[:6]) if habits else "sparse") + ".",
        (f"Contractions {style.per_thousand(style.counts.contractions):.1f}, first person "
         f"{style.per_thousand(style.counts.first_person):.1f}, "
         f"hedges {style.per_thousand(style.counts.hedges):.1f} per 1,000 words."),
        f"Lists versus prose: {100 * style.list_share:.0f}% of blocks are list items. Spelling: {style.spelling()}.",
    ]
    if profile.phrases:
        lines.append("Characteristic phrases: " + "; ".join(f"“{p}”" for p in profile.phrases[:8]) + ".")
    never = style.never_used()
    if never:
        lines.append("Never uses: " + ", ".join(never[:6]) + ".")
    return lines


def _typicality(profile: Profile, text: str) -> float:
    """1 for a paragraph indistinguishable from the author's average, towards 0 otherwise."""
    return max(0.0, 1.0 - profile.style.distance(counts_for_text(text)))


def _eligible(hit: ChunkHit, style: StyleProfile) -> bool:
    """Prose worth imitating: a few sentences, no generic phrases the author does not write
    themselves (a paragraph of theirs that says "robust", as they often do, is their voice), no
    addresses or link definitions (a small model copies their brackets and slashes into prose)."""
    n = len(hit.text.split())
    return (EXEMPLAR_MIN_WORDS <= n <= EXEMPLAR_MAX_WORDS and len(sentences(hit.text)) >= 2
            and not foreign_phrases(hit.text, style) and not URL_OR_REFERENCE.search(hit.text))


def select_exemplars(index: Index, profile: Profile, topic_terms: Sequence[str], *, count: int = 6,
                     exclude_paths: Sequence[str] = ()) -> list[Item]:
    """Paragraphs by the author: close to the topic, typical of the style, from different notes."""
    candidates: dict[int, tuple[ChunkHit, float]] = {}
    topical = index.search(topic_terms, limit=80, origin="written", kinds=["paragraph"], exclude_paths=exclude_paths)
    for rank, hit in enumerate(h for h in topical if _eligible(h, profile.style)):
        candidates[hit.id] = (hit, 1.0 / (1 + rank * 0.15))
    if len(candidates) < count * 3:
        # Not enough on-topic prose: fall back to the author's longest recent paragraphs.
        for hit in index.recent_written_paragraphs(EXEMPLAR_MIN_WORDS, EXEMPLAR_MAX_WORDS, FALLBACK_EXEMPLARS):
            if hit.path not in exclude_paths and _eligible(hit, profile.style):
                candidates.setdefault(hit.id, (hit, 0.2))
    scored = sorted(((0.5 * topic + 0.5 * _typicality(profile, hit.text), hit) for hit, topic in candidates.values()),
                    key=lambda pair: (-pair[0], pair[1].id))
    chosen: list[Item] = []
    used_notes: set[str] = set()
    for score, hit in scored:
        if hit.path in used_notes:
            continue
        used_notes.add(hit.path)
        chosen.append(Item(hit.text, hit.path, "written", "exemplar", round(score, 3)))
        if len(chosen) >= count:
            break
    return chosen


def procedural_section(index: Index, profile: Profile, topic_terms: Sequence[str],
                       exclude_paths: Sequence[str] = (), extra_exemplars: Sequence[Item] = ()) -> Section:
    section = Section("procedural", "How I write")
    section.items.extend(Item(line, None, "written", "style") for line in style_card(profile))
    section.items.extend(extra_exemplars)  # the author's rewrites (and avoid list) outrank the vault
    section.items.extend(select_exemplars(index, profile, topic_terms, exclude_paths=exclude_paths))
    if profile.words < 500:
        section.notes.append(f"only {profile.words} words of the author's own prose found; the style card is rough")
    return section
