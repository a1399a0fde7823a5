"""HTTP to a model server, kept apart from what penna asks of the model.

A remote model fails in ways a local one does not: the server restarts, is still loading, drops
an idle connection, wants a key, or keeps generating after the writer moved on. This module is
where those are handled, so `remote.py` reads as the model it is:

- Cancellation: a watcher thread shuts the socket down the moment the cancel token fires, so a
  blocked read returns at once and the server sees the client leave and stops generating. A
  stream's connection is never reused.
- Failures: connection errors and 503 (model still loading) are retried with backoff, at most
  `ATTEMPTS` times and only before any text arrived; everything else is one clear RemoteError.
- Network: only the configured host. An API key, if the server wants one, comes from the
  `PENNA_API_KEY` environment variable.

Standard library only (http.client).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from penna.writing.backend import Cancelled, CancelToken, ModelError

ATTEMPTS = 3  # tries per request when the server cannot be reached (or is loading its model)
BACKOFF = 0.25  # seconds before the second try, doubled after each failure
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 120.0  # to the first byte and between chunks: a cold long prompt on a big model
CANCEL_POLL = 0.05  # how often the watcher looks at a token's deadline (explicit cancels wake it at once)
MAX_BODY_BYTES = 16 * 2**20  # the most penna reads of one answer (a model list, an error, a completion)
MAX_STREAM_BYTES = 64 * 2**20  # the most penna reads of one streamed completion, pings included
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


class CancelWatch:
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


class Wire:
    """Requests to one model server: small JSON calls on a kept-alive connection, and streams
    on connections of their own."""

    def __init__(self, address: ServerAddress, *, read_timeout: float = READ_TIMEOUT,
                 connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.address = address
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        key = os.environ.get(API_KEY_VARIABLE, "").strip()
        self._auth = {"Authorization": f"Bearer {key}"} if key else {}
        self._lock = threading.Lock()  # guards the kept-alive connection used for counting
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.address.scheme == "https":
            return http.client.HTTPSConnection(self.address.host, self.address.port, timeout=timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.address.host, self.address.port, timeout=timeout)

    def open(self, method: str, path: str, body: Any,
             watch: CancelWatch) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send a request on a fresh connection and return its 2xx response, retrying what a
        restarting or loading server causes. The watcher may shut the socket down at any time."""
        payload = json.dumps(body).encode("utf-8")
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            if watch.fired:
                raise Cancelled()
            opened = self._try_open(method, path, payload, watch, attempt)
            if opened is not None:
                return opened
            _wait_before_retry(watch, delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _try_open(self, method: str, path: str, payload: bytes, watch: CancelWatch,
                  attempt: int) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse] | None:
        """One attempt: its 2xx response, or None when another attempt is worth making.
        Raises Cancelled, or RemoteError for what retrying would not fix."""
        conn = self._connection(self.connect_timeout)
        watch.attach(conn)
        try:
            response = self._send(conn, method, path, payload, watch)
        except (TimeoutError, ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected,
                BrokenPipeError) as error:
            self._raise_unless_retryable(conn, error, watch, attempt)
            return None
        except OSError as error:
            conn.close()
            if watch.fired:
                raise Cancelled() from None
            raise self.failure(error, "", self.connect_timeout) from error
        if 200 <= response.status < 300:
            return conn, response
        answer = _json_or_text(read_capped(response))
        conn.close()
        if response.status == 503 and attempt < ATTEMPTS:  # llama-server: "Loading model"
            return None
        raise http_error(self.address, method, path, response.status, answer)

    def _send(self, conn: http.client.HTTPConnection, method: str, path: str, payload: bytes,
              watch: CancelWatch) -> http.client.HTTPResponse:
        conn.connect()
        watch.attach(conn)  # now there is a socket to shut down
        conn.sock.settimeout(self.read_timeout)
        conn.request(method, self.address.prefix + path, body=payload,
                     headers={"Content-Type": "application/json", "Accept": "text/event-stream", **self._auth})
        return conn.getresponse()

    def _raise_unless_retryable(self, conn: http.client.HTTPConnection, error: OSError, watch: CancelWatch,
                                attempt: int) -> None:
        """After a connection failure: Cancelled if the watcher caused it, RemoteError for a read
        timeout or the last attempt; otherwise return, and the request is tried again."""
        connected = conn.sock is not None  # a read timeout is not retried: the server is working
        conn.close()
        if watch.fired:
            raise Cancelled() from None
        if isinstance(error, socket.timeout) and connected:
            raise self.failure(error, "before answering", self.read_timeout) from error
        if attempt == ATTEMPTS:
            raise self.failure(error, f"after {ATTEMPTS} attempts", self.connect_timeout) from error

    def call(self, method: str, path: str, body: Any, *, attempts: int = ATTEMPTS) -> tuple[int, Any]:
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
                    data = read_capped(response)
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
                        raise self.failure(error, f"after {attempts} attempt{plural}", self.connect_timeout) from error
                except (OSError, http.client.HTTPException, AnswerTooLarge) as error:
                    conn.close()
                    self._conn = None
                    raise self.failure(error, "", timeout) from error
                time.sleep(delay)
                delay *= 2

    def failure(self, error: BaseException, when: str, limit: float | None = None) -> RemoteError:
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
        if isinstance(error, AnswerTooLarge):
            return RemoteError(f"{where} {error}{when}; penna stopped reading it")
        if isinstance(error, ValueError):
            return RemoteError(f"{where} sent something that is not an OpenAI-compatible stream{when}: {error}")
        return RemoteError(f"{where} cannot be used{when}: {error}")


