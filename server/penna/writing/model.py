"""The local model: llama-cpp-python, loaded once per process, with latency as a feature.

- Prefix reuse: llama.cpp keeps the KV cache of the previous call and reuses the longest common
  token prefix. On top of that, an LRU of saved prefix states (one per note) makes switching
  back to a note cheap: loading a state (~0.3 s) instead of re-evaluating it (seconds).
- Cancellation: the prompt is evaluated in small slices and tokens are produced one at a time,
  with the cancel token checked between each, so a cancel lands within one slice (~0.1–0.2 s).
- One generation at a time: a llama context is not thread-safe; callers queue on `lock`.
- Threads: before every evaluation the model asks `writing/cpu_share.py` how many cores are its
  to use (fewer while the editor talks to the server or other programs hold a core).
"""

from __future__ import annotations

import ctypes
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from penna.writing.backend import Cancelled, CancelToken, GenerationStats, ModelError
from penna.writing.cpu_share import SHARE, CpuShare
from penna.writing.state_store import MIN_GAIN, StateStore
from penna.writing.state_store import common_prefix as _common_prefix

PREFILL_SLICE = 32  # tokens per prompt slice: ~0.15 s on 2 cores, the cancel granularity
STATE_CACHE_SIZE = 6
EVICT_SAVE_MIN = 256  # cached tokens worth saving before a different prompt evicts them
# Kept on disk: a prefill that reused fewer tokens than this and evaluated more (a cold request),
# or a warm-up (a note's prefix) that evaluated more.
DISK_SAVE_MIN = 256
DECODER_MEMO = 32  # logits a decoder keeps for evaluations it may repeat (1 MB each at a 262k vocabulary)


@dataclass
class SavedState:
    tokens: tuple[int, ...]
    data: bytes


