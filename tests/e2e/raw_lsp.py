"""A bare JSON-RPC client over the real server's stdio, for what a well-behaved client library
will not do: requests before `initialize` or after `shutdown`, and a client that vanishes."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from typing import Any


class RawServer:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "penna", "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, **(env or {})})
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.stderr = b""
        self._err_reader = threading.Thread(target=self._read_err, daemon=True)
        self._err_reader.start()

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for chunk in iter(lambda: self.proc.stderr.read(4096), b""):  # type: ignore[union-attr]
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
            headers: dict[str, str] = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = out.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
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

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def wait_for(server: RawServer, predicate, timeout: float = 120) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The first message from the server matching `predicate`; server requests are answered."""
    deadline = time.monotonic() + timeout
    while True:
        message = server.messages.get(timeout=max(0.01, deadline - time.monotonic()))
        if "method" in message and "id" in message:
            server.send({"id": message["id"], "result": None})
        if "error" in message:
            raise AssertionError(f"the server answered with an error: {message['error'].get('message')}")
        if predicate(message):
            return message
