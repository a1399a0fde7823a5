"""Diagnostics (Information): generic AI phrases and sentences far outside the author's style
(found by `knowledge.style.style_hints`). The phrase list is data (`penna/data/generic_phrases.txt`).
Each carries, in `data`, its sentence's range and a label, so its quick fix says what it does
("Replace 'delve' in my voice") and rewrites that sentence (see actions.py)."""

from __future__ import annotations

import asyncio
import re

from lsprotocol import types

from penna.engine import Engine
from penna.knowledge.style import note_hints
from penna.lsp.server import PennaServer

DEBOUNCE = 0.4


def compute(engine: Engine, text: str) -> list[types.Diagnostic]:
    found: list[types.Diagnostic] = []
    ready = engine.profile_if_ready()
    for hint in note_hints(ready.style if ready else None, text):
        sentence = {"start": {"line": hint.line, "character": hint.sentence_start},
                    "end": {"line": hint.line, "character": hint.sentence_end}}
        found.append(types.Diagnostic(
            range=types.Range(types.Position(hint.line, hint.start), types.Position(hint.line, hint.end)),
            message=hint.message, severity=types.DiagnosticSeverity.Information, source="penna", code=hint.code,
            data={"sentence": sentence, "label": hint.label}))
    return found


def setup(server: PennaServer) -> None:
    pending: dict[str, asyncio.TimerHandle] = {}

    def publish(uri: str) -> None:
        pending.pop(uri, None)
        found = server.engine_for(uri)
        if not found:
            return
        engine, _rel = found
        try:
            doc = server.document(uri)
        except Exception:  # noqa: BLE001 - closed meanwhile
            return
        diagnostics = compute(engine, doc.source) if engine.settings.diagnostics else []
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=doc.version))

    def on_document(uri: str, event: str) -> None:
        if not re.search(r"\.(md|markdown)$", uri):
            return
        loop = asyncio.get_event_loop()
        if uri in pending:
            pending.pop(uri).cancel()
        if event == "close":
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
            return
        pending[uri] = loop.call_later(0 if event == "open" else DEBOUNCE, publish, uri)

    server.document_listeners.append(on_document)
