"""A note's write inside a sync's batch: a note new to the index is undone by deleting it, with no
savepoint (FTS5 writes its pending terms out at every savepoint, a tenth of a cold index's CPU);
a note already there keeps its savepoint, so a failed update leaves the old version. Either way
the index holds exactly what it held when every note took a savepoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from penna.bench.synthetic import generate_vault
from penna.config import Settings
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer

NOTE = "Notes/Scoring.md"


def _index(vault: Path, db: Path) -> tuple[Index, Indexer]:
    index = Index(db, vault)
    return index, Indexer(index, Settings())


def _statements(index: Index) -> list[str]:
    seen: list[str] = []
    index.conn.set_trace_callback(seen.append)
    return seen


def _contents(db: Path) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        notes = conn.execute("SELECT path, title, origin, hash, frontmatter, tags, aliases, headings, words, tokens,"
                             " style, warnings FROM notes ORDER BY path").fetchall()
        chunks = conn.execute("SELECT n.path, c.ord, c.kind, c.origin, c.heading, c.text, c.tokens, c.words"
                              " FROM chunks c JOIN notes n ON n.id = c.note_id ORDER BY n.path, c.ord").fetchall()
        links = conn.execute("SELECT n.path, l.target, l.line FROM links l JOIN notes n ON n.id = l.src_id"
                             " ORDER BY 1, 3, 2").fetchall()
        conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check')")
        found = [conn.execute("SELECT n.path, c.ord FROM chunks_fts f JOIN chunks c ON c.id = f.rowid"
                              " JOIN notes n ON n.id = c.note_id WHERE chunks_fts MATCH ? ORDER BY rank, 1, 2",
                              (term,)).fetchall() for term in ("dough", "the", "notes", "time", "write")]
        return [notes, chunks, links, found]
    finally:
        conn.close()


def test_a_cold_sync_takes_no_savepoint_and_indexes_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    generate_vault(vault, 120, seed=3)
    index, indexer = _index(vault, tmp_path / "fast.sqlite")
    statements = _statements(index)
    report = indexer.sync()
    assert report.added == report.scanned > 100
    assert not [s for s in statements if s.startswith("SAVEPOINT")]
    index.close()

    from penna.knowledge.index import store

    def savepoint_always(self: Any, undo: Any = None) -> Any:  # the code before: a savepoint per note
        return real(self)

    real = store.Store.transaction
    monkeypatch.setattr(store.Store, "transaction", savepoint_always)
    index, indexer = _index(vault, tmp_path / "plain.sqlite")
    statements = _statements(index)
    assert indexer.sync().added == report.added
    assert len([s for s in statements if s.startswith("SAVEPOINT")]) == report.added
    index.close()
    assert _contents(tmp_path / "fast.sqlite") == _contents(tmp_path / "plain.sqlite")


def _breaking_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    real_upsert = Index.upsert_note

    class BreaksOnSecondRead(list):  # type: ignore[type-arg]
        reads = 0

        def __iter__(self):  # type: ignore[no-untyped-def]
            self.reads += 1
            if self.reads > 1:  # the note's row, tags and links are written by now; its chunks are next
                raise ValueError("something breaks before the note is done")
            return super().__iter__()

    def upsert(self, note, **kwargs):  # type: ignore[no-untyped-def]
        if note.rel_path == NOTE:
            kwargs["chunks"] = BreaksOnSecondRead(kwargs["chunks"])
        real_upsert(self, note, **kwargs)

    monkeypatch.setattr(Index, "upsert_note", upsert)


def test_a_new_note_that_fails_halfway_is_deleted_and_its_batch_commits(sample_vault: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _breaking_chunks(monkeypatch)
    index, indexer = _index(sample_vault, tmp_path / "index.sqlite")
    report = indexer.sync()
    assert [path for path, _ in report.skipped] == [NOTE]
    assert index.note(NOTE) is None and not index.chunks_of(NOTE)
    conn = sqlite3.connect(index.db_path)
    assert conn.execute("SELECT count(*) FROM links WHERE src_id NOT IN (SELECT id FROM notes)").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == sum(
        len(index.chunks_of(row[0])) for row in conn.execute("SELECT path FROM notes"))
    conn.close()
    assert index.counts()["notes"] == report.added == report.scanned - 1
    index.close()


def test_an_update_that_fails_halfway_keeps_the_old_version(sample_vault: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    index, indexer = _index(sample_vault, tmp_path / "index.sqlite")
    indexer.sync()
    before = index.note(NOTE)
    chunks = index.chunks_of(NOTE)
    assert before is not None and chunks
    path = sample_vault / NOTE
    path.write_text(path.read_text(encoding="utf-8") + "\n\nA new paragraph about scoring.\n", encoding="utf-8")
    _breaking_chunks(monkeypatch)
    statements = _statements(index)
    report = indexer.sync()
    assert [p for p, _ in report.skipped] == [NOTE]
    assert any(s.startswith("SAVEPOINT") for s in statements)  # a note already indexed keeps its savepoint
    after = index.note(NOTE)
    assert after is not None and after.hash == before.hash
    assert [c.text for c in index.chunks_of(NOTE)] == [c.text for c in chunks]
    index.close()
