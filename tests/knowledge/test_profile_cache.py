"""The style profile's background rebuilds: one long-lived worker (so one SQLite connection),
rate-limited, since every typing pause in a written note changes the author's writing.

Real SQLite, real files; the rebuilds are the real ones.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from penna.config import Settings
from penna.engine import Engine


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def profile_threads() -> set[threading.Thread]:
    """Alive profile threads (other tests' engines may still have theirs)."""
    return {t for t in threading.enumerate() if t.name == "penna-profile" and t.is_alive()}


def wait_for(condition, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_typing_pauses_reuse_one_worker_and_one_connection_and_rebuilds_are_rate_limited(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings())
    try:
        engine.sync()
        engine.profiles.min_interval = 60.0
        others = profile_threads()
        first = engine.profile_if_ready()  # nothing built yet: built at once in the background
        assert first is None
        assert wait_for(lambda: engine.profile_if_ready() is not None)
        fds, workers = open_fds(), profile_threads() - others
        assert len(workers) == 1
        for n in range(30):  # 30 typing pauses, each indexing the unsaved buffer as the watcher does
            text = "# Winter loaf\n\n" + "I think it is slower, I'd wait. " * (n + 1) + "\n"  # the style moves
            engine.indexer.index_text("Drafts/Winter loaf.md", text)
            engine.profile_if_ready()
            time.sleep(0.15)  # a pause: long enough for a thread started per rebuild to finish
        time.sleep(0.3)
        assert open_fds() - fds <= 2, "each rebuild opened another SQLite connection"
        assert len(engine.index._all_connections) <= 3  # this thread's, the worker's, maybe the sync's
        assert profile_threads() - others <= workers, "a rebuild started a thread of its own"
        assert engine.profiles.builds == 1, "rebuilds are at most one per min_interval"
        stale = engine.profile_if_ready()
        assert stale is not None and stale.version < engine.index.written_version

        engine.profile_if_ready(now=True)  # a save or a close: rebuild now
        assert wait_for(lambda: engine.profiles.builds == 2)
        assert engine.profile_if_ready().version == engine.index.written_version  # type: ignore[union-attr]
    finally:
        engine.close()
    assert wait_for(lambda: not profile_threads() & workers, 5), "the worker outlived its engine"


def test_the_worker_closes_its_connection_when_the_engine_closes(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings())
    engine.sync()
    engine.profile_if_ready()
    assert wait_for(lambda: engine.profiles.builds == 1)
    connections = len(engine.index._all_connections)
    engine.profiles.close()
    assert wait_for(lambda: len(engine.index._all_connections) == connections - 1, 5)
    engine.close()
