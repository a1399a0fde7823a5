"""Specification of the rolling context: the engine with its vault watcher (as the language
server wires them) follows what the author writes, opens and reads, without a restart.

Real watchdog, real files, real SQLite; token counts with the model's tokenizer when the default
model is installed (tiktoken otherwise). No generation.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import settle, write

from penna.bench.synthetic import generate_vault
from penna.config import Settings
from penna.engine import Engine
from penna.knowledge.procedural import style_card
from penna.knowledge.watcher import WATCHDOG_LOG

DEBOUNCE = 0.3
MARGIN = 10.0  # generous: a shared, loaded CI machine; the benchmark reports the real latency
SETTLE = 60.0


class Live:
    """Engine + watcher, wired by `Engine.start_watching` as the language server and the CLI do."""

    def __init__(self, vault: Path) -> None:
        self.engine = Engine(vault, Settings())
        self.watcher = self.engine.start_watching(debounce=DEBOUNCE, background=False)

    def settle(self) -> None:
        assert settle(self.watcher, SETTLE), "the watcher did not settle"

    def passages(self, note: str | None, request: str) -> list[tuple[str | None, str | None, str]]:
        kept = self.engine.context(note, "expand", request).section("propositional").kept
        return [(item.source, item.origin, item.text) for item in kept]

    def perspective(self, note: str | None) -> str:
        return self.engine.context(note, "expand", "- anything").section("perspectival").text


@pytest.fixture
def live(sample_vault: Path) -> Iterator[Live]:
    running = Live(sample_vault)
    yield running
    running.watcher.stop()
    running.engine.close()


def test_a_note_saved_on_disk_reaches_the_context_within_the_debounce(live: Live) -> None:
    request = "- spelt porridge in the levain"
    assert not any("spelt" in text for _, _, text in live.passages(None, request))
    started = time.monotonic()
    write(live.engine.vault, "Notes/Spelt.md",
          "# Spelt\n\nSpelt porridge folded into the levain keeps the crumb moist.\n")
    while not any(source == "Notes/Spelt.md" for source, _, _ in live.passages(None, request)):
        assert time.monotonic() - started < DEBOUNCE + MARGIN, "the note never reached the context"
        time.sleep(0.02)
    print(f"\nsaved note in the context after {time.monotonic() - started:.3f}s (debounce {DEBOUNCE}s)")


def test_unsaved_buffer_text_is_what_the_context_uses_and_closing_falls_back_to_disk(live: Live) -> None:
    vault, engine = live.engine.vault, live.engine
    # The author opens the draft and types, without saving: a new heading, a tag and a link.
    draft = "Drafts/Winter loaf.md"
    engine.buffers[draft] = ((vault / draft).read_text(encoding="utf-8")
                             + "\n## Rye in winter\n\n#rye See [[Scoring]].\n")
    # Another open note holds unsaved text about rye.
    engine.buffers["Notes/Cold kitchens.md"] = ("# Cold kitchens\n\n"
                                                "Rye ferments happily at seventeen degrees, unlike wheat.\n")
    live.watcher.touch([draft, "Notes/Cold kitchens.md"])  # what didOpen/didChange do
    live.settle()

    perspective = live.perspective(draft)
    assert "Rye in winter" in perspective and "#rye" in perspective
    assert "Linked notes: Scoring" in perspective  # the link exists only in the unsaved text
    passages = live.passages(draft, "- rye at seventeen degrees")
    assert ("Notes/Cold kitchens.md", "written",
            "Rye ferments happily at seventeen degrees, unlike wheat.") in passages
    assert live.engine.index.outgoing(draft) == ["Notes/Scoring.md"]

    del engine.buffers["Notes/Cold kitchens.md"]
    live.watcher.touch(["Notes/Cold kitchens.md"])  # didClose
    live.settle()
    passages = live.passages(draft, "- rye at seventeen degrees")
    assert not any("seventeen degrees, unlike wheat" in text for _, _, text in passages)
    assert "Winter baking is slow baking" in live.engine.index.chunks_of("Notes/Cold kitchens.md")[0].text


def test_the_cached_prefix_follows_a_renamed_neighbour_and_a_change_in_the_authors_writing(live: Live) -> None:
    engine, vault = live.engine, live.engine.vault
    note = "Notes/Cold kitchens.md"
    write(vault, note, (vault / note).read_text(encoding="utf-8") + "\nSee [[Scoring]].\n")
    live.settle()
    before = live.engine.context(note, "expand", "- anything").prefix
    assert "Scoring" in live.perspective(note)
    assert live.engine.context(note, "expand", "- other bullets").prefix == before  # stable between requests

    os.rename(vault / "Notes/Scoring.md", vault / "Notes/Slashing.md")
    renamed = (vault / "Notes/Slashing.md").read_text(encoding="utf-8").replace("# Scoring", "# Slashing")
    write(vault, "Notes/Slashing.md", renamed)
    live.settle()
    version = engine.index.written_version
    after = live.engine.context(note, "expand", "- anything").prefix
    assert after != before
    # The old link no longer resolves, so the neighbour is gone from the prefix.
    assert "Linked notes: Scoring" not in after

    write(vault, "Notes/New habit.md", "# New habit\n\nI always proof overnight now; I never rush it.\n" * 3)
    live.settle()
    assert engine.index.written_version > version  # the author's writing changed: the profile key moves
    assert engine.profile().version == engine.index.written_version


def test_recently_touched_note_ranks_first_after_the_watcher_sees_the_edit(live: Live) -> None:
    vault = live.engine.vault
    text = "Kneading by hand builds gluten slowly and teaches the feel of dough.\n"
    write(vault, "Notes/Kneading A.md", "# Kneading A\n\n" + text)
    write(vault, "Notes/Kneading B.md", "# Kneading B\n\n" + text)
    live.settle()
    year_ago = time.time() - 365 * 86400
    for name in ("Notes/Kneading A.md", "Notes/Kneading B.md"):
        os.utime(vault / name, (year_ago, year_ago))
    live.settle()
    first = [s for s, _, _ in live.passages(None, "- kneading gluten dough") if s and "Kneading" in s]
    assert first[:2] == ["Notes/Kneading A.md", "Notes/Kneading B.md"]  # a tie: path order

    write(vault, "Notes/Kneading B.md", "# Kneading B\n\n" + text)  # the author touches B today
    live.settle()
    ranked = [s for s, _, _ in live.passages(None, "- kneading gluten dough") if s and "Kneading" in s]
    assert ranked[:2] == ["Notes/Kneading B.md", "Notes/Kneading A.md"]


def test_recent_reading_feeds_the_propositional_section_labelled_read(live: Live) -> None:
    vault = live.engine.vault
    text = "Steam in the first minutes of the bake keeps the crust soft so the loaf can rise.\n"
    write(vault, "Clippings/Steam A.md", "# Steam A\n\n" + text)
    write(vault, "Clippings/Steam B.md", "# Steam B\n\n" + text)
    live.settle()
    year_ago = time.time() - 365 * 86400
    conn = live.engine.index.conn
    with live.engine.index.transaction():
        conn.execute("UPDATE attention SET ts=? WHERE path LIKE 'Clippings/Steam %'", (year_ago,))
        conn.execute("UPDATE notes SET mtime=? WHERE path LIKE 'Clippings/Steam %'", (year_ago,))
    live.engine.index.record_attention("Clippings/Steam B.md", "read")  # opened today
    passages = [(s, o) for s, o, _ in live.passages("Drafts/Winter loaf.md", "- steam crust rise")
                if s and "Steam" in s]
    # The identical clipping read a year ago comes later, if at all.
    assert passages[0] == ("Clippings/Steam B.md", "read")


def test_new_reading_folders_and_exclusions_apply_live_to_notes_already_indexed(live: Live) -> None:
    """Settings changed in the editor: no restart, no file touched, and the notes change class."""
    engine = live.engine
    card = style_card(engine.profile())
    engine.apply_settings(Settings(reading_folders=("Clippings", "Notes"), exclude=("Drafts/**",)))
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        scoring = engine.index.note("Notes/Scoring.md")
        if scoring is not None and scoring.origin == "read" and engine.index.note("Drafts/Winter loaf.md") is None:
            break
        time.sleep(0.05)
    assert engine.index.note("Notes/Scoring.md").origin == "read"  # type: ignore[union-attr]
    assert engine.index.note("Drafts/Winter loaf.md") is None
    live.settle()
    passages = [(source, origin) for source, origin, _ in live.passages(None, "- shallow angle for an ear")
                if source == "Notes/Scoring.md"]
    assert passages and all(origin == "read" for _, origin in passages)  # labelled as reading now
    assert style_card(engine.profile()) != card  # the voice no longer counts those notes


def test_new_reading_leaves_the_style_and_the_prompt_prefix_alone_and_own_writing_moves_them(live: Live) -> None:
    engine, vault = live.engine, live.engine.vault
    note = "Drafts/Winter loaf.md"
    version, profile = engine.index.written_version, engine.profile()
    prefix = engine.context(note, "expand", "- anything").prefix
    write(vault, "Clippings/Crust colour.md",
          "---\nsource: https://example.org/crust\n---\n# Crust colour\n\n"
          "Maillard reactions darken the crust above 140 degrees, and that is where the flavour comes from.\n")
    live.settle()
    assert engine.index.note("Clippings/Crust colour.md") is not None
    assert engine.index.written_version == version  # clippings never touch the style
    assert engine.context(note, "expand", "- anything").prefix == prefix  # byte-identical: the KV cache holds

    write(vault, "Notes/Crumb.md",
          "# Crumb\n\n" + "I think an open crumb is overrated; I'd rather have flavour. " * 4 + "\n")
    live.settle()
    assert engine.index.written_version > version
    assert engine.profile().words > profile.words


def test_typing_in_one_note_leaves_another_notes_prefix_alone_unless_the_style_card_moves(tmp_path: Path) -> None:
    """Each typing pause in a written note bumps written_version; only a change in what the prefix
    shows (the style card) may cost the other notes their cached prefix (and the KV cache)."""
    vault = tmp_path / "vault"
    generate_vault(vault, 150, seed=3)  # enough of the author's prose that a few words move no figure
    live = Live(vault)
    try:
        engine = live.engine
        other = next(row[0] for row in engine.index.conn.execute(
            "SELECT path FROM notes WHERE origin='written' AND path NOT LIKE 'Drafts/%' ORDER BY path"))
        prefix = engine.context(other, "expand", "- anything").prefix
        sections = engine.all_sections(other)
        card = style_card(engine.profile())
        version = engine.index.written_version

        for typed in ("The loaf rose.", "The loaf rose well."):  # two typing pauses in an unsaved note
            engine.buffers["Drafts/Scratch.md"] = f"# Scratch\n\n{typed}\n"
            live.watcher.touch(["Drafts/Scratch.md"])
            live.settle()
        assert engine.index.written_version > version  # the author's writing did change
        assert style_card(engine.profile()) == card  # but not what the prefix shows of it
        assert engine.context(other, "expand", "- anything").prefix == prefix  # byte-identical
        assert engine.all_sections(other) is sections  # not even rebuilt

        engine.buffers["Drafts/Scratch.md"] = (
            "# Scratch\n\n" + "Rye \u2014 always rye \u2014 and never spelt; I'd bet on it. " * 60 + "\n")
        live.watcher.touch(["Drafts/Scratch.md"])
        live.settle()
        assert style_card(engine.profile()) != card  # now the style card moved
        assert engine.context(other, "expand", "- anything").prefix != prefix
    finally:
        live.watcher.stop()
        live.engine.close()


def test_the_engine_follows_editor_buffers_itself(live: Live) -> None:
    """The editor only hands buffers to the engine; the engine's watcher indexes them."""
    engine = live.engine
    clipping = "Clippings/Fresh clipping.md"
    engine.set_buffer(clipping,
                      "---\nsource: https://example.org/x\n---\n# Fresh clipping\n\nRye loves a cold proof.\n")
    assert engine.note_origin(clipping) == "read"  # not indexed yet: classified from the buffer
    engine.set_buffer("Notes/Scoring.md", "# Scoring\n\nUnsaved: a lame held at thirty degrees.\n")
    live.settle()
    assert "thirty degrees" in engine.index.chunks_of("Notes/Scoring.md")[0].text
    assert engine.index.note(clipping) is not None and engine.note_origin(clipping) == "read"
    engine.set_buffer("Notes/Scoring.md", None)  # closed: back to disk
    engine.set_buffer(clipping, None)
    live.settle()
    assert not any("thirty degrees" in c.text for c in engine.index.chunks_of("Notes/Scoring.md"))
    assert engine.index.note(clipping) is None  # never saved


