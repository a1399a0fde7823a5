"""Commands that need no model: the context viewer, status, and forgetting rewrites."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from lsprotocol import types

from penna.context.assemble import ContextTooSmall
from penna.context.viewer import context_markdown
from penna.knowledge.rewrites import forget_rewrites
from penna.lsp.edits import find_target, offset_of, uri_to_path
from penna.lsp.server import PennaServer


def _argument(args: tuple[Any, ...], name: str) -> dict[str, Any]:
    if not args or not isinstance(args[0], dict):
        raise ValueError(f"{name} takes one argument object, e.g. {{\"uri\": …}}")
    return args[0]


def context_for(ls: PennaServer, arg: dict[str, Any]) -> str:
    uri = arg.get("uri")
    found = ls.engine_for(uri) if isinstance(uri, str) else None
    if found is None:
        raise ValueError(f"{uri!r} is not a note inside an open vault")
    engine, rel = found
    doc = ls.document(uri)
    raw = arg.get("range") or ({"start": arg["position"], "end": arg["position"]} if "position" in arg else None)
    text = doc.source
    selection = ""
    if raw:
        start = offset_of(doc, types.Position(**raw["start"]))
        end = offset_of(doc, types.Position(**raw["end"]))
        target = (find_target(text, "expand", start, end) or find_target(text, "rephrase", start, end))
        if target:
            selection = target[0].text(text) or text[max(0, start - 400):start]
    kind = "expand" if selection.lstrip().startswith(("-", "*", "+")) else "rephrase"
    try:
        context = engine.context(rel, kind, selection or engine.current_note(rel).title)
    except ContextTooSmall as error:
        return f"# What penna tells the model\n\n{error}"
    root = uri_to_path(uri)
    vault_uri = engine.vault.as_uri() if root else None
    return context_markdown(context, engine.all_sections(rel), vault_uri)


def setup(server: PennaServer) -> None:
    @server.command("penna.showContext")
    async def show_context(ls: PennaServer, *args: Any) -> dict[str, Any]:
        arg = _argument(args, "penna.showContext")
        # Assembly may load the tokenizer (~0.5 s) the first time: keep it off the event loop.
        markdown = await asyncio.get_running_loop().run_in_executor(None, context_for, ls, arg)
        return {"markdown": markdown}

    @server.command("penna.status")
    def status(ls: PennaServer, *_args: Any) -> dict[str, Any]:
        vaults = []
        state = None
        for engine in ls.engines.values():
            counts = engine.index.counts()
            vaults.append({"path": str(engine.vault), "notes": counts["notes"], "written": counts["written"],
                           "read": counts["read"], "index": str(engine.index.db_path)})
            state = engine.model_state
        model = {"state": state.state if state else "not loaded", "setting": ls.settings.model}
        if state and state.choice:
            model.update(name=state.choice.path.name, path=str(state.choice.path), source=state.choice.source)
        if state and state.error:
            model["error"] = state.error
        # The start-up thread indexes, then builds the style profile; `penna bench` waits for it.
        indexing = any(t.name == "penna-index" and t.is_alive() for t in threading.enumerate())
        return {"model": model, "vaults": vaults, "indexing": indexing,
                "lastCancelSeconds": ls.runner.last_cancel_latency}

    @server.command("penna.forgetRewrites")
    def forget(ls: PennaServer, *_args: Any) -> dict[str, Any]:
        forgotten = sum(forget_rewrites(engine.index) for engine in ls.engines.values())
        return {"forgotten": forgotten}
