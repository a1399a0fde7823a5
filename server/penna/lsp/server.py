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
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcServerNotInitialized
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import TextDocument

from penna import __version__
from penna.config import Settings
from penna.engine import Engine, VaultError
from penna.knowledge.index import IndexUnavailable
from penna.lsp.edits import uri_to_path
from penna.lsp.framing import INVALID_REQUEST, PARSE_ERROR, Rejected
from penna.lsp.generation import GenerationRunner
from penna.lsp.protocol import ACTIONS, RESULT_NOTIFICATION, ArgumentError, ResultNotification, check_arguments
from penna.lsp.tracking import RewriteTracker
from penna.paths import state_dir
from penna.vault.files import MAX_NOTE_BYTES, NotANote, NoteTooLarge, read_request_text
from penna.writing.backend import CancelToken
from penna.writing.cpu_share import SHARE

log = logging.getLogger("penna.lsp")


class PennaProtocol(LanguageServerProtocol):
    """pygls 2.1 runs `workspace/executeCommand` through a builtin generator whose request is
    never registered for `$/cancelRequest`, so commands could not be cancelled. penna's commands
    are dispatched here as ordinary request handlers instead, which pygls cancels, and each gets
    the typed argument its check built (lsp/protocol.py) instead of the JSON."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending_writes: set[asyncio.Future[Any]] = set()

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        command = params if method_name == types.WORKSPACE_EXECUTE_COMMAND and isinstance(
            params, types.ExecuteCommandParams) else None
        if command is None or not command.command.startswith("penna."):
            super()._handle_request(msg_id, method_name, params)
            return
        try:  # every penna command's argument is checked here, once, against lsp/protocol.py
            typed = check_arguments(command.command, list(command.arguments or ()))
        except ArgumentError as error:
            self._send_error(msg_id, JsonRpcInvalidParams.CODE, f"invalid arguments: {error}")
            return
        handler = self.fm.commands.get(command.command)
        if handler is None:
            super()._handle_request(msg_id, method_name, params)  # pygls answers an unknown command
            return
        self._ctx_msg_id.set(msg_id)
        self._execute_handler(msg_id, handler, args=(typed,) if typed is not None else (),
                              callback=partial(self._send_handler_result, msg_id=msg_id))

    # pygls leaves some requests unanswered or answers them with a traceback; a client would
    # wait forever. Each gets the error code the LSP specification names.
    _penna_initialized = False
    exit_handler: Callable[[int], None] | None = None  # set by the stdio loop (lsp/app.py)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:  # e.g. a negative position: pygls logs it and never answers
            if not (isinstance(data, dict) and "id" in data and "method" in data):
                raise
            self._send_response(data["id"], error=types.ResponseError(
                code=error.code, message=f"invalid parameters for {data['method']}"))
            return _Answered()

    def reject(self, rejected: Rejected) -> None:
        """Answer a message the reader could not hand on (bad framing, JSON or shape)."""
        if rejected.msg_id is None and rejected.code not in (PARSE_ERROR, INVALID_REQUEST):
            return
        self._send_data({"jsonrpc": "2.0", "id": rejected.msg_id,
                         "error": {"code": rejected.code, "message": rejected.message}})

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Answered):
            return
        method, msg_id = getattr(message, "method", None), getattr(message, "id", None)
        if method == types.EXIT:
            if self._exit():
                return
        elif method and not self._admit(method, msg_id):
            return
        if waits_for_an_answer(method, msg_id, message):
            SHARE.client_active()  # the model leaves this answer a core (writing/cpu_share.py)
        elif method in (types.WORKSPACE_EXECUTE_COMMAND, types.CODE_ACTION_RESOLVE) and msg_id is not None:
            SHARE.writer_waits()  # a penna action: its first words are what the writer waits for
        super().handle_message(message)

    def _exit(self) -> bool:
        """Exit through the stdio loop's handler; False when there is none (pygls exits)."""
        # The specification: exit code 0 after shutdown, 1 without it.
        code = 0 if self._shutdown else 1
        if code:
            log.warning("exit without shutdown: exiting with code 1")
        if self.exit_handler is None:
            return False
        self.exit_handler(code)
        return True

    def _admit(self, method: str, msg_id: Any) -> bool:
        """Whether a message may reach its handler; a refused request is answered with an error.
        Admitting the first initialize marks the server initialized."""
        if self._shutdown and msg_id is not None:
            self._send_error(msg_id, JsonRpcInvalidRequest.CODE, "penna is shutting down: no requests after shutdown")
            return False
        if not self._penna_initialized and method != types.INITIALIZE:
            if msg_id is not None:
                self._send_error(msg_id, JsonRpcServerNotInitialized.CODE,
                                 "penna is not initialized: send initialize first")
            return False  # notifications before initialize are dropped, as the specification says
        if method == types.INITIALIZE:
            if self._penna_initialized:  # it would replace the workspace (another folder, another vault)
                if msg_id is not None:
                    self._send_error(msg_id, JsonRpcInvalidRequest.CODE,
                                     "penna is already initialized: a second initialize is refused")
                return False
            self._penna_initialized = True
        return True

    def _send_error(self, msg_id: Any, code: int, message: str) -> None:
        self._send_response(msg_id, error=types.ResponseError(code=code, message=message))

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
            # The event loop holds tasks weakly: the pending write is kept here until it is done.
            pending = asyncio.ensure_future(written)
            self._pending_writes.add(pending)
            pending.add_done_callback(self._pending_writes.discard)


