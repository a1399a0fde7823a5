"""Commands that need no model: the context viewer and forgetting rewrites (status is in status.py).
Their arguments and results are defined in lsp/protocol.py (checked before a handler runs)."""

from __future__ import annotations

import asyncio
from typing import Any

from penna.context.assemble import ContextTooSmall
from penna.context.viewer import context_markdown
from penna.knowledge.rewrites import forget_rewrites
from penna.lsp.edits import find_target, offset_of
from penna.lsp.protocol import ContextResult, ForgetResult, NoteArguments
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


def setup(server: PennaServer) -> None:
    @server.command("penna.showContext")
    async def show_context(ls: PennaServer, arg: NoteArguments) -> ContextResult:
        # Assembly may load the tokenizer (~0.5 s) the first time: keep it off the event loop.
        markdown = await asyncio.get_running_loop().run_in_executor(None, context_for, ls, arg)
        return ContextResult(markdown=markdown)

    @server.command("penna.forgetRewrites")
    def forget(ls: PennaServer, *_args: Any) -> ForgetResult:
        return ForgetResult(forgotten=sum(forget_rewrites(engine.index) for engine in list(ls.engines.values())))
