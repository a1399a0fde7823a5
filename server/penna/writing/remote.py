"""A model on an OpenAI-compatible server, for writers whose own machine is not enough.

Works with llama.cpp's `llama-server`, `python -m llama_cpp.server`, Ollama and vLLM. penna sends
the same document prompt it builds for a local base model to `/v1/completions`, streamed:

- Prefix reuse: `cache_prompt: true` makes llama-server keep the slot's KV cache and evaluate only
  the new tail; llama_cpp.server reuses its last prompt's prefix by itself; others ignore the key.
- Cancellation: a watcher thread shuts the socket down the moment the cancel token fires, so a
  blocked read returns at once and the server sees the client leave and stops generating. A
  stream's connection is never reused.
- Failures: connection errors and 503 (model still loading) are retried with backoff, at most
  `ATTEMPTS` times and only before any text arrived; everything else is one clear ModelError.
- Tokens: the server's own tokenizer when it has an endpoint for it (llama-server and vLLM
  `/tokenize`, llama_cpp.server `/extras/tokenize/count`), else tiktoken, and `exact_count` says which.
  Each exact count is an HTTP round trip (and llama_cpp.server answers none while it generates),
  so sections are fitted with `estimate` (tiktoken scaled by the ratio the server's tokenizer
  showed) and only the final prompt is counted exactly, once.
- Window: never planned larger than the server's (vLLM `max_model_len`, llama-server `/props`,
  Ollama's `num_ctx`, which it otherwise silently truncates prompts to).
- Network: only the configured host, only when `remoteUrl` is set (nothing else imports this).
  An API key, if the server wants one, comes from the `PENNA_API_KEY` environment variable.

Standard library only (http.client).
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from penna.writing.model import Cancelled, CancelToken, GenerationStats, ModelError

log = logging.getLogger("penna.remote")

ATTEMPTS = 3  # tries per request when the server cannot be reached (or is loading its model)
BACKOFF = 0.25  # seconds before the second try, doubled after each failure
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 120.0  # to the first byte and between chunks: a cold long prompt on a big model
CANCEL_POLL = 0.05  # how often the watcher looks at a token's deadline (explicit cancels wake it at once)
COUNT_CACHE = 4096
# Without a tokenizer endpoint, tiktoken's counts are raised by this much: model tokenizers with
# smaller vocabularies split text more finely, and an undercount would overflow the window.
ESTIMATE_MARGIN = 1.2
OLLAMA_DEFAULT_CTX = 2048  # what Ollama gives a model whose Modelfile sets no num_ctx (older releases; newer give more)
CALIBRATION = ("## Notes I turned into prose\nThe dough rose slowly in the cold kitchen, at 17°C; I started the "
               "levain the night before, folded it four times, and shaped it when it had grown by half. "
               "Rye, spelt and a pinch of salt — nothing else.\n")
API_KEY_VARIABLE = "PENNA_API_KEY"  # sent as a bearer token (llama-server/vLLM --api-key); never saved by penna


class RemoteError(ModelError):
    """The model server cannot be used. The message names the server and what to do."""


@dataclass(frozen=True)
class ServerAddress:
    url: str  # normalised, for messages: scheme://host:port/prefix
    scheme: str
    host: str
    port: int
    prefix: str  # a path before /v1 (a reverse proxy); "" usually


def parse_url(url: str) -> ServerAddress:
    """Check a `remoteUrl` without touching the network. `http://host:8080` and the OpenAI-style
    `http://host:8080/v1` are the same server."""
    text = (url or "").strip()
    if not text:
        raise RemoteError("remoteUrl is empty: give the model server's address, e.g. http://127.0.0.1:8080")
    if "://" not in text:
        raise RemoteError(f"remoteUrl {text!r} has no scheme: did you mean http://{text} ?")
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise RemoteError(f"remoteUrl {text!r}: only http:// and https:// model servers are supported")
    try:
        port = parts.port
    except ValueError:
        raise RemoteError(f"remoteUrl {text!r} has an invalid port") from None
    if not parts.hostname:
        raise RemoteError(f"remoteUrl {text!r} has no host name")
    if parts.query or parts.fragment:
        raise RemoteError(f"remoteUrl {text!r}: give the base address only, without ?query or #fragment")
    prefix = parts.path.rstrip("/")
    prefix = prefix[: -len("/v1")] if prefix.endswith("/v1") else prefix
    port = port or (443 if parts.scheme == "https" else 80)
    return ServerAddress(f"{parts.scheme}://{parts.netloc}{prefix}", parts.scheme, parts.hostname, port, prefix)


class _CancelWatch:
    """Shuts a connection's socket down from another thread when the cancel token fires."""

    def __init__(self, cancel: CancelToken | None) -> None:
        self.cancel = cancel
        self.fired = False
        self._conn: http.client.HTTPConnection | None = None
        self._done = threading.Event()
        if cancel is not None:
            threading.Thread(target=self._run, name="penna-remote-cancel", daemon=True).start()

    def attach(self, conn: http.client.HTTPConnection) -> None:
        self._conn = conn
        if self.fired:
            _shutdown(conn)

    def _run(self) -> None:
        assert self.cancel is not None
        while not self._done.is_set():
            if self.cancel.event.wait(CANCEL_POLL) or self.cancel.cancelled:
                if not self._done.is_set():
                    self.fired = True
                    if self._conn is not None:
                        _shutdown(self._conn)
                return

    def stop(self) -> None:
        self._done.set()


