"""Keeping the index following the vault and the editor's open buffers.

The watcher starts first, then the start-up sync runs under it (events seen meanwhile are applied
after it, against what it wrote), then the buffers' text goes back over what the sync read from
disk. When the vault's rules change (exclusions, reading folders, the author's name) the vault is
synced again under the running watcher: notes whose bytes did not change may still change class.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from penna.knowledge.indexer import Indexer, Progress, SyncReport
from penna.knowledge.watcher import BatchReport, VaultWatcher

log = logging.getLogger("penna.engine")


class VaultFollower:
    def __init__(self, indexer: Indexer, buffers: dict[str, str], *, on_caught_up: Callable[[], None],
                 on_indexed: Callable[[list[str]], None]) -> None:
        self.indexer = indexer
        self.buffers = buffers  # open editor buffers win over disk
        self.on_caught_up = on_caught_up  # after a sync and the buffers: what was derived from the index is stale
        self.on_indexed = on_indexed  # on the watcher's thread, after notes changed in the index
        self.watcher: VaultWatcher | None = None
        self._catch_up: threading.Thread | None = None  # the start-up sync, or a re-sync
        self._resyncs = 0  # re-syncs asked for and not yet done
        self._resyncs_lock = threading.Lock()

    @property
    def vault(self) -> Path:
        return self.indexer.index.vault_root

    @property
    def resyncing(self) -> bool:
        """Whether a re-sync for new rules is asked for or under way (see `resync`)."""
        return self._resyncs > 0

    def start(self, *, debounce: float, sync: bool, background: bool, progress: Progress | None,
              on_missing: Callable[[], None] | None, on_error: Callable[[str], None] | None,
              on_batch: Callable[[BatchReport], None] | None,
              on_synced: Callable[[SyncReport], None] | None) -> VaultWatcher:
        """Start watching and catch up: on a thread of its own with `background` (a failure goes
        to `on_error`), else here (a failed sync raises). `on_error` also hears once that the vault
        cannot be watched or the index cannot be written. A watcher already running is stopped first."""
        self.stop()
        self.indexer.stopping.clear()
        watcher = VaultWatcher(self.indexer, debounce=debounce, buffers=self.buffers, on_indexed=self.on_indexed,
                               on_batch=on_batch, on_vault_missing=on_missing, on_error=on_error)
        self.watcher = watcher

        def catch_up() -> None:
            watcher.start()
            if watcher.unwatched and on_error:
                on_error(f"cannot watch {self.vault} for changes ({watcher.unwatched}); changes made outside "
                         "the editor are indexed at the next start")
            self._sync_under(watcher, sync=sync, progress=progress, on_synced=on_synced)

        if not background:
            catch_up()
            return watcher

        def run() -> None:
            try:
                catch_up()
            except Exception as error:  # noqa: BLE001 - a vault problem must not kill the caller
                log.warning("indexing %s failed: %s", self.vault, error)
                if on_error:
                    on_error(f"indexing {self.vault} failed: {error}")
            finally:
                self.indexer.index.close_thread()

        self._catch_up = threading.Thread(target=run, daemon=True, name="penna-index")
        self._catch_up.start()
        return watcher

    def resync(self, on_done: Callable[[], None] | None = None) -> bool:
        """Sync again under the running watcher, on a thread, after any start-up sync still under
        way. Returns whether it started (not without a watcher); `resyncing` is true from here until
        it has ended, and then `on_done` is called on its thread, whether it succeeded or not."""
        watcher, previous = self.watcher, self._catch_up
        if watcher is None:
            return False
        with self._resyncs_lock:
            self._resyncs += 1

        def run() -> None:
            try:
                if previous is not None:
                    previous.join()
                self._sync_under(watcher)
            except Exception as error:  # noqa: BLE001 - a vault problem must not kill the caller
                log.warning("re-indexing %s for the new settings failed: %s", self.vault, error)
            finally:
                self.indexer.index.close_thread()
                with self._resyncs_lock:
                    self._resyncs -= 1
                if on_done:
                    on_done()

        self._catch_up = threading.Thread(target=run, daemon=True, name="penna-resync")
        self._catch_up.start()
        return True

    def _sync_under(self, watcher: VaultWatcher, *, sync: bool = True, progress: Progress | None = None,
                    on_synced: Callable[[SyncReport], None] | None = None) -> None:
        if sync:
            with watcher.paused():
                report = self.indexer.sync(progress)
            if on_synced:
                on_synced(report)
        watcher.touch(list(self.buffers))  # the sync read these from disk; the editor's text wins
        self.on_caught_up()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the watcher (its threads are joined briefly), tell a sync under way to end after
        the note it is writing, and wait at most `timeout` seconds for it."""
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()
        catch_up = self._catch_up
        if catch_up is not None and catch_up is not threading.current_thread() and catch_up.is_alive():
            self.indexer.stopping.set()
            catch_up.join(timeout)
            if not catch_up.is_alive():
                self.indexer.stopping.clear()  # a later sync (`Engine.sync`, a new start) runs to its end

    @property
    def syncing(self) -> bool:
        """Whether a sync (start-up or re-sync) is still writing the index."""
        return self._catch_up is not None and self._catch_up.is_alive()

    def touch(self, paths: list[str]) -> None:
        """Buffers changed: the index follows after the watcher's debounce, off the caller's thread."""
        if self.watcher is not None:
            self.watcher.touch(paths)
