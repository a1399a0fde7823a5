"""The request's own search words: the rarer ones, never the vault's commonplaces."""

from __future__ import annotations

from pathlib import Path

from penna.config import Settings
from penna.context.late import SMALL_VAULT_CHUNKS, rare_terms
from penna.engine import Engine


def test_common_and_absent_words_are_not_searched(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    for number in range(SMALL_VAULT_CHUNKS + 40):
        extra = " The trip to Zürich changed my sourdough." if number == 3 else ""
        (vault / f"Note {number}.md").write_text(
            f"# Note {number}\n\nI bake bread most mornings, number {number}.{extra}\n", encoding="utf-8")
    engine = Engine(vault, Settings(), db_path=tmp_path / "index.sqlite")
    engine.sync()
    terms = rare_terms(engine.index, ["bread", "sourdough", "zürich", "velociraptor"])
    assert terms[:2] in (["sourdough", "zürich"], ["zürich", "sourdough"])  # in one note of 240: kept
    assert "bread" not in terms  # in every note: says nothing about this request
    assert "velociraptor" not in terms  # in none: searching it finds nothing
    assert rare_terms(engine.index, ["sourdough", "zürich"], exclude=["sourdough"]) == ["zürich"]
    assert rare_terms(engine.index, ["sourdough", "zürich"], limit=1) in (["sourdough"], ["zürich"])
    engine.close()


def test_a_small_vault_searches_every_word_it_has_the_rarest_first(sample_vault: Path) -> None:
    # A share of 11 chunks would drop every word: a new user's vault must still give passages.
    engine = Engine(sample_vault, Settings())
    engine.sync()
    terms = rare_terms(engine.index, ["bread", "levain", "velociraptor"])
    assert set(terms) == {"bread", "levain"}
    engine.close()


def test_remembered_frequencies_are_read_again_once_the_vault_has_changed(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    for number in range(SMALL_VAULT_CHUNKS + 40):
        (vault / f"Note {number}.md").write_text(f"# Note {number}\n\nI bake bread, number {number}.\n",
                                                  encoding="utf-8")
    engine = Engine(vault, Settings(), db_path=tmp_path / "index.sqlite")
    engine.sync()
    assert rare_terms(engine.index, ["bread", "velociraptor"]) == []  # remembered: absent, and common
    for number in range(10):  # the vault grows by 4%: what was remembered is read again
        (vault / f"Dino {number}.md").write_text(f"# Dino {number}\n\nA velociraptor, number {number}.\n",
                                                 encoding="utf-8")
    engine.sync()
    assert rare_terms(engine.index, ["bread", "velociraptor"]) == ["velociraptor"]
    engine.close()
