"""Model state in the editor: the model loads lazily, in the background (the first warm-up or
action), and its loading shows as server-initiated work-done progress that ends with the load
time or the reason it failed. A failure is also said once as a message (`report_model_error`).

The engine tells us of state changes from whichever thread loads the model; the messages are
written by the event loop, in order, through one queue.
"""

from __future__ import annotations

import asyncio
import uuid

from lsprotocol import types

from penna.engine import Engine, ModelState
from penna.lsp.server import PennaServer


def _describe(state: ModelState) -> str:
    if state.state == "ready":
        name = state.choice.path.name if state.choice else "the model"
        seconds = f" in {state.load_seconds:.1f} s" if state.load_seconds is not None else ""
        return f"{name} ready{seconds}"
    if state.state == "error":
        return f"the model is unavailable: {state.error}"
    return state.state


class ModelProgress:
    """Turns model state changes into `$/progress` (or log messages for clients without it)."""

    def __init__(self, ls: PennaServer) -> None:
        self.ls = ls
        self.token: str | None = None
        self._queue: asyncio.Queue[ModelState] | None = None

    def on_state(self, state: ModelState) -> None:
        """Any thread. Forwarded to the event loop; dropped if there is none (CLI, shutdown)."""
        loop = self.ls.event_loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._enqueue, state)
        except RuntimeError:  # the loop closed between the check and the call
            pass

    def _enqueue(self, state: ModelState) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
            asyncio.get_running_loop().create_task(self._drain(self._queue))
        self._queue.put_nowait(state)

    async def _drain(self, queue: asyncio.Queue[ModelState]) -> None:
        while True:
            state = await queue.get()
            try:
                await self._show(state)
            except Exception:  # noqa: BLE001 - progress is a courtesy; never break loading over it
                pass

    def _can_progress(self) -> bool:
        window = self.ls.client_capabilities.window if self.ls.client_capabilities else None
        return bool(window and window.work_done_progress)

    async def _show(self, state: ModelState) -> None:
        progress = self.ls.work_done_progress
        if state.state == "loading":
            if self.token is not None or not self._can_progress():
                self.ls.window_log_message(types.LogMessageParams(types.MessageType.Info, "penna: loading the model…"))
                return
            token = f"penna-model-{uuid.uuid4().hex[:12]}"
            await progress.create_async(token)
            self.token = token
            progress.begin(token, types.WorkDoneProgressBegin(
                title="penna: loading the model", message=self.ls.settings.model, cancellable=False))
        elif state.state in ("ready", "error"):
            message = _describe(state)
            if self.token is not None:
                token, self.token = self.token, None
                progress.end(token, types.WorkDoneProgressEnd(message=message))
            kind = types.MessageType.Info if state.state == "ready" else types.MessageType.Error
            self.ls.window_log_message(types.LogMessageParams(kind, f"penna: {message}"))


def setup(server: PennaServer) -> None:
    progress = ModelProgress(server)

    def follow(engine: Engine) -> None:
        engine.model_listeners.append(progress.on_state)

    server.engine_hooks.append(follow)
