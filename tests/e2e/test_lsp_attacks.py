"""Attacks on the real `penna serve` over raw JSON-RPC (docs/reliability.md, "Attacks"): a vault
without a workspace, a second initialize, files that are not notes, notes too large to read on a
request, broken framing and message shapes, exit without shutdown, and a model server that never
answers. Each ends with a clear answer or log line, and the server keeps answering."""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_lsp import RawServer

pytestmark = pytest.mark.e2e

NO_MODEL = {"hover": "cached", "diagnostics": False}


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / "Notes").mkdir(parents=True)
    (root / ".obsidian").mkdir()
    (root / "Notes" / "Bread.md").write_text("# Bread\n\nRye bread wants a long, cold proof.\n\n- flour\n- water\n",
                                             encoding="utf-8")
    return root


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    process = RawServer({"PENNA_CACHE_DIR": str(tmp_path / "cache")})
    yield process
    process.close()


def options(tmp_path: Path, **more: Any) -> dict[str, Any]:
    return {**NO_MODEL, "model": str(tmp_path / "none.gguf"), **more}


def status(server: RawServer, timeout: float = 60) -> dict[str, Any]:
    reply = server.call("workspace/executeCommand", {"command": "penna.status"}, timeout=timeout)
    assert "result" in reply, reply
    return reply["result"]


def hover(server: RawServer, uri: str, timeout: float = 60) -> dict[str, Any]:
    return server.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 0}},
                       timeout=timeout)


def notifications(server: RawServer, method: str, wait: float = 0.5) -> list[dict[str, Any]]:
    """Every queued notification `method` (others are dropped), after `wait` seconds."""
    time.sleep(wait)
    return [message["params"] for message in list(server.seen) if message.get("method") == method]


