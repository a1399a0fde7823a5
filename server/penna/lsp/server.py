"""`penna serve`: the language server. It only wires things up.

The server holds one engine per vault (workspace folder) and a generation runner; each feature
area lives in `penna.lsp.features.<area>` and registers its handlers through `setup(server)`
(esbonio's pattern), so this file stays small.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import logging
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcServerNotInitialized
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import TextDocument

from penna import __version__
from penna.config import Settings
from penna.engine import Engine, VaultError
from penna.knowledge.index import IndexUnavailable
from penna.lsp.edits import uri_to_path
from penna.lsp.generation import GenerationRunner
from penna.lsp.tracking import RewriteTracker

log = logging.getLogger("penna.lsp")


class PennaProtocol(LanguageServerProtocol):
    """pygls 2.1 runs `workspace/executeCommand` through a builtin generator whose request is
    never registered for `$/cancelRequest`, so commands could not be cancelled. penna's async
    commands are dispatched here as ordinary request handlers instead, which pygls cancels."""

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        handler = (self.fm.commands.get(params.command)
                   if method_name == types.WORKSPACE_EXECUTE_COMMAND and isinstance(params, types.ExecuteCommandParams)
                   else None)
        if handler is None or not asyncio.iscoroutinefunction(handler) or not params.command.startswith("penna."):
            super()._handle_request(msg_id, method_name, params)
            return
        self._ctx_msg_id.set(msg_id)
        self._execute_handler(msg_id, handler, args=tuple(params.arguments or ()),
                              callback=partial(self._send_handler_result, msg_id=msg_id))

    # pygls leaves three kinds of request unanswered or answers them with a traceback; a client
    # would wait forever. Each gets the error code the LSP specification names.
    _penna_initialized = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:  # e.g. a negative position: pygls logs it and never answers
            if not (isinstance(data, dict) and "id" in data and "method" in data):
                raise
            self._send_response(data["id"], error=types.ResponseError(
                code=error.code, message=f"invalid parameters for {data['method']}"))
            return _Answered()

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Answered):
            return
        method, msg_id = getattr(message, "method", None), getattr(message, "id", None)
        if method and method != types.EXIT:
            if self._shutdown and msg_id is not None:
                self._send_response(msg_id, error=types.ResponseError(
                    code=JsonRpcInvalidRequest.CODE, message="penna is shutting down: no requests after shutdown"))
                return
            if not self._penna_initialized and method != types.INITIALIZE:
                if msg_id is not None:
                    self._send_response(msg_id, error=types.ResponseError(
                        code=JsonRpcServerNotInitialized.CODE, message="penna is not initialized: send initialize first"))
                return  # notifications before initialize are dropped, as the specification says
            if method == types.INITIALIZE:
                self._penna_initialized = True
        super().handle_message(message)

    _client_gone = False

    def _send_data(self, data: Any) -> None:
        """As pygls's, except when the client has gone (its pipe closed): pygls logs a traceback
        for that message and every later one; penna notes it once and stops sending."""
        if self._client_gone:
            return
        if not data or self.writer is None or not self._include_headers:
            super()._send_data(data)
            return
        try:
            body = json.dumps(data, default=self._serialize_message)
        except (TypeError, ValueError):
            super()._send_data(data)  # pygls reports what cannot be serialised
            return
        header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
        try:
            written = self.writer.write((header + body).encode(self.CHARSET))
        except (BrokenPipeError, ConnectionResetError, ValueError):  # ValueError: stdout already closed
            self._client_gone = True
            log.warning("the client went away; penna stops sending and exits when its input ends")
            return
        if inspect.isawaitable(written):
            asyncio.ensure_future(written)


class _Answered:
    """A request already answered with an error while it was being read."""

    jsonrpc = "2.0"


class PennaServer(LanguageServer):
    """The server and all the state its features share. Features receive it typed (`ls:
    PennaServer`), reach a document's engine through `engine_for`, and keep their private state
    in their own `setup` closure; what several features share is declared here."""

    def __init__(self) -> None:
        super().__init__("penna", __version__, max_workers=4, protocol_cls=PennaProtocol)
        self.settings = Settings()
        self.engines: dict[Path, Engine] = {}
        self.runner = GenerationRunner()
        self.hover_cache: dict[str, str] = {}  # (note, paragraph) hash → rephrasing
        self.hover_pending: dict[str, concurrent.futures.Future[str | None]] = {}  # rephrasings being made
        self.rewrites = RewriteTracker()  # drafts penna inserted, followed until saved
        self.model_error_reported = False
        self._engines_lock = threading.Lock()
        # Features that follow document changes (diagnostics, rewrites) subscribe here:
        # pygls allows one handler per notification, and documents.py owns those.
        self.document_listeners: list[Callable[[str, str], None]] = []  # (uri, event)
        self.engine_hooks: list[Callable[[Engine], None]] = []  # features that follow each new engine
        self.event_loop: asyncio.AbstractEventLoop | None = None  # for messages sent from other threads

    # --- vaults ------------------------------------------------------------------------------
    def vault_roots(self) -> list[Path]:
        roots = []
        for folder in self.workspace.folders.values():
            path = uri_to_path(folder.uri)
            if path:
                roots.append(path)
        if not roots and self.workspace.root_path:
            roots.append(Path(self.workspace.root_path))
        return roots

    def engine_for(self, uri: str) -> tuple[Engine, str] | None:
        """The engine of the vault holding `uri`, and the note's vault-relative path. None for
        documents outside every vault (or not files). The one way features reach an engine."""
        path = uri_to_path(uri)
        if path is None or ".." in Path(unquote(urlparse(uri).path)).parts:
            return None
        roots = sorted(self.vault_roots(), key=lambda p: len(str(p)), reverse=True) or [path.parent]
        for root in roots:
            try:
                path.resolve().relative_to(root.resolve())
            except (ValueError, OSError):
                continue
            engine = self._engine(root)
            if engine is None:
                return None
            rel = engine.rel_path(path)
            return (engine, rel) if rel else None
        return None

    def open_workspace_vaults(self) -> None:
        """Start indexing every workspace vault at once (after `initialized`)."""
        for root in self.vault_roots():
            self._engine(root)

    def bind_event_loop(self) -> None:
        """Remember the event loop, so worker threads can hand it messages. Called from a handler."""
        if self.event_loop is None:
            try:
                self.event_loop = asyncio.get_running_loop()
            except RuntimeError:
                pass

    def _engine(self, root: Path) -> Engine | None:
        self.bind_event_loop()  # handlers run on the event loop
        with self._engines_lock:
            key = root.resolve()
            if key not in self.engines:
                try:
                    engine = Engine(key, self.settings)
                except (VaultError, IndexUnavailable) as error:
                    self.show(f"penna: {error}", types.MessageType.Error)
                    return None
                self.engines[key] = engine
                for hook in self.engine_hooks:
                    hook(engine)
                self._watch(key, engine)
            elif (watcher := self.engines[key].watcher) is not None and watcher.vault_missing and key.is_dir():
                self._watch(key, self.engines[key])  # the vault is back (a drive remounted): catch up
            return self.engines[key]

    def _watch(self, key: Path, engine: Engine) -> None:
        """Index the vault and follow it, off the request path (the engine stops an old watcher)."""
        engine.start_watching(
            on_missing=partial(self._vault_missing, engine),
            on_error=lambda message: self.show_from_thread(f"penna: {message}", types.MessageType.Error),
            on_synced=lambda report: log.info("indexed %s: %s", engine.vault, report.summary()))

    def _vault_missing(self, engine: Engine) -> None:
        self.show_from_thread(
            f"penna: the vault folder {engine.vault} is gone (deleted, renamed or unmounted). penna stopped "
            "watching it and keeps what it had indexed; it catches up when the folder is back.", types.MessageType.Warning)

    def stop_watchers(self) -> None:
        """On shutdown: each stop is bounded (about a second), and start-up syncs are not waited for."""
        for engine in list(self.engines.values()):
            engine.stop_watching(timeout=0.0)

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.hover_cache.clear()
        for engine in list(self.engines.values()):
            engine.apply_settings(settings)

    # --- helpers for features ----------------------------------------------------------------
    def document(self, uri: str) -> TextDocument:
        return self.workspace.get_text_document(uri)

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def show_from_thread(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """`show` from a worker thread: the message is written by the event loop."""
        loop = self.event_loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self.show, message, kind)
        else:
            self.show(message, kind)

    def report_model_error(self, error: Exception) -> None:
        """Say once, clearly, that the model is unavailable; everything else keeps working."""
        if not self.model_error_reported:
            self.model_error_reported = True
            self.show(f"penna: the model is unavailable ({error}). Completion of links and tags, hover analysis, "
                      "diagnostics and the context viewer keep working.", types.MessageType.Error)
