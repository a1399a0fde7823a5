"""Hardening the index: a read-only or full cache, two processes on one vault, kill -9 while
indexing. All real: the real `penna index` command, real SQLite files, real signals.

Corrupt databases, databases from another schema version and interrupted creation are in
tests/knowledge/test_index.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import unprivileged, write

from penna.bench.synthetic import generate_vault
from penna.config import Settings
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer

BIGGER = 4000


def penna(*args: str, cache: Path, argv_wrap: Callable[[list[str]], list[str]] = lambda a: a, timeout: float = 300,
          **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv_wrap([sys.executable, "-m", "penna", *args]), capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PENNA_CACHE_DIR": str(cache)}, check=False, **kwargs)


def one_clear_line(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("penna: ") and message in lines[0], result.stderr


def consistent(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Every chunk belongs to a note and is searchable; no note was half-written.
    orphans = conn.execute(
        "SELECT COUNT(*) FROM chunks c LEFT JOIN notes n ON n.id=c.note_id WHERE n.id IS NULL").fetchone()[0]
    assert orphans == 0
    fts = conn.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0]
    assert fts == conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    return conn


@pytest.fixture(scope="module")
def big_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic") / "vault"
    generate_vault(root, 600, seed=11)
    return root


@pytest.fixture(scope="module")
def bigger_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough that a cold index commits several batches (each up to BATCH_SECONDS long)."""
    root = tmp_path_factory.mktemp("synthetic-bigger") / "vault"
    generate_vault(root, BIGGER, seed=12)
    return root


def test_read_only_cache_gives_one_clear_line_and_the_vault_is_untouched(world_readable_dir: Path) -> None:
    vault = world_readable_dir / "vault"
    write(vault, "note.md", "A note.\n")
    cache = world_readable_dir / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    result = penna("index", str(vault), cache=cache, argv_wrap=unprivileged)
    one_clear_line(result, "cannot create the index folder")
    # An index folder that exists but is read-only: the database cannot be created in it.
    cache.chmod(0o755)
    (cache / "index").mkdir()
    (cache / "index").chmod(0o555)
    result = penna("index", str(vault), cache=cache, argv_wrap=unprivileged)
    one_clear_line(result, "cannot write the index")
    assert sorted(p.name for p in vault.iterdir()) == ["note.md"]


@pytest.fixture
def tiny_filesystem(tmp_path: Path) -> Iterator[tuple[Path, object]]:
    """A cache folder on a 256 kB filesystem: a tmpfs when we may mount (root), else the same
    limit through RLIMIT_FSIZE in the child process. Yields the folder and a `preexec_fn`."""
    target = tmp_path / "small"
    target.mkdir()
    mounted = os.geteuid() == 0 and shutil.which("mount") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(target)],
        capture_output=True, check=False).returncode == 0
    if mounted:
        try:
            yield target, None
        finally:
            subprocess.run(["umount", "-l", str(target)], check=False)
        return

    def limit() -> None:  # pragma: no cover - runs in the child
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    yield target, limit


@pytest.mark.slow
def test_full_cache_gives_one_clear_line_then_recovers(big_vault: Path, tiny_filesystem: tuple[Path, object],
                                                      tmp_path: Path) -> None:
    cache, preexec = tiny_filesystem
    result = penna("index", str(big_vault), cache=cache, preexec_fn=preexec)
    one_clear_line(result, "cannot write the index")
    assert "full" in result.stderr or "too large" in result.stderr or "disk" in result.stderr
    # Space comes back (here: the same database copied to a roomy folder): the next run completes.
    roomy = tmp_path / "roomy"
    shutil.copytree(cache, roomy)
    result = penna("index", str(big_vault), cache=roomy)
    assert result.returncode == 0, result.stderr
    assert "index: 600 notes" in result.stdout
    consistent(next((roomy / "index").glob("*.sqlite")))


@pytest.mark.slow
def test_two_processes_on_one_vault_at_once(big_vault: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "PENNA_CACHE_DIR": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-m", "penna", "index", str(big_vault)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert "index: 600 notes" in out, out
    assert sum("rebuilding the index" in err for _out, err in outputs) == 0  # nobody deleted another's index
    conn = consistent(next((cache / "index").glob("*.sqlite")))
    assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 600
    assert conn.execute("SELECT COUNT(DISTINCT path) FROM notes").fetchone()[0] == 600


@pytest.mark.slow
def test_kill_9_while_indexing_then_restart_continues_without_a_rebuild(bigger_vault: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "PENNA_CACHE_DIR": str(cache)}
    proc = subprocess.Popen([sys.executable, "-m", "penna", "index", str(bigger_vault)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = None
    indexed = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        found = list((cache / "index").glob("*.sqlite")) if (cache / "index").is_dir() else []
        if found:
            db = found[0]
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                    indexed = conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
            except sqlite3.Error:
                indexed = 0
            if indexed > 0:  # one batch committed
                break
        time.sleep(0.02)
    assert proc.poll() is None, "indexing finished before it could be killed; use a bigger vault"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert db is not None and 0 < indexed < BIGGER
    before = consistent(db).execute("SELECT COUNT(*) FROM notes").fetchone()[0]
    assert before >= indexed
    index = Index(db, bigger_vault)
    assert index.rebuilt_reason is None, index.rebuilt_reason  # no full rebuild needed
    report = Indexer(index, Settings()).sync()
    assert report.added == BIGGER - before and report.updated == 0
    index.close()
    assert consistent(db).execute("SELECT COUNT(*) FROM notes").fetchone()[0] == BIGGER


def test_closing_the_engine_while_it_indexes_in_the_background_ends_the_sync_cleanly(bigger_vault: Path,
                                                                                      tmp_path: Path) -> None:
    # An editor shutting down during a large vault's first index: the sync ends after its note,
    # the index is closed only once nothing writes through it (closing a connection another
    # thread writes through crashed the process), and the next start indexes the rest.
    from penna.engine import Engine

    db = tmp_path / "index.sqlite"
    engine = Engine(bigger_vault, Settings(), db_path=db)
    started = time.monotonic()
    engine.start_watching(background=True)
    while time.monotonic() - started < 60:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            if conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] > 0:  # a batch is committed
                break
        time.sleep(0.02)
    assert engine.follower.syncing, "indexing finished before the close; use a bigger vault"
    engine.close()
    assert not engine.follower.syncing  # it ended within the close's wait
    written = consistent(db).execute("SELECT COUNT(*) FROM notes").fetchone()[0]
    assert 0 < written < BIGGER
    index = Index(db, bigger_vault)
    assert index.rebuilt_reason is None
    report = Indexer(index, Settings()).sync()
    assert report.added == BIGGER - written and report.updated == 0
    index.close()
