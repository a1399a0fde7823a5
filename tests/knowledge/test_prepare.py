"""Notes read and taken apart for the index in helper processes (a large sync): the index ends up
the same as when the sync reads them itself, in the same order, and a helper that cannot start
or dies costs nothing but time. Real helper processes (spawned) on the sample vault, real SQLite."""

from __future__ import annotations

import concurrent.futures
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from penna.config import Settings
from penna.engine import Engine
from penna.knowledge import prepare as prepare_module
from penna.knowledge.prepare import PARALLEL_FROM, helpers_for, prepare, prepared_in_order

FOLDERS = Settings().reading_folders


def _notes(vault: Path) -> list[str]:
    return sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md") if ".obsidian" not in p.parts)


def _index_rows(engine: Engine) -> list[tuple[Any, ...]]:
    """Everything a sync stores about the notes, without ids and times."""
    conn = sqlite3.connect(engine.index.db_path)
    try:
        return [
            *conn.execute("SELECT path, title, origin, origin_reason, hash, frontmatter, tags, aliases, headings,"
                          " words, tokens, style, warnings FROM notes ORDER BY path"),
            *conn.execute("SELECT n.path, c.ord, c.kind, c.origin, c.heading, c.text, c.tokens FROM chunks c"
                          " JOIN notes n ON n.id = c.note_id ORDER BY n.path, c.ord"),
            *conn.execute("SELECT n.path, l.target, l.line FROM links l JOIN notes n ON n.id = l.src_id"
                          " ORDER BY n.path, l.line, l.target"),
        ]
    finally:
        conn.close()


def test_helpers_hand_back_every_note_in_order_as_it_is_read_here(
        sample_vault: Path, caplog: pytest.LogCaptureFixture) -> None:
    paths = [*_notes(sample_vault), "Notes/gone.md"]
    here = [prepare(sample_vault, p, FOLDERS, "") for p in paths]
    helped = list(prepared_in_order(sample_vault, paths, FOLDERS, "", helpers=2))
    assert "helper process failed" not in caplog.text  # the helpers did the work, not the fallback
    assert [p.rel_path for p in helped] == paths
    assert helped[-1].failure == "missing"
    for mine, theirs in zip(here[:-1], helped[:-1], strict=True):
        assert (theirs.digest, theirs.chunks, theirs.style, theirs.failure) == (
            mine.digest, mine.chunks, mine.style, mine.failure)
        assert theirs.note is not None and mine.note is not None
        assert (theirs.note.title, theirs.note.origin, theirs.note.parsed.links, theirs.note.parsed.headings) == (
            mine.note.title, mine.note.origin, mine.note.parsed.links, mine.note.parsed.headings)


def test_a_sync_with_helpers_stores_exactly_what_a_sync_without_them_does(
        sample_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    alone = Engine(sample_vault, Settings(), db_path=tmp_path / "alone.sqlite")
    alone.sync()
    monkeypatch.setattr(prepare_module, "helpers_for", lambda notes: 1)  # the sample vault is small
    helped = Engine(sample_vault, Settings(), db_path=tmp_path / "helped.sqlite")
    report = helped.sync()
    assert report.added == len(_notes(sample_vault)) and not report.skipped
    assert "helper process failed" not in caplog.text
    assert _index_rows(helped) == _index_rows(alone)
    alone.close()
    helped.close()


def test_helpers_that_cannot_start_cost_only_time(
        sample_vault: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refused)
    monkeypatch.setattr(prepare_module, "ProcessPoolExecutor", refused)
    paths = _notes(sample_vault)
    found = list(prepared_in_order(sample_vault, paths, FOLDERS, "", helpers=2))
    assert [p.rel_path for p in found] == paths and all(p.note is not None for p in found)
    assert "helper process failed (OSError" in caplog.text


def test_only_a_large_sync_on_more_than_one_cpu_starts_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare_module, "usable_cpus", lambda: 2)
    assert helpers_for(PARALLEL_FROM - 1) == 0
    assert helpers_for(PARALLEL_FROM) == 2
    monkeypatch.setattr(prepare_module, "usable_cpus", lambda: 16)
    assert helpers_for(10_000) == prepare_module.MOST_HELPERS
    monkeypatch.setattr(prepare_module, "usable_cpus", lambda: 1)
    assert helpers_for(10_000) == 0


HELPERS_THEN_EXIT = """
import os, sys
from pathlib import Path
from penna.knowledge.prepare import prepared_in_order

vault = Path(sys.argv[1])
paths = sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md")) * 200
notes = prepared_in_order(vault, paths, ("Clippings",), "", helpers=2)
next(notes)  # the helpers are at work

def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except OSError:  # it ended meanwhile
        return None

print(" ".join(p for p in os.listdir("/proc") if p.isdigit() and parent_of(p) == os.getpid()), flush=True)
os._exit(0)  # as the server exits: without waiting for anything
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_helpers_end_when_the_process_that_started_them_exits_without_waiting(sample_vault: Path) -> None:
    import subprocess
    import sys
    import time

    run = subprocess.run([sys.executable, "-c", HELPERS_THEN_EXIT, str(sample_vault)], capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    helpers = [int(pid) for pid in run.stdout.split()]
    assert len(helpers) >= 2  # the two helpers (and multiprocessing's resource tracker)
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in helpers if _running(pid)]
