"""Specification of the vault watcher: the index follows the vault as editors, sync clients and
git change it, without ever blocking on a request and without a restart.

Real watchdog (inotify), real files, real SQLite. Tests wait with `settle()` (helpers.settle: a fence
event, then the watcher's own settle), never on the clock.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import settle, write

from penna.config import Settings
from penna.engine import Engine
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer
from penna.knowledge.watcher import WATCHDOG_LOG, BatchReport, VaultWatcher

SETTLE = 60.0  # generous: CI machines are shared and noisy
NOTE = "Notes/Scoring.md"


class Watched:
    """An engine on a vault, with a watcher running and every batch report kept."""

    def __init__(self, vault: Path, settings: Settings | None = None, debounce: float = 0.2) -> None:
        self.vault = vault
        self.engine = Engine(vault, settings or Settings())
        self.engine.sync()
        self.index = self.engine.index
        self.reports: list[BatchReport] = []
        self.indexed: list[list[str]] = []
        self.watcher = VaultWatcher(self.engine.indexer, debounce=debounce, buffers=self.engine.buffers,
                                    on_batch=self.reports.append, on_indexed=self.indexed.append)
        self.watcher.start()

    def settle(self) -> None:
        assert settle(self.watcher, SETTLE), "the watcher did not settle"

    def paths(self) -> set[str]:
        return set(self.index.file_states())

    def text(self, rel: str) -> str:
        return "\n".join(chunk.text for chunk in self.index.chunks_of(rel))

    def times_indexed(self, rel: str) -> int:
        return sum(rel in report.outcomes for report in self.reports)


@pytest.fixture
def watched(sample_vault: Path) -> Iterator[Watched]:
    w = Watched(sample_vault)
    yield w
    w.watcher.stop()
    w.engine.close()


def rescan(vault: Path, db: Path) -> Index:
    """A fresh full scan of the same files into a second index: the truth to compare with."""
    index = Index(db, vault)
    Indexer(index, Settings()).sync()
    return index


# --- notes created, changed, deleted -----------------------------------------------------------
def test_created_modified_and_deleted_notes_reach_the_index(watched: Watched) -> None:
    write(watched.vault, "Notes/Crumb.md", "# Crumb\n\nAn open crumb comes from a wet dough.\n")
    watched.settle()
    assert "open crumb" in watched.text("Notes/Crumb.md")

    write(watched.vault, "Notes/Crumb.md", "# Crumb\n\nA tight crumb suits sandwiches.\n")
    watched.settle()
    assert "tight crumb" in watched.text("Notes/Crumb.md")
    assert "open crumb" not in watched.text("Notes/Crumb.md")

    (watched.vault / "Notes/Crumb.md").unlink()
    watched.settle()
    assert "Notes/Crumb.md" not in watched.paths()
    assert ["Notes/Crumb.md"] in watched.indexed  # the server hears which paths changed


def test_a_note_saved_fifty_times_in_a_burst_is_indexed_once_or_twice(sample_vault: Path) -> None:
    w = Watched(sample_vault, debounce=1.0)
    try:
        for n in range(50):
            write(sample_vault, NOTE, f"# Scoring\n\nRevision {n} of the scoring note.\n")
        w.settle()
        assert "Revision 49" in w.text(NOTE)
        assert w.times_indexed(NOTE) <= 2  # coalesced, whatever the machine's hiccups
    finally:
        w.watcher.stop()
        w.engine.close()


def test_a_rewrite_within_one_timestamp_tick_is_still_seen(watched: Watched) -> None:
    note = watched.vault / NOTE
    before = note.stat()
    note.write_text("# Scoring\n\nSlash at a shallow angle for an ear.\n"[: before.st_size].ljust(before.st_size))
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime: only the bytes differ
    watched.settle()
    assert "shallow angle" in watched.text(NOTE)


# --- atomic saves, as real editors do them -----------------------------------------------------
def test_vim_save_with_backup_indexes_the_new_text_and_no_backup(watched: Watched) -> None:
    note = watched.vault / NOTE
    probe = watched.vault / "Notes/4913"
    probe.write_text("")  # Vim checks that it may create files in the folder
    probe.unlink()
    os.rename(note, watched.vault / "Notes/Scoring.md~")  # the old file becomes the backup
    write(watched.vault, NOTE, "# Scoring\n\nVim wrote this version.\n")
    (watched.vault / "Notes/Scoring.md~").unlink()
    watched.settle()
    assert "Vim wrote this version" in watched.text(NOTE)
    assert {p for p in watched.paths() if "4913" in p or p.endswith("~")} == set()


def test_vim_session_swap_file_lifecycle_and_save_index_the_note_once(watched: Watched) -> None:
    note, swap = watched.vault / NOTE, watched.vault / "Notes/.Scoring.md.swp"
    swap.write_bytes(b"b0VIM 9.0" + b"\0" * 100)  # :edit creates the swap file ...
    for n in range(5):
        swap.write_bytes(b"b0VIM 9.0" + bytes([n]) * 100)  # ... and writes it as the author types
    (watched.vault / "Notes/.Scoring.md.swx").write_bytes(b"")  # a second swap name vim may try
    (watched.vault / "Notes/.Scoring.md.swx").unlink()
    os.rename(note, watched.vault / "Notes/Scoring.md~")  # :w with 'writebackup'
    write(watched.vault, NOTE, "# Scoring\n\nWritten by vim at last.\n")
    (watched.vault / "Notes/Scoring.md~").unlink()
    swap.unlink()  # :q
    watched.settle()
    assert "Written by vim at last" in watched.text(NOTE)
    assert watched.times_indexed(NOTE) <= 2
    assert not any(".sw" in rel or rel.endswith("~") for report in watched.reports for rel in report.outcomes)


def test_jetbrains_safe_write_keeps_the_note_and_its_attention(watched: Watched) -> None:
    watched.index.record_attention(NOTE, "edit")
    folder = watched.vault / "Notes"
    (folder / "Scoring.md___jb_tmp___").write_text("# Scoring\n\nSaved safely by the IDE.\n", encoding="utf-8")
    os.rename(folder / "Scoring.md", folder / "Scoring.md___jb_old___")
    os.rename(folder / "Scoring.md___jb_tmp___", folder / "Scoring.md")
    (folder / "Scoring.md___jb_old___").unlink()
    watched.settle()
    assert "Saved safely by the IDE" in watched.text(NOTE)
    assert [path for path, _, _ in watched.index.attention_since(0)] == [NOTE]


@pytest.mark.parametrize("temp_name", [".Scoring.md.tmp", "Scoring.md.swp", ".#Scoring.md", "Scoring.md~"])
def test_write_then_replace_save_indexes_the_note_not_the_temp_file(watched: Watched, temp_name: str) -> None:
    temp = write(watched.vault, f"Notes/{temp_name}", "# Scoring\n\nSaved atomically, via a temp file.\n")
    os.replace(temp, watched.vault / NOTE)
    watched.settle()
    assert "Saved atomically" in watched.text(NOTE)
    assert f"Notes/{temp_name}" not in watched.paths()


# --- renames and moves -------------------------------------------------------------------------
def test_renamed_note_takes_its_attention_and_backlinks_along(watched: Watched) -> None:
    watched.index.record_attention(NOTE, "edit")
    os.rename(watched.vault / NOTE, watched.vault / "Notes/Slashing.md")
    watched.settle()
    assert NOTE not in watched.paths() and "Notes/Slashing.md" in watched.paths()
    assert [path for path, _, _ in watched.index.attention_since(0)] == ["Notes/Slashing.md"]
    write(watched.vault, "Notes/Cold kitchens.md", "# Cold kitchens\n\nSee [[Slashing]].\n")
    watched.settle()
    assert watched.index.backlinks("Notes/Slashing.md") == ["Notes/Cold kitchens.md"]


def test_note_moved_to_another_folder(watched: Watched) -> None:
    watched.index.record_attention(NOTE, "open")
    os.rename(watched.vault / NOTE, watched.vault / "Drafts/Scoring.md")
    watched.settle()
    assert NOTE not in watched.paths() and "Drafts/Scoring.md" in watched.paths()
    assert [path for path, _, _ in watched.index.attention_since(0)] == ["Drafts/Scoring.md"]


def test_renamed_folder_moves_every_note_and_their_attention(watched: Watched) -> None:
    notes = sorted(p for p in watched.paths() if p.startswith("Notes/"))
    for path in notes:
        watched.index.record_attention(path, "edit")
    os.rename(watched.vault / "Notes", watched.vault / "Drafts/Essays")
    watched.settle()
    moved = sorted(p.replace("Notes/", "Drafts/Essays/", 1) for p in notes)
    assert not any(p.startswith("Notes/") for p in watched.paths())
    assert set(moved) <= watched.paths()
    assert sorted(path for path, _, _ in watched.index.attention_since(0)) == moved


def test_folder_moved_out_of_and_back_into_the_vault(watched: Watched, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(watched.vault / "Clippings", outside)  # inotify reports only the folder leaving
    watched.settle()
    assert not any(p.startswith("Clippings/") for p in watched.paths())
    shutil.move(outside, watched.vault / "Sources")
    watched.settle()
    assert {p for p in watched.paths() if p.startswith("Sources/")} == {
        "Sources/Oven spring explained.md", "Sources/The science of sourdough.md"}


def test_new_nested_folders_and_deleted_folders(watched: Watched) -> None:
    write(watched.vault, "Projects/Bakery/Plan/Week 1.md", "# Week 1\n\nBake on Friday night.\n")
    watched.settle()
    assert "Projects/Bakery/Plan/Week 1.md" in watched.paths()
    shutil.rmtree(watched.vault / "Projects")
    watched.settle()
    assert not any(p.startswith("Projects/") for p in watched.paths())


# --- bursts ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_burst_of_a_thousand_new_files_settles_and_matches_a_full_rescan(watched: Watched, tmp_path: Path) -> None:
    started = time.perf_counter()
    for n in range(1000):
        write(watched.vault, f"Imported/{n % 10}/Note {n}.md",
              f"# Note {n}\n\nThis links to [[Note {(n * 7) % 1000}]] and [[Scoring]].\n")
    watched.settle()
    print(f"\n1,000-file burst settled {time.perf_counter() - started:.2f}s after the first write "
          f"({watched.watcher.batches} batches, {watched.watcher.events} events)")
    fresh = rescan(watched.vault, tmp_path / "fresh.sqlite")
    assert watched.index.counts() == fresh.counts()
    expected = {p: s[2] for p, s in fresh.file_states().items()}
    assert {p: s[2] for p, s in watched.index.file_states().items()} == expected


# --- what never triggers work ------------------------------------------------------------------
def test_ignored_folders_temp_files_and_excluded_paths_do_no_work(sample_vault: Path) -> None:
    w = Watched(sample_vault, Settings(exclude=("Private",)))
    try:
        before = w.index.file_states()
        for rel in (".obsidian/workspace.json", ".obsidian/snippets/x.md", ".trash/Old.md", ".git/HEAD",
                    ".git/objects/ab/cd.md", "Notes/.Scoring.md.tmp", "Notes/Scoring.md.swp", "Notes/.#Scoring.md",
                    "Notes/Scoring.md~", "Notes/4913", "Notes/photo.png", "Private/Diary.md", "Private/Deep/x.md"):
            write(sample_vault, rel, "# not a note for penna\n")
        w.settle()
        assert (w.watcher.events, w.watcher.batches) == (0, 0)
        assert w.index.file_states() == before
    finally:
        w.watcher.stop()
        w.engine.close()


# --- trouble -----------------------------------------------------------------------------------
def test_an_unreadable_note_is_tried_twice_then_left_until_it_changes(watched: Watched) -> None:
    os.symlink("Loop.md", watched.vault / "Notes/Loop.md")  # reading it fails: too many symlink levels
    watched.settle()
    outcomes = [r.outcomes["Notes/Loop.md"] for r in watched.reports if "Notes/Loop.md" in r.outcomes]
    assert len(outcomes) == 2 and all(o.startswith("skipped") for o in outcomes)
    assert "Notes/Loop.md" not in watched.paths()


def test_lost_kernel_events_lead_to_a_full_rescan(watched: Watched) -> None:
    watched.index.remove_note(NOTE)  # as if the event for a change had been lost
    logging.getLogger(WATCHDOG_LOG).warning("Inotify queue overflowed; filesystem events were lost")
    watched.settle()
    assert NOTE in watched.paths()


def test_deleted_vault_stops_the_watcher_and_keeps_the_index(watched: Watched) -> None:
    missing: list[bool] = []
    watched.watcher.on_vault_missing = lambda: missing.append(True)
    count = len(watched.paths())
    shutil.rmtree(watched.vault)
    assert watched.watcher.finished.wait(SETTLE)
    assert watched.watcher.vault_missing and missing == [True]
    assert len(watched.paths()) == count  # a vanished drive does not empty the index
    watched.watcher.stop()  # idempotent after stopping itself
    watched.watcher.stop()


def test_renamed_vault_folder_is_noticed_without_any_event(watched: Watched, tmp_path: Path) -> None:
    os.rename(watched.vault, tmp_path / "renamed")
    assert watched.watcher.finished.wait(SETTLE)
    assert watched.watcher.vault_missing


def test_a_vanished_vault_leaves_no_handler_on_watchdogs_log(watched: Watched, tmp_path: Path) -> None:
    """The watcher listens to watchdog's log for lost events; once its vault is gone (and it is
    replaced by a new watcher when the vault returns) nothing of it may stay attached."""
    handlers = logging.getLogger(WATCHDOG_LOG).handlers
    ours = [h for h in handlers if getattr(h, "watcher", None) is watched.watcher]
    assert len(ours) == 1
    os.rename(watched.vault, tmp_path / "renamed")
    assert watched.watcher.finished.wait(SETTLE)
    assert not [h for h in handlers if getattr(h, "watcher", None) is watched.watcher]


# --- open editor buffers win over disk ----------------------------------------------------------
def test_an_open_buffer_is_indexed_over_disk_and_closing_it_falls_back_to_disk(watched: Watched) -> None:
    watched.engine.buffers[NOTE] = "# Scoring\n\nUnsaved: a lame held at thirty degrees.\n"
    watched.watcher.touch([NOTE])  # what the server does on didOpen/didChange
    watched.settle()
    assert "thirty degrees" in watched.text(NOTE)

    write(watched.vault, NOTE, "# Scoring\n\nSaved by another program meanwhile.\n")
    watched.settle()
    assert "thirty degrees" in watched.text(NOTE)  # the editor's text still wins

    del watched.engine.buffers[NOTE]
    watched.watcher.touch([NOTE])  # didClose
    watched.settle()
    assert "Saved by another program" in watched.text(NOTE) and "thirty degrees" not in watched.text(NOTE)


def test_an_open_buffer_for_a_note_not_yet_on_disk_is_indexed_then_dropped_on_close(watched: Watched) -> None:
    watched.engine.buffers["Drafts/Untitled.md"] = "# Untitled\n\nA new note about [[Scoring]].\n"
    watched.watcher.touch(["Drafts/Untitled.md"])
    watched.settle()
    assert "Drafts/Untitled.md" in watched.index.backlinks(NOTE)
    del watched.engine.buffers["Drafts/Untitled.md"]
    watched.watcher.touch(["Drafts/Untitled.md"])
    watched.settle()
    assert "Drafts/Untitled.md" not in watched.paths()


# --- attention -----------------------------------------------------------------------------------
def test_a_clipping_that_appears_is_recorded_as_reading_but_a_moved_one_is_not(watched: Watched) -> None:
    write(watched.vault, "Clippings/Autolyse.md", "# Autolyse\n\nRest flour and water before the salt.\n")
    write(watched.vault, "Notes/Autolyse ideas.md", "# Autolyse ideas\n\nMy own note.\n")
    watched.settle()
    assert [(p, k) for p, k, _ in watched.index.attention_since(0)] == [("Clippings/Autolyse.md", "read")]
    os.rename(watched.vault / "Clippings/Autolyse.md", watched.vault / "Clippings/Autolysis.md")
    watched.settle()
    assert [(p, k) for p, k, _ in watched.index.attention_since(0)] == [("Clippings/Autolysis.md", "read")]


# --- the start-up sync ------------------------------------------------------------------------------
def test_changes_made_while_the_start_up_sync_runs_are_applied_after_it(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings())
    watcher = VaultWatcher(engine.indexer, debounce=0.05)
    try:
        watcher.start()
        with watcher.paused():
            write(sample_vault, "Notes/During.md", "# During\n\nWritten while the sync ran.\n")
            time.sleep(0.3)  # the event arrives and waits: nothing is applied while paused
            assert watcher.batches == 0
            engine.sync()
            (sample_vault / "Notes/During.md").unlink()  # after the sync read it
        assert settle(watcher, SETTLE)
        assert "Notes/During.md" not in engine.index.file_states()
    finally:
        watcher.stop()
        engine.close()


def test_a_vault_that_cannot_be_watched_says_why_and_still_indexes_open_buffers(
        sample_vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Mocked: hitting the real inotify watch limit would mean lowering a system-wide setting on a
    # shared machine. watchdog raises exactly this OSError when the limit is reached.
    from watchdog.observers.api import BaseObserver

    def no_watches(self: BaseObserver) -> None:
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(BaseObserver, "start", no_watches)
    engine = Engine(sample_vault, Settings())
    watcher = VaultWatcher(engine.indexer, debounce=0.05, buffers=engine.buffers)
    try:
        watcher.start()
        assert watcher.unwatched and "max_user_watches" in watcher.unwatched
        engine.buffers["Drafts/New.md"] = "# New\n\nTyped, never saved.\n"
        watcher.touch(["Drafts/New.md"])
        assert watcher.settle(SETTLE)
        assert "Drafts/New.md" in engine.index.file_states()
    finally:
        watcher.stop()
        engine.close()


def test_stop_returns_promptly_while_a_batch_is_being_applied(sample_vault: Path) -> None:
    """An editor's shutdown calls stop(): it must not wait for a slow batch (a huge checkout, a
    slow disk). Here the batch's callback holds the worker for 8 s."""
    engine = Engine(sample_vault, Settings())
    engine.sync()
    entered, release, left = threading.Event(), threading.Event(), threading.Event()

    def slow(_report: BatchReport) -> None:
        entered.set()
        release.wait(8)
        left.set()

    watcher = VaultWatcher(engine.indexer, debounce=0.05, on_batch=slow)
    watcher.start()
    try:
        write(sample_vault, "Notes/Slow.md", "# Slow\n\nA batch that takes its time.\n")
        assert entered.wait(SETTLE), "the batch never started"
        watcher.stop()
        assert not left.is_set(), "stop() waited for the batch"  # the batch is still held in `slow`
        assert watcher.finished.is_set()
    finally:
        release.set()
        engine.close()


