"""Completion: `[[` note titles, aliases and `#headings`, `#` tags (all from the index, fast),
and in prose one item that continues the text in the author's voice: only when invoked, after
end-of-sentence punctuation, or after a list marker; never mid-word. Bounded and cancellable.

Nothing here may change text unasked: a bare `#` that opens a line may be a heading, so it gets no tag; a link
item closes its link (`]]`) unless the link is already closed; tags come in the writer's order
(how often and how lately they used them). A continuation still being written is kept for the
next ask, and an explicit ask that gets nothing is told why.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import re
import time
from typing import Any

from lsprotocol import types

from penna.engine import Engine
from penna.lsp.edits import paragraph_before, paragraph_key
from penna.lsp.server import PennaServer
from penna.writing.backend import Cancelled, CancelToken, ModelError

WIKILINK_OPEN = re.compile(r"\[\[([^\[\]|#]*)$")
WIKILINK_HEADING = re.compile(r"\[\[([^\[\]|#]+)#([^\[\]|]*)$")
TAG_OPEN = re.compile(r"(?:(?<=\s)|^)#([\w/-]*)$")
PROSE_TRIGGER = re.compile(r"(?:[.!?…][\"'”’)]*\s+|^\s*(?:[-*+]|\d+[.)])\s+)$")
CONTINUE_TIMEOUT = 6.0
SAY_EVERY = 3.0
DAY = 86400.0


def _replace_range(line: int, start: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(line, end))


def snippet_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def link_item(label: str, insert: str, where: types.Range, closed: bool, snippets: bool, **fields: Any
              ) -> types.CompletionItem:
    """An item replacing `where` with `insert`, closing the link unless `]]` already follows. As a
    snippet where the client takes one: Neovim inserts a plain text edit only up to its first space."""
    closing = "" if closed else "]]"
    text = snippet_escape(insert) + closing if snippets else insert + closing
    return types.CompletionItem(label=label, text_edit=types.TextEdit(range=where, new_text=text), filter_text=label,
                                insert_text_format=types.InsertTextFormat.Snippet if snippets else None, **fields)


def link_items(engine: Engine, prefix: str, where: types.Range, closed: bool,
               snippets: bool) -> list[types.CompletionItem]:
    """Titles and aliases."""
    return [link_item(alias or title, f"{title}|{alias}" if alias else title, where, closed, snippets,
                      kind=types.CompletionItemKind.File, detail=path, sort_text=f"{rank:04d}")
            for rank, (title, path, alias) in enumerate(engine.index.titles_like(prefix, limit=50))]


def heading_items(engine: Engine, note: str, prefix: str, where: types.Range, closed: bool,
                  snippets: bool) -> list[types.CompletionItem]:
    path = engine.index.resolve(note)
    row = engine.index.note(path) if path else None
    if row is None:
        return []
    return [link_item(h["text"], h["text"], where, closed, snippets, kind=types.CompletionItemKind.Reference,
                      detail=f"{'#' * h['level']} in {row.title}", sort_text=f"{rank:04d}")
            for rank, h in enumerate(row.headings) if h["text"].lower().startswith(prefix.lower())]


def supports_snippets(ls: PennaServer) -> bool:
    caps = ls.client_capabilities.text_document
    item = caps.completion.completion_item if caps and caps.completion else None
    return bool(item and item.snippet_support)


def rank_tags(usage: list[tuple[str, int, float]], half_life_days: float, now: float) -> list[tuple[str, int]]:
    """Tags by how often and how lately the writer used them: uses weighted by the recency of
    the newest note carrying the tag (half-life `half_life_days`), ties by name, any case."""
    def score(row: tuple[str, int, float]) -> float:
        _tag, uses, newest = row
        age_days = max(0.0, (now - newest) / DAY)
        recency: float = 0.5 ** (age_days / max(half_life_days, 0.1))
        return math.log1p(uses) * (1.0 + 2.0 * recency)
    ordered = sorted(usage, key=lambda row: (-score(row), row[0].lower()))
    return [(tag, uses) for tag, uses, _newest in ordered]


def tag_items(engine: Engine, prefix: str, half_life_days: float) -> list[types.CompletionItem]:
    ranked = rank_tags(engine.index.tag_usage(prefix), half_life_days, time.time())
    return [types.CompletionItem(label=tag, kind=types.CompletionItemKind.Keyword, detail=f"{uses} notes",
                                 sort_text=f"{rank:04d}")
            for rank, (tag, uses) in enumerate(ranked)]


def link_closed(after: str) -> bool:
    """Whether the link the cursor is in already ends: `]]` before any new `[[` on the line."""
    end, opening = after.find("]]"), after.find("[[")
    return end >= 0 and (opening < 0 or end < opening)


def index_completion(engine: Engine, before: str, after: str, here: types.Position, half_life_days: float,
                     snippets: bool) -> types.CompletionList | None:
    """Links, headings and tags, from the index; None when the cursor is in none of them. A bare
    `#` opening the line may start a heading: nothing is offered until a letter follows it."""
    if match := WIKILINK_HEADING.search(before):
        where = _replace_range(here.line, here.character - len(match.group(2)), here.character)
        return types.CompletionList(is_incomplete=False, items=heading_items(
            engine, match.group(1), match.group(2), where, link_closed(after), snippets))
    if match := WIKILINK_OPEN.search(before):
        where = _replace_range(here.line, here.character - len(match.group(1)), here.character)
        return types.CompletionList(is_incomplete=True, items=link_items(engine, match.group(1), where,
                                                                         link_closed(after), snippets))
    if match := TAG_OPEN.search(before):
        if not before[:match.start()].strip() and not match.group(1):
            # A bare `#` opening a line may start a heading: nothing yet. Incomplete, so that `#ca`
            # (a tag at the line start, as Obsidian reads it) asks again and gets tags.
            return types.CompletionList(is_incomplete=True, items=[])
        return types.CompletionList(is_incomplete=True, items=tag_items(engine, match.group(1), half_life_days))
    return None


def setup(server: PennaServer) -> None:
    continuations = Continuations()

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=["[", "#", " "], resolve_provider=False))
    async def complete(ls: PennaServer, params: types.CompletionParams) -> types.CompletionList | None:
        found = ls.engine_for(params.text_document.uri)
        if not found:
            return None
        engine, rel = found
        doc = ls.document(params.text_document.uri)
        if params.position.line >= len(doc.lines):
            return None
        line = doc.lines[params.position.line].rstrip("\r\n")
        column = doc.position_codec.position_from_client_units(doc.lines, params.position).character
        before, after = line[:column], line[column:]
        here = params.position
        half_life = engine.settings.half_life_days  # the vault's own setting
        index_items = index_completion(engine, before, after, here, half_life, supports_snippets(ls))
        if index_items is not None:
            return index_items if index_items.items or index_items.is_incomplete else None
        invoked = params.context is None or params.context.trigger_kind == types.CompletionTriggerKind.Invoked
        at_boundary = not before or before[-1].isspace() or before[-1] in ".!?…"
        if not (invoked and at_boundary) and not PROSE_TRIGGER.search(before):
            return None  # never mid-word, never unasked
        paragraph = paragraph_before(doc.source, doc.offset_at_position(params.position))
        if not paragraph.strip():
            return None
        text, why = await continuations.get(ls, engine, rel, paragraph)
        if not text:
            if invoked and why:
                continuations.say(ls, why)
            return types.CompletionList(is_incomplete=True, items=[])
        # insertText, not a text edit: Neovim would insert a plain text edit only up to its first space.
        item = types.CompletionItem(label=text if len(text) <= 60 else text[:57] + "…", insert_text=text,
                                    kind=types.CompletionItemKind.Text, detail="penna: continue in your voice",
                                    documentation=text, filter_text=before.split()[-1] if before.split() else "")
        return types.CompletionList(is_incomplete=True, items=[item])


class Continuations:
    """Continuations by paragraph. One is written at a time, at warm-up priority (a real action
    cancels it); one that takes longer than CONTINUE_TIMEOUT goes on being written and is there
    for the next ask. Asking for another paragraph drops the one before."""

    def __init__(self) -> None:
        self.ready: dict[str, str] = {}
        self.pending: dict[str, concurrent.futures.Future[str]] = {}
        self.tokens: dict[str, CancelToken] = {}
        self.said: dict[str, float] = {}  # why -> when it was last said

    async def get(self, ls: PennaServer, engine: Engine, rel: str, paragraph: str) -> tuple[str, str]:
        """The continuation, or "" and why there is none (empty when there is nothing to say)."""
        key = paragraph_key(rel, paragraph)
        if key in self.ready:
            return self.ready[key], ""
        state = engine.model_state.state
        if state == "error":
            return "", "no continuation: the model is unavailable (see :checkhealth penna or the status bar)"
        if key not in self.pending:
            for other, token in list(self.tokens.items()):
                if other != key:
                    token.cancel()
            self.pending[key] = self._start(ls, engine, rel, paragraph, key)
        try:
            text = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self.pending[key])), CONTINUE_TIMEOUT)
        except TimeoutError:
            loading = "loading the model; " if state != "ready" else ""
            return "", f"the continuation is still being written ({loading}ask again in a few seconds)"
        except (Cancelled, asyncio.CancelledError, ValueError):
            return "", ""
        return (text or ""), ("" if text else "the model wrote nothing to continue with; try again")

    def _start(self, ls: PennaServer, engine: Engine, rel: str, paragraph: str,
               key: str) -> concurrent.futures.Future[str]:
        def job(token: CancelToken) -> str:
            self.tokens[key] = token
            try:
                text: str = engine.generate("continue", rel, paragraph, cancel=token).texts[0].strip()
            except (Cancelled, ValueError):
                return ""
            except ModelError as error:
                ls.report_model_error(error)
                return ""
            finally:
                self.tokens.pop(key, None)
            if text:
                self.ready[key] = text
                while len(self.ready) > 32:
                    self.ready.pop(next(iter(self.ready)))
            return text

        future = ls.runner.submit_warm(job)
        future.add_done_callback(lambda _f: self.pending.pop(key, None))
        return future

    def say(self, ls: PennaServer, why: str) -> None:
        """Tell an explicit ask why nothing came, at most every SAY_EVERY seconds for one reason."""
        now = time.monotonic()
        if now - self.said.get(why, -SAY_EVERY) >= SAY_EVERY:
            self.said[why] = now
            ls.show(f"penna: {why}", types.MessageType.Info)
