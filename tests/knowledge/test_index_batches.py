"""A sync's batches: few commits, yet a write from another thread of the process (an editor's
buffer, an attention event) goes in after the note in hand, not after the batch."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from penna.bench.synthetic import generate_vault
from penna.config import Settings
from penna.knowledge import indexer as indexer_module
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batches")
    generate_vault(root, 80, seed=5)
    return root


def test_a_cold_sync_commits_per_batch_not_per_note(vault: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexer_module, "BATCH_SECONDS", 60.0)
    index = Index(tmp_path / "index.sqlite", vault)
    statements: list[str] = []
    index.conn.set_trace_callback(statements.append)
    report = Indexer(index, Settings()).sync()
    assert report.added == report.scanned == 80
    # One batch for the notes, one transaction for the rules recorded after them.
    assert statements.count("COMMIT") == 2
    index.close()


def test_a_write_from_another_thread_goes_in_after_the_note_in_hand(vault: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexer_module, "BATCH_SECONDS", 60.0)  # without stepping aside it would wait for the sync
    index = Index(tmp_path / "index.sqlite", vault)
    written: list[str] = []
    done_after: list[int] = []
    real_upsert = Index.upsert_note

    def editor_write() -> None:
        index.record_attention("Notes/Elsewhere.md", "open", ts=1.0)
        done_after.append(len(written))
        index.close_thread()

    writer = threading.Thread(target=editor_write)

    def upsert(self: Index, note: Any, **kwargs: Any) -> None:
        real_upsert(self, note, **kwargs)
        written.append(note.rel_path)
        if len(written) == 10:  # mid-batch: the other thread blocks on the write lock
            writer.start()
            deadline = time.monotonic() + 10
            while index.writers_waiting == 0 and time.monotonic() < deadline:
                time.sleep(0.001)
            assert index.writers_waiting == 1

    monkeypatch.setattr(Index, "upsert_note", upsert)
    report = Indexer(index, Settings()).sync()
    writer.join(10)
    assert report.added == 80
    assert done_after == [10]  # in before the eleventh note was written
    assert index.writers_waiting == 0
    reopened = Index(index.db_path, vault)  # everything committed, the attention event included
    assert reopened.counts()["notes"] == 80
    assert reopened.conn.execute("SELECT count(*) FROM attention").fetchone()[0] == 1
    reopened.close()
    index.close()