def test_a_full_index_is_reported_once_and_the_changes_wait_for_it(watched: Watched) -> None:
    """A full cache folder: SQLite's own SQLITE_FULL, produced here by capping the database's size
    with `PRAGMA max_page_count` on penna's connections (filling a real disk is not possible on a
    shared machine). Nothing is lost: the changes are applied once the index can grow again."""
    errors: list[str] = []
    watched.watcher.on_error = errors.append
    watched.watcher.unavailable_retry = 0.5
    watched.watcher.touch([NOTE])  # so that the watcher's thread has its connection
    watched.settle()

    def cap(pages: int | None) -> None:
        for conn in list(watched.index._all_connections):
            size = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count={pages or size}")

    cap(None)
    body = "Proofing in a cold kitchen takes patience and a warm corner. " * 200
    write(watched.vault, "Notes/Full one.md", "# Full one\n\n" + body)
    deadline = time.monotonic() + SETTLE
    while not errors and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(errors) == 1 and "cannot write the index" in errors[0], errors
    write(watched.vault, "Notes/Full two.md", "# Full two\n\n" + body)
    time.sleep(2.0)  # a few retries, each failing
    assert len(errors) == 1  # said once, not once per retry or per note
    assert not {"Notes/Full one.md", "Notes/Full two.md"} & watched.paths()

    cap(1_073_741_823)  # space again
    watched.settle()
    assert {"Notes/Full one.md", "Notes/Full two.md"} <= watched.paths()
    assert watched.watcher.unavailable is None
