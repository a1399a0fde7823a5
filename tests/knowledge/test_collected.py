"""What is the writer's own: folders that look collected, and copies that are not writing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from helpers import write

from penna.config import Settings
from penna.engine import Engine
from penna.knowledge.collected import bulk_copied_seconds, index_suggestions, suggest_collected
from penna.knowledge.perspectival import salience
from penna.knowledge.style import counts_for_text
from penna.vault.classify import collected_folder_reason, pasted_web_features

MINE = "I walked to the weir this morning and I think the heron knows me by now. I've stopped counting."
ENCYCLOPEDIC = "The grey heron is a long-legged wading bird of the family Ardeidae. It is native to Europe and Asia."
PASTED = ("The grey heron is a wading bird.[1] It breeds in colonies.[2]\n\n"
          "Retrieved from https://en.wikipedia.org/wiki/Grey_heron [edit]\n")


def test_folder_names_that_say_collected() -> None:
    assert collected_folder_reason("06. Collected Knowledge") == "the folder name says “collected”"
    assert collected_folder_reason("Wikipedia imports") is not None
    assert collected_folder_reason("Archive") is not None
    assert collected_folder_reason("01. Personal") is None
    assert collected_folder_reason("Recollections") is None  # whole words only


def test_pasted_web_features() -> None:
    assert pasted_web_features(PASTED) == ["citation marks like [1]", "[edit] links", "“Retrieved …” lines"]
    assert pasted_web_features(MINE) == []
    assert pasted_web_features("See [[Heron]] and [the link](https://a.b).") == []


def test_suggestions_by_name_by_web_features_and_by_voice(tmp_path: Path) -> None:
    notes = []
    for i in range(12):
        notes.append((f"Journal/day {i}.md", counts_for_text(MINE)))
        notes.append((f"06. Collected Knowledge/topic {i}.md", counts_for_text(ENCYCLOPEDIC)))
        notes.append((f"Birds/bird {i}.md", counts_for_text(ENCYCLOPEDIC)))
        notes.append((f"Pasted/page {i}.md", counts_for_text(MINE)))
        write(tmp_path, f"Pasted/page {i}.md", PASTED)
        write(tmp_path, f"Journal/day {i}.md", MINE)
    notes.append(("Small/one.md", counts_for_text(ENCYCLOPEDIC)))  # too few notes to judge
    found = {s.folder: s for s in suggest_collected(notes, tmp_path)}
    assert set(found) == {"06. Collected Knowledge", "Birds", "Pasted"}
    assert "folder name" in found["06. Collected Knowledge"].why and found["Birds"].notes == 12
    assert found["Birds"].why.startswith("“I” 0.0 times per 1,000 words, against")
    assert "pasted-web features" in found["Pasted"].why


def test_a_copied_vault_is_not_what_the_writer_has_on_their_mind(tmp_path: Path) -> None:
    """`cp -r` gives every note the same second: no note counts as recently written."""
    copied_at = time.time() - 3600
    for i in range(25):
        write(tmp_path, f"Notes/note {i}.md", f"# Note {i}\n\nWords of note {i}.\n")
        os.utime(tmp_path / f"Notes/note {i}.md", (copied_at, copied_at))
    write(tmp_path, "Today.md", "# Today\n\nWhat I wrote today.\n")
    assert bulk_copied_seconds([copied_at] * 25 + [copied_at + 5]) == {int(copied_at)}
    assert bulk_copied_seconds([copied_at + i for i in range(25)]) == set()
    engine = Engine(tmp_path, Settings())
    engine.sync()
    assert set(salience(engine.index, 14)) == {"Today.md"}
    recent = [i.text for i in engine.context("Draft.md", "expand", "- x").section("perspectival").kept
              if i.label == "recent"]
    assert recent and all("Today" in r for r in recent)
    assert index_suggestions(engine.index, tmp_path) == []
    engine.close()
