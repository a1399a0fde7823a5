"""The prefix cache: per note, the stable part of its prompt, kept while nothing it shows changes.

A note's prefix (the author, their style and rewrites, what they work on, what the vault says
about the note's topic) is the same for every request on the note, so the model keeps its
evaluated state and a request pays only for its own tail. An entry is keyed by a fingerprint of
what it was built from: the note's outline and links, the author's style card, the number of
rewrites, the budget and the settings that shape it. The watcher drops entries that show a note
that changed; opening a note drops its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from penna.config import Settings
from penna.context.assemble import Budget, Counter, FittedSection, fit_pinned, fit_stable
from penna.context.render import demo_pairs
from penna.knowledge.index import Index
from penna.knowledge.items import Section, query_terms
from penna.knowledge.participatory import author_name, find_profile_note, participatory_section
from penna.knowledge.perspectival import CurrentNote, perspectival_section, salience
from penna.knowledge.procedural import Profile, procedural_section, style_card
from penna.knowledge.propositional import propositional_section
from penna.knowledge.rewrites import rewrite_exemplars


@dataclass
class PrefixEntry:
    key: str
    author: str
    sections: list[Section]  # unfitted, for the context viewer
    fitted: list[FittedSection]
    demo: str
    pinned: FittedSection | None = None  # the note's own propositional passages, part of the prefix


def style_key(profile: Profile) -> str:
    """What the prefix shows of the author's style: the style card. Typing in a written note
    moves the profile at every pause, but the card (rounded figures, phrases) rarely moves, and
    only a real change may cost every note its KV-cached prefix (~9 s to refill)."""
    return hashlib.sha1("\n".join(style_card(profile)).encode()).hexdigest()


class PrefixCache:
    def __init__(self) -> None:
        self._entries: dict[str, PrefixEntry] = {}  # by note path ("" for a draft outside the vault)

    def entry(self, index: Index, settings: Settings, current: CurrentNote, profile: Profile, *,
              open_paths: Sequence[str], count: Counter, budget: Budget) -> PrefixEntry:
        """The note's prefix, from the cache while its fingerprint holds, else built anew."""
        neighbours = sorted(set(index.outgoing(current.path) + index.backlinks(current.path))) if current.path else []
        fingerprint = json.dumps([current.title, list(current.headings), list(current.tags), current.frontmatter,
                                  neighbours, style_key(profile), index.rewrite_count(), budget.n_ctx,
                                  budget.max_new_tokens, settings.author_name, settings.profile_note],
                                 sort_keys=True, default=str)
        key = hashlib.sha1(fingerprint.encode()).hexdigest()
        entry = self._entries.get(current.path or "")
        if entry and entry.key == key:
            return entry
        entry = build_entry(key, index, settings, current, profile, open_paths=open_paths, count=count, budget=budget)
        self._entries[current.path or ""] = entry
        return entry

    def sections(self, path: str | None) -> list[Section]:
        """The unfitted sections behind a note's cached prefix (none when it has no entry)."""
        entry = self._entries.get(path or "")
        return entry.sections if entry else []

    def forget(self, path: str | None) -> None:
        self._entries.pop(path or "", None)

    def clear(self) -> None:
        self._entries.clear()

    def notes_changed(self, paths: Sequence[str]) -> None:
        """Drop the entries that show one of these notes. A note's own outline, its links and the
        author's style are in the key already."""
        changed = set(paths)
        for key, entry in list(self._entries.items()):
            shown = [*entry.fitted, entry.pinned] if entry.pinned else entry.fitted  # the note's passages too
            if any(item.source in changed for fitted in shown for item in fitted.kept if item.source != key):
                self._entries.pop(key, None)


def build_entry(key: str, index: Index, settings: Settings, current: CurrentNote, profile: Profile, *,
                open_paths: Sequence[str], count: Counter, budget: Budget) -> PrefixEntry:
    topic = query_terms(current.title, " ".join(current.headings), " ".join(current.tags))
    exclude = [current.path] if current.path else []
    rewrites = rewrite_exemplars(index) if settings.learn_from_rewrites else []
    scores = salience(index, settings.half_life_days)
    sections = [
        participatory_section(index, configured_name=settings.author_name, profile_note=settings.profile_note,
                              topic_terms=topic, current_frontmatter=current.frontmatter, exclude_paths=exclude),
        procedural_section(index, profile, topic, exclude_paths=exclude, extra_exemplars=rewrites),
        perspectival_section(index, current, scores, half_life_days=settings.half_life_days,
                             open_paths=list(open_paths)),
    ]
    author = author_name(index, settings.author_name, find_profile_note(index, settings.profile_note))
    fitted = fit_stable(sections, budget, count)
    exemplars = [i.text for f in fitted if f.name == "procedural" for i in f.kept if i.label in ("exemplar", "rewrite")]
    # What the vault says about the note's topic, and its linked notes, is per note as well:
    # it joins the prefix (warmed on open), so a request evaluates only its own few passages.
    pinned = fit_pinned(propositional_section(index, topic, current_path=current.path, salience=scores),
                        budget, count)
    return PrefixEntry(key, author, sections, fitted, demo_pairs(exemplars), pinned)
