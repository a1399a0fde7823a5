"""Open documents: unsaved buffers win over disk, the author's attention is recorded, and the
note's prompt prefix is warmed in the background so the first action on it is fast.

Nothing here touches the index on the event loop: buffer text goes to the vault's watcher
(indexed after its debounce, on its thread), attention events to a small writer thread.
"""

from __future__ import annotations

import concurrent.futures
import time
from typing import Any

from lsprotocol import types

from penna.vault.classify import classify_note
from penna.vault.markdown import parse_note
from penna.writing.model import Cancelled, ModelError

# Typing is attention too, but one event per stretch of work is enough: salience counts events.
EDIT_ATTENTION_INTERVAL = 300.0


def notify(ls: Any, uri: str, event: str) -> None:
    for listener in ls.document_listeners:
        listener(uri, event)


def setup(server: Any) -> None:
    attention_writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="penna-attention")
    last_edit: dict[tuple[str, str], float] = {}  # (vault, note) → when an edit was last recorded

    def attend(engine: Any, rel: str, kind: str) -> None:
        """Record attention off the event loop. Opening a clipping is reading it."""
        def write() -> None:
            try:
                engine.index.record_attention(rel, "read" if kind == "open" and origin(engine, rel) == "read" else kind)
            except Exception:  # noqa: BLE001 - attention is a hint; losing one event is harmless
                pass

        attention_writer.submit(write)

    def origin(engine: Any, rel: str) -> str:
        """read or written: from the index, or from the buffer when the note is not indexed yet
        (opened while the start-up sync runs, or never saved)."""
        row = engine.index.note(rel)
        if row is not None:
            return row.origin
        parsed = parse_note(engine.buffers.get(rel, ""))
        return classify_note(rel, parsed.frontmatter, parsed.tags, engine.settings.reading_folders,
                             engine.settings.author_name)[0]

    def sync_buffer(ls: Any, uri: str, closing: bool = False) -> tuple[Any, str] | None:
        found = ls.engine_for(uri)
        if not found:
            return None
        engine, rel = found
        if closing:
            engine.buffers.pop(rel, None)  # back to disk
        else:
            engine.buffers[rel] = ls.document(uri).source
        watcher = ls.watchers.get(engine.vault)
        if watcher is not None:
            watcher.touch([rel])  # the index follows the buffer (or disk) after the debounce
        return found

    def warm(ls: Any, engine: Any, rel: str) -> None:
        def job(token: Any) -> None:
            try:
                engine.warm(rel, token)
            except Cancelled:
                pass
            except ModelError as error:
                ls.report_model_error(error)

        ls.runner.submit_warm(job)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: Any, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        found = sync_buffer(ls, uri)
        if found:
            engine, rel = found
            attend(engine, rel, "open")
            engine.refresh(rel)
            warm(ls, engine, rel)
        notify(ls, uri, "open")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: Any, params: types.DidChangeTextDocumentParams) -> None:
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
    def did_save(ls: Any, params: types.DidSaveTextDocumentParams) -> None:
        found = ls.engine_for(params.text_document.uri)
        if found:
            engine, rel = found
            attend(engine, rel, "edit")  # the file itself reaches the index through the watcher
        notify(ls, params.text_document.uri, "save")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Any, params: types.DidCloseTextDocumentParams) -> None:
        sync_buffer(ls, params.text_document.uri, closing=True)
        notify(ls, params.text_document.uri, "close")

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: Any, _params: Any) -> None:
        ls.stop_watchers()
        attention_writer.shutdown(wait=False)
