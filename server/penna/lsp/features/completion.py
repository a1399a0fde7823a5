"""Completion: `[[` note titles, aliases and `#headings`, `#` tags (all from the index, fast),
and in prose one item that continues the text in the author's voice: only when invoked, after
end-of-sentence punctuation, or after a list marker; never mid-word. Bounded and cancellable."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from lsprotocol import types

from penna.lsp.edits import paragraph_before
from penna.writing.backend import Cancelled, CancelToken, ModelError

WIKILINK_OPEN = re.compile(r"\[\[([^\[\]|#]*)$")
WIKILINK_HEADING = re.compile(r"\[\[([^\[\]|#]+)#([^\[\]|]*)$")
TAG_OPEN = re.compile(r"(?:^|\s)#([\w/-]*)$")
PROSE_TRIGGER = re.compile(r"(?:[.!?…][\"'”’)]*\s+|^\s*(?:[-*+]|\d+[.)])\s+)$")
CONTINUE_TIMEOUT = 6.0


def link_items(engine: Any, prefix: str) -> list[types.CompletionItem]:
    items = []
    for title, path, alias in engine.index.titles_like(prefix, limit=50):
        label = alias or title
        insert = f"{title}|{alias}" if alias else title
        items.append(types.CompletionItem(label=label, kind=types.CompletionItemKind.File, detail=path,
                                          insert_text=insert, filter_text=label))
    return items


def heading_items(engine: Any, note: str, prefix: str) -> list[types.CompletionItem]:
    path = engine.index.resolve(note)
    row = engine.index.note(path) if path else None
    if row is None:
        return []
    return [types.CompletionItem(label=h["text"], kind=types.CompletionItemKind.Reference, detail=f"{'#' * h['level']} in {row.title}")
            for h in row.headings if h["text"].lower().startswith(prefix.lower())]


def tag_items(engine: Any, prefix: str) -> list[types.CompletionItem]:
    return [types.CompletionItem(label=tag, kind=types.CompletionItemKind.Keyword, detail=f"{uses} notes")
            for tag, uses in engine.index.tags_like(prefix)]


def setup(server: Any) -> None:
    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=["[", "#", " "], resolve_provider=False))
    async def complete(ls: Any, params: types.CompletionParams) -> types.CompletionList | None:
        found = ls.engine_for(params.text_document.uri)
        if not found:
            return None
        engine, rel = found
        doc = ls.document(params.text_document.uri)
        if params.position.line >= len(doc.lines):
            return None
        line = doc.lines[params.position.line]
        column = doc.position_codec.position_from_client_units(doc.lines, params.position).character
        before = line[:column]
        if match := WIKILINK_HEADING.search(before):
            return types.CompletionList(is_incomplete=False, items=heading_items(engine, match.group(1), match.group(2)))
        if match := WIKILINK_OPEN.search(before):
            return types.CompletionList(is_incomplete=True, items=link_items(engine, match.group(1)))
        if match := TAG_OPEN.search(before):
            return types.CompletionList(is_incomplete=True, items=tag_items(engine, match.group(1)))
        invoked = params.context is None or params.context.trigger_kind == types.CompletionTriggerKind.Invoked
        if not (invoked and (not before or before[-1].isspace() or before[-1] in ".!?…")) and not PROSE_TRIGGER.search(before):
            return None  # never mid-word, never unasked
        if engine.model_state.state == "error":
            return None
        paragraph = paragraph_before(doc.source, doc.offset_at_position(params.position))
        if not paragraph.strip():
            return None
        token = CancelToken()

        def job(cancel: CancelToken) -> str:
            return engine.generate("continue", rel, paragraph, cancel=cancel).texts[0]

        try:
            text = await asyncio.wait_for(ls.runner.run(job, cancel=token), timeout=CONTINUE_TIMEOUT)
        except asyncio.TimeoutError:
            return types.CompletionList(is_incomplete=True, items=[])
        except (Cancelled, ValueError):
            return None
        except ModelError as error:
            ls.report_model_error(error)
            return None
        text = text.strip()
        if not text:
            return None
        item = types.CompletionItem(label=text if len(text) <= 60 else text[:57] + "…", insert_text=text,
                                    kind=types.CompletionItemKind.Text, detail="penna: continue in your voice",
                                    documentation=text, filter_text=before.split()[-1] if before.split() else "")
        return types.CompletionList(is_incomplete=True, items=[item])
