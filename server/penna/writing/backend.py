"""What the engine and the writing tasks need from a model, wherever it runs.

Two backends implement it: `LlamaModel` (llama-cpp-python in this process) and `RemoteModel`
(an OpenAI-compatible server the user configured with `remoteUrl`). Callers hold a `Backend`
and never ask which one it is: what differs between them is declared on the protocol. The
types every backend shares (cancelling, errors, timings) live here too, so that using a model
server never imports the llama.cpp module.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from penna.context.assemble import AssembledContext, Budget, ContextTooSmall, Counter

ANSWER_LIMITED = "the answer is limited to"  # how the note that shortened the answer starts (shown by the editor)
MIN_ANSWER = 16  # tokens: below this the answer is not worth generating


class ModelError(RuntimeError):
    """The model cannot be loaded or used. The message is meant for the user."""


class Cancelled(Exception):
    """Generation stopped because the caller cancelled it."""


@dataclass
class CancelToken:
    """Set from any thread; checked by the generation loop between tokens."""

    event: threading.Event = field(default_factory=threading.Event)
    deadline: float | None = None  # time.monotonic() after which generation stops

    def cancel(self) -> None:
        self.event.set()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set() or (self.deadline is not None and time.monotonic() > self.deadline)


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    reused_tokens: int = 0
    prefill_seconds: float = 0.0
    first_token_seconds: float | None = None
    generated_tokens: int = 0
    seconds: float = 0.0
    state_loaded: bool = False

    @property
    def tokens_per_second(self) -> float:
        decode = self.seconds - (self.first_token_seconds or 0.0)
        return (self.generated_tokens - 1) / decode if decode > 0 and self.generated_tokens > 1 else 0.0


@runtime_checkable
class Backend(Protocol):
    name: str  # shown to the user: the model's name or the server's model id
    path: Path  # the GGUF file (local) or the model id as a path-like label (remote)
    n_ctx: int
    chat_stop: list[str]

    @property
    def is_chat(self) -> bool:
        """True: tasks build messages with `chat_prompt`; False: the document prompt."""
        ...

    def chat_prompt(self, system: str, user: str) -> str: ...

    @property
    def exact_count(self) -> bool:
        """True: `count` uses the model's own tokenizer (a local model always does)."""
        ...

    @property
    def decodes_tokens(self) -> bool:
        """True: the backend is also a `TokenDecoding` (a local model; a model server only streams text)."""
        ...

    def count(self, text: str) -> int:
        """Tokens in `text` without BOS, as exactly as the backend can."""
        ...

    def estimate(self, text: str) -> int:
        """Tokens in `text`, cheaply: for fitting many small pieces (a model server's exact count
        is an HTTP round trip). Equal to `count` where counting is cheap."""
        ...

    def estimate_reason(self) -> str:
        """Why `count` only estimates, for the context viewer; empty when it is exact."""
        ...

    def stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
               cancel: CancelToken | None = None, stats: GenerationStats | None = None) -> Iterator[str]:
        """Text pieces as they are generated; raises `Cancelled` when `cancel` fires."""
        ...

    def warm(self, prompt: str, cancel: CancelToken | None = None, *, remember: bool = True) -> GenerationStats:
        """Evaluate a prompt prefix now so the next request sharing it starts fast. `remember`
        False leaves it in the live cache only (a one-off request's text, not a note's prefix to
        come back to)."""
        ...


@runtime_checkable
class TokenDecoding(Protocol):
    """Token-by-token access, for constrained decoding: offered when `Backend.decodes_tokens`."""

    def tokenize(self, text: str, *, bos: bool = True) -> list[int]: ...

    def decoding(self, prompt: str, *, cancel: CancelToken | None = None,
                 stats: GenerationStats | None = None) -> AbstractContextManager[tuple[Any, Any]]:
        """Hold the model for a hand-driven decode of `prompt`'s continuation: a decoder and the
        logits after the prompt."""
        ...


def window(backend: Backend | None, n_ctx: int, max_tokens: int) -> tuple[Budget, list[str]]:
    """The budget for a prompt: never larger than the backend's window (a model server may have
    less than nCtx), with a note saying so when it is."""
    if backend is not None and 0 < backend.n_ctx < n_ctx:
        note = (f"the model server's context window is {backend.n_ctx} tokens, less than nCtx ({n_ctx}): "
                f"the prompt is planned for {backend.n_ctx}")
        return Budget(backend.n_ctx, max_tokens), [note]
    return Budget(n_ctx, max_tokens), []


def fitting_counter(backend: Backend | None, count: Counter) -> Counter:
    """What sections are fitted with: a model server's exact count is an HTTP round trip per
    piece, so its cheap `estimate`; the final prompt is counted with `count` by `leave_room`."""
    return backend.estimate if backend is not None and backend.count == count else count


def estimate_reason(backend: Backend | None) -> str:
    """Why token counts are estimates, for the context viewer."""
    return (backend.estimate_reason() if backend is not None else "") or "the model is not available"


def leave_room(context: AssembledContext, count: Counter, notes: list[str]) -> AssembledContext:
    """Count the final prompt once with `count` (its sections may have been fitted on estimates)
    and keep prompt + answer within the window: shorten the answer and say so, or refuse clearly."""
    context.count = count
    budget = context.budget
    tokens = context.tokens + 1  # + BOS
    room = budget.n_ctx - tokens
    if room < min(budget.max_new_tokens, MIN_ANSWER):
        raise ContextTooSmall(f"the prompt takes {tokens} tokens of the {budget.n_ctx}-token context window, "
                              f"leaving no room for an answer; shorten the selection or raise nCtx")
    if room < budget.max_new_tokens:
        notes.append(f"{ANSWER_LIMITED} {room} tokens (maxTokens is {budget.max_new_tokens}): the prompt takes "
                     f"{tokens} of the {budget.n_ctx}-token window")
        context.budget = Budget(budget.n_ctx, room)
    context.notes.extend(notes)
    return context
