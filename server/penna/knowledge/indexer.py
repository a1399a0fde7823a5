"""Keeping the index in step with the vault: full sync, and one note at a time.

A full sync compares every file's mtime and size with the index and re-reads only what changed
(and, when mtime moved but the bytes hash the same, only records the new mtime). The same
`index_file` serves the watcher and unsaved editor buffers (`index_text`).

The vault's rules (exclusions, reading folders, the author's name) are settings: when they change,
a note whose bytes did not is re-read all the same if the rules now class it otherwise (a folder
made a reading folder: its notes leave the author's voice), and an excluded note leaves the index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from penna.config import Settings
from penna.knowledge.chunks import make_chunks
from penna.knowledge.index import Index, IndexUnavailable, NoteRow
from penna.knowledge.prepare import Prepared, prepare, prepared_in_order, style_of
from penna.knowledge.style import generic_phrases
from penna.vault.classify import classify_note
from penna.vault.files import NotANote, is_note_path, locate, normalise_rel, scan_vault
from penna.vault.note import Note, load_note

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
# A sync writes its notes in batches, one commit each, rather than one commit per note: every
# commit writes the full-text index's pending terms out as a new segment, later merged. A batch
# holds the index's write lock, so a write from another thread (an editor's buffer) makes it
# commit after the note in hand; another process on the same index waits at most this long.
BATCH_SECONDS = 1.0


@dataclass
class SyncReport:
    scanned: int = 0
    added: int = 0
    updated: int = 0
    touched: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.scanned} notes: {self.added} added, {self.updated} updated, {self.removed} removed, "
                f"{len(self.skipped)} skipped in {self.seconds:.2f}s")


class Indexer:
    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        # Set to end a sync under way after the note it is writing (the index is closing): what
        # it wrote is committed, and the next sync reads the rest, as after any interruption.
        self.stopping = threading.Event()

    @property
    def root(self) -> Path:
        return self.index.vault_root

    def store(self, note: Note, *, mtime: float, size: int, content_hash: str) -> None:
        chunks = make_chunks(note.passages)
        self.index.upsert_note(note, mtime=mtime, size=size, content_hash=content_hash, chunks=chunks,
                               style=style_of(note), tokens=sum(c.tokens for c in chunks))

    def store_prepared(self, prepared: Prepared, *, recount: bool = False) -> str:
        """`index_file` for a note read and taken apart elsewhere (`knowledge/prepare.py`).
        `recount`: store it afresh even if its bytes did not change (its stored counts are stale)."""
        rel_path = prepared.rel_path
        if prepared.failure == "missing":
            return "removed" if self.index.remove_note(rel_path) else "unchanged"
        if prepared.failure == "not a note":
            self.index.remove_note(rel_path)
            return f"skipped: {prepared.reason}"
        if prepared.failure == "unreadable":
            return f"skipped: {prepared.reason}"
        known = self.index.note(rel_path)
        if known and known.hash == prepared.digest and self.classed_as_stored(known) and not recount:
            self.index.touch_note(rel_path, prepared.mtime, prepared.size)
            return "touched"
        if prepared.note is None:  # it could not be taken apart: said once, the sync goes on
            log.warning("could not index %s: %s", rel_path, prepared.reason)
            return f"skipped: penna could not read it ({prepared.reason})"
        chunks = prepared.chunks
        self.index.upsert_note(prepared.note, mtime=prepared.mtime, size=prepared.size, content_hash=prepared.digest,
                               chunks=chunks, style=prepared.style, tokens=sum(c.tokens for c in chunks))
        return "updated" if known else "added"

    def index_text(self, rel_path: str, text: str, *, mtime: float | None = None,
                   content_hash: str | None = None) -> Note:
        """Index a note from text (an editor buffer, or bytes already read)."""
        rel_path = normalise_rel(rel_path)
        note = load_note(rel_path, text, self.settings.reading_folders, self.settings.author_name)
        digest = content_hash or hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()
        self.store(note, mtime=mtime if mtime is not None else time.time(), size=len(text), content_hash=digest)
        return note

    def index_file(self, rel_path: str) -> str:
        """Bring one note up to date with disk. Returns what happened: added, updated, touched,
        unchanged, removed, or 'skipped: reason'."""
        rel_path = normalise_rel(rel_path)
        if not is_note_path(rel_path, self.settings.exclude):  # excluded since it was indexed: it leaves
            return "removed" if self.index.remove_note(rel_path) else "skipped: not a note"
        try:
            stat = locate(self.root, rel_path).stat()
        except FileNotFoundError:
            return "removed" if self.index.remove_note(rel_path) else "unchanged"
        except (NotANote, OSError):
            stat = None  # `prepare` says what is wrong with it
        known = self.index.note(rel_path)
        if (stat is not None and known and known.mtime == stat.st_mtime and known.size == stat.st_size
                and self.classed_as_stored(known)):
            return "unchanged"
        return self.store_prepared(prepare(self.root, rel_path, self.settings.reading_folders,
                                           self.settings.author_name))

    def classed_as_stored(self, known: NoteRow) -> bool:
        """Whether today's rules give the note the origin (and reason) it was stored with."""
        return classify_note(known.path, known.frontmatter, known.tags, self.settings.reading_folders,
                             self.settings.author_name) == (known.origin, known.origin_reason)

    def rules(self) -> str:
        """The settings that decide which files are notes and whose words they are, and the
        generic phrase list whose uses each note's stored style counts (`knowledge/style.py`)."""
        s = self.settings
        return json.dumps([sorted(s.exclude), sorted(s.reading_folders), s.author_name.strip().lower(),
                           phrase_list_digest()])

    def sync(self, progress: Progress | None = None) -> SyncReport:
        started = time.perf_counter()
        report = SyncReport()
        if not self.root.is_dir():
            raise FileNotFoundError(f"vault folder not found: {self.root}")
        rules = self.rules()
        recorded = self.index.get_meta("rules")
        # The rules changed since the last sync (the config file, or live settings): every note is
        # checked against them, not only those whose mtime moved. Rules recorded under another
        # phrase list (by another penna) leave every note's stored style counts stale: every note
        # is counted again. None recorded: a new index, or its first sync was cut short, and its
        # notes were counted by this penna.
        recheck = recorded != rules
        recount = recheck and recorded is not None and _counted_with(recorded) != phrase_list_digest()
        known = self.index.file_states()
        files = list(scan_vault(self.root, self.settings.exclude, errors=report.skipped))
        report.scanned = len(files)
        on_disk = {f.rel_path for f in files}
        for path in set(known) - on_disk:
            self.index.remove_note(path)
            report.removed += 1
        # What changed on disk (or is to be checked against new rules), read and taken apart by a
        # helper process when there are many; written here, in order.
        changed = [file.rel_path for file in files
                   if recount or self._needs_reading(file.rel_path, known.get(file.rel_path), (file.mtime, file.size),
                                                     recheck)]
        unchanged = len(files) - len(changed)
        notes = prepared_in_order(self.root, changed, self.settings.reading_folders, self.settings.author_name)
        with self._batches() as next_note, closing(notes):  # closing: helpers stop when the sync does
            for number, prepared in enumerate(notes, start=unchanged + 1):
                if self.stopping.is_set():
                    report.seconds = time.perf_counter() - started
                    return report  # the rules stay unrecorded: the next sync checks every note again
                next_note()
                self._sync_one(prepared, report, recount=recount)
                if progress and (number % 50 == 0 or number == len(files)):
                    progress(number, len(files), prepared.rel_path)
        if progress:
            progress(len(files), len(files), "")
        if recheck:
            self.index.set_meta("rules", rules)
        report.seconds = time.perf_counter() - started
        return report

    def _needs_reading(self, rel_path: str, state: tuple[float, int, str] | None, on_disk: tuple[float, int],
                       recheck: bool) -> bool:
        """New or changed on disk, or (after the rules changed) now classed otherwise."""
        if state is None or (state[0], state[1]) != on_disk:
            return True
        if not recheck:
            return False
        known = self.index.note(rel_path)
        return known is None or not self.classed_as_stored(known)

    @contextmanager
    def _batches(self) -> Iterator[Callable[[], None]]:
        """Yields a function to call before each note: it commits the open batch once it is
        BATCH_SECONDS old, or at once when another thread waits to write (which then writes
        before the next batch opens), and opens the next (see Writes.upsert_note for how one
        note's failure is undone inside it)."""
        with ExitStack() as stack:
            opened = [0.0]

            def next_note() -> None:
                waiting = self.index.writers_waiting > 0
                if waiting or time.perf_counter() - opened[0] > BATCH_SECONDS:
                    stack.close()
                    if waiting:
                        self.index.make_way(timeout=BATCH_SECONDS)
                    stack.enter_context(self.index.transaction())
                    opened[0] = time.perf_counter()

            yield next_note

    def _sync_one(self, prepared: Prepared, report: SyncReport, *, recount: bool = False) -> None:
        rel_path = prepared.rel_path
        try:
            outcome = self.store_prepared(prepared, recount=recount)
        except IndexUnavailable:
            raise  # the cache is full or read-only: no other note would fare better, so say it once
        except Exception as error:  # noqa: BLE001 - one note penna cannot read must not stop the sync
            log.warning("could not index %s: %s: %s", rel_path, type(error).__name__, error)
            outcome = f"skipped: penna could not read it ({type(error).__name__}: {error})"
        if outcome == "added":
            report.added += 1
        elif outcome == "updated":
            report.updated += 1
        elif outcome == "touched":
            report.touched += 1
        elif outcome.startswith("skipped"):
            report.skipped.append((rel_path, outcome.removeprefix("skipped: ")))


def phrase_list_digest() -> str:
    """A fingerprint of the generic phrase list, which a note's stored style counts depend on."""
    return hashlib.sha256("\n".join(generic_phrases()).encode()).hexdigest()[:12]


def _counted_with(recorded: str | None) -> str | None:
    """The phrase list fingerprint in recorded rules (None: none recorded, or rules from before
    penna recorded one)."""
    try:
        found = json.loads(recorded) if recorded else None
    except ValueError:
        return None
    return found[3] if isinstance(found, list) and len(found) > 3 else None
