"""The index's schema, its version, and what counts as the cache failing rather than a query.

`meta` is created last: a database without it was interrupted while being created. A database
from another schema version is rebuilt (see store.py), so a change here bumps SCHEMA_VERSION.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 4  # 4: `[ref]: url` definitions are no longer indexed as prose (a rebuild re-parses)

SCHEMA = """
CREATE TABLE notes(
  id INTEGER PRIMARY KEY,
  path TEXT UNIQUE NOT NULL,
  path_norm TEXT NOT NULL,
  title TEXT NOT NULL,
  title_norm TEXT NOT NULL,
  origin TEXT NOT NULL,
  origin_reason TEXT NOT NULL,
  mtime REAL NOT NULL,
  size INTEGER NOT NULL,
  hash TEXT NOT NULL,
  frontmatter TEXT NOT NULL,
  tags TEXT NOT NULL,
  aliases TEXT NOT NULL,
  headings TEXT NOT NULL,
  words INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  style TEXT,
  warnings TEXT NOT NULL,
  indexed_at REAL NOT NULL
);
CREATE INDEX notes_title ON notes(title_norm);
CREATE INDEX notes_path_norm ON notes(path_norm);
CREATE TABLE aliases(note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
                     alias TEXT NOT NULL, alias_norm TEXT NOT NULL);
CREATE INDEX aliases_norm ON aliases(alias_norm);
CREATE INDEX aliases_note ON aliases(note_id);
CREATE TABLE tags(note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE, tag TEXT NOT NULL);
CREATE INDEX tags_tag ON tags(tag);
CREATE INDEX tags_note ON tags(note_id);
CREATE TABLE links(src_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
                   target TEXT NOT NULL, target_norm TEXT NOT NULL, heading TEXT, block TEXT,
                   alias TEXT, embed INTEGER NOT NULL, line INTEGER NOT NULL);
CREATE INDEX links_target ON links(target_norm);
CREATE INDEX links_src ON links(src_id);
CREATE TABLE chunks(id INTEGER PRIMARY KEY,
                    note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
                    ord INTEGER NOT NULL, kind TEXT NOT NULL, origin TEXT NOT NULL,
                    heading TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL,
                    tokens INTEGER NOT NULL, words INTEGER NOT NULL,
                    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL);
CREATE INDEX chunks_note ON chunks(note_id);
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, heading, title, content='chunks', content_rowid='id',
                                           tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts(rowid, text, heading, title) VALUES (new.id, new.text, new.heading, new.title);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text, heading, title)
  VALUES ('delete', old.id, old.text, old.heading, old.title);
END;
CREATE TABLE attention(path TEXT NOT NULL, kind TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX attention_path ON attention(path);
CREATE INDEX attention_ts ON attention(ts);
CREATE TABLE rewrites(id INTEGER PRIMARY KEY, path TEXT NOT NULL, generated TEXT NOT NULL,
                      final TEXT NOT NULL, ts REAL NOT NULL);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
"""


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock across processes (none where fcntl or the file is unavailable)."""
    try:
        import fcntl

        handle = open(path, "a")  # noqa: SIM115 - closed below
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


# SQLite's primary result codes that mean "the cache cannot take writes", not "a query is wrong":
# BUSY (another writer past busy_timeout), READONLY, IOERR, CORRUPT, FULL, CANTOPEN.
STORAGE_ERRORS = {5, 8, 10, 11, 13, 14}


def _storage_problem(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is None or (code & 0xFF) in STORAGE_ERRORS


class IndexUnavailable(RuntimeError):
    """The index cannot be opened or written (read-only or full cache directory, …)."""


def norm(name: str) -> str:
    """Link targets, titles and aliases compare case-insensitively, without `.md`."""
    name = name.strip().lower()
    return name[:-3] if name.endswith(".md") else name