@functools.cache  # once per process
def silence_llama_logs() -> None:
    """llama.cpp logs to stderr even with verbose=False; the CLI and the server own stderr."""
    import llama_cpp

    @llama_cpp.llama_log_callback
    def _ignore(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        return None

    llama_cpp.llama_log_set(_ignore, ctypes.c_void_p(0))
    globals()["_log_callback"] = _ignore  # keep a reference: C holds only a pointer


def check_gguf(path: Path) -> None:
    """Fail fast, with a clear message, before handing a bad file to llama.cpp."""
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelError(f"model path is not a file: {path}")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        raise ModelError(f"not a GGUF model file (bad header): {path}")
    # A truncated download or a damaged header is named as such (llama.cpp only says "failed").
    from penna.writing.gguf_info import GgufError, read_gguf_info

    try:
        read_gguf_info(path)
    except GgufError as error:
        raise ModelError(str(error)) from None


class LlamaModel:
    """One loaded GGUF model. Create it with `LlamaModel.load`."""

    def __init__(self, llm: Any, path: Path, n_ctx: int, states: StateStore | None = None) -> None:
        self.llm = llm
        self.path = path
        self.n_ctx = n_ctx
        self.lock = threading.Lock()
        self._states: OrderedDict[tuple[int, ...], SavedState] = OrderedDict()
        self.disk = states  # long prompt evaluations kept across restarts (`writing/state_store.py`)
        meta = dict(llm.metadata or {})
        self.chat_template: str | None = meta.get("tokenizer.chat_template")
        self.architecture = meta.get("general.architecture", "unknown")
        self.name = meta.get("general.name") or path.stem
        self.chat_stop: list[str] = []
        self.most_threads = int(getattr(llm, "n_threads", 1) or 1)  # the `threads` setting
        self.threads_now = self.most_threads
        self.share: CpuShare = SHARE

    def fit_threads(self) -> None:
        """Run the next evaluation on as many threads as the CPUs have free for it (called with
        the lock held, before each evaluation)."""
        wanted = self.share.threads(self.most_threads)
        if wanted != self.threads_now:
            import llama_cpp

            llama_cpp.llama_set_n_threads(self.llm._ctx.ctx, wanted, wanted)
            self.threads_now = wanted

    @classmethod
    def load(cls, path: Path, *, n_ctx: int, threads: int, vocab_only: bool = False,
             state_dir: Path | None = None) -> LlamaModel:
        """`state_dir`: where long prompt evaluations are kept across restarts (none without it)."""
        check_gguf(path)
        try:
            from llama_cpp import Llama
        except ImportError as error:  # pragma: no cover - installation problem
            raise ModelError(
                "llama-cpp-python is not installed; run `make demo` or `pip install llama-cpp-python`") from error
        silence_llama_logs()
        try:
            llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                        n_batch=128, verbose=False, vocab_only=vocab_only)
        except (ValueError, RuntimeError, OSError) as error:
            if "context" in str(error):  # the weights loaded; the KV cache for n_ctx did not fit
                raise ModelError(f"could not create a {n_ctx}-token context for {path.name}: not enough memory? "
                                 f"Lower nCtx (--n-ctx).") from error
            raise ModelError(f"could not load the model {path.name}: {error} (is the file complete?)") from error
        states = StateStore.for_model(state_dir, path, n_ctx) if state_dir is not None and not vocab_only else None
        return cls(llm, path, n_ctx, states)

    exact_count = True  # the model's own tokenizer
    decodes_tokens = True  # `tokenize` and `decoding`, for constrained decoding

    @property
    def is_chat(self) -> bool:
        return bool(self.chat_template)

    def chat_prompt(self, system: str, user: str) -> str:
        """Messages → prompt text with the model's own chat template (from its GGUF metadata)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self.llm
        eos = llm.detokenize([llm.token_eos()]).decode("utf-8", "ignore")
        bos = llm.detokenize([llm.token_bos()]).decode("utf-8", "ignore")
        formatter = Jinja2ChatFormatter(self.chat_template or "", eos_token=eos, bos_token=bos)
        response = formatter(messages=[{"role": "system", "content": system}, {"role": "user", "content": user}])
        stops = response.stop if isinstance(response.stop, list) else [response.stop] if response.stop else []
        self.chat_stop = [eos, *stops]
        return response.prompt.removeprefix(bos)  # tokenize() adds BOS itself

    # --- tokens ------------------------------------------------------------------------------
    def tokenize(self, text: str, *, bos: bool = True) -> list[int]:
        tokens: list[int] = self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=False)
        return tokens

    def count(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def estimate(self, text: str) -> int:
        return self.count(text)  # counting is local and cheap: no estimate needed

    def estimate_reason(self) -> str:
        return ""

    def detokenize(self, tokens: Sequence[int]) -> str:
        text: bytes = self.llm.detokenize(list(tokens))
        return text.decode("utf-8", errors="ignore")

    # --- prefix states -----------------------------------------------------------------------
    def _cached_tokens(self) -> list[int]:
        return list(self.llm.input_ids[: self.llm.n_tokens])

    def save_prefix(self) -> SavedState:
        """Remember the current KV state, to come back to after another note's prompt."""
        state = self._capture()
        self._states[state.tokens] = state
        self._states.move_to_end(state.tokens)
        while len(self._states) > STATE_CACHE_SIZE:
            self._states.popitem(last=False)
        return state

    def _capture(self) -> SavedState:
        """The current KV state: only the llama state and the tokens (the stock `save_state` also
        copies a logits array hundreds of MB large)."""
        import llama_cpp

        llm = self.llm
        size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
        buffer = (ctypes.c_uint8 * int(size))()
        written = llama_cpp.llama_state_get_data(llm._ctx.ctx, buffer, size)
        return SavedState(tuple(self._cached_tokens()), bytes(buffer)[: int(written)])

    def _restore_best_prefix(self, tokens: Sequence[int]) -> bool:
        """Load a saved state if it shares a longer prefix with `tokens` than the live cache:
        one kept in memory, else one kept on disk by an earlier server."""
        live = _common_prefix(self._cached_tokens(), tokens)
        best, best_len = None, live
        for state in self._states.values():
            n = _common_prefix(state.tokens, tokens)
            if n > best_len + MIN_GAIN:  # loading is fast, but not free: only for a real gain
                best, best_len = state, n
        if best is None and self.disk is not None and len(tokens) - live >= MIN_GAIN:
            # (a prompt the live cache nearly covers, as each sentence of an expand is, skips the disk)
            return self._restore_from_disk(tokens, live)
        if best is None or not self._load_state(best):
            return False
        self._states.move_to_end(best.tokens)
        return True

    def _restore_from_disk(self, tokens: Sequence[int], covered: int) -> bool:
        """Load the state an earlier server kept that covers the most of `tokens`, if any; one
        llama.cpp refuses is deleted. It is not kept in memory too: memory holds the states this
        server set aside (`save_prefix`)."""
        assert self.disk is not None
        found = self.disk.best(tokens, covered)
        if found is None:
            return False
        data = self.disk.read(found[0])
        if data is None:
            return False
        if not self._load_state(SavedState(found[0].tokens, data)):
            self.disk.discard(found[0])
            return False
        return True

    def _load_state(self, state: SavedState) -> bool:
        """Put a saved state in the context; False (and the cache emptied) if llama.cpp refuses
        it, so the prompt is then evaluated from the start."""
        import llama_cpp

        llm = self.llm
        buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
        if int(llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, len(state.data))) <= 0:
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            llm.n_tokens = 0
            return False
        llm.input_ids[: len(state.tokens)] = state.tokens
        llm.n_tokens = len(state.tokens)
        llm._requires_eval = True
        return True

    # --- evaluation --------------------------------------------------------------------------
    def prefill(self, tokens: Sequence[int], cancel: CancelToken | None = None,
                stats: GenerationStats | None = None, *, through_last: bool = False, to_disk: bool = True) -> None:
        """Evaluate all but the last token of `tokens` (all of them if `through_last`: the logits
        after the prompt are then ready to read), reusing whatever prefix is cached."""
        llm = self.llm
        cached = self._cached_tokens()
        if len(cached) >= EVICT_SAVE_MIN and _common_prefix(cached, tokens) < len(cached) // 2:
            # Another note's prompt is about to overwrite this one: keep its state to come back to.
            self.save_prefix()
        restored = self._restore_best_prefix(tokens)
        if stats is not None:
            stats.state_loaded = restored
        keep = min(_common_prefix(self._cached_tokens(), tokens), len(tokens) - 1)
        llm._ctx.kv_cache_seq_rm(-1, keep, -1)
        llm.n_tokens = keep
        if stats is not None:
            stats.prompt_tokens = len(tokens)
            stats.reused_tokens = keep
        end = len(tokens) if through_last else len(tokens) - 1
        for start in range(keep, end, PREFILL_SLICE):
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            self.fit_threads()
            llm.eval(list(tokens[start: min(start + PREFILL_SLICE, end)]))
        if to_disk and self.disk is not None and keep < DISK_SAVE_MIN <= end - keep:
            # A prompt evaluated cold, from (nearly) the start: the next server start finds it on
            # disk. Copying and writing the state takes 0.05-0.15 s against seconds of evaluation.
            state = self._capture()
            self.disk.save(state.tokens, state.data)

    def warm(self, prompt: str, cancel: CancelToken | None = None, *, remember: bool = True) -> GenerationStats:
        """Evaluate a prompt prefix and keep its state (saved too if `remember`, to come back to
        after another note's prompt, and on disk for the next start when much of it was new):
        the first real request then only pays for its own tail."""
        stats = GenerationStats()
        started = time.perf_counter()
        with self.lock:
            tokens = self.tokenize(prompt)
            # The extra token makes the whole prefix evaluate.
            self.prefill([*tokens, 0], cancel, stats, to_disk=False)
            state = self.save_prefix() if remember else None
            if self.disk is not None and stats.prompt_tokens - stats.reused_tokens > DISK_SAVE_MIN:
                # A note's prefix (opening it warms it): kept for the next start too.
                state = state or self._capture()
                self.disk.save(state.tokens, state.data)
        stats.prefill_seconds = stats.seconds = time.perf_counter() - started
        return stats

    def stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
               cancel: CancelToken | None = None, stats: GenerationStats | None = None,
               top_p: float = 0.95, repeat_penalty: float = 1.1) -> Iterator[str]:
        """Yield text pieces. Holds the model lock while running; raises Cancelled if cancelled."""
        stats = stats if stats is not None else GenerationStats()
        started = time.perf_counter()
        with self.lock:
            tokens = self.tokenize(prompt)
            if len(tokens) + max_tokens > self.n_ctx:
                max_tokens = self.n_ctx - len(tokens)
                if max_tokens < 8:
                    raise ModelError(
                        f"the prompt ({len(tokens)} tokens) does not fit the context window ({self.n_ctx})")
            self.prefill(tokens, cancel, stats)
            stats.prefill_seconds = time.perf_counter() - started
            self.fit_threads()
            pieces = self.llm.create_completion(
                tokens, max_tokens=max_tokens, temperature=temperature, top_p=top_p, repeat_penalty=repeat_penalty,
                seed=seed if seed >= 0 else None, stop=list(stop), stream=True)
            try:
                for chunk in pieces:
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled()
                    self.fit_threads()  # for the next token, evaluated when the loop asks for it
                    text = chunk["choices"][0]["text"]
                    stats.generated_tokens += 1
                    if stats.first_token_seconds is None:
                        stats.first_token_seconds = time.perf_counter() - started
                    stats.seconds = time.perf_counter() - started
                    if text:
                        yield text
            finally:
                pieces.close()  # stops llama.cpp at once when the consumer stops early
            stats.seconds = time.perf_counter() - started

    @contextmanager
    def decoding(self, prompt: str, *, cancel: CancelToken | None = None,
                 stats: GenerationStats | None = None) -> Iterator[tuple[Decoder, Any]]:
        """Hold the model for a hand-driven decode of `prompt`'s continuation: yields a decoder
        and the logits after the prompt (prefix reuse as for `stream`)."""
        stats = stats if stats is not None else GenerationStats()
        started = time.perf_counter()
        with self.lock:
            tokens = self.tokenize(prompt)
            if len(tokens) + 8 > self.n_ctx:
                raise ModelError(f"the prompt ({len(tokens)} tokens) does not fit the context window ({self.n_ctx})")
            # The last token goes with the last slice: a model call of its own costs about as
            # much as a slice (each computes the logits over the whole vocabulary once).
            self.prefill(tokens, cancel, stats, through_last=True)
            decoder = Decoder(self, cancel, stats, started)
            logits = decoder.logits()
            stats.prefill_seconds = time.perf_counter() - started
            yield decoder, logits
            stats.seconds = time.perf_counter() - started


