"""Hover: "how would I phrase this?"

At once, from the index alone: how the paragraph compares with the author's own style. Then the
model's rephrasing in the author's voice: from the cache, or if it finishes within `hoverWaitMs`;
otherwise it keeps being prepared in the background and the next hover shows it. Hover never
blocks other requests (it is an async handler; the model runs on its own worker).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from lsprotocol import types

from penna.knowledge.style import StyleProfile, counts_for_text, find_generic_phrases
from penna.lsp.edits import block_at, block_span
from penna.vault.text import sentences, words
from penna.writing.backend import Cancelled, ModelError


def style_notes(profile: StyleProfile, text: str) -> list[str]:
    """A few plain observations comparing `text` with the author's habits."""
    notes: list[str] = []
    found = sentences(text)
    if not found:
        return notes
    lengths = [len(words(s)) for s in found]
    mean = sum(lengths) / len(lengths)
    median = profile.sentence_median
    if median:
        ratio = mean / median
        verdict = "longer than" if ratio > 1.3 else "shorter than" if ratio < 0.7 else "close to"
        notes.append(f"Sentences average {mean:.0f} words, {verdict} your median of {median:.0f}.")
    generic = sorted({m.group(0).lower() for m in find_generic_phrases(text)})
    if generic:
        notes.append("Generic phrasing you don't use: " + ", ".join(f"“{g}”" for g in generic) + ".")
    counts = counts_for_text(text)
    if counts.words:
        mine = profile.per_thousand(profile.counts.hedges)
        here = 1000 * counts.hedges / counts.words
        if here > 2 * mine + 5:
            notes.append(f"More hedging than usual ({here:.0f} per 1,000 words; you average {mine:.0f}).")
        dash_mine = profile.punctuation_rates()["em_dash"]
        if dash_mine > 3 and counts.punctuation["em_dash"] == 0 and counts.words > 60:
            notes.append(f"No em-dashes; you use about {dash_mine:.0f} per 1,000 words.")
    notes.append(f"Style distance from your writing: {profile.distance(counts):.2f} (0 = indistinguishable).")
    return notes


def setup(server: Any) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: Any, params: types.HoverParams) -> types.Hover | None:
        if ls.settings.hover == "off":
            return None
        found = ls.engine_for(params.text_document.uri)
        if not found:
            return None
        engine, rel = found
        doc = ls.document(params.text_document.uri)
        text = doc.source
        block = block_at(text, params.position.line, ("paragraph",))
        if block is None:
            return None
        paragraph = block_span(text, block).text(text).strip()
        ready = engine.profile_if_ready()
        if ready is None:  # wait off the event loop, briefly: other requests go on meanwhile
            try:
                ready = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, engine.profile),
                                               timeout=max(0.5, ls.settings.hover_wait_ms / 1000))
            except asyncio.TimeoutError:
                ready = None
        notes = (style_notes(ready.style, paragraph) if ready
                 else ["Your style profile is still being built from the vault."])
        lines = ["**penna** — how would I phrase this?", ""] + [f"- {n}" for n in notes]
        rephrased = await rephrasing(ls, engine, rel, paragraph)
        if rephrased:
            lines += ["", "**In your voice:**", "", rephrased]
        elif ls.settings.hover == "generate" and engine.model_state.state != "error":
            lines += ["", "*A rephrasing in your voice is being prepared; hover again in a moment.*"]
        first = types.Position(block.start, 0)
        end_line = min(block.end, len(doc.lines)) - 1
        last = types.Position(end_line, doc.position_codec.client_num_units(doc.lines[end_line].rstrip("\r\n")))
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines)),
                           range=types.Range(first, last))


async def rephrasing(ls: Any, engine: Any, rel: str, paragraph: str) -> str | None:
    key = hashlib.sha1(f"{rel}\0{paragraph}".encode()).hexdigest()
    if key in ls.hover_cache:
        return ls.hover_cache[key]
    if ls.settings.hover != "generate" or engine.model_state.state == "error":
        return None
    pending = ls.hover_pending
    future = pending.get(key)
    if future is None:
        def job(token: Any) -> str | None:
            try:
                result = engine.generate("rephrase", rel, paragraph, cancel=token)
            except (Cancelled, ValueError):
                return None
            except ModelError as error:
                ls.report_model_error(error)
                return None
            ls.hover_cache[key] = result.texts[0]
            return result.texts[0]

        future = pending[key] = ls.runner.submit_warm(job)
        future.add_done_callback(lambda _f: pending.pop(key, None))
    try:
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)),
                                      timeout=ls.settings.hover_wait_ms / 1000)
    except asyncio.TimeoutError:
        return None
