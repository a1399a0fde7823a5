"""The index: one SQLite database (WAL, FTS5) per vault, in the user cache directory.

It stores notes, chunks (with full-text search), links, tags, aliases, per-note style counts and
the author's attention events. A database that is corrupt, from another schema version, or for
another vault is rebuilt automatically; nothing in the vault is ever written.

All of penna's SQL lives in this package:
- schema.py: the tables, the schema version, and which SQLite errors mean the cache failed;
- store.py: connections per thread, transactions and savepoints, opening or rebuilding;
- writes.py: every statement that changes the index;
- reads.py: every query;
- rows.py: the rows those queries return.
"""

from __future__ import annotations

from penna.knowledge.index.reads import Reads
from penna.knowledge.index.rows import NOTE_COLUMNS, ChunkHit, NoteRow, chunk_hit
from penna.knowledge.index.schema import SCHEMA, SCHEMA_VERSION, STORAGE_ERRORS, IndexUnavailable, norm
from penna.knowledge.index.writes import Writes

__all__ = ["NOTE_COLUMNS", "SCHEMA", "SCHEMA_VERSION", "STORAGE_ERRORS", "ChunkHit", "Index", "IndexUnavailable",
           "NoteRow", "chunk_hit", "norm"]


class Index(Reads, Writes):
    """The vault's index: open it with `Index(db_path, vault_root)`; reads and writes are methods."""
