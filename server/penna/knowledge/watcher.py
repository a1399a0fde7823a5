"""Watching the vault: file events become index updates, off the request path.

watchdog reports raw events: several per save, thousands per git checkout. On watchdog's thread
the handler only files them by vault-relative path (no SQLite, no disk reads). One worker thread
waits for `debounce` seconds of quiet (never more than `max_delay` after a batch's first event),
then brings each path up to date with `Indexer.index_file`, which already turns "gone" into
removed and "same bytes" into touched. Folder events rescan their subtree, because inotify may
report only the folder. Renames carry the author's attention (salience) to the new path; links and
backlinks follow by themselves, since they are resolved from the index on every query.

Open editor buffers win over disk: given the `buffers` mapping (vault-relative path → unsaved
text), a note that is open is indexed from its buffer, and `touch([path])` after a change or a
close brings it up to date (from disk once the buffer is gone). A clipping that appears while
the author works is reading they just did: it gets a "read" attention event.

Start the watcher before the start-up sync, and run the sync inside `paused()`: events seen
meanwhile wait, then are checked against what the sync wrote, so nothing changes unseen.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from penna.knowledge.index import IndexUnavailable
from penna.knowledge.indexer import Indexer
from penna.vault.files import is_excluded, is_note_path, normalise_rel, scan_vault

log = logging.getLogger(__name__)

# Only events that can change a note. Leaving out "opened" and "closed without writing" also
# keeps the indexer's own reads from coming back to us as events.
EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileAttribEvent, FileClosedEvent, FileDeletedEvent, FileMovedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent]
CHANGED = ("added", "updated", "removed")  # outcomes that change what queries see
WHOLE_VAULT = ""  # the subtree prefix of the vault itself
ROOT_CHECK_SECONDS = 1.0  # a renamed or unmounted vault sends no event: look for it this often
# watchdog holds the first half of a move up to 0.5 s while it waits for the second half, so a
# settled vault is one with nothing pending for longer than that.
SETTLE_QUIET = 0.75
KEEP_LATENCIES = 10_000  # a long-running server keeps only the recent ones
STOP_TIMEOUT = 1.0  # seconds stop() waits for the threads
UNAVAILABLE_RETRY = 15.0  # a full or read-only cache: the held changes are tried again this often
WATCHDOG_LOG = "watchdog.observers.inotify_c"


@dataclass
class Batch:
    paths: set[str] = field(default_factory=set)  # notes to bring up to date
    dirs: set[str] = field(default_factory=set)  # folders whose whole subtree is rescanned
    moves: list[tuple[str, str, bool]] = field(default_factory=list)  # (old, new, is_dir), for attention
    retries: set[str] = field(default_factory=set)  # paths here only because the last read failed
    first: float = 0.0  # monotonic times of the batch's first and latest events
    last: float = 0.0
    not_before: float = 0.0  # held back (the index could not be written) until this monotonic time

    def __bool__(self) -> bool:
        return bool(self.paths or self.dirs or self.moves)

    def due(self, debounce: float, max_delay: float) -> float:
        return max(min(self.last + debounce, self.first + max_delay), self.not_before)


@dataclass
class BatchReport:
    outcomes: dict[str, str]  # path → what index_file did
    changed: list[str]  # paths added, updated or removed
    seconds: float  # applying the batch
    latency: float  # from the moment the batch was due (debounce over) to the index being updated
    delay: float = 0.0  # from the batch's first event to the index being updated (debounce included)

    def summary(self) -> str:
        kinds = Counter(outcome.split(":")[0] for outcome in self.outcomes.values())
        parts = [f"{kind} {n} note{'' if n == 1 else 's'}" for kind, n in sorted(kinds.items()) if kind != "unchanged"]
        return f"{', '.join(parts) or 'no change'} ({self.seconds * 1000:.0f} ms)"


class VaultWatcher:
    def __init__(self, indexer: Indexer, *, debounce: float = 0.3, max_delay: float = 2.0,
                 on_indexed: Callable[[list[str]], None] | None = None,
                 on_batch: Callable[[BatchReport], None] | None = None,
                 on_vault_missing: Callable[[], None] | None = None,
                 on_error: Callable[[str], None] | None = None,
                 buffers: Mapping[str, str] | None = None) -> None:
        self.indexer = indexer
        self.buffers: Mapping[str, str] = buffers if buffers is not None else {}
        self.root = indexer.root
        self.debounce, self.max_delay = debounce, max(max_delay, debounce)
        self.on_indexed, self.on_batch, self.on_vault_missing = on_indexed, on_batch, on_vault_missing
        self.on_error = on_error  # told once when the index cannot be written (full or read-only cache)
        self.unavailable_retry = UNAVAILABLE_RETRY
        self.unavailable: str | None = None  # why the index cannot be written now; changes are held
        self.latencies: list[float] = []  # per applied batch, seconds, excluding the debounce wait
        self.delays: list[float] = []  # per applied batch, seconds, first event to index updated
        self.last_applied = 0.0  # monotonic time the latest batch was applied
        self.batches = 0
        self.events = 0  # events that concerned a note or a folder of notes
        self.vault_missing = False
        self.unwatched: str | None = None  # why the vault cannot be watched (buffers are still indexed)
        self.finished = threading.Event()  # set once the watcher has stopped, for whatever reason
        self._batch = Batch()
        self._busy = False
        self._paused = 0
        self._stopping = False
        self._root_hint = False  # watchdog saw the vault folder itself go
        self._last_event = 0.0
        self._cond = threading.Condition()
        self._observer: BaseObserver | None = None
        self._worker: threading.Thread | None = None
        self._overflow = _OverflowAlarm(self)

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._worker is not None:
            return
        if not self.root.is_dir():
            self._vault_gone()
            return
        self._observer = Observer()
        try:
            self._observer.schedule(_Handler(self), str(self.root), recursive=True, event_filter=EVENTS)
            self._observer.start()
            logging.getLogger(WATCHDOG_LOG).addHandler(self._overflow)
        except OSError as error:  # inotify's watch or instance limit, most often
            self._observer = None
            limit = " (raise fs.inotify.max_user_watches)" if error.errno in (errno.ENOSPC, errno.EMFILE) else ""
            self.unwatched = f"{error.strerror or error}{limit}"
            log.warning("cannot watch %s: %s", self.root, self.unwatched)
        self._worker = threading.Thread(target=self._run, name="penna-vault-watcher", daemon=True)
        self._worker.start()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop watching. Pending events are dropped: the next sync sees them. The threads are
        joined for at most `timeout` seconds in all (an editor's shutdown must not hang on a batch
        being applied); both are daemons, and the worker stops at its next note."""
        with self._cond:
            self._stopping = True
            self._batch = Batch()
            self._cond.notify_all()
        logging.getLogger(WATCHDOG_LOG).removeHandler(self._overflow)
        deadline = time.monotonic() + timeout
        if self._observer is not None:
            self._observer.stop()
            if self._observer.is_alive() and self._observer is not threading.current_thread():
                self._observer.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=max(0.0, deadline - time.monotonic()))
        self.finished.set()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold batches (events keep being collected) while something else writes the index,
        such as the start-up sync; they are applied afterwards, against what it wrote."""
        with self._cond:
            self._paused += 1
        try:
            yield
        finally:
            with self._cond:
                self._paused -= 1
                self._cond.notify_all()

    def touch(self, paths: Iterable[str]) -> None:
        """Bring these notes up to date soon (debounced like file events): an editor buffer
        changed or closed, or something else knows they may differ from the index."""
        exclude = self.indexer.settings.exclude
        with self._cond:
            self._add(paths=[p for p in map(normalise_rel, paths) if is_note_path(p, exclude)])

    def settle(self, timeout: float = 30.0, quiet: float = SETTLE_QUIET) -> bool:
        """Wait until every event seen is applied and none has come for `quiet` seconds (counted
        from this call too, so that events still on their way from the kernel are waited for)."""
        called = time.monotonic()
        deadline = called + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                quiet_until = max(called, self._last_event) + quiet
                idle = not self._batch and not self._busy and not self._paused
                if idle and now >= quiet_until:
                    return True
                if now >= deadline:
                    return False
                self._cond.wait(min(deadline, quiet_until if idle else deadline) - now)

    # --- watchdog's thread: file the event, nothing more -------------------------------------
    def _on_event(self, event: FileSystemEvent) -> None:
        src = self._rel(event.src_path)
        dest = self._rel(event.dest_path) if event.event_type == "moved" else None
        exclude = self.indexer.settings.exclude  # read each time: settings change while we run
        with self._cond:
            if event.is_directory and src == WHOLE_VAULT:
                self._root_hint = True
                self._cond.notify_all()
                return
            if event.is_directory:
                dirs = [d for d in (src, dest) if d and not is_excluded(d + "/x", exclude)]
                accepted = self._add(dirs=dirs, moves=[(src, dest, True)] if len(dirs) == 2 else [])
            else:
                notes = [p for p in (src, dest) if p and is_note_path(p, exclude)]
                accepted = self._add(paths=notes, moves=[(src, dest, False)] if len(notes) == 2 else [])
            self.events += accepted

    def _rel(self, path: bytes | str) -> str | None:
        path, root = os.fsdecode(path), str(self.root)
        if path == root:
            return WHOLE_VAULT
        return normalise_rel(path[len(root) + 1:]) if path.startswith(root + os.sep) else None

    def _add(self, *, paths: Iterable[str] = (), dirs: Iterable[str] = (),
             moves: Iterable[tuple[str | None, str | None, bool]] = (), retry: bool = False) -> bool:
        """Add to the pending batch (caller holds the lock). False if there was nothing to add."""
        paths, dirs, moves = list(paths), list(dirs), list(moves)
        if not (paths or dirs or moves):
            return False
        now = time.monotonic()
        if not self._batch:
            self._batch.first = now
        self._batch.last = self._last_event = now
        for path in paths:
            if retry and path not in self._batch.paths:
                self._batch.retries.add(path)
            elif not retry:
                self._batch.retries.discard(path)  # a fresh event earns a fresh retry
            self._batch.paths.add(path)
        self._batch.dirs.update(dirs)
        self._batch.moves.extend(moves)  # type: ignore[arg-type]
        self._cond.notify_all()
        return True

    def _rescan_all(self) -> None:
        with self._cond:
            self._add(dirs=[WHOLE_VAULT])

    # --- the worker --------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stopping:
                batch = self._next_batch()
                if not self.root.is_dir():
                    self._vault_gone()
                    return
                if batch is not None and not self._stopping:
                    self._apply(batch)
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        finally:
            self.finished.set()

    def _next_batch(self) -> Batch | None:
        """The next batch once it is due; None after a while with nothing due (time to look for
        the vault folder), or when stopping."""
        with self._cond:
            deadline = time.monotonic() + ROOT_CHECK_SECONDS
            while not (self._stopping or self._root_hint):
                now = time.monotonic()
                due = self._batch.due(self.debounce, self.max_delay) if self._batch else deadline
                if self._paused and now >= deadline:
                    return None  # time to look for the vault folder, even while paused
                if self._paused:
                    self._cond.wait(deadline - now)
                    continue
                if now >= due:
                    if not self._batch:
                        return None
                    batch, self._batch, self._busy = self._batch, Batch(), True
                    return batch
                self._cond.wait(due - now)
            self._root_hint = False
            return None

    def _apply(self, batch: Batch) -> None:
        try:
            self._apply_batch(batch)
        except IndexUnavailable as error:
            self._hold(batch, str(error))
            return
        self.unavailable = None

    def _hold(self, batch: Batch, why: str) -> None:
        """The cache is full or read-only: keep the whole batch pending and try it again later
        (re-applying what did get through is harmless), and tell the user once."""
        with self._cond:
            self._add(paths=batch.paths, dirs=batch.dirs, moves=batch.moves)
            self._batch.not_before = time.monotonic() + self.unavailable_retry
        log.warning("the index of %s cannot be written; changes kept for later: %s", self.root, why)
        first = self.unavailable is None
        self.unavailable = why
        if first and self.on_error:
            _safely(self.on_error, f"{why}. Changes to the vault are kept and indexed once it can be written again.")

    def _apply_batch(self, batch: Batch) -> None:
        started = time.monotonic()
        self._follow_moves(batch.moves)
        outcomes: dict[str, str] = {}
        for rel in sorted(batch.paths | self._subtree_notes(batch.dirs)):
            if self._stopping or not self.root.is_dir():
                return  # never read a vanished vault as "every note deleted"
            outcomes[rel] = outcome = self._index_one(rel)
            settled = outcome.startswith(("added", "updated", "removed", "touched", "unchanged", "skipped: not a note"))
            if not settled and rel not in batch.retries:  # a file being written, or briefly locked: once more, later
                    with self._cond:
                        self._add(paths=[rel], retry=True)
        self._note_new_reading(batch, outcomes)
        done = time.monotonic()
        changed = [p for p, outcome in outcomes.items() if outcome in CHANGED]
        self._record(BatchReport(outcomes, changed, done - started,
                                 max(0.0, done - batch.due(self.debounce, self.max_delay)),
                                 max(0.0, done - batch.first)))

    def _note_new_reading(self, batch: Batch, outcomes: dict[str, str]) -> None:
        """A clipping that just appeared (not merely moved) is something the author is reading."""
        moved_here = {new for _, new, is_dir in batch.moves if not is_dir}
        for rel, outcome in outcomes.items():
            if outcome == "added" and rel not in moved_here:
                row = self.indexer.index.note(rel)
                if row is not None and row.origin == "read":
                    self.indexer.index.record_attention(rel, "read")

    def _follow_moves(self, moves: list[tuple[str, str, bool]]) -> None:
        """Salience follows a renamed note or folder to its new path."""
        attended: set[str] | None = None
        for old, new, is_dir in moves:
            if not is_dir:
                self.indexer.index.rename_attention(old, new)
                continue
            if attended is None:  # only folder moves need the list of every path with attention
                attended = {path for path, _, _ in self.indexer.index.attention_since(0)}
            for path in [p for p in attended if p.startswith(old + "/")]:
                moved = new + path[len(old):]
                self.indexer.index.rename_attention(path, moved)
                attended.discard(path)
                attended.add(moved)

    def _subtree_notes(self, dirs: set[str]) -> set[str]:
        """Every note under these folders, indexed or on disk: inotify may report only the folder."""
        if not dirs:
            return set()
        exclude = self.indexer.settings.exclude
        if WHOLE_VAULT in dirs:
            tops = {WHOLE_VAULT}
        else:
            tops = {d for d in dirs if not any(d.startswith(o + "/") for o in dirs)}
        indexed = self.indexer.index.file_states()
        notes: set[str] = set()
        for top in tops:
            prefix = f"{top}/" if top else ""
            notes.update(p for p in indexed if p.startswith(prefix))
            # Exclusion globs are relative to the vault, so they are applied to full paths here.
            on_disk = (prefix + f.rel_path for f in scan_vault(self.root / top))
            notes.update(p for p in on_disk if is_note_path(p, exclude))
        return notes

    def _index_one(self, rel: str) -> str:
        text = self.buffers.get(rel)
        if text is not None:
            return self._index_buffer(rel, text)
        path = self.root / rel
        try:
            mode: int | None = path.stat().st_mode
        except OSError:
            mode = None  # gone, or unreadable: index_file says which
        try:
            if mode is not None and not stat.S_ISREG(mode):  # reading a FIFO named .md would block forever
                return "removed" if self.indexer.index.remove_note(rel) else "skipped: not a regular file"
            outcome = self.indexer.index_file(rel)
            if outcome == "unchanged" and mode is not None:
                # An event, yet the same mtime and size: a rewrite within one timestamp tick of the
                # last read. Forget the stored stat so that the bytes themselves are compared.
                self.indexer.index.touch_note(rel, -1.0, -1)
                outcome = self.indexer.index_file(rel)
            return outcome
        except IndexUnavailable:
            raise  # the cache, not the note: no other note would fare better
        except Exception as error:  # noqa: BLE001 - one bad note must not stop the watcher
            log.warning("could not index %s: %s", rel, error)
            return f"failed: {error}"

    def _index_buffer(self, rel: str, text: str) -> str:
        """An open note is indexed from the editor's text, whatever disk holds."""
        known = self.indexer.index.note(rel)
        if known and known.hash == hashlib.sha1(text.encode("utf-8", "replace")).hexdigest():
            return "unchanged"
        try:
            self.indexer.index_text(rel, text)
        except IndexUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - one bad buffer must not stop the watcher
            log.warning("could not index the open buffer of %s: %s", rel, error)
            return f"failed: {error}"
        return "updated" if known else "added"

    def _record(self, report: BatchReport) -> None:
        self.batches += 1
        self.last_applied = time.monotonic()
        self.latencies.append(report.latency)
        self.delays.append(report.delay)
        del self.latencies[:-KEEP_LATENCIES]
        del self.delays[:-KEEP_LATENCIES]
        if report.changed and self.on_indexed:
            _safely(self.on_indexed, report.changed)
        if self.on_batch:
            _safely(self.on_batch, report)

    def _vault_gone(self) -> None:
        """The vault folder vanished (deleted, renamed, unmounted). The index is kept as it was:
        emptying it would throw away hours of indexing over what may be a drive coming back."""
        log.warning("the vault folder %s disappeared: stopped watching", self.root)
        logging.getLogger(WATCHDOG_LOG).removeHandler(self._overflow)
        with self._cond:
            self.vault_missing = True
            self._batch, self._busy = Batch(), False
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()  # from the worker: watchdog's own thread cannot join itself
        self.finished.set()
        if self.on_vault_missing:
            _safely(self.on_vault_missing)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: VaultWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.watcher._on_event(event)


class _OverflowAlarm(logging.Handler):
    """watchdog tells only its log when the kernel's event queue overflowed and events were lost
    (huge checkouts); a full rescan is then the only way back to the truth."""

    def __init__(self, watcher: VaultWatcher) -> None:
        super().__init__(logging.WARNING)
        self.watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.watcher._rescan_all()


def _safely(callback: Callable[..., None], *args: object) -> None:
    try:
        callback(*args)
    except Exception:  # a caller's bug must not kill the worker
        log.exception("watcher callback failed")
