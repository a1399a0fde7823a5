"""Specification of the index: where it lives, incremental sync, graph lookups, self-repair."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from helpers import write

from penna.config import Settings
from penna.knowledge.index import SCHEMA_VERSION, Index
from penna.knowledge.indexer import Indexer
from penna.paths import index_path


def open_index(vault: Path) -> tuple[Index, Indexer]:
    index = Index(index_path(vault), vault)
    return index, Indexer(index, Settings())


def test_index_lives_in_the_cache_not_the_vault(sample_vault: Path, isolated_cache: Path) -> None:
    index, indexer = open_index(sample_vault)
    indexer.sync()
    assert index.db_path.is_relative_to(isolated_cache)
    assert not any(p.suffix in (".sqlite", ".db") for p in sample_vault.rglob("*"))
    assert index.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sync_counts_and_unchanged_reopen_reads_nothing(sample_vault: Path) -> None:
    index, indexer = open_index(sample_vault)
    first = indexer.sync()
    assert first.added == 9 and index.counts()["read"] == 2
    index.close()
    index, indexer = open_index(sample_vault)
    second = indexer.sync()
    assert (second.added, second.updated, second.removed, second.touched) == (0, 0, 0, 0)


def test_changed_touched_and_deleted_files(sample_vault: Path) -> None:
    index, indexer = open_index(sample_vault)
    indexer.sync()
    scoring = sample_vault / "Notes/Scoring.md"
    os.utime(scoring, (1, 1))  # same bytes, new mtime: no re-parse
    write(sample_vault, "Notes/Cold kitchens.md", "# Cold kitchens\n\nNow about [[Scoring]] only.\n")
    (sample_vault / "Notes/Hydration is a feeling.md").unlink()
    report = indexer.sync()
    assert (report.touched, report.updated, report.removed) == (1, 1, 1)
    assert index.note("Notes/Hydration is a feeling.md") is None
    assert "Notes/Cold kitchens.md" in index.backlinks("Notes/Scoring.md")


def test_links_backlinks_and_alias_resolution(sample_vault: Path) -> None:
    index, indexer = open_index(sample_vault)
    indexer.sync()
    starter = "Notes/Starter is a pet, not a pantry item.md"
    assert set(index.outgoing(starter)) == {"Notes/Hydration is a feeling.md", "Notes/Cold kitchens.md"}
    assert index.backlinks("Notes/Cold kitchens.md") == [starter]
    assert index.resolve("hydration") == "Notes/Hydration is a feeling.md"  # an alias
    assert index.resolve("notes/scoring") == "Notes/Scoring.md"  # a path


@pytest.mark.parametrize("order", [("Clippings", "Reference"), ("Reference", "Clippings")])
def test_a_link_that_several_notes_match_resolves_the_same_whatever_the_indexing_order(
        tmp_path: Path, order: tuple[str, str]) -> None:
    """Two notes with one title and paths of one length: the first in path order wins, however the
    index came to hold them (a live index adds a renamed folder's notes after older ones)."""
    vault = tmp_path / "vault"
    write(vault, "Linking.md", "# Linking\n\nSee [[Oven]], [[Loaf]] and [[Clippings/Oven]].\n")
    index, indexer = open_index(vault)
    indexer.sync()
    for folder in order:
        indexer.index_text(f"{folder}/Oven.md", "---\naliases: [Loaf]\n---\n# Oven\n\nHot.\n")
    assert index.resolve("Oven") == "Clippings/Oven.md"  # title
    assert index.resolve("Loaf") == "Clippings/Oven.md"  # alias
    assert index.outgoing("Linking.md") == ["Clippings/Oven.md"]


def test_bm25_search_labels_origin(sample_vault: Path) -> None:
    index, indexer = open_index(sample_vault)
    indexer.sync()
    hits = index.search(["lactobacilli", "acetic"])
    assert hits and hits[0].path == "Clippings/The science of sourdough.md" and hits[0].origin == "read"
    assert index.search(['"; DROP TABLE notes; --']) == []  # FTS syntax cannot leak in


def test_corrupt_database_is_rebuilt(sample_vault: Path) -> None:
    index, indexer = open_index(sample_vault)
    indexer.sync()
    path = index.db_path
    index.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    index, indexer = open_index(sample_vault)
    assert (index.rebuilt_reason and "corrupt" in index.rebuilt_reason) or "unreadable" in (index.rebuilt_reason or "")
    assert indexer.sync().added == 9


def test_other_schema_version_is_rebuilt(sample_vault: Path) -> None:
    index, indexer = open_index(sample_vault)
    indexer.sync()
    index.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    index.close()
    index, indexer = open_index(sample_vault)
    assert "schema" in (index.rebuilt_reason or "")
    assert index.counts()["notes"] == 0 and indexer.sync().added == 9


def test_interrupted_creation_is_rebuilt(sample_vault: Path) -> None:
    path = index_path(sample_vault)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes(x)")  # a schema cut short before `meta`
    conn.commit()
    conn.close()
    index, indexer = open_index(sample_vault)
    assert index.rebuilt_reason == "the index had no schema"
    assert indexer.sync().added == 9


def test_written_version_moves_only_when_own_writing_changes(sample_vault: Path) -> None:
    index, indexer = open_index(sample_vault)
    indexer.sync()
    before = index.written_version
    write(sample_vault, "Clippings/New clip.md", "---\nsource: x\n---\nSomeone else's prose here.\n")
    indexer.sync()
    assert index.written_version == before
    write(sample_vault, "Notes/New.md", "I wrote this myself. It is short.\n")
    indexer.sync()
    assert index.written_version == before + 1


def test_changed_rules_reclass_and_drop_notes_whose_bytes_did_not_change(sample_vault: Path) -> None:
    """Reading folders, exclusions and the author's name are settings: a sync under new ones
    re-reads the notes they class otherwise, drops the newly excluded and reads the rest as before."""
    index, indexer = open_index(sample_vault)
    indexer.sync()
    assert index.note("Notes/Scoring.md").origin == "written"  # type: ignore[union-attr]
    before = index.written_version
    indexer.settings = Settings(reading_folders=("Clippings", "Notes"), exclude=("Drafts/**",))
    report = indexer.sync()
    assert report.updated == 5 and report.removed == 1, report  # Notes/* re-read; the draft left
    scoring = index.note("Notes/Scoring.md")
    assert scoring is not None and scoring.origin == "read" and "reading folder 'Notes'" in scoring.origin_reason
    assert index.note("Drafts/Winter loaf.md") is None
    assert index.written_version > before  # the author's voice no longer counts those notes
    assert not index.search(["scoring"], origin="written")
    again = indexer.sync()  # the same rules: nothing is read again
    assert (again.added, again.updated, again.removed, again.touched) == (0, 0, 0, 0)
    indexer.settings = Settings()
    back = indexer.sync()
    assert back.updated == 5 and back.added == 1 and index.note("Notes/Scoring.md").origin == "written"  # type: ignore[union-attr]


def test_a_new_phrase_list_counts_every_note_again(sample_vault: Path) -> None:
    """Each note's style counts (which generic phrases it uses) are stored: an index written under
    another phrase list, by an older penna, has every note counted again once, bytes unchanged."""
    index, indexer = open_index(sample_vault)
    notes = indexer.sync().added
    older = json.loads(index.get_meta("rules") or "[]")[:3]  # recorded before the list's fingerprint was
    index.set_meta("rules", json.dumps(older))
    index.conn.execute("UPDATE notes SET style=NULL")  # counts that a new list would make stale
    report = indexer.sync()
    assert report.updated == notes and report.touched == 0, report
    assert index.conn.execute("SELECT COUNT(*) FROM notes WHERE style IS NULL AND origin='written'").fetchone()[0] == 0
    again = indexer.sync()  # recorded now: nothing is read again
    assert (again.added, again.updated, again.removed, again.touched) == (0, 0, 0, 0)


def test_a_note_that_breaks_the_parser_is_skipped_and_the_sync_goes_on(sample_vault, monkeypatch) -> None:
    # The parser has no known crash left, so one is injected (a stand-in for the next unknown one).
    import penna.knowledge.prepare as prepare_module
    from penna.config import Settings
    from penna.engine import Engine

    real_load = prepare_module.load_note

    def load(rel_path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if rel_path == "Notes/Scoring.md":
            raise TypeError("unhashable type: 'list'")
        return real_load(rel_path, *args, **kwargs)

    monkeypatch.setattr(prepare_module, "load_note", load)
    engine = Engine(sample_vault, Settings())
    report = engine.sync()
    assert [path for path, _ in report.skipped] == ["Notes/Scoring.md"]
    assert "TypeError" in report.skipped[0][1]
    assert report.added == report.scanned - 1 and engine.index.note("Notes/Why I sell bread on Saturdays.md")
    engine.close()


def test_a_wrong_query_inside_a_write_is_not_blamed_on_the_disk(tmp_path) -> None:
    import sqlite3

    import pytest

    from penna.knowledge.index import Index

    index = Index(tmp_path / "index.sqlite", tmp_path)
    with pytest.raises(sqlite3.OperationalError, match="no such table"), index.transaction() as conn:
        conn.execute("INSERT INTO no_such_table VALUES (1)")
    index.set_meta("still", "writable")  # rolled back, and the index goes on
    assert index.get_meta("still") == "writable"
    index.close()


def test_rewrites_are_stored_newest_first_and_forgotten(sample_vault: Path) -> None:
    index, _indexer = open_index(sample_vault)
    index.add_rewrite("Drafts/a.md", "penna wrote this", "I wrote that", ts=1.0)
    index.add_rewrite("Drafts/b.md", "penna again", "mine again", ts=2.0)
    assert index.rewrite_count() == 2
    assert index.recent_rewrites(1) == [("Drafts/b.md", "mine again")]
    assert index.rewrite_pairs(5) == [("penna again", "mine again"), ("penna wrote this", "I wrote that")]
    assert index.forget_rewrites() == 2 and index.rewrite_count() == 0


def test_lookups_behind_the_knowledge_sections(sample_vault: Path) -> None:
    index, indexer = open_index(sample_vault)
    indexer.sync()
    scoring, cold = "Notes/Scoring.md", "Notes/Cold kitchens.md"
    assert {row.path for row in index.notes_by_paths([scoring, cold, "Nowhere.md"])} == {scoring, cold}
    assert index.notes_by_paths([]) == []
    written = list(index.written_paragraphs())
    assert written and all(index.note(path).origin == "written" for path, _text in written)  # type: ignore[union-attr]
    assert index.newest_written_paragraphs(1) == [written[-1]]
    recent = index.recent_written_paragraphs(1, 10_000, 3)
    assert 0 < len(recent) <= 3 and all(hit.origin == "written" and hit.kind == "paragraph" for hit in recent)
    total, found = index.term_document_counts(["kitchen", "zzzunseen"]) or (0, {})
    assert total >= len(written) and found.get("kitchen", 0) >= 1 and "zzzunseen" not in found
    before = index.latest_change()
    index.record_attention(scoring, "open", ts=(before[1] or 0) + 10)
    assert index.latest_change() != before


def test_latest_change_sees_writes_from_other_threads_and_processes(sample_vault: Path) -> None:
    """The salience cache trusts it: a write through any other connection must move it."""
    import threading

    index, indexer = open_index(sample_vault)
    indexer.sync()
    before = index.latest_change()
    assert index.latest_change() == before  # nothing written: it stands still
    writer = threading.Thread(target=lambda: index.record_attention("Notes/Scoring.md", "open", ts=5.0))
    writer.start()
    writer.join()
    assert index.latest_change() != before
    moved = index.latest_change()
    other = sqlite3.connect(index.db_path)  # another process's connection
    other.execute("INSERT INTO attention(path, kind, ts) VALUES ('Notes/Scoring.md', 'open', 6.0)")
    other.commit()
    other.close()
    assert index.latest_change() != moved


def test_a_note_that_fails_halfway_through_its_write_leaves_no_trace_and_its_batch_commits(
        sample_vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync commits notes in batches, each note a savepoint: one note's failure after part of
    its rows were written undoes that note only. (The failure is injected: none is known.)"""
    real_upsert = Index.upsert_note

    class BreaksOnSecondRead(list):  # type: ignore[type-arg]
        reads = 0

        def __iter__(self):  # type: ignore[no-untyped-def]
            self.reads += 1
            if self.reads > 1:  # the note's row, tags and links are written by now; its chunks are next
                raise ValueError("something breaks before the note is done")
            return super().__iter__()

    def upsert(self, note, **kwargs):  # type: ignore[no-untyped-def]
        if note.rel_path == "Notes/Scoring.md":
            kwargs["chunks"] = BreaksOnSecondRead(kwargs["chunks"])
        real_upsert(self, note, **kwargs)

    monkeypatch.setattr(Index, "upsert_note", upsert)
    index, indexer = open_index(sample_vault)
    report = indexer.sync()
    assert [path for path, _ in report.skipped] == ["Notes/Scoring.md"]
    assert index.note("Notes/Scoring.md") is None and not index.chunks_of("Notes/Scoring.md")
    assert report.added == report.scanned - 1
    reopened = Index(index.db_path, sample_vault)  # committed: another connection sees the rest
    assert reopened.counts()["notes"] == report.added
    reopened.close()
    index.close()
