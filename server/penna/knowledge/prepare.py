"""A note read and taken apart for the index, away from the index: in a helper process during a
large sync, so that parsing, style counts and token counts run on another core while the sync's
own thread writes to SQLite.

In a cold index of a synthetic vault (3,000 notes, cProfile) reading and parsing notes, their style
counts and chunking with token counts took 62% of the time, and the SQLite writes most of the
rest. With that work in helpers the sync's thread only writes. A sync with only a few notes to
read, or one CPU, does the same work on its own thread.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from penna.config import usable_cpus
from penna.knowledge.chunks import Chunk, make_chunks
from penna.knowledge.style import StyleCounts
from penna.vault.files import NotANote, decode_note, locate, read_note
from penna.vault.note import Note, load_note

log = logging.getLogger(__name__)

# A helper takes about a second to start (Python, then penna's parsing and tiktoken); a note
# takes about 2 ms here: below this many notes to read, a sync reads them itself.
PARALLEL_FROM = 1500
MOST_HELPERS = 4  # beyond this the SQLite writer is the bottleneck
PARENT_CHECK = 0.5  # seconds between a helper's looks at whether its parent is still there
CHUNKSIZE = 32  # notes per message to and from a helper
AHEAD = 3  # batches handed to each helper before the writer has taken the first
LARGE_NOTE = 4 * 2**20  # bytes read at once; a larger file is read in pieces (`read_note`)


# missing: gone from disk; not a note: refused (binary, a link out of the vault); unreadable: the
# OS said no; failed: read, but taking it apart raised.
Failure = Literal["missing", "not a note", "unreadable", "failed"]


@dataclass
class Prepared:
    """What the index needs of one note on disk, or why it has none (`failure`)."""

    rel_path: str
    mtime: float = 0.0
    size: int = 0
    digest: str = ""
    note: Note | None = None
    chunks: tuple[Chunk, ...] = ()
    style: StyleCounts | None = None
    failure: Failure | None = None
    reason: str = ""  # what went wrong, for the sync's report


def style_of(note: Note) -> StyleCounts | None:
    """Per-note style counts, from written prose only (clippings and quotes never count)."""
    if note.origin != "written":
        return None
    counts = StyleCounts()
    for passage in note.passages:
        if passage.origin != "written":
            continue
        if passage.kind == "paragraph":
            counts.add_paragraph(passage.text)
        elif passage.kind == "list":
            for _ in passage.text.split("\n"):
                counts.add_list_item()
    return counts if (counts.words or counts.list_items) else None


def prepare(root: Path, rel_path: str, reading_folders: Sequence[str], author_name: str) -> Prepared:
    """Read and take apart one note. Never raises: a failure is said in the result."""
    try:
        path = locate(root, rel_path)
        stat = path.stat()
        data = path.read_bytes() if stat.st_size <= LARGE_NOTE else None
        note_text = decode_note(data) if data is not None else read_note(path)
    except FileNotFoundError:
        return Prepared(rel_path, failure="missing")
    except NotANote as error:
        return Prepared(rel_path, failure="not a note", reason=str(error))
    except OSError as error:
        return Prepared(rel_path, failure="unreadable", reason=str(error.strerror or error))
    except Exception as error:  # noqa: BLE001 - one note penna cannot read must not stop the sync
        return Prepared(rel_path, failure="failed", reason=f"{type(error).__name__}: {error}")
    digest = hashlib.sha1(note_text.text.encode("utf-8", "replace")).hexdigest()
    try:
        note = load_note(rel_path, note_text.text, reading_folders, author_name, note_text.warnings)
        chunks = tuple(make_chunks(note.passages))
        style = style_of(note)
    except Exception as error:  # noqa: BLE001 - one note penna cannot read must not stop the sync
        return Prepared(rel_path, stat.st_mtime, stat.st_size, digest,
                        failure="failed", reason=f"{type(error).__name__}: {error}")
    return Prepared(rel_path, stat.st_mtime, stat.st_size, digest, note, chunks, style)


def _prepare_batch(root: Path, rel_paths: Sequence[str], reading_folders: Sequence[str],
                   author_name: str) -> list[Prepared]:
    return [_slim(prepare(root, rel_path, reading_folders, author_name)) for rel_path in rel_paths]


def _slim(prepared: Prepared) -> Prepared:
    """Without what the index does not store (the note's blocks and passages: its chunks hold
    their text): less to copy back from the helper."""
    note = prepared.note
    if note is None:
        return prepared
    return dataclasses.replace(prepared, note=dataclasses.replace(
        note, passages=[], parsed=dataclasses.replace(note.parsed, blocks=[])))


def helpers_for(notes: int) -> int:
    """Helper processes for a sync that reads `notes` notes: none on one CPU or for a few notes,
    else one per CPU (the sync's own thread mostly waits for them), at most `MOST_HELPERS`."""
    cpus = usable_cpus()
    return 0 if cpus < 2 or notes < PARALLEL_FROM else min(cpus, MOST_HELPERS)


def prepared_in_order(root: Path, rel_paths: Sequence[str], reading_folders: Sequence[str], author_name: str, *,
                      helpers: int | None = None) -> Generator[Prepared, None, None]:
    """Each note of `rel_paths` prepared, in order: by `helpers` helper processes (None: as
    `helpers_for` says), else here. If the helpers cannot start or die, the notes they did not
    hand back are prepared here."""
    count = helpers_for(len(rel_paths)) if helpers is None else helpers
    done = 0
    if count > 0 and rel_paths:
        batches = iter([rel_paths[i: i + CHUNKSIZE] for i in range(0, len(rel_paths), CHUNKSIZE)])
        try:
            # spawn: the server has threads, and a forked copy of a process with threads may hang.
            with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"),
                                     initializer=_end_with, initargs=(os.getpid(),)) as pool:
                # A few batches ahead of the writer per helper, no more: memory stays flat.
                pending: deque[Future[list[Prepared]]] = deque()
                try:
                    while True:
                        while len(pending) < AHEAD * count and (batch := next(batches, None)) is not None:
                            pending.append(pool.submit(_prepare_batch, root, batch, tuple(reading_folders),
                                                       author_name))
                        if not pending:
                            break
                        for prepared in pending.popleft().result():
                            yield prepared
                            done += 1
                finally:  # also when the caller stops early (an error, a closed vault)
                    pool.shutdown(wait=True, cancel_futures=True)
        except Exception as error:  # noqa: BLE001 - BrokenProcessPool, a pickling error…: the sync goes on here
            log.warning("preparing notes in a helper process failed (%s: %s); going on here",
                        type(error).__name__, error)
    for rel_path in rel_paths[done:]:
        yield prepare(root, rel_path, reading_folders, author_name)


def _end_with(parent: int) -> None:
    """In a helper: end when the process that started it ends. The server exits with `os._exit`
    (it waits for no worker), and a helper holds both ends of its own work queue, so it would
    otherwise wait for work for ever."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(0)

    threading.Thread(target=watch, name="penna-helper-watch", daemon=True).start()
