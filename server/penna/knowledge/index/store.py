"""The index's connections and transactions, and opening (or rebuilding) the database.

Threads: each thread gets its own connection (WAL readers never block the writer); writes are
serialised by a lock and each note's update is one transaction, so a kill -9 leaves a consistent
index that the next sync simply continues.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from penna.knowledge.index.schema import SCHEMA, SCHEMA_VERSION, IndexUnavailable, _file_lock, _storage_problem


class Store:
    """One SQLite database (WAL, FTS5) for one vault: connections, transactions, meta."""

    def __init__(self, db_path: Path, vault_root: Path) -> None:
        self.db_path = Path(db_path)
        self.vault_root = Path(vault_root).resolve()
        self._local = threading.local()
        self._write_lock = threading.RLock()
        # Threads blocked on the write lock, counted so that a sync's batch can step aside.
        self._waiting = threading.Condition()
        self._writers_waiting = 0
        self._all_connections: list[sqlite3.Connection] = []
        self.rebuilt_reason: str | None = None
        self._open_or_rebuild()

    # --- connections -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        self._all_connections.append(conn)
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def close_thread(self) -> None:
        """Close this thread's connection (a thread that is about to end)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        try:
            self._all_connections.remove(conn)
        except ValueError:
            pass  # close() already took it
        try:
            conn.close()
        except sqlite3.Error:
            pass

    def close(self) -> None:
        for conn in self._all_connections:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._all_connections.clear()
        self._local = threading.local()

    # --- the write lock ------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Holds the write lock (re-entrant). A thread that has to wait for it is counted in
        writers_waiting until it has it."""
        if not self._write_lock.acquire(blocking=False):
            with self._waiting:
                self._writers_waiting += 1
            try:
                self._write_lock.acquire()
            finally:
                with self._waiting:
                    self._writers_waiting -= 1
                    self._waiting.notify_all()
        try:
            yield
        finally:
            self._write_lock.release()

    @property
    def writers_waiting(self) -> int:
        """How many other threads are waiting for the write lock now."""
        return self._writers_waiting

    def make_way(self, timeout: float) -> None:
        """Called without the write lock: returns once no thread is waiting for it (each has had
        it) or after `timeout`, so that taking it again straight away does not jump the queue."""
        with self._waiting:
            self._waiting.wait_for(lambda: self._writers_waiting == 0, timeout)

    @contextmanager
    def transaction(self, undo: Callable[[sqlite3.Connection], None] | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction. A full or read-only cache becomes IndexUnavailable (a message
        for the user), and the transaction is rolled back, so the index stays consistent.
        Inside another transaction on this thread (a sync's batch) it is a savepoint: one note's
        failure undoes that note only, and the batch commits once. With `undo` (a write whose
        failure that statement undoes exactly, such as deleting a note that was not there
        before) it is no savepoint: FTS5 writes its pending terms out at every savepoint, which
        was a tenth of the CPU of indexing a vault cold."""
        with self.writing():
            conn = self.conn
            if conn.in_transaction:
                try:
                    with self._savepoint(conn) if undo is None else self._undoing(conn, undo):
                        yield conn
                except sqlite3.OperationalError as error:
                    if not _storage_problem(error):
                        raise
                    raise self._unavailable(error) from error
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:  # SQLite rolls back by itself on FULL, IOERR, NOMEM…
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as error:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                if not _storage_problem(error):
                    raise  # a bug in a query is not the user's disk: keep the real error
                raise self._unavailable(error) from error

    @staticmethod
    @contextmanager
    def _undoing(conn: sqlite3.Connection, undo: Callable[[sqlite3.Connection], None]) -> Iterator[None]:
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                undo(conn)
            raise

    @staticmethod
    @contextmanager
    def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("SAVEPOINT one_write")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO one_write")
                conn.execute("RELEASE one_write")
            raise
        conn.execute("RELEASE one_write")

    def _unavailable(self, error: Exception) -> IndexUnavailable:
        return IndexUnavailable(f"cannot write the index at {self.db_path}: {error} "
                                "(free some space, or set PENNA_CACHE_DIR to a writable folder)")

    # --- opening -----------------------------------------------------------------------------
    def _open_or_rebuild(self) -> None:
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise IndexUnavailable(f"cannot create the index folder {self.db_path.parent}: {error.strerror}") from error
        # Two processes on one vault (two editors, or an editor and `penna index`): one checks
        # and creates the database while the other waits, so neither deletes the other's index.
        with _file_lock(Path(f"{self.db_path}.lock")):
            problem = self._check_existing()
            if problem:
                self.rebuilt_reason = problem
                self.close()
                try:
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
                except OSError as error:
                    raise IndexUnavailable(f"cannot replace the index at {self.db_path}: {error.strerror}") from error
            try:
                if not self._has_schema():
                    with self.writing():
                        vault = str(self.vault_root).replace("'", "''")
                        self.conn.executescript(
                            f"BEGIN IMMEDIATE;{SCHEMA}"
                            f"INSERT INTO meta(key, value) VALUES ('schema_version', '{SCHEMA_VERSION}'),"
                            f" ('vault', '{vault}'), ('written_version', '0');COMMIT;")
            except sqlite3.OperationalError as error:
                raise self._unavailable(error) from error

    def _has_schema(self) -> bool:
        row = self.conn.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone()
        return row is not None

    def _check_existing(self) -> str | None:
        """Why the existing database must be rebuilt, or None if it is usable."""
        if not self.db_path.exists():
            return None
        try:
            conn = self.conn
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                return "the index was corrupt"
            if not self._has_schema():
                return "the index had no schema"
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("schema_version") != str(SCHEMA_VERSION):
                return f"the index schema was version {meta.get('schema_version')}, penna uses {SCHEMA_VERSION}"
            if meta.get("vault") != str(self.vault_root):
                return "the index belonged to another vault"
        except sqlite3.DatabaseError as error:
            return f"the index was unreadable ({error})"
        return None

    # --- meta --------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def written_version(self) -> int:
        """Bumped whenever the author's own writing changes: the style profile's cache key."""
        return int(self.get_meta("written_version", "0") or 0)
