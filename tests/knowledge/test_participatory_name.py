"""The context names the author only when it knows the name."""

from __future__ import annotations

from pathlib import Path

from helpers import write

from penna.config import Settings
from penna.engine import Engine


def author_lines(vault: Path) -> list[str]:
    engine = Engine(vault, Settings())
    engine.sync()
    items = engine.context("Draft.md", "expand", "- a walk").section("participatory").kept
    engine.close()
    return [i.text for i in items if i.text.startswith("Author:")]


def test_no_profile_note_no_author_line(tmp_path: Path) -> None:
    write(tmp_path, "Walks.md", "# Walks\n\nI walk before work because it clears my head.\n")
    assert author_lines(tmp_path) == []


def test_a_named_profile_note_names_the_author(tmp_path: Path) -> None:
    write(tmp_path, "Walks.md", "# Walks\n\nI walk before work because it clears my head.\n")
    write(tmp_path, "About me.md", "---\nname: Ada\n---\n# About me\n\nI write short essays about walking.\n")
    assert author_lines(tmp_path) == ["Author: Ada"]
