"""A model on an OpenAI-compatible server, for writers whose own machine is not enough.

Works with llama.cpp's `llama-server`, `python -m llama_cpp.server`, Ollama and vLLM. penna sends
the same document prompt it builds for a local base model to `/v1/completions`, streamed:

- Prefix reuse: `cache_prompt: true` makes llama-server keep the slot's KV cache and evaluate only
  the new tail; llama_cpp.server reuses its last prompt's prefix by itself; others ignore the key.
- Cancellation, retries, failures and the API key: the transport, in `wire.py`.
- Tokens: the server's own tokenizer when it has an endpoint for it (llama-server and vLLM
  `/tokenize`, llama_cpp.server `/extras/tokenize/count`), else tiktoken, and `exact_count` says which.
  Each exact count is an HTTP round trip (and llama_cpp.server answers none while it generates),
  so sections are fitted with `estimate` (tiktoken scaled by the ratio the server's tokenizer
  showed) and only the final prompt is counted exactly, once.
- Window: never planned larger than the server's (vLLM `max_model_len`, llama-server `/props`,
  Ollama's `num_ctx`, which it otherwise silently truncates prompts to).
- Network: only the configured host, only when `remoteUrl` is set (nothing else imports this).
"""

from __future__ import annotations

import http.client
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

from penna.writing.backend import Cancelled, CancelToken, GenerationStats, ModelError
from penna.writing.wire import (
    ATTEMPTS,
    BACKOFF,
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    CancelWatch,
    RemoteError,
    ServerAddress,
    Wire,
    events,
    expect,
    http_error,
    message,
    parse_url,
)

log = logging.getLogger("penna.remote")

COUNT_CACHE = 4096
# Without a tokenizer endpoint, tiktoken's counts are raised by this much: model tokenizers with
# smaller vocabularies split text more finely, and an undercount would overflow the window.
ESTIMATE_MARGIN = 1.2
OLLAMA_DEFAULT_CTX = 2048  # what Ollama gives a model whose Modelfile sets no num_ctx (older releases; newer give more)
CALIBRATION = ("## Notes I turned into prose\nThe dough rose slowly in the cold kitchen, at 17°C; I started the "
               "levain the night before, folded it four times, and shaped it when it had grown by half. "
               "Rye, spelt and a pinch of salt — nothing else.\n")