def _wait_before_retry(watch: CancelWatch, delay: float) -> None:
    """Sleep `delay` seconds, or raise Cancelled as soon as the request is cancelled."""
    if watch.cancel is not None and watch.cancel.event.wait(delay):
        raise Cancelled()
    if watch.cancel is None:
        time.sleep(delay)


# --- wire format --------------------------------------------------------------------------------
class AnswerTooLarge(ValueError):
    """A model server sent more than penna reads (a body that never ends, or a huge one)."""


def read_capped(response: http.client.HTTPResponse, limit: int = MAX_BODY_BYTES) -> bytes:
    """The response body, or AnswerTooLarge past `limit` bytes (read no further)."""
    data = response.read(limit + 1)
    if len(data) > limit:
        raise AnswerTooLarge(f"sent an answer larger than {limit // 2**20} MB")
    return data


def events(response: http.client.HTTPResponse) -> Iterator[dict[str, Any] | None]:
    """Server-sent events from a streamed completion; None for `[DONE]`. A server that ignored
    `stream` and answered with one JSON object is read as a single event."""
    if "json" in (response.getheader("Content-Type") or ""):
        yield json.loads(read_capped(response) or b"{}")
        yield None
        return
    total = 0
    while True:
        line = response.readline(MAX_BODY_BYTES + 1)
        if not line:
            return
        total += len(line)
        if len(line) > MAX_BODY_BYTES or total > MAX_STREAM_BYTES:
            raise AnswerTooLarge(f"sent a stream larger than {MAX_STREAM_BYTES // 2**20} MB")
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


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace").strip()


def message(answer: Any) -> str:
    """The human part of an error body: OpenAI `{"error": {"message"}}`, FastAPI `{"detail"}`, or text."""
    if isinstance(answer, dict):
        error = answer.get("error", answer.get("detail", answer))
        if isinstance(error, dict):
            return str(error.get("message") or error)[:300]
        return str(error)[:300]
    return str(answer)[:300] or "(no details)"


def http_error(address: ServerAddress, method: str, path: str, status: int, answer: Any) -> RemoteError:
    if status == 404:
        return RemoteError(f"{address.url} has no {path} (404): is it an OpenAI-compatible server "
                           "(llama-server, llama_cpp.server, Ollama, vLLM)?")
    if status in (401, 403):
        return RemoteError(f"the model server at {address.url} refused penna ({status}): it wants an API key; "
                           f"set {API_KEY_VARIABLE} in penna's environment")
    if status == 503:
        return RemoteError(f"the model server at {address.url} is still busy or loading its model (503): "
                           f"{message(answer)}; try again in a moment")
    return RemoteError(f"the model server at {address.url} refused {method} {path} ({status}): {message(answer)}")


def expect(status: int, answer: Any, address: ServerAddress) -> None:
    if status != 200 or not isinstance(answer, dict):
        raise RemoteError(f"{address.url}: tokenizer endpoint answered {status}")
