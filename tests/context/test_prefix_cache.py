"""Specification of the prefix cache: a note's stable prefix is built once and kept while what
it shows holds; it is dropped when the note is reopened or a note it shows changes.

Real SQLite index of the sample vault; tiktoken counts (no model needed).
"""

from __future__ import annotations

from pathlib import Path

from penna.config import Settings
from penna.context.assemble import Budget
from penna.context.prefix_cache import PrefixCache, PrefixEntry
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer
from penna.knowledge.perspectival import CurrentNote, current_note
from penna.knowledge.procedural import Profile, ProfileCache
from penna.knowledge.tokens import count_tokens
from penna.paths import index_path

DRAFT = "Drafts/Winter loaf.md"
BUDGET = Budget(1024, 64)


def _setup(vault: Path) -> tuple[Index, Profile, CurrentNote]:
    index = Index(index_path(vault), vault)
    Indexer(index, Settings()).sync()
    profile = ProfileCache().get(index)
    current = current_note(index, DRAFT, None)
    assert current.title == "Winter loaf" and current.headings  # from the index
    return index, profile, current


def _entry(cache: PrefixCache, index: Index, profile: Profile, current: CurrentNote,
           budget: Budget = BUDGET, settings: Settings | None = None) -> PrefixEntry:
    return cache.entry(index, settings or Settings(), current, profile, open_paths=[DRAFT], count=count_tokens,
                       budget=budget)


def test_a_notes_prefix_is_built_once_and_rebuilt_when_what_it_shows_changes(sample_vault: Path) -> None:
    index, profile, current = _setup(sample_vault)
    cache = PrefixCache()
    assert cache.sections(DRAFT) == []
    first = _entry(cache, index, profile, current)
    assert [s.name for s in cache.sections(DRAFT)] == ["participatory", "procedural", "perspectival"]
    assert first.fitted and first.pinned is not None
    assert _entry(cache, index, profile, current) is first  # same fingerprint: the cached entry
    assert _entry(cache, index, profile, current, budget=Budget(2048, 64)) is not first  # another window
    again = _entry(cache, index, profile, current)
    renamed = CurrentNote(DRAFT, "Another title", current.headings, current.tags, current.frontmatter)
    assert _entry(cache, index, profile, renamed).key != again.key  # the note's outline is in the key
    index.close()


def test_a_rewrite_or_another_author_name_gives_a_new_key(sample_vault: Path) -> None:
    index, profile, current = _setup(sample_vault)
    cache = PrefixCache()
    before = _entry(cache, index, profile, current)
    index.add_rewrite(DRAFT, "penna wrote this", "I wrote that")
    after = _entry(cache, index, profile, current)
    assert after.key != before.key
    assert any(item.label == "rewrite" for f in after.fitted for item in f.kept)  # the rewrite is shown
    assert _entry(cache, index, profile, current, settings=Settings(author_name="Someone")).key != after.key
    index.close()


def test_reopening_or_a_shown_note_changing_drops_the_entry(sample_vault: Path) -> None:
    index, profile, current = _setup(sample_vault)
    cache = PrefixCache()
    first = _entry(cache, index, profile, current)
    shown = {item.source for f in [*first.fitted, first.pinned] if f for item in f.kept} - {None, DRAFT}
    assert shown  # the prefix shows other notes of the vault
    cache.notes_changed(["Nowhere/unrelated.md"])
    assert _entry(cache, index, profile, current) is first
    cache.notes_changed([sorted(shown)[0]])  # type: ignore[type-var]
    assert cache.sections(DRAFT) == []
    second = _entry(cache, index, profile, current)
    assert second is not first and second.key == first.key  # rebuilt from the same inputs
    cache.forget(DRAFT)  # the note reopened
    assert _entry(cache, index, profile, current) is not second
    cache.clear()
    assert cache.sections(DRAFT) == []
    index.close()
