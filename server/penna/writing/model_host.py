"""The model host: an engine's one model (or model server), loaded on first need, and counting.

The settings (or what `penna model use` saved) choose the model. Loading takes seconds for a
large model and llama.cpp cannot interrupt it, so a request that may be cancelled waits for the
load on the side and returns at once when cancelled; the load goes on for the next request.
Before the model is loaded, counting uses its vocabulary alone (fast to load), or tiktoken when
the model is unavailable. Listeners hear every state change, from whichever thread loads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from penna.config import Settings
from penna.context.assemble import Counter
from penna.knowledge.tokens import count_tokens
from penna.writing.backend import Backend, Cancelled, CancelToken, ModelError
from penna.writing.model import LlamaModel
from penna.writing.registry import ModelChoice, effective_choice, resolve_model

log = logging.getLogger("penna.engine")

LOAD_POLL = 0.02  # seconds between looks at the cancel token while a model loads


@dataclass
class ModelState:
    state: str = "not loaded"  # not loaded | loading | ready | error
    error: str | None = None
    choice: ModelChoice | None = None
    load_seconds: float | None = None


class ModelHost:
    def __init__(self, settings: Settings, *, state_dir: Path | None = None) -> None:
        self.settings = settings
        self.state_dir = state_dir  # where a loaded model keeps long prompt evaluations across restarts
        # Told of every state change (from whichever thread loads it): the server reports
        # loading as progress and a failure once.
        self.listeners: list[Callable[[ModelState], None]] = []
        self._state = ModelState()
        self.backend: Backend | None = None  # the loaded model, once loaded
        self.tokenizer: LlamaModel | None = None  # the model's vocabulary, counting until it loads
        self._key: tuple[str, str] | None = None  # (model, remote URL) the loaded model is for
        self._lock = threading.RLock()

    @property
    def state(self) -> ModelState:
        return self._state

    @state.setter
    def state(self, state: ModelState) -> None:
        self._state = state
        for listener in list(self.listeners):
            try:
                listener(state)
            except Exception:  # a listener's bug must not break loading
                log.exception("model state listener failed")

    def announce(self) -> None:
        """Tell the listeners again: something shown with the model's state changed."""
        self.state = self._state

    def configure(self, settings: Settings) -> None:
        """New settings: a different model, server, window or thread count unloads the model."""
        changed = (settings.model, settings.remote_url, settings.n_ctx, settings.threads) != (
            self.settings.model, self.settings.remote_url, self.settings.n_ctx, self.settings.threads)
        self.settings = settings
        if changed:
            with self._lock:
                self.backend = self.tokenizer = None
                self.state = ModelState()

    def _choice_key(self) -> tuple[str, str]:
        """(model reference, remote URL): the settings, or what `penna model use` saved."""
        model, remote, _saved = effective_choice(self.settings.model, self.settings.remote_url)
        return model, remote

    def get(self, cancel: CancelToken | None = None) -> Backend:
        """The loaded model (or the connected model server, when remoteUrl is set), loading it on
        first call. Raises ModelError with a clear reason. With `cancel`, a load under way is
        waited for on the side, and a cancel returns at once while the load goes on."""
        if cancel is None or self.backend is not None:
            return self._load()
        outcome: list[Backend | BaseException] = []
        done = threading.Event()

        def load() -> None:
            try:
                outcome.append(self._load())
            except BaseException as error:  # noqa: BLE001 - handed to the waiting request
                outcome.append(error)
            finally:
                done.set()

        threading.Thread(target=load, daemon=True, name="penna-model-load").start()
        while not done.wait(LOAD_POLL):
            if cancel.cancelled:
                raise Cancelled()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def _load(self) -> Backend:
        with self._lock:
            try:
                key = self._choice_key()
            except ModelError as error:  # a damaged saved choice
                self.state = ModelState("error", str(error))
                raise
            if self.backend is not None and key == self._key:
                return self.backend
            self.backend = self.tokenizer = None  # `penna model use` changed the choice meanwhile
            self.state = ModelState("loading")
            started = time.perf_counter()
            model_ref, remote = key
            backend: Backend
            try:
                if remote:  # the only network penna ever uses: the server the user configured
                    from penna.writing.remote import RemoteModel

                    backend = RemoteModel.connect(remote, n_ctx=self.settings.n_ctx, model=model_ref)
                    choice = ModelChoice(backend.path, "remote", remote)
                else:
                    choice = resolve_model(model_ref, folders=self.settings.model_folders)
                    backend = LlamaModel.load(choice.path, n_ctx=self.settings.n_ctx, threads=self.settings.threads,
                                              state_dir=self.state_dir)
            except ModelError as error:
                self.state = ModelState("error", str(error))
                raise
            except Exception as error:  # noqa: BLE001 - e.g. an I/O error reading the file: still a load failure
                reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
                self.state = ModelState("error", f"the model {model_ref} cannot be read: {reason}")
                raise ModelError(self.state.error or reason) from None
            self.backend, self._key = backend, key
            self.state = ModelState("ready", None, choice, time.perf_counter() - started)
            return backend

    def counter(self) -> tuple[Counter, bool]:
        """Exact token counting with the model's tokenizer (vocabulary only, fast to load),
        or tiktoken when the model is unavailable. A model server counts with its /tokenize
        endpoint when it has one (else tiktoken, and the flag says so)."""
        with self._lock:  # never load two llama.cpp models at once (the worker may be loading)
            try:
                model_ref, remote = self._choice_key()
            except ModelError:
                return count_tokens, False
            if self.backend is not None and (model_ref, remote) == self._key:
                return self.backend.count, self.backend.exact_count
            if remote:
                try:
                    backend = self.get()
                except ModelError:
                    return count_tokens, False
                return backend.count, backend.exact_count
            if self.tokenizer is None and self.state.state != "error":
                try:
                    choice = resolve_model(model_ref, folders=self.settings.model_folders)
                    self.tokenizer = LlamaModel.load(choice.path, n_ctx=self.settings.n_ctx, threads=1,
                                                     vocab_only=True)
                except ModelError as error:
                    self.state = ModelState("error", str(error))
            if self.tokenizer is not None:
                return self.tokenizer.count, True
            return count_tokens, False
