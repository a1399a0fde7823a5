"""What the server says about itself: `penna.status` on request, and `penna/status` pushed when it
changes (a vault's indexing starts or ends, the model loads, is ready or fails), so clients never
need to poll. Both carry the same `StatusResult` (lsp/protocol.py, docs/protocol.md).

State changes arrive from worker threads (the indexer, the model loader); each schedules one push
on the event loop, and changes that arrive together are sent as one notification.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from penna.engine import Engine
from penna.knowledge.collected import cached_suggestions
from penna.lsp.protocol import STATUS_NOTIFICATION, CollectedFolder, ModelStatus, StatusResult, VaultStatus
from penna.lsp.server import PennaServer
from penna.writing.calibration_session import draft_order, needs_calibration, stored_calibration

INDEX_THREAD = "penna-index"  # the start-up sync's thread (knowledge/following.py): it indexes, then builds the profile


def _indexing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == INDEX_THREAD and t.is_alive()]


def status_of(ls: PennaServer) -> StatusResult:
    vaults: list[VaultStatus] = []
    state = None
    for engine in list(ls.engines.values()):
        counts = engine.index.counts()
        collected: list[CollectedFolder] = [suggestion.as_json()  # type: ignore[misc]
                                            for suggestion in cached_suggestions(engine.index, engine.vault)]
        vaults.append(VaultStatus(path=str(engine.vault), notes=counts["notes"], written=counts["written"],
                                  read=counts["read"], index=str(engine.index.db_path),
                                  indexed=ls.vault_indexed(engine), collected=collected))
        state = engine.model_state
    model = ModelStatus(state=state.state if state else "not loaded", setting=ls.settings.model)
    if state and state.choice:
        model["name"] = state.choice.path.name
        model["path"] = str(state.choice.path)
        model["source"] = state.choice.source
    if state and state.error:
        model["error"] = state.error
    if state and state.state == "ready" and ls.engines:
        model["drafting"] = drafting(next(iter(ls.engines.values())))
    # The start-up thread indexes, then builds the style profile; `penna bench` waits for it.
    indexing = bool(_indexing_threads())
    return StatusResult(model=model, vaults=vaults, indexing=indexing or not all(v["indexed"] for v in vaults),
                        lastCancelSeconds=ls.runner.last_cancel_latency)


def drafting(engine: Engine) -> str:
    """How the loaded model turns a note into a sentence, for the status (`writing/calibration.py`)."""
    found = stored_calibration(engine.index, engine.model_host.backend)
    if found is not None and found.trials:
        return found.summary()
    backend = engine.model_host.backend
    if backend is None or draft_order(engine.index, backend) == "free":
        return "writes its own sentences (it cannot restore notes)"
    if needs_calibration(engine.index, engine.model_host):
        return "restores notes first until its trial on this vault has run"
    return "restores notes first (measured for the embedded default; `penna calibrate` tries it on this vault)"


class StatusPush:
    """Sends `penna/status` after every change; `changed` may be called from any thread."""

    def __init__(self, ls: PennaServer) -> None:
        self.ls = ls
        self._scheduled = False
        self._waiting = False  # a thread waits for the start-up threads to end, to say so

    def changed(self, *_why: Any) -> None:
        loop = self.ls.event_loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._schedule)
        except RuntimeError:  # the loop closed between the check and the call
            pass

    def _schedule(self) -> None:
        if not self._scheduled:  # changes that arrive together make one notification
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._push)

    def _push(self) -> None:
        self._scheduled = False
        status = status_of(self.ls)
        self.ls.protocol.notify(STATUS_NOTIFICATION, status)
        if status["indexing"] and all(v["indexed"] for v in status["vaults"]):
            self._when_threads_end()

    def _when_threads_end(self) -> None:
        """The vaults are indexed but the start-up threads still build the style profile: push
        again when they end, so the last status a client gets says that indexing is over."""
        if self._waiting:
            return
        self._waiting = True

        def wait() -> None:
            for thread in _indexing_threads():
                thread.join()
            self._waiting = False
            self.changed()

        threading.Thread(target=wait, daemon=True, name="penna-status-wait").start()


def setup(server: PennaServer) -> None:
    push = StatusPush(server)

    def follow(engine: Engine) -> None:
        engine.model_listeners.append(push.changed)

    server.engine_hooks.append(follow)
    server.indexing_listeners.append(push.changed)

    @server.command("penna.status")
    def status(ls: PennaServer, *_args: Any) -> StatusResult:
        return status_of(ls)
