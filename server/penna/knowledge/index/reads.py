"""Every query the rest of penna asks of the index: notes, links, search, style and history."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from penna.knowledge.index.rows import NOTE_COLUMNS, ChunkHit, NoteRow, _note_row, chunk_hit
from penna.knowledge.index.schema import norm
from penna.knowledge.index.store import Store
from penna.knowledge.style import StyleCounts

_WRITTEN_PARAGRAPHS = ("SELECT n.path, c.text FROM chunks c JOIN notes n ON n.id=c.note_id "
                       "WHERE c.origin='written' AND c.kind='paragraph'")


class Reads(Store):
    # --- reading notes -----------------------------------------------------------------------
    def file_states(self) -> dict[str, tuple[float, int, str]]:
        return {p: (m, s, h) for p, m, s, h in self.conn.execute("SELECT path, mtime, size, hash FROM notes")}

    def note(self, path: str) -> NoteRow | None:
        row = self.conn.execute(f"SELECT {NOTE_COLUMNS} FROM notes WHERE path=?", (path,)).fetchone()
        return _note_row(row) if row else None

    def notes_by_ids(self, ids: Sequence[int]) -> list[NoteRow]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(f"SELECT {NOTE_COLUMNS} FROM notes WHERE id IN ({marks})", list(ids))
        return [_note_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        notes = dict(self.conn.execute("SELECT origin, COUNT(*) FROM notes GROUP BY origin").fetchall())
        chunks = self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        links = self.conn.execute("SELECT COUNT(*) FROM links").fetchone()[0]
        return {"notes": sum(notes.values()), "read": notes.get("read", 0), "written": notes.get("written", 0),
                "chunks": chunks, "links": links}

    def resolve(self, target: str) -> str | None:
        """Obsidian's link resolution: exact path, then title, then alias, then path suffix. Where
        several notes match, the shortest path wins, then the first in path order, so the answer
        never depends on the order the notes were indexed in."""
        key = norm(target)
        for sql in ("SELECT path FROM notes WHERE path_norm=? ORDER BY path LIMIT 1",
                    "SELECT path FROM notes WHERE title_norm=? ORDER BY length(path), path LIMIT 1",
                    ("SELECT n.path FROM aliases a JOIN notes n ON n.id=a.note_id WHERE a.alias_norm=?"
                     " ORDER BY length(n.path), n.path LIMIT 1")):
            row = self.conn.execute(sql, (key,)).fetchone()
            if row:
                return str(row[0])
        if "/" in key:
            row = self.conn.execute("SELECT path FROM notes WHERE path_norm LIKE ? ESCAPE '\\'"
                                    " ORDER BY length(path), path LIMIT 1",
                                    ("%/" + key.replace("%", "\\%").replace("_", "\\_"),)).fetchone()
            return row[0] if row else None
        return None

    def outgoing(self, path: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT l.target FROM links l JOIN notes n ON n.id=l.src_id WHERE n.path=?", (path,)).fetchall()
        resolved = [self.resolve(r[0]) for r in rows]
        return [p for p in dict.fromkeys(resolved) if p and p != path]

    def backlinks(self, path: str) -> list[str]:
        row = self.conn.execute("SELECT id, title_norm, path_norm FROM notes WHERE path=?", (path,)).fetchone()
        if not row:
            return []
        aliases = self.conn.execute("SELECT alias_norm FROM aliases WHERE note_id=?", (row[0],))
        keys = {row[1], row[2]} | {a for (a,) in aliases}
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT DISTINCT n.path FROM links l JOIN notes n ON n.id=l.src_id WHERE l.target_norm IN ({marks})",
            list(keys)).fetchall()
        return [r[0] for r in rows if r[0] != path]

    def search(self, terms: Sequence[str], *, limit: int = 20, origin: str | None = None,
               kinds: Sequence[str] = (), exclude_paths: Sequence[str] = ()) -> list[ChunkHit]:
        """BM25 over chunks (FTS5). `terms` are plain words; quoting keeps FTS syntax out."""
        clean = [t.replace('"', "") for t in terms if t.replace('"', "").strip()]
        if not clean:
            return []
        query = " OR ".join(f'"{t}"' for t in dict.fromkeys(clean))
        where, params = ["chunks_fts MATCH ?"], [query]
        if origin:
            where.append("c.origin = ?")
            params.append(origin)
        if kinds:
            where.append(f"c.kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        if exclude_paths:
            where.append(f"n.path NOT IN ({','.join('?' * len(exclude_paths))})")
            params.extend(exclude_paths)
        sql = (
            "SELECT c.id, n.path, n.title, c.heading, c.kind, c.origin, c.text, c.tokens,"
            " bm25(chunks_fts, 1.0, 0.5, 2.0) AS score"
            " FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN notes n ON n.id = c.note_id"
            f" WHERE {' AND '.join(where)} ORDER BY score LIMIT ?"
        )
        try:
            rows = self._ranked_first(query, exclude_paths, limit) if not (origin or kinds) else []
            if len(rows) < limit:
                rows = self.conn.execute(sql, [*params, limit]).fetchall()
        except sqlite3.OperationalError:
            return []  # a query FTS cannot parse finds nothing rather than failing the request
        return [chunk_hit(row, score=-row[8]) for row in rows]

    def _ranked_first(self, query: str, exclude_paths: Sequence[str], limit: int) -> list[Any]:
        """The request path's search: FTS5 ranks on its own first (the best few chunks), then the
        joins and the excluded notes apply to those rows only, ~2x faster on 10k notes than
        ranking the joined rows. Fewer than `limit` rows left: the caller runs the full query,
        so the result is the same."""
        excluded = f" WHERE n.path NOT IN ({','.join('?' * len(exclude_paths))})" if exclude_paths else ""
        return self.conn.execute(
            "SELECT c.id, n.path, n.title, c.heading, c.kind, c.origin, c.text, c.tokens, f.score FROM"
            " (SELECT rowid, bm25(chunks_fts, 1.0, 0.5, 2.0) AS score FROM chunks_fts"
            "  WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?) f"
            f" JOIN chunks c ON c.id = f.rowid JOIN notes n ON n.id = c.note_id{excluded} ORDER BY f.score LIMIT ?",
            [query, 2 * limit + 20, *exclude_paths, limit]).fetchall()

    def chunks_of(self, path: str) -> list[ChunkHit]:
        rows = self.conn.execute(
            "SELECT c.id, n.path, n.title, c.heading, c.kind, c.origin, c.text, c.tokens FROM chunks c"
            " JOIN notes n ON n.id=c.note_id WHERE n.path=? ORDER BY c.ord", (path,)).fetchall()
        return [chunk_hit(row, score=0.0) for row in rows]

    def written_style(self) -> StyleCounts:
        total = StyleCounts()
        for (style,) in self.conn.execute("SELECT style FROM notes WHERE style IS NOT NULL AND origin='written'"):
            total.merge(StyleCounts.from_json(json.loads(style)))
        return total

    # --- editor-facing lookups (completion) --------------------------------------------------
    def titles_like(self, prefix: str, limit: int = 50) -> list[tuple[str, str, str | None]]:
        """(title, path, alias) whose title or alias starts with, then contains, `prefix`."""
        key = norm(prefix).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        out: list[tuple[str, str, str | None]] = []
        for pattern in (f"{key}%", f"%{key}%"):
            rows = self.conn.execute(
                "SELECT title, path, NULL FROM notes WHERE title_norm LIKE ? ESCAPE '\\' "
                "UNION ALL SELECT n.title, n.path, a.alias FROM aliases a JOIN notes n ON n.id=a.note_id "
                "WHERE a.alias_norm LIKE ? ESCAPE '\\' LIMIT ?", (pattern, pattern, limit)).fetchall()
            out.extend(r for r in rows if r not in out)
            if len(out) >= limit:
                break
        return out[:limit]

    def tags_like(self, prefix: str, limit: int = 50) -> list[tuple[str, int]]:
        key = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self.conn.execute(
            "SELECT tag, COUNT(*) AS uses FROM tags WHERE lower(tag) LIKE ? ESCAPE '\\' GROUP BY tag "
            "ORDER BY uses DESC, tag LIMIT ?", (f"{key}%", limit)).fetchall()

    def written_note_styles(self) -> Iterator[tuple[str, float, str | None]]:
        """(path, mtime, style counts as JSON or None) of the author's written notes."""
        yield from self.conn.execute("SELECT path, mtime, style FROM notes WHERE origin='written'")

    def tag_usage(self, prefix: str, limit: int = 200) -> list[tuple[str, int, float]]:
        """Tags starting with `prefix` (any case): (tag, notes carrying it, newest of their mtimes)."""
        key = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self.conn.execute(
            "SELECT t.tag, COUNT(*), MAX(n.mtime) FROM tags t JOIN notes n ON n.id = t.note_id "
            "WHERE lower(t.tag) LIKE ? ESCAPE '\\' GROUP BY t.tag "
            "ORDER BY COUNT(*) DESC LIMIT ?", (f"{key}%", limit)).fetchall()

    # --- attention ---------------------------------------------------------------------------
    def attention_since(self, since: float) -> list[tuple[str, str, float]]:
        return self.conn.execute("SELECT path, kind, ts FROM attention WHERE ts >= ? ORDER BY ts", (since,)).fetchall()

    def recent_mtimes(self, limit: int) -> list[tuple[str, float, str]]:
        return self.conn.execute("SELECT path, mtime, origin FROM notes ORDER BY mtime DESC LIMIT ?",
                                 (limit,)).fetchall()

    def notes_by_paths(self, paths: Sequence[str]) -> list[NoteRow]:
        if not paths:
            return []
        marks = ",".join("?" * len(paths))
        return [_note_row(r) for r in self.conn.execute(f"SELECT {NOTE_COLUMNS} FROM notes WHERE path IN ({marks})",
                                                        list(paths))]

    def latest_change(self) -> tuple[Any, ...]:
        """Moves whenever the database changes (any connection or process commits, or this one
        writes): SQLite's data_version and this connection's own changes. O(1), where the newest
        note mtime scanned every note row (~5 ms on 10k notes, a seventh of a request)."""
        conn = self.conn
        return id(conn), conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes

    # --- the author's prose (style profile, exemplars) ---------------------------------------
    def written_paragraphs(self) -> Iterator[tuple[str, str]]:
        """(path, text) of all the author's paragraphs in index order, read as they are used."""
        yield from self.conn.execute(_WRITTEN_PARAGRAPHS + " ORDER BY c.id")

    def newest_written_paragraphs(self, limit: int) -> list[tuple[str, str]]:
        """(path, text) of the author's `limit` newest paragraphs."""
        return self.conn.execute(_WRITTEN_PARAGRAPHS + " ORDER BY c.id DESC LIMIT ?", (limit,)).fetchall()

    def recent_written_paragraphs(self, min_words: int, max_words: int, limit: int) -> list[ChunkHit]:
        """The author's paragraphs of `min_words`..`max_words` words, the most recently changed notes first."""
        rows = self.conn.execute(
            "SELECT c.id, n.path, n.title, c.heading, c.kind, c.origin, c.text, c.tokens FROM chunks c "
            "JOIN notes n ON n.id=c.note_id WHERE c.origin='written' AND c.kind='paragraph' "
            "AND c.words BETWEEN ? AND ? ORDER BY n.mtime DESC, c.id LIMIT ?", (min_words, max_words, limit)).fetchall()
        return [chunk_hit(row, score=0.0) for row in rows]

    def term_document_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]] | None:
        """(chunk count, chunks containing each term) for FTS-spelled `terms`; None when the
        frequencies cannot be read. The largest chunk id stands for the chunk count: O(log n)
        where count(*) scans the table; ids freed by deleted notes only make it a little larger."""
        conn = self.conn
        try:
            # fts5vocab over the existing FTS table, in this connection's temp schema: nothing is
            # written to the index file.
            conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.penna_vocab USING fts5vocab(main, chunks_fts, 'row')")
            total = conn.execute("SELECT max(rowid) FROM chunks").fetchone()[0] or 1
            found = dict(conn.execute(
                f"SELECT term, doc FROM temp.penna_vocab WHERE term IN ({','.join('?' * len(terms))})",
                list(terms)).fetchall())
        except sqlite3.Error:
            return None
        return total, found

    # --- the author's rewrites of generated text ---------------------------------------------
    def recent_rewrites(self, limit: int) -> list[tuple[str, str]]:
        """(path, final text) of the newest rewrites."""
        return self.conn.execute("SELECT path, final FROM rewrites ORDER BY ts DESC, id DESC LIMIT ?",
                                 (limit,)).fetchall()

    def rewrite_pairs(self, limit: int) -> list[tuple[str, str]]:
        """(generated, final) of the newest rewrites."""
        return self.conn.execute("SELECT generated, final FROM rewrites ORDER BY ts DESC LIMIT ?", (limit,)).fetchall()

    def rewrite_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM rewrites").fetchone()[0])