class Decoder:
    """Token-by-token access to the model for constrained decoding (`writing/bridge.py`): feed
    tokens, read the next token's logits. Made by `LlamaModel.decoding`, which holds the lock.

    A search rewinds and feeds the same tokens again (a gap's chosen filling, evaluated while it
    was scored, then committed after others were tried). Such a repeat keeps the logits of its
    first evaluation and only rebuilds the KV cells, without the vocabulary-wide output layer (on
    the 270M default that layer is about half of a short evaluation). It is a repeat only when the
    cells before it came from the same evaluations, cut at the same places: llama.cpp's results
    depend on how tokens were batched, so the logits are then exactly what evaluating again gives."""

    def __init__(self, model: LlamaModel, cancel: CancelToken | None, stats: GenerationStats, started: float) -> None:
        self.model = model
        self.cancel = cancel
        self.stats = stats
        self._started = started
        self._anchor = int(model.llm.n_tokens)  # the prompt's end: nothing before it changes meanwhile
        self._fed: list[tuple[tuple[int, ...], int]] = []  # evaluations after the anchor: (tokens, how many live)
        self._known: OrderedDict[tuple[Any, ...], Any] = OrderedDict()  # (history, tokens) → logits (read-only)

    def feed(self, tokens: Sequence[int]) -> Any:
        """Evaluate `tokens`; returns the logits (numpy, one row over the vocabulary, read-only)
        after them."""
        llm = self.model.llm
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled()
        if llm.n_tokens + len(tokens) > self.model.n_ctx:
            raise ModelError(f"the answer does not fit the context window ({self.model.n_ctx} tokens)")
        fed = tuple(tokens)
        if not fed:
            return self.logits()  # nothing new: what was evaluated last
        key = (self._history(), fed)
        known = self._known.get(key)
        self.model.fit_threads()
        if known is not None:
            _eval_without_logits(llm, fed)
            self._known.move_to_end(key)
        else:
            llm.eval(list(fed))
            known = self._known[key] = self.logits()
            known.flags.writeable = False  # shared with the caller and kept
            while len(self._known) > DECODER_MEMO:
                self._known.popitem(last=False)
        self._fed.append((fed, len(fed)))
        return known

    def score(self, tokens: Sequence[int], first: int, after: int) -> tuple[float, Any]:
        """Evaluate `tokens` (at most one batch) and return the log-probability of
        `tokens[first:]`, each given every token before it, with the logits after
        `tokens[:after]` (read-only), for a search that scores a continuation it may then cut
        off by rewinding. 1 <= first and 1 <= after <= len(tokens)."""
        each, kept = self._evaluate(tokens, first, after)
        return sum(each), kept

    def token_scores(self, tokens: Sequence[int], first: int) -> list[float]:
        """`score`, token by token: the log-probability of each of `tokens[first:]`."""
        return self._evaluate(tokens, first, len(tokens))[0]

    def _evaluate(self, tokens: Sequence[int], first: int, after: int) -> tuple[list[float], Any]:
        import numpy as np

        llm = self.model.llm
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled()
        fed = tuple(tokens)
        if llm.n_tokens + len(fed) > self.model.n_ctx:
            raise ModelError(f"the answer does not fit the context window ({self.model.n_ctx} tokens)")
        if len(fed) > llm.n_batch or not (first >= 1 and 1 <= after <= len(fed)):
            raise ValueError("score: tokens beyond one batch, or first/after out of range")
        self._history()  # cut the evaluations a rewind dropped before this one joins them
        self.model.fit_threads()
        rows = sorted({*range(first - 1, len(fed) - 1), after - 1})
        llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)
        llm._batch.set_batch(batch=list(fed), n_past=llm.n_tokens, logits_all=False)
        llm._batch.batch.logits[len(fed) - 1] = False
        for row in rows:
            llm._batch.batch.logits[row] = True
        llm._ctx.decode(llm._batch)
        llm.input_ids[llm.n_tokens: llm.n_tokens + len(fed)] = fed
        llm.n_tokens += len(fed)
        self._fed.append((fed, len(fed)))
        each: list[float] = []
        kept: Any = None
        for row in rows:
            logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(row), shape=(llm.n_vocab(),))
            if row == after - 1:
                kept = logits.copy()
                kept.flags.writeable = False
            if first - 1 <= row < len(fed) - 1:
                top = float(logits.max())
                each.append(float(logits[fed[row + 1]]) - top - float(np.log(np.exp(logits - top).sum())))
        return each, kept

    def _history(self) -> tuple[tuple[tuple[int, ...], int], ...]:
        """The evaluations whose KV cells are live up to the current position (after a rewind,
        the one it cut, with how much of it is kept)."""
        live = int(self.model.llm.n_tokens) - self._anchor
        kept: list[tuple[tuple[int, ...], int]] = []
        for tokens, count in self._fed:
            if live <= 0:
                break
            kept.append((tokens, min(count, live)))
            live -= count
        self._fed = kept
        return tuple(kept)

    def logits(self) -> Any:
        """The next token's logits after the last evaluation that computed them (numpy, a copy;
        a repeated `feed` computes none: use what it returns)."""
        import numpy as np

        llm = self.model.llm
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()

    @property
    def position(self) -> int:
        return int(self.model.llm.n_tokens)

    def rewind(self, position: int) -> None:
        """Forget every token after `position` (the next `feed` overwrites their KV cells)."""
        self.model.llm.n_tokens = position

    def generated(self, count: int = 1) -> None:
        stats = self.stats
        stats.generated_tokens += count
        if stats.first_token_seconds is None:
            stats.first_token_seconds = time.perf_counter() - self._started
        stats.seconds = time.perf_counter() - self._started


def _eval_without_logits(llm: Any, tokens: Sequence[int]) -> None:
    """`llm.eval(tokens)` (same batches, so the same KV cells) without the output layer: llama.cpp
    computes logits only for the tokens a batch asks them for, and here none does."""
    llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)
    for start in range(0, len(tokens), llm.n_batch):
        batch = list(tokens[start: start + llm.n_batch])
        llm._batch.set_batch(batch=batch, n_past=llm.n_tokens, logits_all=False)
        llm._batch.batch.logits[len(batch) - 1] = False  # set_batch asks for the last token's
        llm._ctx.decode(llm._batch)
        llm.input_ids[llm.n_tokens: llm.n_tokens + len(batch)] = batch
        llm.n_tokens += len(batch)
