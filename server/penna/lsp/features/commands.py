"""Commands that need no model: the context viewer, status, and forgetting rewrites.
Their arguments and results are defined in lsp/protocol.py (checked before a handler runs)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from penna.context.assemble import ContextTooSmall
from penna.context.viewer import context_markdown
from penna.knowledge.collected import cached_suggestions
from penna.knowledge.rewrites import forget_rewrites
from penna.lsp.edits import find_target, offset_of
from penna.lsp.protocol import (
    CollectedFolder,
    ContextResult,
    ForgetResult,
    ModelStatus,
    NoteArguments,
    StatusResult,
    VaultStatus,
    note_arguments,
)
from penna.lsp.server import PennaServer
from penna.writing.tasks import TaskKind


def context_for(ls: PennaServer, arg: NoteArguments) -> str:
    found = ls.engine_for(arg.uri)
    if found is None:
        raise ValueError(f"{arg.uri!r} is not a note inside an open vault")
    engine, rel = found
    doc = ls.document(arg.uri)
    text = doc.source
    selection = ""
    if (rng := arg.selection) is not None:
        start, end = offset_of(doc, rng.start), offset_of(doc, rng.end)
        target = (find_target(text, "expand", start, end) or find_target(text, "rephrase", start, end))
        if target:
            selection = target[0].text(text) or text[max(0, start - 400):start]
    kind: TaskKind = "expand" if selection.lstrip().startswith(("-", "*", "+")) else "rephrase"
    try:
        context = engine.context(rel, kind, selection or engine.current_note(rel).title)
    except ContextTooSmall as error:
        return f"# What penna tells the model\n\n{error}"
    return context_markdown(context, engine.all_sections(rel), engine.vault.as_uri())


def status_of(ls: PennaServer) -> StatusResult:
    vaults: list[VaultStatus] = []
    state = None
    for engine in list(ls.engines.values()):
        counts = engine.index.counts()
        collected: list[CollectedFolder] = [suggestion.as_json()  # type: ignore[misc]
                                            for suggestion in cached_suggestions(engine.index, engine.vault)]
        vaults.append(VaultStatus(path=str(engine.vault), notes=counts["notes"], written=counts["written"],
                                  read=counts["read"], index=str(engine.index.db_path),
                                  indexed=ls.vault_indexed(engine), collected=collected))
        state = engine.model_state
    model = ModelStatus(state=state.state if state else "not loaded", setting=ls.settings.model)
    if state and state.choice:
        model["name"] = state.choice.path.name
        model["path"] = str(state.choice.path)
        model["source"] = state.choice.source
    if state and state.error:
        model["error"] = state.error
    # The start-up thread indexes, then builds the style profile; `penna bench` waits for it.
    indexing = any(t.name == "penna-index" and t.is_alive() for t in threading.enumerate())
    return StatusResult(model=model, vaults=vaults, indexing=indexing or not all(v["indexed"] for v in vaults),
                        lastCancelSeconds=ls.runner.last_cancel_latency)


def setup(server: PennaServer) -> None:
    @server.command("penna.showContext")
    async def show_context(ls: PennaServer, *args: Any) -> ContextResult:
        arg = note_arguments("penna.showContext", args)
        # Assembly may load the tokenizer (~0.5 s) the first time: keep it off the event loop.
        markdown = await asyncio.get_running_loop().run_in_executor(None, context_for, ls, arg)
        return ContextResult(markdown=markdown)

    @server.command("penna.status")
    def status(ls: PennaServer, *_args: Any) -> StatusResult:
        return status_of(ls)

    @server.command("penna.forgetRewrites")
    def forget(ls: PennaServer, *_args: Any) -> ForgetResult:
        return ForgetResult(forgotten=sum(forget_rewrites(engine.index) for engine in list(ls.engines.values())))
