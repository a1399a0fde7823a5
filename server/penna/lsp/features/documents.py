"""Open documents: unsaved buffers win over disk, the author's attention is recorded, and the
note's prompt prefix is warmed in the background so the first action on it is fast; a pause in
typing bullets warms their expand (`lsp/warming.py`).

Nothing here touches the index on the event loop: buffer text goes to the engine (its watcher
indexes it after the debounce, on its thread), attention events to a small writer thread.
"""

from __future__ import annotations

import concurrent.futures
import sqlite3
import time

from lsprotocol import types

from penna.engine import Engine
from penna.knowledge.index import IndexUnavailable
from penna.lsp.server import DocumentUnavailable, PennaServer
from penna.lsp.warming import forget_warmed, warm_typed
from penna.writing.backend import Cancelled, CancelToken, ModelError
from penna.writing.calibration_session import needs_calibration

# Typing is attention too, but one event per stretch of work is enough: salience counts events.
EDIT_ATTENTION_INTERVAL = 300.0


def notify(ls: PennaServer, uri: str, event: str) -> None:
    for listener in ls.document_listeners:
        listener(uri, event)


class AttentionRecorder:
    """Writes attention events on its own thread, so the event loop never waits for the index."""

    def __init__(self) -> None:
        self.writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="penna-attention")
        self.last_edit: dict[tuple[str, str], float] = {}  # (vault, note) → when an edit was last recorded

    def record(self, engine: Engine, rel: str, kind: str) -> None:
        """Record attention off the event loop. Opening a clipping is reading it."""
        def write() -> None:
            try:
                opened_clipping = kind == "open" and engine.note_origin(rel) == "read"
                engine.index.record_attention(rel, "read" if opened_clipping else kind)
            except (sqlite3.Error, IndexUnavailable):  # attention is a hint; losing one event is harmless
                pass

        self.writer.submit(write)

    def record_edit(self, engine: Engine, rel: str) -> None:
        """An edit, at most once per EDIT_ATTENTION_INTERVAL for each note."""
        now = time.monotonic()
        key = (str(engine.vault), rel)
        if now - self.last_edit.get(key, -EDIT_ATTENTION_INTERVAL) >= EDIT_ATTENTION_INTERVAL:
            self.last_edit[key] = now
            self.record(engine, rel, "edit")

    def shutdown(self) -> None:
        self.writer.shutdown(wait=False)


def sync_buffer(ls: PennaServer, uri: str, closing: bool = False) -> tuple[Engine, str] | None:
    found = ls.engine_for(uri)
    if not found:
        return None
    engine, rel = found
    if closing:
        engine.set_buffer(rel, None)  # back to disk
        return found
    try:
        text = ls.document(uri).source
    except DocumentUnavailable as error:  # too large: said once, and penna leaves it alone
        engine.set_buffer(rel, None)
        if uri not in ls.too_large_told:
            ls.too_large_told.add(uri)
            ls.show(f"penna: {error}. penna leaves this note alone.", types.MessageType.Warning)
        return None
    ls.too_large_told.discard(uri)
    engine.set_buffer(rel, text)
    return found


def warm(ls: PennaServer, engine: Engine, rel: str) -> None:
    def job(token: CancelToken) -> None:
        try:
            engine.warm(rel, token)
            # A model other than the default, not tried on this vault yet: how should it draft?
            if needs_calibration(engine.index, engine.model_host):
                engine.calibrate(cancel=token)
                engine.warm(rel, token)  # the trial used the model's cache: the note's prefix again
        except Cancelled:
            pass
        except ModelError as error:
            ls.report_model_error(error)

    ls.runner.submit_warm(job)


def did_open(ls: PennaServer, params: types.DidOpenTextDocumentParams, attention: AttentionRecorder) -> None:
    uri = params.text_document.uri
    ls.adopt_vault_of(uri)  # no workspace: the first opened note may name the vault
    found = sync_buffer(ls, uri)
    if found:
        engine, rel = found
        attention.record(engine, rel, "open")
        engine.refresh(rel)
        warm(ls, engine, rel)
    notify(ls, uri, "open")


def did_change(ls: PennaServer, params: types.DidChangeTextDocumentParams, attention: AttentionRecorder) -> None:
    uri = params.text_document.uri
    found = sync_buffer(ls, uri)
    if found:
        attention.record_edit(*found)
        warm_typed(ls, uri, ls.document(uri).source, params)
    else:
        forget_warmed(ls, uri)  # too large now: penna leaves it alone
    notify(ls, uri, "change")


def did_save(ls: PennaServer, params: types.DidSaveTextDocumentParams, attention: AttentionRecorder) -> None:
    found = ls.engine_for(params.text_document.uri)
    if found:
        engine, rel = found
        attention.record(engine, rel, "edit")  # the file itself reaches the index through the watcher
        engine.note_saved(rel)
    notify(ls, params.text_document.uri, "save")


def did_close(ls: PennaServer, params: types.DidCloseTextDocumentParams) -> None:
    forget_warmed(ls, params.text_document.uri)
    sync_buffer(ls, params.text_document.uri, closing=True)
    notify(ls, params.text_document.uri, "close")


def on_shutdown(ls: PennaServer, attention: AttentionRecorder) -> None:
    forget_warmed(ls)
    ls.stop_watchers()
    attention.shutdown()


def setup(server: PennaServer) -> None:
    attention = AttentionRecorder()

    # pygls reads each handler's signature, so the registered handlers take (ls, params) and
    # hand this server's attention recorder to the module-level functions.
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def _did_open(ls: PennaServer, params: types.DidOpenTextDocumentParams) -> None:
        did_open(ls, params, attention)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def _did_change(ls: PennaServer, params: types.DidChangeTextDocumentParams) -> None:
        did_change(ls, params, attention)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def _did_save(ls: PennaServer, params: types.DidSaveTextDocumentParams) -> None:
        did_save(ls, params, attention)

    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)

    @server.feature(types.SHUTDOWN)
    def _on_shutdown(ls: PennaServer, _params: None) -> None:
        on_shutdown(ls, attention)
