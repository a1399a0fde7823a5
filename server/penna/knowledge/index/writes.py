"""Every statement that changes the index: notes, attention, rewrites and meta."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from penna.knowledge.chunks import Chunk
from penna.knowledge.index.schema import norm
from penna.knowledge.index.store import Store
from penna.knowledge.style import StyleCounts
from penna.vault.note import Note


class Writes(Store):
    # --- meta --------------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # --- notes -------------------------------------------------------------------------------
    def touch_note(self, path: str, mtime: float, size: int) -> None:
        """Same content, new mtime (a `touch`, a sync client): no re-parse needed."""
        with self.transaction() as conn:
            conn.execute("UPDATE notes SET mtime=?, size=? WHERE path=?", (mtime, size, path))

    def upsert_note(self, note: Note, *, mtime: float, size: int, content_hash: str,
                    chunks: Sequence[Chunk], style: StyleCounts | None, tokens: int) -> None:
        path_norm = norm(note.rel_path)
        headings = [{"level": h.level, "text": h.text, "line": h.line} for h in note.parsed.headings]
        with self.writing():
            conn = self.conn
            # In a sync's batch, a note not in the index yet is undone by deleting it (its rows
            # cascade): no savepoint needed, so none is taken (see Store.transaction).
            new = conn.in_transaction and conn.execute(
                "SELECT 1 FROM notes WHERE path=?", (note.rel_path,)).fetchone() is None
            with self.transaction(undo=_forget(note.rel_path) if new else None) as conn:
                self._write_note(conn, note, path_norm, headings, mtime=mtime, size=size,
                                 content_hash=content_hash, chunks=chunks, style=style, tokens=tokens, new=new)

    def _write_note(self, conn: sqlite3.Connection, note: Note, path_norm: str, headings: list[dict[str, Any]], *,
                    mtime: float, size: int, content_hash: str, chunks: Sequence[Chunk], style: StyleCounts | None,
                    tokens: int, new: bool) -> None:
        old = None if new else conn.execute(
            "SELECT id, origin, style FROM notes WHERE path=?", (note.rel_path,)).fetchone()
        if old:
            conn.execute("DELETE FROM notes WHERE id=?", (old[0],))
        style_json = json.dumps(style.to_json()) if style else None
        cursor = conn.execute(
            "INSERT INTO notes(path, path_norm, title, title_norm, origin, origin_reason, mtime, size,"
            " hash, frontmatter, tags, aliases, headings, words, tokens, style, warnings, indexed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (note.rel_path, path_norm, note.title, norm(note.title), note.origin, note.origin_reason,
             mtime, size, content_hash, json.dumps(note.parsed.frontmatter, ensure_ascii=False),
             json.dumps(note.parsed.tags, ensure_ascii=False), json.dumps(note.parsed.aliases, ensure_ascii=False),
             json.dumps(headings, ensure_ascii=False), sum(c.words for c in chunks), tokens, style_json,
             json.dumps(note.warnings), time.time()),
        )
        note_id = cursor.lastrowid
        conn.executemany("INSERT INTO aliases(note_id, alias, alias_norm) VALUES (?,?,?)",
                         [(note_id, a, norm(a)) for a in note.parsed.aliases])
        conn.executemany("INSERT INTO tags(note_id, tag) VALUES (?,?)", [(note_id, t) for t in note.parsed.tags])
        conn.executemany(
            "INSERT INTO links(src_id, target, target_norm, heading, block, alias, embed, line)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [(note_id, link.target or note.title, norm(link.target or note.title), link.heading, link.block,
              link.alias, int(link.embed), link.line) for link in note.parsed.links])
        conn.executemany(
            "INSERT INTO chunks(note_id, ord, kind, origin, heading, title, text, tokens, words, start_line,"
            " end_line)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(note_id, i, c.kind, c.origin, c.heading, note.title, c.text, c.tokens, c.words, c.start, c.end)
             for i, c in enumerate(chunks)])
        if (old[2] if old else None) != style_json:
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='written_version'")

    def remove_note(self, path: str) -> bool:
        with self.transaction() as conn:
            row = conn.execute("SELECT id, style FROM notes WHERE path=?", (path,)).fetchone()
            if not row:
                return False
            conn.execute("DELETE FROM notes WHERE id=?", (row[0],))
            if row[1]:
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='written_version'")
            return True

    # --- attention ---------------------------------------------------------------------------
    def rename_attention(self, old: str, new: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE attention SET path=? WHERE path=?", (new, old))

    def record_attention(self, path: str, kind: str, ts: float | None = None) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO attention(path, kind, ts) VALUES (?,?,?)", (path, kind, ts or time.time()))

    # --- the author's rewrites of generated text ---------------------------------------------
    def add_rewrite(self, path: str, generated: str, final: str, ts: float | None = None) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO rewrites(path, generated, final, ts) VALUES (?,?,?,?)",
                         (path, generated, final, time.time() if ts is None else ts))

    def forget_rewrites(self) -> int:
        with self.transaction() as conn:
            return conn.execute("DELETE FROM rewrites").rowcount


def _forget(path: str) -> Callable[[sqlite3.Connection], None]:
    """Undoes a note's first write: its row goes, and its aliases, tags, links and chunks (and so
    its full-text entries) cascade with it."""

    def undo(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM notes WHERE path=?", (path,))

    return undo
