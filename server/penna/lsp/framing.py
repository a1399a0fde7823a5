"""The LSP base protocol on stdin: framing, size limits and JSON-RPC 2.0 message shapes.

pygls's reader trusts every `Content-Length`: one that is a few bytes off glued a body to the next
header and left the stream silent for good, a huge one raised MemoryError or waited forever, and
a body that was valid JSON but not a JSON-RPC message was dropped with a traceback. This reader
runs on its own thread (so a large body is read and parsed off the event loop) and hands the
server only well-formed messages; everything else gets the JSON-RPC error its shape allows
(`id` null when there is none to answer) and one clear log line, and the reader resynchronises
at the next `Content-Length` header.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

log = logging.getLogger("penna.lsp")

MAX_MESSAGE_BYTES = 64 * 2**20  # the largest body penna reads (a 50 MB note still fits)
MAX_HEADER_LINE = 8192
CHUNK = 65536
CONTENT_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d{1,20})[ \t]*\r?\n?$", re.IGNORECASE)
HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[^\r\n]*\r?\n$")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600


@dataclass(frozen=True)
class Rejected:
    """A message that cannot be handled: the error to answer (to `msg_id`, None for null)."""

    msg_id: int | str | None
    code: int
    message: str


def check_shape(data: Any) -> Rejected | None:
    """Whether `data` is a JSON-RPC 2.0 request, notification or response (LSP sends no batches)."""
    if not isinstance(data, dict):
        kind = "a batch (an array)" if isinstance(data, list) else f"a {type(data).__name__}"
        return Rejected(None, INVALID_REQUEST, f"a JSON-RPC message must be an object, not {kind}")
    msg_id = data.get("id")
    id_ok = "id" not in data or msg_id is None or isinstance(msg_id, str) or (
        isinstance(msg_id, int) and not isinstance(msg_id, bool))
    answer_to = msg_id if id_ok and "method" in data else None
    if not id_ok:
        return Rejected(None, INVALID_REQUEST, f"'id' must be a number, a string or null, got {msg_id!r}"[:200])
    if data.get("jsonrpc") != "2.0":
        return Rejected(answer_to, INVALID_REQUEST, "'jsonrpc' must be \"2.0\"")
    if "method" in data:
        if not isinstance(data["method"], str) or not data["method"]:
            return Rejected(answer_to, INVALID_REQUEST, "'method' must be a non-empty string")
        if "params" in data and data["params"] is not None and not isinstance(data["params"], (dict, list)):
            return Rejected(answer_to, INVALID_REQUEST, "'params' must be an object or an array")
        if "result" in data or "error" in data:
            return Rejected(answer_to, INVALID_REQUEST, "a request has no 'result' or 'error'")
        return None
    return _check_response(data)


def _check_response(data: dict[str, Any]) -> Rejected | None:
    if "id" not in data:
        return Rejected(None, INVALID_REQUEST,
                        "a message needs a 'method' (request, notification) or an 'id' (response)")
    if ("result" in data) == ("error" in data):
        return Rejected(None, INVALID_REQUEST, "a response has exactly one of 'result' and 'error'")
    error = data.get("error")
    if "error" in data and not (isinstance(error, dict) and isinstance(error.get("code"), int)
                                and isinstance(error.get("message"), str)):
        return Rejected(None, INVALID_REQUEST, "a response's 'error' needs an integer 'code' and a string 'message'")
    return None


class FrameReader:
    """Messages from a byte stream framed with `Content-Length` headers.

    `read()` returns the next parsed, shape-checked message (a dict), a `Rejected` for one that
    cannot be handled, or None at the end of the stream. It never holds more than
    MAX_MESSAGE_BYTES of one body, and never stays lost: after a framing error it skips to the
    next `Content-Length` header, even one glued to the end of a previous body.
    """

    def __init__(self, stream: BinaryIO, *, max_bytes: int = MAX_MESSAGE_BYTES,
                 on_problem: Callable[[str], None] | None = None) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.on_problem = on_problem or (lambda message: log.warning("%s", message))
        self._pending: bytes | None = None  # a header line found while skipping

    def _line(self) -> bytes:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        return self.stream.readline(MAX_HEADER_LINE)

    def _resync(self, why: str) -> bool:
        """Skip to the next Content-Length header; False at the end of the stream."""
        self.on_problem(f"penna: {why}; skipping to the next Content-Length header")
        tail = b""
        while True:
            chunk = self.stream.readline(CHUNK)
            if not chunk:
                return False
            window = tail + chunk
            at = window.find(b"Content-Length:")
            if at >= 0:
                line = window[at:]
                while not line.endswith(b"\n") and len(line) < MAX_HEADER_LINE:
                    more = self.stream.readline(MAX_HEADER_LINE - len(line))
                    if not more:
                        return False
                    line += more
                self._pending = line
                return True
            tail = window[-15:]  # a header split across two reads is still found

    def _header(self) -> tuple[int | None, str | None, bool]:
        """(Content-Length, what broke the framing, end of stream) for the next message's headers."""
        length: int | None = None
        while True:
            line = self._line()
            if not line:
                return None, None, True
            if line in (b"\r\n", b"\n"):
                if length is not None:
                    return length, None, False
                continue  # stray blank lines between messages
            if (match := CONTENT_LENGTH.match(line)) is not None:
                length = int(match.group(1))
            elif not HEADER.match(line):
                glued = line.find(b"Content-Length:")
                if glued > 0:  # the end of a body that was longer than its Content-Length said
                    self._pending = line[glued:]
                    self.on_problem("penna: a message body was longer than its Content-Length; "
                                    "resuming at the next Content-Length header")
                    length = None
                    continue
                return None, f"a malformed header line ({line[:60]!r})", False

    def read(self) -> dict[str, Any] | Rejected | None:
        while True:
            length, lost, ended = self._header()
            if ended:
                return None
            if length is None:
                if not self._resync(lost or "a message without a Content-Length"):
                    return None
                continue
            if length > self.max_bytes:
                self.on_problem(f"penna: a message of {length:,} bytes exceeds the limit of "
                                f"{self.max_bytes // 2**20} MB; it is skipped")
                if not self._skip(length):
                    return None
                limit = self.max_bytes // 2**20
                return Rejected(None, INVALID_REQUEST,
                                f"message too large for penna ({length / 2**20:.0f} MB; limit {limit} MB)")
            return self._message(length)

    def _message(self, length: int) -> dict[str, Any] | Rejected | None:
        body = self._read_exactly(length)
        if body is None:
            return None
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as error:
            self.on_problem(f"penna: a message body is not JSON ({str(error)[:80]}); answered with a parse error")
            return Rejected(None, PARSE_ERROR, "parse error: the message body is not valid JSON "
                                               "(check that Content-Length counts UTF-8 bytes)")
        problem = check_shape(data)
        return problem if problem is not None else data

    def _read_exactly(self, length: int) -> bytes | None:
        parts: list[bytes] = []
        left = length
        while left > 0:
            chunk = self.stream.read(min(left, CHUNK * 16))
            if not chunk:
                return None
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    def _skip(self, length: int) -> bool:
        """Discard an oversized body as it arrives; stop at the next header if it is a lie."""
        left = length
        while left > 0:
            chunk = self.stream.readline(min(left, CHUNK))
            if not chunk:
                return False
            at = chunk.find(b"Content-Length:")
            if at >= 0:  # the body claimed more than was sent: the next message starts here
                line = chunk[at:]
                while not line.endswith(b"\n") and len(line) < MAX_HEADER_LINE:
                    more = self.stream.readline(MAX_HEADER_LINE - len(line))
                    if not more:
                        return False
                    line += more
                self._pending = line
                return True
            left -= len(chunk)
        return True
