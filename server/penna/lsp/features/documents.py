"""Open documents: unsaved buffers win over disk, opening raises salience, and the note's
prompt prefix is warmed in the background so the first action on it is fast."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from penna.writing.model import Cancelled, ModelError


def notify(ls: Any, uri: str, event: str) -> None:
    for listener in ls.document_listeners:
        listener(uri, event)


def setup(server: Any) -> None:
    def sync_buffer(ls: Any, uri: str, closing: bool = False) -> None:
        found = ls.engine_for(uri)
        if not found:
            return
        engine, rel = found
        if closing:
            engine.buffers.pop(rel, None)
        else:
            engine.buffers[rel] = ls.document(uri).source

    def warm(ls: Any, uri: str) -> None:
        found = ls.engine_for(uri)
        if not found:
            return
        engine, rel = found

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
        sync_buffer(ls, uri)
        found = ls.engine_for(uri)
        if found:
            engine, rel = found
            engine.index.record_attention(rel, "open")
            engine.refresh(rel)
            warm(ls, uri)
        notify(ls, uri, "open")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: Any, params: types.DidChangeTextDocumentParams) -> None:
        sync_buffer(ls, params.text_document.uri)
        notify(ls, params.text_document.uri, "change")

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: Any, params: types.DidSaveTextDocumentParams) -> None:
        found = ls.engine_for(params.text_document.uri)
        if found:
            engine, rel = found
            engine.index.record_attention(rel, "edit")
            engine.indexer.index_file(rel)
        notify(ls, params.text_document.uri, "save")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Any, params: types.DidCloseTextDocumentParams) -> None:
        sync_buffer(ls, params.text_document.uri, closing=True)
        notify(ls, params.text_document.uri, "close")
