"""Specification of salience: recent attention outweighs old, with a half-life."""

from __future__ import annotations

import os
import time
from pathlib import Path

from helpers import write

from penna.config import Settings
from penna.engine import Engine
from penna.knowledge.perspectival import decay, salience


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
