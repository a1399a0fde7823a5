"""Hover: "how would I phrase this?"

Answered at once, from the index alone: how the paragraph compares with the author's own style,
and a one-line summary of the style hints in it. The model's rephrasing in the author's voice is
never waited for: a cached one is shown; otherwise it is prepared in the background and, when
ready, the server sends `penna/hoverReady` (clients re-open the hover) and offers it as a code
action ("Use the rephrasing in my voice").
"""

from __future__ import annotations

from lsprotocol import types

from penna.engine import Engine
from penna.knowledge.style import hint_summary, note_hints, style_notes
from penna.lsp.edits import block_at, block_span, paragraph_key
from penna.lsp.server import PennaServer
from penna.writing.backend import Cancelled, CancelToken, ModelError

HOVER_READY = "penna/hoverReady"


def setup(server: PennaServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: PennaServer, params: types.HoverParams) -> types.Hover | None:
        found = ls.engine_for(params.text_document.uri)
        if not found:
            return None
        engine, rel = found
        if engine.settings.hover == "off":  # the vault's own setting
            return None
        doc = ls.document(params.text_document.uri)
        text = doc.source
        block = block_at(text, params.position.line, ("paragraph",))
        if block is None:
            return None
        paragraph = block_span(text, block).text(text).strip()
        ready = engine.profile_if_ready()  # never waits: a profile still building is said so
        profile = ready.style if ready else None
        notes = style_notes(profile, paragraph)
        lines = ["**penna** — how would I phrase this?", ""]
        if summary := hint_summary(note_hints(profile, text, block.start, block.end)):
            lines += [f"*{summary}*", ""]
        lines += [f"- {n}" for n in notes]
        first = types.Position(block.start, 0)
        end_line = min(block.end, len(doc.lines)) - 1
        last = types.Position(end_line, doc.position_codec.client_num_units(doc.lines[end_line].rstrip("\r\n")))
        rng = types.Range(first, last)
        rephrased = ls.hover_cache.get(paragraph_key(rel, paragraph))
        if rephrased:
            lines += ["", "**In your voice:**", "", rephrased]
        elif engine.settings.hover == "generate" and engine.model_state.state != "error":
            prepare_rephrasing(ls, engine, params.text_document.uri, rel, paragraph, rng)
            lines += ["", "*A rephrasing in your voice is being written; it appears here when ready.*"]
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines)),
                           range=rng)


def prepare_rephrasing(ls: PennaServer, engine: Engine, uri: str, rel: str, paragraph: str, rng: types.Range) -> None:
    """Write the rephrasing on the model's worker (warm-up priority: a real request cancels it),
    then tell the client with `penna/hoverReady {uri, range}`."""
    key = paragraph_key(rel, paragraph)
    pending = ls.hover_pending
    if key in pending:
        return

    def job(token: CancelToken) -> str | None:
        try:
            result = engine.generate("rephrase", rel, paragraph, cancel=token)
        except (Cancelled, ValueError):
            return None
        except ModelError as error:
            ls.report_model_error(error)
            return None
        text: str = result.texts[0].strip()
        if not text:
            return None
        ls.hover_cache[key] = text
        notify_ready(ls, uri, rng)
        return text

    future = pending[key] = ls.runner.submit_warm(job)
    future.add_done_callback(lambda _f: pending.pop(key, None))


def notify_ready(ls: PennaServer, uri: str, rng: types.Range) -> None:
    params = {"uri": uri, "range": {"start": {"line": rng.start.line, "character": rng.start.character},
                                    "end": {"line": rng.end.line, "character": rng.end.character}}}
    loop = ls.event_loop
    if loop is not None and loop.is_running():
        loop.call_soon_threadsafe(ls.protocol.notify, HOVER_READY, params)
    else:
        ls.protocol.notify(HOVER_READY, params)
