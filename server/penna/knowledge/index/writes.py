"""Every statement that changes the index: notes, attention, rewrites and meta."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

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
        with self.transaction() as conn:
            old = conn.execute("SELECT id, origin, style FROM notes WHERE path=?", (note.rel_path,)).fetchone()
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