def waits_for_an_answer(method: str | None, msg_id: Any, message: Any) -> bool:
    """The writer types (didChange) or the editor asks for something it shows (hover,
    completion, code actions, status…); not a request for the model's writing itself."""
    if method == types.TEXT_DOCUMENT_DID_CHANGE:
        return True
    if msg_id is None or method is None:
        return False
    if method == types.WORKSPACE_EXECUTE_COMMAND:
        command = getattr(getattr(message, "params", None), "command", "")
        return command.removeprefix("penna.") not in ACTIONS
    return method != types.CODE_ACTION_RESOLVE  # resolving an action writes it


VAULT_MARKERS = (".obsidian", ".git")
# Folders that hold the system, not notes: never a vault, nor anything inside them.
SYSTEM_TREES = tuple(Path(p) for p in ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/boot",
                                       "/dev", "/proc", "/sys", "/run", "/var/lib", "/var/log", "/var/cache"))
SYSTEM_FOLDERS = tuple(Path(p) for p in ("/", "/tmp", "/var", "/home", "/mnt", "/media", "/opt", "/srv", "/root"))


def system_folder(root: Path) -> str | None:
    """Why `root` can never be a vault, or None."""
    try:
        real = root.resolve()
    except OSError:
        return None
    if real in SYSTEM_FOLDERS or real == Path.home().resolve():
        return "a system folder or a home folder, not a notes vault"
    if any(real == tree or tree in real.parents for tree in SYSTEM_TREES):
        return "inside a system folder"
    return None


def vault_marker_above(path: Path) -> Path | None:
    """The nearest folder holding `path` that has a vault marker, below the filesystem root."""
    for folder in path.parents:
        if folder == Path(folder.anchor):
            return None
        if any((folder / marker).exists() for marker in VAULT_MARKERS):
            return folder
    return None


def document_name(uri: str) -> str:
    path = uri_to_path(uri)
    return path.name if path else uri