def logged(server: RawServer, *needles: bytes, timeout: float = 10) -> bool:
    """Whether the server's log (stderr) says one of `needles`, waiting a little for it to arrive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(needle in server.stderr for needle in needles):
            return True
        time.sleep(0.05)
    return False


def write_raw(server: RawServer, data: bytes) -> None:
    assert server.proc.stdin is not None
    server.proc.stdin.write(data)
    server.proc.stdin.flush()


def frame(message: dict[str, Any], delta: int = 0) -> bytes:
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return f"Content-Length: {len(body) + delta}\r\n\r\n".encode() + body


# --- vaults ------------------------------------------------------------------------------------
def test_without_a_workspace_no_request_makes_a_folder_a_vault(server: RawServer, tmp_path: Path,
                                                                vault: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    (private / "other.md").write_text("# Other\n\nA private note.\n", encoding="utf-8")
    reply = server.call("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {},
                                       "initializationOptions": options(tmp_path)})
    assert "result" in reply
    server.notify("initialized", {})
    assert "result" in hover(server, "file:///some-nonexistent.md") or True  # answered either way
    hover(server, (private / "other.md").as_uri())
    context = server.call("workspace/executeCommand", {"command": "penna.showContext", "arguments": [
        {"uri": (private / "other.md").as_uri()}]})
    assert "not a note inside an open vault" in context["error"]["message"]
    hover(server, "file:///etc/hostname")
    assert status(server)["vaults"] == []  # neither `/`, nor /etc, nor the private folder
    # Opening a note without a vault marker above it names no vault either, and says so.
    server.notify("textDocument/didOpen", {"textDocument": {"uri": (private / "other.md").as_uri(),
                                                            "languageId": "markdown", "version": 1,
                                                            "text": "# Other\n"}})
    assert status(server)["vaults"] == []
    # The first opened note under a vault marker (.obsidian) names the vault: only that folder.
    note = vault / "Notes" / "Bread.md"
    server.notify("textDocument/didOpen", {"textDocument": {"uri": note.as_uri(), "languageId": "markdown",
                                                            "version": 1, "text": note.read_text()}})
    assert [v["path"] for v in status(server)["vaults"]] == [str(vault)]


def test_a_second_initialize_is_refused(server: RawServer, tmp_path: Path, vault: Path) -> None:
    server.initialize(vault.as_uri(), options(tmp_path))
    other = tmp_path / "other"
    other.mkdir()
    second = server.call("initialize", {"processId": None, "rootUri": other.as_uri(), "capabilities": {},
                                        "workspaceFolders": [{"uri": other.as_uri(), "name": "other"}]})
    assert second["error"]["code"] == -32600 and "already initialized" in second["error"]["message"]
    assert [v["path"] for v in status(server)["vaults"]] == [str(vault)]


def test_a_root_folder_workspace_is_refused(server: RawServer, tmp_path: Path) -> None:
    server.initialize("file:///", options(tmp_path))
    assert status(server)["vaults"] == []
    shown = notifications(server, "window/showMessage")
    assert any("is not used as a vault" in m["message"] for m in shown), shown


# --- files a request reads ---------------------------------------------------------------------
def test_a_fifo_named_like_a_note_is_never_read(server: RawServer, tmp_path: Path, vault: Path) -> None:
    pipe = vault / "Notes" / "pipe.md"
    os.mkfifo(pipe)
    server.initialize(vault.as_uri(), options(tmp_path))
    reply = hover(server, pipe.as_uri(), timeout=30)  # before: the server hung until a writer came
    assert "not a regular file" in reply["error"]["message"]
    context = server.call("workspace/executeCommand", {"command": "penna.showContext",
                                                       "arguments": [{"uri": pipe.as_uri()}]}, timeout=30)
    assert "not a regular file" in context["error"]["message"]
    assert status(server)["vaults"]


def test_a_large_unopened_note_is_refused_with_its_size(server: RawServer, tmp_path: Path, vault: Path) -> None:
    large = vault / "Notes" / "Large.md"
    large.write_bytes(b"# Large\n\n" + b"word " * (6 * 2**20 // 5))
    server.initialize(vault.as_uri(), options(tmp_path))
    reply = hover(server, large.as_uri())
    assert "too large for penna (6 MB; limit 4 MB)" in reply["error"]["message"], reply
    assert status(server)["vaults"]


def test_a_large_opened_document_is_left_alone_and_said_once(server: RawServer, tmp_path: Path,
                                                             vault: Path) -> None:
    server.initialize(vault.as_uri(), options(tmp_path))
    uri = (vault / "Notes" / "Huge.md").as_uri()
    text = "# Huge\n\n" + "word " * (6 * 2**20 // 5)
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "markdown", "version": 1,
                                                            "text": text}})
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "x"}]})
    assert status(server)["vaults"]
    assert "too large for penna (6 MB; limit 4 MB)" in hover(server, uri)["error"]["message"]
    shown = [m["message"] for m in notifications(server, "window/showMessage") if "too large" in m["message"]]
    assert len(shown) == 1, shown  # once, not on every change


def test_a_latin1_note_is_decoded_as_the_indexer_decodes(server: RawServer, tmp_path: Path, vault: Path) -> None:
    note = vault / "Notes" / "Café.md"
    note.write_bytes("# Café\n\nUn café crème, très noir.\n".encode("latin-1"))
    server.initialize(vault.as_uri(), options(tmp_path))
    reply = hover(server, note.as_uri())
    assert "error" not in reply, reply  # before: a raw UnicodeDecodeError
    context = server.call("workspace/executeCommand", {"command": "penna.showContext", "arguments": [
        {"uri": note.as_uri(), "position": {"line": 2, "character": 0}}]})
    assert "error" not in context, context
    assert "\ufffd" in context["result"]["markdown"] or "Caf" in context["result"]["markdown"]


# --- arguments -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("argument", "expected"), [
    ({"range": "x"}, "range must be"),
    ({"range": {"start": [1, 2]}}, "range must be"),
    ({"range": {"start": [1, 2], "end": {"line": 0, "character": 0}}}, "range.start must be"),
    ({"range": {"start": {"line": 0, "character": 0}}}, "range must be"),
    ({"position": "x"}, "position must be"),
    ({"position": {"line": -1, "character": 0}}, "position.line must be a whole number"),
    ({"version": "2"}, "version must be"),
])
def test_malformed_command_arguments_get_clear_errors(server: RawServer, tmp_path: Path, vault: Path,
                                                      argument: dict[str, Any], expected: str) -> None:
    server.initialize(vault.as_uri(), options(tmp_path))
    uri = (vault / "Notes" / "Bread.md").as_uri()
    for command in ("penna.showContext", "penna.expand"):
        reply = server.call("workspace/executeCommand", {"command": command, "arguments": [{"uri": uri, **argument}]})
        assert reply["error"]["code"] == -32602, reply
        assert expected in reply["error"]["message"], reply
        assert "TypeError" not in reply["error"]["message"] and "KeyError" not in reply["error"]["message"]


# --- the wire ----------------------------------------------------------------------------------
@pytest.mark.parametrize("delta", [-3, -1, 1, 3])
def test_a_content_length_a_few_bytes_off_loses_one_message_not_the_stream(server: RawServer, tmp_path: Path,
                                                                           vault: Path, delta: int) -> None:
    server.initialize(vault.as_uri(), options(tmp_path))
    # A client counting characters, not UTF-8 bytes, on "17°C" is one byte short.
    write_raw(server, frame({"jsonrpc": "2.0", "method": "$/penna-noise", "params": {"t": "17°C"}}, delta))
    write_raw(server, frame({"jsonrpc": "2.0", "method": "$/penna-noise", "params": {}}))
    assert status(server, timeout=30)["vaults"]  # before: never answered
    assert logged(server, b"Content-Length", b"not JSON")


@pytest.mark.parametrize("length", [10**15, 8589934592, 64 * 2**20 + 1])
def test_a_huge_content_length_is_refused_and_the_stream_goes_on(server: RawServer, tmp_path: Path,
                                                                 vault: Path, length: int) -> None:
    server.initialize(vault.as_uri(), options(tmp_path))
    write_raw(server, f"Content-Length: {length}\r\n\r\n".encode())
    assert status(server, timeout=30)["vaults"]  # before: MemoryError, or waiting forever
    assert server.proc.poll() is None
    assert logged(server, b"exceeds the limit of 64 MB")


BAD_SHAPES: list[tuple[bytes, int]] = [
    (b"[]", -32600),  # a batch: LSP has none
    (b"[1, 2]", -32600),
    (b"42", -32600),
    (b"null", -32600),
    (b"{not json", -32700),
    (b'{"jsonrpc": "1.0", "id": 1, "method": "shutdown"}', -32600),
    (b'{"jsonrpc": "2.0", "id": 1, "method": 7}', -32600),
    (b'{"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": "x"}', -32600),
    (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "shutdown"}', -32600),
    (b'{"jsonrpc": "2.0"}', -32600),
    (b'{"jsonrpc": "2.0", "id": 5, "result": 1, "error": {"code": 1, "message": "x"}}', -32600),
]


def test_messages_that_are_not_json_rpc_get_the_error_their_shape_allows(server: RawServer, tmp_path: Path,
                                                                         vault: Path) -> None:
    server.initialize(vault.as_uri(), options(tmp_path))
    for body, code in BAD_SHAPES:
        write_raw(server, f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        deadline = time.monotonic() + 30
        while True:
            message = server.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if "error" in message:
                break
        assert message["error"]["code"] == code, (body, message)
    assert status(server)["vaults"]


def test_exit_without_shutdown_ends_with_code_1(server: RawServer, tmp_path: Path, vault: Path) -> None:
    server.initialize(vault.as_uri(), options(tmp_path))
    server.notify("exit")
    assert server.proc.wait(timeout=30) == 1  # before: 0


# --- model servers -----------------------------------------------------------------------------
class SilentServer:
    """A model server on loopback that accepts connections and never answers (or, with
    `endless`, answers `/v1/models` with a body that never ends)."""

    def __init__(self, endless: bool = False) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.endless = endless
        self.held: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            if self.endless:
                threading.Thread(target=self._flood, args=(conn,), daemon=True).start()

    def _flood(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"data\": [")
            chunk = b'{"id": "m"},' * 4096
            while not self.stopped.is_set():
                conn.sendall(chunk)
        except OSError:
            pass

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_exit_ends_the_process_whatever_a_silent_model_server_holds(server: RawServer, tmp_path: Path,
                                                                    vault: Path) -> None:
    silent = SilentServer()
    try:
        server.initialize(vault.as_uri(), {**NO_MODEL, "remoteUrl": f"http://127.0.0.1:{silent.port}",
                                           "model": "m"})
        uri = (vault / "Notes" / "Bread.md").as_uri()
        server.request("workspace/executeCommand", {"command": "penna.expand", "arguments": [
            {"uri": uri, "position": {"line": 4, "character": 0}}]})
        server.request("workspace/executeCommand", {"command": "penna.showContext", "arguments": [{"uri": uri}]})
        deadline = time.monotonic() + 30
        while not silent.held and time.monotonic() < deadline:  # a request is waiting on the server
            time.sleep(0.05)
        assert silent.held
        assert server.call("shutdown", None, timeout=30)["result"] is None
        server.notify("exit")
        # Before: more than 200 s (a 120 s read timeout per attempt). The bound here is generous:
        # it only separates "exits" from "hangs on the read".
        assert server.proc.wait(timeout=20) == 0
    finally:
        silent.close()


def test_a_model_list_that_never_ends_is_cut_at_the_cap(tmp_path: Path) -> None:
    """The wire itself, against a real socket: the body read stops at MAX_BODY_BYTES."""
    from penna.writing.wire import MAX_BODY_BYTES, Wire, parse_url

    flood = SilentServer(endless=True)
    try:
        wire = Wire(parse_url(f"http://127.0.0.1:{flood.port}"))
        with pytest.raises(Exception, match=f"larger than {MAX_BODY_BYTES // 2**20} MB"):
            wire.call("GET", "/v1/models", None)
        wire.close()
    finally:
        flood.close()


def test_a_model_that_fails_to_load_ends_its_progress_and_says_why_once(server: RawServer, tmp_path: Path,
                                                                        vault: Path) -> None:
    server.initialize(vault.as_uri(), {**NO_MODEL, "model": "/proc/self/mem"})
    note = vault / "Notes" / "Bread.md"
    server.notify("textDocument/didOpen", {"textDocument": {"uri": note.as_uri(), "languageId": "markdown",
                                                            "version": 1, "text": note.read_text()}})
    reply = server.call("workspace/executeCommand", {"command": "penna.expand", "arguments": [
        {"uri": note.as_uri(), "position": {"line": 4, "character": 0}}]}, timeout=120)
    assert "error" in reply and "OSError" not in reply["error"]["message"], reply
    assert "model" in reply["error"]["message"].lower()
    state = status(server)["model"]
    assert state["state"] == "error" and state.get("error"), state
    shown = [m["message"] for m in notifications(server, "window/showMessage", wait=1.0)
             if "model is unavailable" in m["message"]]
    assert len(shown) == 1, shown


# --- a fuzzer over framing and message shapes, through the real server --------------------------
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
                           | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                       max_size=3),
                           max_leaves=8)
METHODS = st.sampled_from(["textDocument/hover", "textDocument/didOpen", "textDocument/didChange",
                           "textDocument/codeAction", "textDocument/completion", "workspace/executeCommand",
                           "$/cancelRequest", "$/setTrace", "initialized", "penna/nothing", ""]) | st.text(max_size=12)
MESSAGES = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "2.0", "2.0", "1.0", 2.0, None])},
    optional={"id": st.integers(1000, 2**31) | st.text(min_size=1, max_size=6) | st.none() | st.booleans()
              | st.lists(st.integers(), max_size=2),
              "method": METHODS | JSON_VALUES, "params": JSON_VALUES, "result": JSON_VALUES, "error": JSON_VALUES})
FRAMES = st.tuples(st.one_of(MESSAGES.map(lambda m: json.dumps(m).encode()), st.binary(max_size=60)),
                   st.integers(-4, 4) | st.just(0), st.sampled_from([b"", b"Content-Type: x\r\n", b"X: y\r\n"]))


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "vault").mkdir()
    (root / "vault" / "Note.md").write_text("# Note\n\nA paragraph.\n", encoding="utf-8")
    process = RawServer({"PENNA_CACHE_DIR": str(root / "cache")})
    process.initialize((root / "vault").as_uri(), {**NO_MODEL, "model": str(root / "none.gguf")})
    yield process
    process.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(FRAMES)
def test_fuzzed_frames_and_shapes_never_stop_the_server(fuzz_server: RawServer,
                                                        case: tuple[bytes, int, bytes]) -> None:
    body, delta, extra = case
    # Blank lines after the frame: a body that claimed up to 4 bytes too many eats them, not the
    # next message (otherwise the reader resynchronises at the header after it: a retry).
    write_raw(fuzz_server, f"Content-Length: {max(0, len(body) + delta)}\r\n".encode() + extra + b"\r\n" + body
              + b"\r\n" * 4)
    for _attempt in range(3):
        try:
            reply = fuzz_server.call("workspace/executeCommand", {"command": "penna.status"}, timeout=3)
        except queue.Empty:
            continue
        assert "result" in reply, reply
        break
    else:
        raise AssertionError(f"the server stopped answering after {case!r}")
    assert fuzz_server.proc.poll() is None


# --- documents ---------------------------------------------------------------------------------
# Two bullets: the close comes as the expand's progress begins, long before its first sentence.
PLAN_BULLETS = "# Plan\n\n" + "".join(f"- step {n}: knead, rest, fold, and proof the dough again\n" for n in range(2))


@pytest.mark.model
def test_closing_a_document_while_it_is_expanded_never_edits_the_file(server: RawServer, tmp_path: Path,
                                                                      vault: Path) -> None:
    note = vault / "Notes" / "Plan.md"
    note.write_text(PLAN_BULLETS, encoding="utf-8")
    server.call("initialize", {"processId": None, "rootUri": vault.as_uri(),
                               "capabilities": {"window": {"workDoneProgress": True}},
                               "workspaceFolders": [{"uri": vault.as_uri(), "name": "vault"}],
                               "initializationOptions": {"hover": "cached", "maxTokens": 16, "nCtx": 1024,
                                                         "seed": 7}})
    server.notify("initialized", {})
    uri = note.as_uri()
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "markdown", "version": 1,
                                                            "text": PLAN_BULLETS}})
    asked = server.request("workspace/executeCommand", {"command": "penna.expand", "arguments": [
        {"uri": uri, "position": {"line": 3, "character": 0}}]})
    # Close once the expand is under way (its progress has begun); the model writes after that.
    # Server requests (progress create) are answered as an editor would.
    deadline = time.monotonic() + 300
    while True:
        message = server.messages.get(timeout=max(0.01, deadline - time.monotonic()))
        if "method" in message and "id" in message:
            server.send({"id": message["id"], "result": None})
        value = message.get("params", {}).get("value", {}) if message.get("method") == "$/progress" else {}
        if value.get("kind") == "begin" and "Expand" in value.get("title", ""):
            break
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    reply = server.response(asked, timeout=300)
    assert reply["result"]["applied"] is False and reply["result"]["text"], reply
    assert not [m for m in server.seen if m.get("method") == "workspace/applyEdit"]  # before: an unbound edit
    offered = [m["params"] for m in server.seen if m.get("method") == "penna/result"]
    assert len(offered) == 1 and offered[0]["reason"] == "closed" and offered[0]["uri"] == uri
    assert offered[0]["text"] == reply["result"]["text"]
    assert note.read_text(encoding="utf-8") == PLAN_BULLETS
