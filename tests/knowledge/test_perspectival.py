"""Specification of salience: recent attention outweighs old, with a half-life."""

from __future__ import annotations

import os
import time
from pathlib import Path

from helpers import write

from penna.config import Settings
from penna.engine import Engine
from penna.knowledge.perspectival import RecentSalience, current_note, decay, salience


def test_decay_halves_each_half_life() -> None:
    assert decay(0, 14) == 1.0
    assert abs(decay(14 * 86400, 14) - 0.5) < 1e-9


def test_recently_touched_note_ranks_first(tmp_path: Path) -> None:
    text = "Kneading by hand builds gluten slowly and teaches the feel of dough.\n"
    write(tmp_path, "old.md", text)
    write(tmp_path, "new.md", text)
    year_ago = time.time() - 365 * 86400
    os.utime(tmp_path / "old.md", (year_ago, year_ago))
    os.utime(tmp_path / "new.md", (year_ago, year_ago))
    engine = Engine(tmp_path, Settings())
    engine.sync()
    engine.index.record_attention("new.md", "edit")
    scores = salience(engine.index, 14)
    assert scores["new.md"] > scores.get("old.md", 0.0)
    items = engine.context(None, "expand", "- kneading gluten dough").section("propositional").kept
    assert [i.source for i in items][:2] == ["new.md", "old.md"]


def test_salience_survives_a_restart(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    text = "Kneading by hand builds gluten slowly and teaches the feel of dough.\n"
    for name in ("a.md", "b.md", "c.md"):
        write(vault, name, text)
    year_ago = time.time() - 365 * 86400
    for name in ("a.md", "b.md", "c.md"):
        os.utime(vault / name, (year_ago, year_ago))
    engine = Engine(vault, Settings())
    engine.sync()
    engine.index.record_attention("c.md", "edit")
    engine.index.record_attention("b.md", "open", time.time() - 3 * 86400)
    before = salience(engine.index, 14)
    engine.close()

    restarted = Engine(vault, Settings())  # a new process: only the index on disk carries over
    restarted.sync()
    after = salience(restarted.index, 14)
    assert set(after) == set(before) == {"b.md", "c.md"}
    assert all(abs(after[p] - before[p]) < 1e-3 for p in before)
    items = restarted.context(None, "expand", "- kneading gluten dough").section("propositional").kept
    assert [i.source for i in items][:3] == ["c.md", "b.md", "a.md"]
    restarted.close()


def test_a_note_edited_today_outweighs_an_identical_one_untouched_for_a_year(tmp_path: Path) -> None:
    for name in ("Today.md", "Last year.md"):
        write(tmp_path, name, "# Same\n\nThe same words in both notes.\n")
    year_ago = time.time() - 365 * 86400
    os.utime(tmp_path / "Last year.md", (year_ago, year_ago))
    engine = Engine(tmp_path, Settings())
    engine.sync()
    engine.index.record_attention("Last year.md", "edit", year_ago)
    engine.index.record_attention("Today.md", "edit")
    recent = [i.source for i in engine.context("Draft.md", "expand", "- x").section("perspectival").kept
              if i.label == "recent"]
    assert recent[0] == "Today.md"
    assert salience(engine.index, 14)["Today.md"] > 100 * salience(engine.index, 14).get("Last year.md", 0.0)
    engine.close()


def test_the_current_note_comes_from_its_open_buffer_else_the_index(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings())
    engine.sync()
    try:
        draft = "Drafts/Winter loaf.md"
        indexed = current_note(engine.index, draft, None)
        assert indexed.path == draft and indexed.headings
        typed = current_note(engine.index, draft, "# Spring loaf\n\nNew text. #fresh\n")
        assert typed.headings == ["Spring loaf"] and typed.tags == ["fresh"]  # the editor's text wins
        assert current_note(engine.index, "Drafts/Unsaved.md", None).title == "Unsaved"
        assert current_note(engine.index, None, None).title == "Draft"
    finally:
        engine.close()


def test_request_salience_is_reused_until_the_index_sees_a_change(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings())
    engine.sync()
    try:
        recent = RecentSalience(ttl=3600)
        first = recent.get(engine.index, 7.0)
        assert recent.get(engine.index, 7.0) is first  # nothing changed: the same figures
        engine.index.record_attention("Notes/Scoring.md", "open")
        second = recent.get(engine.index, 7.0)
        assert second is not first and second["Notes/Scoring.md"] > first.get("Notes/Scoring.md", 0.0)
        recent.clear()
        assert recent.get(engine.index, 7.0) is not second
    finally:
        engine.close()
