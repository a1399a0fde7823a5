"""JSON-RPC clients for `penna serve` over stdio: an asyncio one for timing requests (the
benchmark), and a blocking one for what a well-behaved client library will not do (the tests:
requests before `initialize` or after `shutdown`, a client that vanishes). Both frame and read
messages with the same two functions.

The asyncio client is written by hand rather than on pygls's client so the timings hold only what an editor would
see: one write on the server's stdin, one parsed answer on its stdout. Response times are taken
in the reader when the answer is parsed, not when the awaiting task wakes up.

Things that make ad-hoc clients hang, handled here:
- the server's stderr goes to a file, never an unread pipe (a full pipe blocks the server);
- every server→client request (workspace/configuration, workDoneProgress/create, applyEdit,
  registerCapability) gets an answer, or the server waits for it forever;
- EOF on stdout fails every pending request at once instead of leaving it waiting.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

SERVER_COMMAND = [sys.executable, "-m", "penna", "serve"]
REQUEST_CANCELLED = -32800


def frame(message: dict[str, Any]) -> bytes:
    """A JSON-RPC 2.0 message with its base-protocol header."""
    body = json.dumps({"jsonrpc": "2.0", **message}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def content_length(header_lines: Iterable[bytes]) -> int | None:
    """The body length a message's header lines announce (None without a Content-Length)."""
    length = None
    for line in header_lines:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return length


class ServerGone(ConnectionError):
    """The server closed its stdout (it exited or crashed)."""


@dataclass
class Response:
    id: int
    result: Any = None
    error: dict[str, Any] | None = None
    sent: float = 0.0  # perf_counter when the request was written
    received: float = 0.0  # perf_counter when its answer was parsed

    @property
    def seconds(self) -> float:
        return self.received - self.sent


@dataclass
class Notification:
    received: float
    method: str
    params: Any


@dataclass
class LspClient:
    process: asyncio.subprocess.Process
    stderr: BinaryIO | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    server_requests: list[tuple[str, Any]] = field(default_factory=list)
    _next_id: int = 0
    _pending: dict[int, tuple[float, asyncio.Future[Response]]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(cls, *, env: dict[str, str] | None = None, stderr_path: Path | None = None,
                    command: Sequence[str] = SERVER_COMMAND) -> LspClient:
        # Opened once before the server starts, not on a request's path; closed in close().
        stderr = open(stderr_path, "wb") if stderr_path else None  # noqa: SIM115, ASYNC230
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=stderr if stderr else asyncio.subprocess.DEVNULL, env={**os.environ, **(env or {})},
            limit=2**24)
        client = cls(process, stderr)
        client._reader = asyncio.create_task(client._read_loop())
        return client

    @property
    def pid(self) -> int:
        return self.process.pid

    # --- wire --------------------------------------------------------------------------------
    def _write(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame(message))

    async def _read_loop(self) -> None:
        reader = self.process.stdout
        assert reader is not None
        try:
            while True:
                headers: list[bytes] = []
                while True:
                    line = await reader.readline()
                    if not line:
                        raise ServerGone("the server closed its output")
                    line = line.strip()
                    if not line:
                        break
                    headers.append(line)
                length = content_length(headers)
                if length is None:
                    continue
                body = await reader.readexactly(length)
                self._dispatch(json.loads(body), time.perf_counter())
        except (ServerGone, asyncio.IncompleteReadError, ConnectionError) as error:
            gone = error if isinstance(error, ServerGone) else ServerGone(str(error))
            for _sent, future in self._pending.values():
                if not future.done():
                    future.set_exception(gone)
            self._pending.clear()

    def _dispatch(self, message: dict[str, Any], received: float) -> None:
        if "method" not in message:
            entry = self._pending.pop(message.get("id"), None)  # type: ignore[arg-type]
            if entry and not entry[1].done():
                sent, future = entry
                future.set_result(Response(message["id"], message.get("result"), message.get("error"), sent, received))
            return
        if "id" in message:  # the server asks us something: it waits until we answer
            self.server_requests.append((message["method"], message.get("params")))
            self._write({"id": message["id"], "result": self._answer(message["method"], message.get("params"))})
            return
        self.notifications.append(Notification(received, message["method"], message.get("params")))
        self._changed.set()

    def _answer(self, method: str, params: Any) -> Any:
        if method == "workspace/configuration":
            return [self.settings for _ in (params or {}).get("items", [])]
        if method == "workspace/applyEdit":
            # The benchmark keeps its documents unchanged, so repeats see the same text.
            return {"applied": False, "failureReason": "the benchmark client does not apply edits"}
        return None  # workDoneProgress/create, registerCapability, showMessageRequest

    # --- requests ----------------------------------------------------------------------------
    def send(self, method: str, params: Any) -> tuple[int, asyncio.Future[Response]]:
        self._next_id += 1
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        sent = time.perf_counter()
        self._pending[self._next_id] = (sent, future)
        self._write({"id": self._next_id, "method": method, "params": params})
        return self._next_id, future

    async def request(self, method: str, params: Any, *, timeout: float = 120.0) -> Response:
        _id, future = self.send(method, params)
        return await asyncio.wait_for(future, timeout)

    async def call(self, method: str, params: Any, *, timeout: float = 120.0) -> Any:
        """A request whose error is a failure of the benchmark, not a measurement."""
        response = await self.request(method, params, timeout=timeout)
        if response.error:
            raise RuntimeError(f"{method} failed: {response.error.get('message')}")
        return response.result

    def notify(self, method: str, params: Any) -> None:
        self._write({"method": method, "params": params})

    def cancel(self, request_id: int) -> float:
        sent = time.perf_counter()
        self.notify("$/cancelRequest", {"id": request_id})
        return sent

    async def wait_for(self, predicate: Callable[[Notification], bool], *, after: int = 0,
                       timeout: float = 60.0) -> Notification:
        """The first matching notification from number `after` on (received or still to come)."""
        deadline = time.monotonic() + timeout
        seen = after
        while True:
            for note in self.notifications[seen:]:
                if predicate(note):
                    return note
            seen = len(self.notifications)
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching notification from the server")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    # --- session -----------------------------------------------------------------------------
    async def initialize(self, root: Path, settings: dict[str, Any]) -> dict[str, Any]:
        self.settings = settings
        uri = (await asyncio.to_thread(root.resolve)).as_uri()
        result: dict[str, Any] = await self.call("initialize", {
            "processId": os.getpid(), "rootUri": uri, "clientInfo": {"name": "penna-bench"},
            "workspaceFolders": [{"uri": uri, "name": root.name}],
            "initializationOptions": settings,
            "capabilities": {
                "workspace": {"configuration": True, "workspaceFolders": True, "applyEdit": True,
                              "workspaceEdit": {"documentChanges": True}},
                "window": {"workDoneProgress": True},
                "textDocument": {
                    "synchronization": {"didSave": True},
                    "completion": {"completionItem": {"snippetSupport": False}},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "codeAction": {"resolveSupport": {"properties": ["edit"]}, "dataSupport": True,
                                   "codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                                       "refactor", "refactor.rewrite", "quickfix"]}}},
                },
            }}, timeout=60)
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.resolve().as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "markdown",
                                                              "version": version, "text": text}})
        return uri

    async def close(self, timeout: float = 10.0) -> int | None:
        """Shut down politely, then make sure the process is gone."""
        try:
            if self.process.returncode is None:
                await self.request("shutdown", None, timeout=timeout)
                self.notify("exit", None)
                await asyncio.wait_for(self.process.wait(), timeout)
        except (TimeoutError, ServerGone, ConnectionError):
            pass
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
            if self._reader:
                self._reader.cancel()
            if self.stderr:
                self.stderr.close()
        return self.process.returncode


