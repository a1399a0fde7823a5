"""Open documents: unsaved buffers win over disk, the author's attention is recorded, and the
note's prompt prefix is warmed in the background so the first action on it is fast.

Nothing here touches the index on the event loop: buffer text goes to the engine (its watcher
indexes it after the debounce, on its thread), attention events to a small writer thread.
"""

from __future__ import annotations

import concurrent.futures
import time

from lsprotocol import types

from penna.engine import Engine
from penna.lsp.server import DocumentUnavailable, PennaServer
from penna.writing.backend import Cancelled, CancelToken, ModelError

# Typing is attention too, but one event per stretch of work is enough: salience counts events.
EDIT_ATTENTION_INTERVAL = 300.0


def notify(ls: PennaServer, uri: str, event: str) -> None:
    for listener in ls.document_listeners:
        listener(uri, event)


def setup(server: PennaServer) -> None:
    attention_writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="penna-attention")
    last_edit: dict[tuple[str, str], float] = {}  # (vault, note) → when an edit was last recorded

    def attend(engine: Engine, rel: str, kind: str) -> None:
        """Record attention off the event loop. Opening a clipping is reading it."""
        def write() -> None:
            try:
                engine.index.record_attention(rel, "read" if kind == "open" and engine.note_origin(rel) == "read" else kind)
            except Exception:  # attention is a hint; losing one event is harmless
                pass

        attention_writer.submit(write)

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
            except Cancelled:
                pass
            except ModelError as error:
                ls.report_model_error(error)

        ls.runner.submit_warm(job)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PennaServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.adopt_vault_of(uri)  # no workspace: the first opened note may name the vault
        found = sync_buffer(ls, uri)
        if found:
            engine, rel = found
            attend(engine, rel, "open")
            engine.refresh(rel)
            warm(ls, engine, rel)
        notify(ls, uri, "open")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PennaServer, params: types.DidChangeTextDocumentParams) -> None:
        found = sync_buffer(ls, params.text_document.uri)
        if found:
            engine, rel = found
            now = time.monotonic()
            key = (str(engine.vault), rel)
            if now - last_edit.get(key, -EDIT_ATTENTION_INTERVAL) >= EDIT_ATTENTION_INTERVAL:
                last_edit[key] = now
                attend(engine, rel, "edit")
        notify(ls, params.text_document.uri, "change")

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PennaServer, params: types.DidSaveTextDocumentParams) -> None:
        found = ls.engine_for(params.text_document.uri)
        if found:
            engine, rel = found
            attend(engine, rel, "edit")  # the file itself reaches the index through the watcher
            engine.note_saved(rel)
        notify(ls, params.text_document.uri, "save")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PennaServer, params: types.DidCloseTextDocumentParams) -> None:
        sync_buffer(ls, params.text_document.uri, closing=True)
        notify(ls, params.text_document.uri, "close")

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: PennaServer, _params: None) -> None:
        ls.stop_watchers()
        attention_writer.shutdown(wait=False)
