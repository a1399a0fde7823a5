"""What the engine and the writing tasks need from a model, wherever it runs.

Two backends implement it: `LlamaModel` (llama-cpp-python in this process) and `RemoteModel`
(an OpenAI-compatible server the user configured with `remoteUrl`). Callers hold a `Backend`
and never ask which one it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from penna.context.assemble import AssembledContext, Budget, ContextTooSmall, Counter
from penna.writing.model import CancelToken, GenerationStats

ANSWER_LIMITED = "the answer is limited to"  # how the note that shortened the answer starts (shown by the editor)
MIN_ANSWER = 16  # tokens: below this the answer is not worth generating


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

    def count(self, text: str) -> int:
        """Tokens in `text` without BOS, as exactly as the backend can."""
        ...

    def stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
               cancel: CancelToken | None = None, stats: GenerationStats | None = None) -> Iterator[str]:
        """Text pieces as they are generated; raises `Cancelled` when `cancel` fires."""
        ...

    def warm(self, prompt: str, cancel: CancelToken | None = None) -> GenerationStats:
        """Evaluate a prompt prefix now so the next request sharing it starts fast."""
        ...


def counts_exactly(backend: Backend) -> bool:
    """Whether `backend.count` uses the model's own tokenizer (a local model always does)."""
    return bool(getattr(backend, "exact_count", True))


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
    estimate = getattr(backend, "estimate", None)
    return estimate if estimate is not None and getattr(backend, "count", None) == count else count


def estimate_reason(backend: Backend | None) -> str:
    """Why token counts are estimates, for the context viewer."""
    address = getattr(backend, "address", None)
    if backend is not None and address is not None:
        return (f"the model server at {address.url} has no tokenizer endpoint (Ollama has none), so counts "
                f"are tiktoken's, raised by {round((getattr(backend, 'ratio', 1.0) - 1) * 100)}% for safety")
    return "the model is not available"


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