class DocumentUnavailable(ValueError):
    """A document penna cannot work on (too large, not a regular file, unreadable)."""


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
        # Told, from any thread, when a vault's indexing (at start-up, or again for new settings)
        # starts and when it has finished.
        self.indexing_listeners: list[Callable[[Engine], None]] = []
        # Per-vault settings (a workspace folder's own values of the keys that belong to a vault),
        # applied over `settings` for that vault's engine; filled by the settings feature.
        self.vault_overrides: dict[Path, dict[str, Any]] = {}
        self.event_loop: asyncio.AbstractEventLoop | None = None  # for messages sent from other threads
        self.adopted_vault: Path | None = None  # the vault named by the first opened note, without a workspace
        self.indexed_vaults: set[Path] = set()  # vaults whose start-up indexing has finished
        self.too_large_told: set[str] = set()  # documents already said to be too large
        self.warmed_action: tuple[str, str, str] | None = None  # (uri, task, text) offered last, being warmed
        self.action_warmup: CancelToken | None = None  # … and its warm-up, cancelled when the list moves on
        self.warm_timer: threading.Timer | None = None  # … which starts when this timer fires (`lsp/warming.py`)
        self.warm_due: float | None = None  # … at this time.monotonic()
        self.warm_started: CancelToken | None = None  # … and is handed to the model's worker
        self.warm_lock = threading.Lock()  # the timer's thread hands it over; a request may take it over
        self._refusals: set[Path] = set()
        self._told_no_vault = False

    # --- vaults ------------------------------------------------------------------------------
    def vault_roots(self) -> list[Path]:
        """The workspace folders (or the root path); without any, the vault adopted from the
        first opened note (see `adopt_vault_of`). System folders are never vaults."""
        return [root for root, _uri in self.vault_scopes()]

    def vault_scopes(self) -> list[tuple[Path, str]]:
        """Each vault root with the URI the client knows it by (a workspace folder's own URI, the
        scope of its settings), in `vault_roots` order."""
        scopes: list[tuple[Path, str]] = []
        for folder in self.workspace.folders.values():
            path = uri_to_path(folder.uri)
            if path:
                scopes.append((path, folder.uri))
        if not scopes and self.workspace.root_path:
            scopes.append((Path(self.workspace.root_path), Path(self.workspace.root_path).as_uri()))
        if not scopes and self.adopted_vault is not None:
            scopes.append((self.adopted_vault, self.adopted_vault.as_uri()))
        return [(root, uri) for root, uri in scopes if not self._refused(root)]

    def _refused(self, root: Path) -> bool:
        why = system_folder(root)
        if why and root not in self._refusals:
            self._refusals.add(root)
            self.show(f"penna: {root} is not used as a vault ({why}). Open your notes folder as the workspace.",
                      types.MessageType.Error)
        return why is not None

    def adopt_vault_of(self, uri: str) -> None:
        """With no workspace folder, the first opened note names the vault: the nearest folder
        above it holding a vault marker (`.obsidian`, `.git`). Only an opened note does this, and
        only once; no other request ever makes a folder a vault."""
        if self.adopted_vault is not None or self.workspace.folders or self.workspace.root_path:
            return
        path = uri_to_path(uri)
        if path is None or path.suffix.lower() not in (".md", ".markdown") or ".." in path.parts:
            return
        found = vault_marker_above(path)
        if found is None:
            if not self._told_no_vault:
                self._told_no_vault = True
                self.show(f"penna: no workspace folder, and no vault marker ({', '.join(VAULT_MARKERS)}) above "
                          f"{path.name}. Open your notes folder as the workspace to use penna.",
                          types.MessageType.Warning)
            return
        if system_folder(found) is None:
            self.adopted_vault = found
            log.info("no workspace folder: using %s (it holds a vault marker) as the vault", found)

    def engine_for(self, uri: str) -> tuple[Engine, str] | None:
        """The engine of the vault holding `uri`, and the note's vault-relative path. None for
        documents outside every vault (or not files). The one way features reach an engine."""
        path = uri_to_path(uri)
        if path is None or ".." in Path(unquote(urlparse(uri).path)).parts:
            return None
        roots = sorted(self.vault_roots(), key=lambda p: len(str(p)), reverse=True)
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

    def vault_indexed(self, engine: Engine) -> bool:
        """Whether the vault's start-up indexing has finished and no re-index for new settings runs."""
        return engine.vault in self.indexed_vaults and not engine.reindexing

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
                    engine = Engine(key, self.settings_for(key), state_dir=state_dir())
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
            on_synced=partial(self._synced, engine))
        self._indexing_changed(engine)

    def _synced(self, engine: Engine, report: Any) -> None:
        self.indexed_vaults.add(engine.vault)
        log.info("indexed %s: %s", engine.vault, report.summary())
        self._indexing_changed(engine)

    def _indexing_changed(self, engine: Engine) -> None:
        for listener in list(self.indexing_listeners):
            listener(engine)

    def _vault_missing(self, engine: Engine) -> None:
        self.show_from_thread(
            f"penna: the vault folder {engine.vault} is gone (deleted, renamed or unmounted). penna stopped "
            "watching it and keeps what it had indexed; it catches up when the folder is back.",
            types.MessageType.Warning)

    def stop_watchers(self) -> None:
        """On shutdown: each stop is bounded (about a second), and start-up syncs are not waited for."""
        for engine in list(self.engines.values()):
            engine.stop_watching(timeout=0.0)

    def settings_for(self, vault: Path) -> Settings:
        """The settings of one vault: the client's settings with that vault's own values."""
        overrides = self.vault_overrides.get(vault.resolve())
        return self.settings.replace(**overrides) if overrides else self.settings

    def apply_settings(self, settings: Settings, overrides: dict[Path, dict[str, Any]] | None = None) -> None:
        """New settings (and, when given, each vault's own values, keyed by resolved root) for
        every engine; an engine is re-configured once, with its vault's settings."""
        self.settings = settings
        if overrides is not None:
            self.vault_overrides = {root.resolve(): values for root, values in overrides.items()}
        self.hover_cache.clear()
        for engine in list(self.engines.values()):
            reindexed = partial(self._indexing_changed, engine)  # the re-index for new rules has ended
            if engine.apply_settings(self.settings_for(engine.vault), on_reindexed=reindexed):
                self._indexing_changed(engine)  # … and has started: the vault is not indexed meanwhile

    # --- helpers for features ----------------------------------------------------------------
    def document(self, uri: str) -> TextDocument:
        """The document as the editor has it, or, when it is not open, as read from disk: a
        regular file only, bounded and decoded as the indexer does. Raises DocumentUnavailable
        (a ValueError with a message for the user) for a note too large or not readable."""
        if self.is_open(uri):
            doc = self.workspace.get_text_document(uri)
            if len(doc.source) > MAX_NOTE_BYTES:  # characters: at least as many bytes
                size = len(doc.source.encode("utf-8", errors="replace"))
                raise DocumentUnavailable(str(NoteTooLarge(document_name(uri), size)))
            return doc
        path = uri_to_path(uri)
        if path is None:
            raise DocumentUnavailable(f"{uri} is not a file")
        try:
            text = read_request_text(path)
        except NotANote as error:
            raise DocumentUnavailable(str(error)) from None
        except OSError as error:
            raise DocumentUnavailable(f"{path.name} is not open in the editor and cannot be read: "
                                      f"{error.strerror or error}") from None
        return TextDocument(uri, source=text)

    @property
    def shutting_down(self) -> bool:
        """`shutdown` was answered: nothing new starts (notifications still arrive until `exit`)."""
        return bool(getattr(self.protocol, "_shutdown", False))  # pygls's flag, set as it answers shutdown

    def is_open(self, uri: str) -> bool:
        """Whether the editor has the document open (not closed meanwhile)."""
        return unquote(uri) in self.workspace.text_documents  # pygls keys documents by the unquoted URI

    def offer_result(self, uri: str, action: str, text: str, reason: Literal["closed", "changed"]) -> str:
        """Keep a result that cannot be applied: `penna/result` to the client; returns the message."""
        name = document_name(uri)
        message = (f"penna: {name} was closed while penna was writing, so nothing was changed; the text is kept here."
                   if reason == "closed" else
                   f"penna: {name} changed while penna was writing, so nothing was replaced; the text is kept here.")
        self.protocol.notify(RESULT_NOTIFICATION, ResultNotification(uri=uri, action=action, text=text,
                                                                     reason=reason, message=message))
        return message

    def too_large(self, uri: str) -> str | None:
        """The message for an open document too large for penna, or None."""
        try:
            self.document(uri)
        except DocumentUnavailable as error:
            return str(error)
        return None

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