class RemoteModel:
    """A model behind an OpenAI-compatible server. Create it with `RemoteModel.connect`."""

    architecture = "remote"
    is_chat = False  # the document prompt, always: the server's template is not ours to apply

    def __init__(self, address: ServerAddress, *, n_ctx: int, model_id: str | None = None,
                 read_timeout: float = READ_TIMEOUT, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.chat_stop: list[str] = []
        self.wire = Wire(address, read_timeout=read_timeout, connect_timeout=connect_timeout)
        self.n_ctx = n_ctx
        self.model_id = model_id
        self.name = model_id or address.url
        self.path = Path(model_id or address.host)
        self.tokenizer: str | None = None  # which endpoint counts tokens; None → tiktoken
        self.ratio = ESTIMATE_MARGIN  # server tokens per tiktoken token, learned from exact counts
        self._bos_tokens = 0  # tokens the tokenizer endpoint adds to an empty text (BOS)
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._counts_lock = threading.Lock()
        self.streams_open = 0  # streaming connections not yet closed (tests check cancels close them)

    @property
    def address(self) -> ServerAddress:
        return self.wire.address

    @property
    def read_timeout(self) -> float:
        return self.wire.read_timeout

    @property
    def connect_timeout(self) -> float:
        return self.wire.connect_timeout

    # --- connecting ---------------------------------------------------------------------------
    @classmethod
    def connect(cls, url: str, *, n_ctx: int, model: str | None = None, read_timeout: float = READ_TIMEOUT,
                connect_timeout: float = CONNECT_TIMEOUT) -> RemoteModel:
        """Check the server answers as an OpenAI-compatible one and learn its model and tokenizer."""
        remote = cls(parse_url(url), n_ctx=n_ctx, read_timeout=read_timeout, connect_timeout=connect_timeout)
        status, listing = remote.wire.call("GET", "/v1/models", None)
        if status == 404:
            raise RemoteError(f"{remote.address.url} is not an OpenAI-compatible model server (GET /v1/models "
                              "answered 404); penna works with llama-server, llama_cpp.server, Ollama and vLLM")
        if status in (401, 403):
            raise http_error(remote.address, "GET", "/v1/models", status, listing)
        if status != 200 or not isinstance(listing, dict):
            raise RemoteError(f"the model server at {remote.address.url} answered GET /v1/models with "
                              f"{status}: {message(listing)}")
        remote._choose_model(listing, model)
        remote._learn_context(listing)
        remote._find_tokenizer()
        return remote

    def _choose_model(self, listing: dict[str, Any], wanted: str | None) -> None:
        entries = [m for m in listing.get("data") or [] if isinstance(m, dict) and m.get("id")]
        ids = [str(m["id"]) for m in entries]
        wanted = (wanted or "").strip()
        wanted = wanted[len("ollama:"):] if wanted.lower().startswith("ollama:") else wanted
        if wanted in ids:
            chosen: str | None = wanted
        elif len(ids) > 1 and wanted and wanted != "default":
            raise RemoteError(f"the model server at {self.address.url} has no model {wanted!r}; it serves: "
                              + ", ".join(ids))
        else:  # one model, or no preference: what the server serves first
            chosen = ids[0] if ids else None
        self.model_id = chosen
        self.name = chosen or self.address.url
        self.path = Path(chosen or self.address.host)

    def _learn_context(self, listing: dict[str, Any]) -> None:
        """Never plan for more context than the server has: vLLM lists `max_model_len`,
        llama-server `/props` has the slot's `n_ctx`. Others keep the configured nCtx."""
        server_ctx: int | None = None
        for entry in listing.get("data") or []:
            if (isinstance(entry, dict) and entry.get("id") == self.model_id
                    and isinstance(entry.get("max_model_len"), int)):
                server_ctx = entry["max_model_len"]
        status, props = self.wire.call("GET", "/props", None, attempts=1)
        if status == 200 and isinstance(props, dict):
            settings = props.get("default_generation_settings") or {}
            value = settings.get("n_ctx") if isinstance(settings, dict) else None
            if isinstance(value, int) and value > 0:
                server_ctx = value
        if not server_ctx:
            server_ctx = self._ollama_context()
        if server_ctx:
            self.n_ctx = min(self.n_ctx, server_ctx)

    def _ollama_context(self) -> int | None:
        """Ollama truncates a prompt longer than its `num_ctx` without a word, and its OpenAI API
        cannot set it: read it from the model's parameters, else assume the default."""
        status, version = self.wire.call("GET", "/api/version", None, attempts=1)
        if status != 200 or not isinstance(version, dict) or "version" not in version:
            return None  # not Ollama
        named = {"model": self.model_id, "name": self.model_id}  # "name" in older releases
        status, shown = self.wire.call("POST", "/api/show", named, attempts=1)
        parameters = shown.get("parameters") if status == 200 and isinstance(shown, dict) else None
        for line in str(parameters or "").splitlines():
            name, _, value = line.strip().partition(" ")
            if name == "num_ctx" and value.strip().isdigit():
                return int(value.strip())
        return OLLAMA_DEFAULT_CTX

    def _find_tokenizer(self) -> None:
        for dialect in ("llama-server", "vllm", "llama_cpp.server"):
            try:
                self._bos_tokens = self._remote_count("", dialect)
                self._remote_count("hello", dialect)
            except (RemoteError, KeyError, TypeError, ValueError):
                continue
            self.tokenizer = dialect
            self.count(CALIBRATION)  # one exact count gives the first ratio for `estimate`
            return

    decodes_tokens = False  # a model server only streams text

    @property
    def exact_count(self) -> bool:
        return self.tokenizer is not None

    def estimate_reason(self) -> str:
        if self.exact_count:
            return ""
        return (f"the model server at {self.address.url} has no tokenizer endpoint (Ollama has none), so counts "
                f"are tiktoken's, raised by {round((self.ratio - 1) * 100)}% for safety")

    # --- tokens -------------------------------------------------------------------------------
    def estimate(self, text: str) -> int:
        """Tokens in `text`, without asking the server: tiktoken scaled to its tokenizer. For
        fitting many small pieces; the final prompt is then counted with `count`."""
        from penna.knowledge.tokens import count_tokens

        return math.ceil(count_tokens(text) * self.ratio)

    def count(self, text: str) -> int:
        """Exact, one round trip, when the server has a tokenizer endpoint; else `estimate`."""
        if self.tokenizer is None:
            return self.estimate(text)
        with self._counts_lock:
            cached = self._counts.get(text)
        if cached is not None:
            return cached
        value = max(0, self._remote_count(text, self.tokenizer) - self._bos_tokens)
        if len(text) >= len(CALIBRATION):  # long enough to say how this writing tokenizes
            from penna.knowledge.tokens import count_tokens

            self.ratio = value / max(1, count_tokens(text))
        with self._counts_lock:
            self._counts[text] = value
            while len(self._counts) > COUNT_CACHE:
                self._counts.popitem(last=False)
        return value

    def _remote_count(self, text: str, dialect: str) -> int:
        if dialect == "llama-server":
            status, answer = self.wire.call("POST", "/tokenize", {"content": text, "add_special": False}, attempts=1)
            expect(status, answer, self.address)
            return len(answer["tokens"])
        if dialect == "vllm":
            status, answer = self.wire.call("POST", "/tokenize", {"prompt": text, "model": self.model_id,
                                                              "add_special_tokens": False}, attempts=1)
            expect(status, answer, self.address)
            return int(answer["count"])
        status, answer = self.wire.call("POST", "/extras/tokenize/count", {"input": text, "model": self.model_id},
                                    attempts=1)
        expect(status, answer, self.address)
        return int(answer["count"])

    # --- generating ---------------------------------------------------------------------------
    def stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
               cancel: CancelToken | None = None, stats: GenerationStats | None = None,
               top_p: float = 0.95, repeat_penalty: float = 1.1) -> Iterator[str]:
        """Yield text pieces from /v1/completions; raises Cancelled if `cancel` fires."""
        stats = stats if stats is not None else GenerationStats()
        started = time.perf_counter()
        if _cancelled(cancel):
            raise Cancelled()
        if self.exact_count:
            max_tokens = self._fit_answer(prompt, max_tokens, stats)
        body = self._completion_body(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed, stop=stop,
                                     top_p=top_p, repeat_penalty=repeat_penalty)
        watch = CancelWatch(cancel)
        conn: http.client.HTTPConnection | None = None
        finished = False
        try:
            conn, response = self.wire.open("POST", "/v1/completions", body, watch)
            self.streams_open += 1
            finished = yield from self._read_answer(response, cancel, stats, started)
        except (OSError, http.client.HTTPException, ValueError) as error:
            if watch.fired or _cancelled(cancel):
                raise Cancelled() from None
            raise self.wire.failure(error, "while generating", self.read_timeout) from error
        finally:
            watch.stop()
            if conn is not None:
                conn.close()  # closing the stream is what stops the server generating
                self.streams_open -= 1
        if not finished and (watch.fired or _cancelled(cancel)):
            raise Cancelled()  # the watcher shut the socket: the read ended without an error
        if not finished:
            raise RemoteError(f"the model server at {self.address.url} closed the connection mid-answer "
                              "(did it crash or restart?)")
        stats.seconds = time.perf_counter() - started

    def _fit_answer(self, prompt: str, max_tokens: int, stats: GenerationStats) -> int:
        """`max_tokens`, shortened so prompt and answer fit the server's window (the prompt's
        exact count goes into `stats`). Raises ModelError when not even a short answer fits."""
        stats.prompt_tokens = self.count(prompt) + self._bos_tokens
        if stats.prompt_tokens + max_tokens <= self.n_ctx:
            return max_tokens
        max_tokens = self.n_ctx - stats.prompt_tokens
        if max_tokens < 8:
            raise ModelError(f"the prompt ({stats.prompt_tokens} tokens) does not fit the model server's "
                             f"context window ({self.n_ctx})")
        # The engine leaves room for the answer (and says when it shortens it); this is the
        # last guard, for a prompt that grew after that check.
        log.warning("answer limited to %d tokens: the prompt takes %d of the server's %d-token window",
                    max_tokens, stats.prompt_tokens, self.n_ctx)
        return max_tokens

    def _completion_body(self, prompt: str, *, max_tokens: int, temperature: float, seed: int,
                         stop: Sequence[str], top_p: float, repeat_penalty: float) -> dict[str, Any]:
        body: dict[str, Any] = {
            "prompt": prompt, "max_tokens": max_tokens, "temperature": temperature, "top_p": top_p,
            "repeat_penalty": repeat_penalty, "stop": list(stop), "stream": True, "cache_prompt": True,
        }
        if seed >= 0:
            body["seed"] = seed
        if self.model_id:
            body["model"] = self.model_id
        return body

    def _read_answer(self, response: http.client.HTTPResponse, cancel: CancelToken | None,
                     stats: GenerationStats, started: float) -> Generator[str, None, bool]:
        """Yield the answer's text pieces as the server streams them; return whether the server
        said the answer is complete ([DONE] or a finish reason)."""
        finished = False
        for event in events(response):
            if _cancelled(cancel):
                raise Cancelled()
            if event is None:  # [DONE]
                return True
            if "error" in event:
                raise RemoteError(f"the model server at {self.address.url} failed mid-answer: {message(event)}")
            _read_timings(event, stats)
            choice = (event.get("choices") or [{}])[0]
            text = choice.get("text") or ""
            if choice.get("finish_reason"):
                finished = True
            if text:
                _count_piece(stats, started)
                yield text
        return finished

    def warm(self, prompt: str, cancel: CancelToken | None = None, *, remember: bool = True) -> GenerationStats:
        """Have the server evaluate the stable prefix now (one token generated: `max_tokens: 0`
        means "unlimited" to some servers). With prompt caching the next request pays only its tail.
        The server keeps its own cache, so `remember` changes nothing here."""
        stats = GenerationStats()
        started = time.perf_counter()
        for _piece in self.stream(prompt, max_tokens=1, temperature=0.0, seed=0, stop=[], cancel=cancel, stats=stats):
            pass
        stats.prefill_seconds = stats.seconds = time.perf_counter() - started
        return stats

    def chat_prompt(self, system: str, user: str) -> str:
        raise ModelError("a remote model gets the document prompt; chat templates are not applied remotely")

    def close(self) -> None:
        self.wire.close()


def _cancelled(cancel: CancelToken | None) -> bool:
    return cancel is not None and cancel.cancelled


def _count_piece(stats: GenerationStats, started: float) -> None:
    """One more piece of the answer: its count and times."""
    stats.generated_tokens += 1
    if stats.first_token_seconds is None:
        stats.first_token_seconds = stats.prefill_seconds = time.perf_counter() - started
    stats.seconds = time.perf_counter() - started


def _read_timings(event: dict[str, Any], stats: GenerationStats) -> None:
    """llama-server reports how much of the prompt came from its cache (`cache_n`)."""
    timings = event.get("timings")
    if isinstance(timings, dict) and isinstance(timings.get("cache_n"), int):
        stats.reused_tokens = timings["cache_n"]
        if isinstance(timings.get("prompt_n"), int):
            stats.prompt_tokens = timings["cache_n"] + timings["prompt_n"]


# ATTEMPTS, BACKOFF, RemoteError and parse_url are re-exported: callers and tests know them from here.
__all__ = ["ATTEMPTS", "BACKOFF", "RemoteError", "RemoteModel", "ServerAddress", "parse_url"]