def test_watching_again_when_the_vault_is_back_stops_the_old_watcher_first(sample_vault: Path, tmp_path: Path) -> None:
    engine = Engine(sample_vault, Settings())
    try:
        errors: list[str] = []
        first = engine.start_watching(debounce=DEBOUNCE, background=False, on_error=errors.append)
        os.rename(sample_vault, tmp_path / "away")
        assert first.finished.wait(SETTLE) and first.vault_missing
        write(tmp_path / "away", "Notes/While away.md", "# While away\n\nWritten while the drive was gone.\n")
        os.rename(tmp_path / "away", sample_vault)

        second = engine.start_watching(debounce=DEBOUNCE)  # in the background, as the server does
        assert engine.watcher is second and first is not second
        handlers = logging.getLogger(WATCHDOG_LOG).handlers
        assert not [h for h in handlers if getattr(h, "watcher", None) is first]
        assert len([h for h in handlers if getattr(h, "watcher", None) is second]) <= 1
        deadline = time.monotonic() + SETTLE
        while engine.index.note("Notes/While away.md") is None:  # the start-up sync caught up
            assert time.monotonic() < deadline, "the returning vault was never synced"
            time.sleep(0.05)
        engine.stop_watching()
        assert second.finished.is_set() and engine.watcher is None
        assert not [t for t in threading.enumerate() if t.name == "penna-index" and t.is_alive()]
        assert errors == []
    finally:
        engine.close()