def _shutdown(conn: http.client.HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # already closed
            pass


class RemoteModel:
    """A model behind an OpenAI-compatible server. Create it with `RemoteModel.connect`."""

    architecture = "remote"
    is_chat = False  # the document prompt, always: the server's template is not ours to apply
    chat_stop: list[str] = []

    def __init__(self, address: ServerAddress, *, n_ctx: int, model_id: str | None = None,
                 read_timeout: float = READ_TIMEOUT, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.address = address
        self.n_ctx = n_ctx
        self.model_id = model_id
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.name = model_id or address.url
        self.path = Path(model_id or address.host)
        self.tokenizer: str | None = None  # which endpoint counts tokens; None → tiktoken
        self.ratio = ESTIMATE_MARGIN  # server tokens per tiktoken token, learned from exact counts
        self._bos_tokens = 0  # tokens the tokenizer endpoint adds to an empty text (BOS)
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._counts_lock = threading.Lock()
        self._lock = threading.Lock()  # guards the kept-alive connection used for counting
        key = os.environ.get(API_KEY_VARIABLE, "").strip()
        self._auth = {"Authorization": f"Bearer {key}"} if key else {}
        self._conn: http.client.HTTPConnection | None = None
        self.streams_open = 0  # streaming connections not yet closed (tests check cancels close them)

    # --- connecting ---------------------------------------------------------------------------
    @classmethod
    def connect(cls, url: str, *, n_ctx: int, model: str | None = None, **timeouts: float) -> RemoteModel:
        """Check the server answers as an OpenAI-compatible one and learn its model and tokenizer."""
        remote = cls(parse_url(url), n_ctx=n_ctx, **timeouts)
        status, listing = remote._call("GET", "/v1/models", None)
        if status == 404:
            raise RemoteError(f"{remote.address.url} is not an OpenAI-compatible model server (GET /v1/models "
                              "answered 404); penna works with llama-server, llama_cpp.server, Ollama and vLLM")
        if status in (401, 403):
            raise _http_error(remote.address, "GET", "/v1/models", status, listing)
        if status != 200 or not isinstance(listing, dict):
            raise RemoteError(f"the model server at {remote.address.url} answered GET /v1/models with "
                              f"{status}: {_message(listing)}")
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
            if isinstance(entry, dict) and entry.get("id") == self.model_id and isinstance(entry.get("max_model_len"), int):
                server_ctx = entry["max_model_len"]
        status, props = self._call("GET", "/props", None, attempts=1)
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
        status, version = self._call("GET", "/api/version", None, attempts=1)
        if status != 200 or not isinstance(version, dict) or "version" not in version:
            return None  # not Ollama
        named = {"model": self.model_id, "name": self.model_id}  # "name" in older releases
        status, shown = self._call("POST", "/api/show", named, attempts=1)
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

    @property
    def exact_count(self) -> bool:
        return self.tokenizer is not None

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
            status, answer = self._call("POST", "/tokenize", {"content": text, "add_special": False}, attempts=1)
            _expect(status, answer, self.address)
            return len(answer["tokens"])
        if dialect == "vllm":
            status, answer = self._call("POST", "/tokenize", {"prompt": text, "model": self.model_id,
                                                              "add_special_tokens": False}, attempts=1)
            _expect(status, answer, self.address)
            return int(answer["count"])
        status, answer = self._call("POST", "/extras/tokenize/count", {"input": text, "model": self.model_id},
                                    attempts=1)
        _expect(status, answer, self.address)
        return int(answer["count"])

    # --- generating ---------------------------------------------------------------------------
    def stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
               cancel: CancelToken | None = None, stats: GenerationStats | None = None,
               top_p: float = 0.95, repeat_penalty: float = 1.1) -> Iterator[str]:
        """Yield text pieces from /v1/completions; raises Cancelled if `cancel` fires."""
        stats = stats if stats is not None else GenerationStats()
        started = time.perf_counter()
        if cancel is not None and cancel.cancelled:
            raise Cancelled()
        if self.exact_count:
            stats.prompt_tokens = self.count(prompt) + self._bos_tokens
            if stats.prompt_tokens + max_tokens > self.n_ctx:
                max_tokens = self.n_ctx - stats.prompt_tokens
                if max_tokens < 8:
                    raise ModelError(f"the prompt ({stats.prompt_tokens} tokens) does not fit the model server's "
                                     f"context window ({self.n_ctx})")
                # The engine leaves room for the answer (and says when it shortens it); this is the
                # last guard, for a prompt that grew after that check.
                log.warning("answer limited to %d tokens: the prompt takes %d of the server's %d-token window",
                            max_tokens, stats.prompt_tokens, self.n_ctx)
        body: dict[str, Any] = {
            "prompt": prompt, "max_tokens": max_tokens, "temperature": temperature, "top_p": top_p,
            "repeat_penalty": repeat_penalty, "stop": list(stop), "stream": True, "cache_prompt": True,
        }
        if seed >= 0:
            body["seed"] = seed
        if self.model_id:
            body["model"] = self.model_id
        watch = _CancelWatch(cancel)
        conn: http.client.HTTPConnection | None = None
        finished = False
        try:
            conn, response = self._open("POST", "/v1/completions", body, watch)
            self.streams_open += 1
            for event in _events(response):
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()
                if event is None:  # [DONE]
                    finished = True
                    break
                if "error" in event:
                    raise RemoteError(f"the model server at {self.address.url} failed mid-answer: {_message(event)}")
                _read_timings(event, stats)
                choice = (event.get("choices") or [{}])[0]
                text = choice.get("text") or ""
                if choice.get("finish_reason"):
                    finished = True
                if text:
                    stats.generated_tokens += 1
                    if stats.first_token_seconds is None:
                        stats.first_token_seconds = stats.prefill_seconds = time.perf_counter() - started
                    stats.seconds = time.perf_counter() - started
                    yield text
        except (OSError, http.client.HTTPException, ValueError) as error:
            if watch.fired or (cancel is not None and cancel.cancelled):
                raise Cancelled() from None
            raise self._failure(error, "while generating", self.read_timeout) from error
        finally:
            watch.stop()
            if conn is not None:
                conn.close()  # closing the stream is what stops the server generating
                self.streams_open -= 1
        if not finished and (watch.fired or (cancel is not None and cancel.cancelled)):
            raise Cancelled()  # the watcher shut the socket: the read ended without an error
        if not finished:
            raise RemoteError(f"the model server at {self.address.url} closed the connection mid-answer "
                              "(did it crash or restart?)")
        stats.seconds = time.perf_counter() - started

    def warm(self, prompt: str, cancel: CancelToken | None = None) -> GenerationStats:
        """Have the server evaluate the stable prefix now (one token generated: `max_tokens: 0`
        means "unlimited" to some servers). With prompt caching the next request pays only its tail."""
        stats = GenerationStats()
        started = time.perf_counter()
        for _piece in self.stream(prompt, max_tokens=1, temperature=0.0, seed=0, stop=[], cancel=cancel, stats=stats):
            pass
        stats.prefill_seconds = stats.seconds = time.perf_counter() - started
        return stats

    def chat_prompt(self, system: str, user: str) -> str:
        raise ModelError("a remote model gets the document prompt; chat templates are not applied remotely")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- HTTP ---------------------------------------------------------------------------------
    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.address.scheme == "https":
            return http.client.HTTPSConnection(self.address.host, self.address.port, timeout=timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.address.host, self.address.port, timeout=timeout)

    def _open(self, method: str, path: str, body: Any, watch: _CancelWatch) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send a request on a fresh connection and return its 2xx response, retrying what a
        restarting or loading server causes. The watcher may shut the socket down at any time."""
        payload = json.dumps(body).encode("utf-8")
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            if watch.fired:
                raise Cancelled()
            conn = self._connection(self.connect_timeout)
            watch.attach(conn)
            try:
                conn.connect()
                watch.attach(conn)  # now there is a socket to shut down
                conn.sock.settimeout(self.read_timeout)
                conn.request(method, self.address.prefix + path, body=payload,
                             headers={"Content-Type": "application/json", "Accept": "text/event-stream", **self._auth})
                response = conn.getresponse()
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError,
                    socket.timeout) as error:
                connected = conn.sock is not None  # a read timeout is not retried: the server is working
                conn.close()
                if watch.fired:
                    raise Cancelled() from None
                if isinstance(error, socket.timeout) and connected:
                    raise self._failure(error, "before answering", self.read_timeout) from error
                if attempt == ATTEMPTS:
                    raise self._failure(error, f"after {ATTEMPTS} attempts", self.connect_timeout) from error
            except OSError as error:
                conn.close()
                if watch.fired:
                    raise Cancelled() from None
                raise self._failure(error, "", self.connect_timeout) from error
            else:
                if 200 <= response.status < 300:
                    return conn, response
                answer = _json_or_text(response.read())
                conn.close()
                if response.status == 503 and attempt < ATTEMPTS:  # llama-server: "Loading model"
                    pass
                else:
                    raise _http_error(self.address, method, path, response.status, answer)
            if watch.cancel is not None and watch.cancel.event.wait(delay):
                raise Cancelled()
            if watch.cancel is None:
                time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _call(self, method: str, path: str, body: Any, *, attempts: int = ATTEMPTS) -> tuple[int, Any]:
        """A small JSON request on the kept-alive connection, with bounded retries on connect
        errors. Returns (status, decoded body); raises RemoteError if the server is unreachable.
        The read timeout is the generation one: llama_cpp.server answers nothing while it generates."""
        timeout = self.read_timeout
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", **self._auth} if payload is not None else dict(self._auth)
        delay = BACKOFF
        attempt = 0
        with self._lock:
            while True:
                reused = self._conn is not None
                if self._conn is None:
                    self._conn = self._connection(self.connect_timeout)
                    attempt += 1
                conn = self._conn
                try:
                    if conn.sock is None:
                        conn.connect()
                    conn.sock.settimeout(timeout)
                    conn.request(method, self.address.prefix + path, body=payload, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    if response.will_close:
                        self._conn = None
                        conn.close()
                    return response.status, _json_or_text(data)
                except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected,
                        BrokenPipeError, http.client.CannotSendRequest, http.client.ResponseNotReady) as error:
                    conn.close()
                    self._conn = None
                    if reused:  # an idle kept-alive connection the server dropped: reconnect at once
                        continue
                    if attempt >= attempts:
                        plural = "s" if attempts > 1 else ""
                        raise self._failure(error, f"after {attempts} attempt{plural}", self.connect_timeout) from error
                except (OSError, http.client.HTTPException) as error:
                    conn.close()
                    self._conn = None
                    raise self._failure(error, "", timeout) from error
                time.sleep(delay)
                delay *= 2

    def _failure(self, error: BaseException, when: str, limit: float | None = None) -> RemoteError:
        where = f"the model server at {self.address.url}"
        when = f" {when}" if when else ""
        if isinstance(error, ConnectionRefusedError):
            return RemoteError(f"{where} is not reachable (connection refused{when}): is it running? Start it, "
                               "or clear the remoteUrl setting to use the local model")
        if isinstance(error, socket.gaierror):
            return RemoteError(f"{where}: the host name {self.address.host!r} cannot be resolved ({error.strerror})")
        if isinstance(error, socket.timeout):
            return RemoteError(f"{where} did not answer within {limit or self.read_timeout:g} s{when}")
        if isinstance(error, ssl.SSLError):
            return RemoteError(f"{where}: TLS failed ({error.reason or error})")
        if isinstance(error, (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError,
                              http.client.IncompleteRead)):
            return RemoteError(f"{where} dropped the connection{when} (did it crash or restart?)")
        if isinstance(error, ValueError):
            return RemoteError(f"{where} sent something that is not an OpenAI-compatible stream{when}: {error}")
        return RemoteError(f"{where} cannot be used{when}: {error}")


# --- wire format --------------------------------------------------------------------------------
def _events(response: http.client.HTTPResponse) -> Iterator[dict[str, Any] | None]:
    """Server-sent events from a streamed completion; None for `[DONE]`. A server that ignored
    `stream` and answered with one JSON object is read as a single event."""
    if "json" in (response.getheader("Content-Type") or ""):
        yield json.loads(response.read() or b"{}")
        yield None
        return
    while True:
        line = response.readline()
        if not line:
            return
        line = line.strip()
        if not line or line.startswith(b":"):  # keep-alive comments (": ping")
            continue
        field, _, data = line.partition(b":")
        data = data.strip()
        if field == b"data" and data == b"[DONE]":
            yield None
            return
        if field in (b"data", b"error"):
            event = json.loads(data)
            yield event if field == b"data" else {"error": event}


def _read_timings(event: dict[str, Any], stats: GenerationStats) -> None:
    """llama-server reports how much of the prompt came from its cache (`cache_n`)."""
    timings = event.get("timings")
    if isinstance(timings, dict) and isinstance(timings.get("cache_n"), int):
        stats.reused_tokens = timings["cache_n"]
        if isinstance(timings.get("prompt_n"), int):
            stats.prompt_tokens = timings["cache_n"] + timings["prompt_n"]


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace").strip()


def _message(answer: Any) -> str:
    """The human part of an error body: OpenAI `{"error": {"message"}}`, FastAPI `{"detail"}`, or text."""
    if isinstance(answer, dict):
        error = answer.get("error", answer.get("detail", answer))
        if isinstance(error, dict):
            return str(error.get("message") or error)[:300]
        return str(error)[:300]
    return str(answer)[:300] or "(no details)"


def _http_error(address: ServerAddress, method: str, path: str, status: int, answer: Any) -> RemoteError:
    if status == 404:
        return RemoteError(f"{address.url} has no {path} (404): is it an OpenAI-compatible server "
                           "(llama-server, llama_cpp.server, Ollama, vLLM)?")
    if status in (401, 403):
        return RemoteError(f"the model server at {address.url} refused penna ({status}): it wants an API key; "
                           f"set {API_KEY_VARIABLE} in penna's environment")
    if status == 503:
        return RemoteError(f"the model server at {address.url} is still busy or loading its model (503): "
                           f"{_message(answer)}; try again in a moment")
    return RemoteError(f"the model server at {address.url} refused {method} {path} ({status}): {_message(answer)}")


def _expect(status: int, answer: Any, address: ServerAddress) -> None:
    if status != 200 or not isinstance(answer, dict):
        raise RemoteError(f"{address.url}: tokenizer endpoint answered {status}")