class RawLspClient:
    """A blocking client on its own threads: it sends whatever it is given, in any order, and
    keeps every message the server sends (`messages` to consume, `seen` for the record)."""

    def __init__(self, env: dict[str, str] | None = None, command: Sequence[str] = SERVER_COMMAND) -> None:
        self.proc = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []  # every message, also those `response` skipped
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.stderr = b""
        self._err_reader = threading.Thread(target=self._read_err, daemon=True)
        self._err_reader.start()

    def _read_err(self) -> None:
        err = self.proc.stderr
        assert isinstance(err, io.BufferedReader)
        for chunk in iter(lambda: err.read1(4096), b""):  # what has arrived, not a full 4096 bytes
            self.stderr += chunk

    def _read(self) -> None:
        try:
            self._read_messages()
        except (ValueError, OSError):
            if self.proc.stdout is not None and self.proc.stdout.closed:
                return  # the test closed the pipe on purpose (a client vanishing)
            raise

    def _read_messages(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers: list[bytes] = []
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                headers.append(line)
            length = content_length(headers)
            if length is None:
                raise ValueError(f"a message without Content-Length: {headers!r}")
            message = json.loads(out.read(length))
            self.seen.append(message)
            self.messages.put(message)

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(frame(message))
        self.proc.stdin.flush()

    def request(self, method: str, params: Any = None) -> int:
        self._next_id += 1
        self.send({"id": self._next_id, "method": method, "params": params})
        return self._next_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def response(self, msg_id: int, timeout: float = 60) -> dict[str, Any]:
        """The response to `msg_id`; server requests and notifications are skipped (requests get
        an empty result, as a minimal client would answer)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if message.get("id") == msg_id and "method" not in message:
                return message
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})

    def call(self, method: str, params: Any = None, timeout: float = 60) -> dict[str, Any]:
        return self.response(self.request(method, params), timeout)

    def initialize(self, root_uri: str | None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        folders = [{"uri": root_uri, "name": "vault"}] if root_uri else None
        reply = self.call("initialize", {"processId": os.getpid(), "rootUri": root_uri, "capabilities": {},
                                         "workspaceFolders": folders, "initializationOptions": options or {}})
        self.notify("initialized", {})
        return reply

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 120) -> dict[str, Any]:
        """The first message from the server matching `predicate`; server requests are answered."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})
            if "error" in message:
                raise AssertionError(f"the server answered with an error: {message['error'].get('message')}")
            if predicate(message):
                return message

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB (Linux /proc)."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))
