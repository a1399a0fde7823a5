"""Running the model off the event loop: one worker thread, cancellable, with progress.

pygls cancels an async handler's task on `$/cancelRequest`; a thread cannot be cancelled. So the
handler awaits a future from this worker, and when the await is cancelled it sets the job's
cancel token, which the generation loop checks between tokens and prompt slices. Warm-ups run on
the same worker and are cancelled the moment a real request arrives.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from penna.writing.backend import CancelToken

T = TypeVar("T")


class GenerationRunner:
    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="penna-generate")
        self._warm_tokens: list[CancelToken] = []
        self._active: dict[int, CancelToken] = {}  # jobs not yet finished (by id: tokens are unhashable)
        self._lock = threading.Lock()
        self.last_cancel_latency: float | None = None

    async def run(self, job: Callable[[CancelToken], T], *, cancel: CancelToken | None = None,
                  keep: CancelToken | None = None) -> T:
        """Run `job(cancel_token)` on the worker; cancelling the awaiting task stops it. Every
        warm-up is cancelled but `keep`, one already at work on what `job` evaluates first: `job`
        waits for it on the worker and starts from what it evaluated (cancelled with `job`)."""
        token = cancel or CancelToken()
        with self._lock:
            for warm in self._warm_tokens:
                if warm is not keep:
                    warm.cancel()  # a real request outranks any warm-up
            self._warm_tokens = [keep] if keep is not None and not keep.cancelled else []
        future = asyncio.get_running_loop().run_in_executor(self._pool, self._tracked(job), token)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            started = time.perf_counter()
            token.cancel()
            if keep is not None:
                keep.cancel()  # `job` waits behind it: the cancel must not
            # Wait for the worker to notice, so no late result or edit can follow the cancel.
            try:
                await asyncio.wait_for(asyncio.shield(future), timeout=5)
            except BaseException:  # noqa: BLE001 - the job's own Cancelled, or a timeout
                pass
            self.last_cancel_latency = time.perf_counter() - started
            raise

    def hold_warm(self, token: CancelToken) -> None:
        """A warm-up that will be submitted later (it waits for its moment): a real request
        cancels it meanwhile as it cancels the submitted ones."""
        with self._lock:
            self._warm_tokens = [t for t in self._warm_tokens if not t.cancelled]
            self._warm_tokens.append(token)

    def submit_warm(self, job: Callable[[CancelToken], Any],
                    token: CancelToken | None = None) -> concurrent.futures.Future[Any]:
        """Run `job` when the worker is free, until a real request cancels its token (`token`
        if given, so that the caller can cancel it too)."""
        token = token or CancelToken()
        with self._lock:
            self._warm_tokens = [t for t in self._warm_tokens if not t.cancelled]
            self._warm_tokens.append(token)
        return self._pool.submit(self._tracked(job), token)

    def _tracked(self, job: Callable[[CancelToken], T]) -> Callable[[CancelToken], T]:
        def run(token: CancelToken) -> T:
            with self._lock:
                self._active[id(token)] = token
            try:
                return job(token)
            finally:
                with self._lock:
                    self._active.pop(id(token), None)
        return run

    def shutdown(self) -> None:
        """Stop everything: the client is gone (or said exit), so a running generation stops
        within one token instead of keeping the process alive until it finishes."""
        with self._lock:
            for token in [*self._warm_tokens, *self._active.values()]:
                token.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
