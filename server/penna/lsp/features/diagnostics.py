"""Diagnostics (Information): generic AI phrases and sentences far outside the author's style.
The phrase list is data (`penna/data/generic_phrases.txt`). Each has a quick fix, "Rephrase in my
voice" (see actions.py)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from lsprotocol import types

from penna.knowledge.style import find_generic_phrases
from penna.vault.markdown import parse_note
from penna.vault.text import sentences, words

DEBOUNCE = 0.4
MIN_PROFILE_SENTENCES = 40


def compute(engine: Any, text: str) -> list[types.Diagnostic]:
    ready = engine.profile_if_ready()
    profile = ready.style if ready else None
    low, high = profile.sentence_iqr if profile else (0.0, 0.0)
    too_long = (high + 3 * max(4.0, high - low)
                if profile and profile.counts.sentences >= MIN_PROFILE_SENTENCES else None)
    lines = text.split("\n")
    found: list[types.Diagnostic] = []
    for block in parse_note(text).blocks:
        if block.kind not in ("paragraph", "list"):
            continue
        for number in range(block.start, min(block.end, len(lines))):
            line = lines[number]
            for match in find_generic_phrases(line):
                found.append(types.Diagnostic(
                    range=types.Range(types.Position(number, match.start()), types.Position(number, match.end())),
                    message=f"“{match.group(0)}” is generic AI phrasing; you never write it.",
                    severity=types.DiagnosticSeverity.Information, source="penna", code="generic-phrase"))
            if too_long is None or block.kind != "paragraph":
                continue
            for sentence in sentences(line):
                length = len(words(sentence))
                if length > too_long:
                    start = line.find(sentence[:20])
                    found.append(types.Diagnostic(
                        range=types.Range(types.Position(number, max(start, 0)),
                                          types.Position(number, max(start, 0) + len(sentence))),
                        message=f"A {length}-word sentence: far longer than yours (half are {low:.0f}–{high:.0f} words).",
                        severity=types.DiagnosticSeverity.Information, source="penna", code="off-style"))
    return found


def setup(server: Any) -> None:
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
        diagnostics = compute(engine, doc.source) if server.settings.diagnostics else []
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
