"""What the engine and the writing tasks need from a model, wherever it runs.

Two backends implement it: `LlamaModel` (llama-cpp-python in this process) and `RemoteModel`
(an OpenAI-compatible server the user configured with `remoteUrl`). Callers hold a `Backend`
and never ask which one it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from penna.writing.model import CancelToken, GenerationStats


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
