"""Code actions: expand, rephrase, continue, three variants.

The list is answered at once, without the model. Generation runs when the user picks an action:
in `codeAction/resolve` when the client can resolve edits, otherwise in the `penna.<action>`
command, which applies its edit through `workspace/applyEdit`. Either way the edit is a
`TextDocumentEdit` bound to a document version, re-anchored or refused if the user typed
meanwhile, with cancellable work-done progress showing the partial text.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from penna.lsp.edits import Action, Span, find_target, offset_of, paragraph_before, range_of, reanchor
from penna.writing.backend import ANSWER_LIMITED, Cancelled, CancelToken, ModelError

TITLES: dict[str, str] = {
    "expand": "Expand bullets into prose",
    "rephrase": "Rephrase in my voice",
    "continue": "Continue this paragraph",
    "variants": "Three variants",
}
VARIANTS = 3
PROGRESS_INTERVAL = 0.15


@dataclass
class Outcome:
    applied: bool
    text: str
    edit: types.WorkspaceEdit | None = None
    message: str | None = None

    def as_result(self) -> dict[str, Any]:
        result: dict[str, Any] = {"applied": self.applied, "text": self.text}
        if self.message:
            result["message"] = self.message
        return result


# --- the action list -------------------------------------------------------------------------
def supports_resolve(ls: Any) -> bool:
    caps = ls.client_capabilities.text_document
    code_action = caps.code_action if caps else None
    support = code_action.resolve_support if code_action else None
    return bool(support and "edit" in (support.properties or []))


def list_actions(ls: Any, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    if not uri.endswith((".md", ".markdown")) or ls.engine_for(uri) is None:
        return []
    doc = ls.document(uri)
    text = doc.source
    start, end = offset_of(doc, params.range.start), offset_of(doc, params.range.end)
    resolve = supports_resolve(ls)
    actions = []
    for action, title in TITLES.items():
        target = find_target(text, action, start, end)  # type: ignore[arg-type]
        if target is None:
            continue
        span, _ = target
        data = {"action": action, "uri": uri, "range": _range_json(range_of(doc, text, span)), "version": doc.version}
        if resolve:
            actions.append(types.CodeAction(title=title, kind=types.CodeActionKind.RefactorRewrite, data=data))
        else:
            actions.append(types.CodeAction(title=title, kind=types.CodeActionKind.RefactorRewrite,
                                            command=types.Command(title=title, command=f"penna.{action}", arguments=[data])))
    for diagnostic in params.context.diagnostics or []:
        if diagnostic.source == "penna":
            data = {"action": "rephrase", "uri": uri, "range": _range_json(diagnostic.range), "version": doc.version}
            fix = types.CodeAction(title="Rephrase in my voice", kind=types.CodeActionKind.QuickFix,
                                   diagnostics=[diagnostic], data=data if resolve else None,
                                   command=None if resolve else types.Command("Rephrase in my voice", "penna.rephrase", [data]))
            actions.append(fix)
    return actions


def _range_json(rng: types.Range) -> dict[str, Any]:
    return {"start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character}}


def _range_from(raw: Any) -> types.Range:
    return types.Range(types.Position(**raw["start"]), types.Position(**raw["end"]))


# --- running an action -----------------------------------------------------------------------
async def perform(ls: Any, data: dict[str, Any], progress_token: Any | None = None) -> Outcome:
    """Generate for an action and build its version-bound edit. Cancellation propagates."""
    action: Action = data.get("action")  # type: ignore[assignment]
    uri = data.get("uri")
    if action not in TITLES or not isinstance(uri, str):
        raise ValueError(f"invalid penna action arguments: {data!r}")
    found = ls.engine_for(uri)
    if found is None:
        raise ValueError(f"{uri} is not a note inside an open vault")
    engine, rel = found
    doc = ls.document(uri)
    try:
        original = doc.source
    except OSError as error:
        raise ValueError(f"{uri} is not open in the editor and cannot be read: {error.strerror}") from None
    try:
        if "range" in data:
            rng = _range_from(data["range"])
        else:
            position = types.Position(**data["position"]) if "position" in data else types.Position(0, 0)
            rng = types.Range(position, position)
    except (TypeError, KeyError, ValueError):
        raise ValueError("invalid range or position: expected {\"start\": {\"line\": L, \"character\": C}, "
                         "\"end\": {…}} with whole numbers ≥ 0") from None
    start, end = offset_of(doc, rng.start), offset_of(doc, rng.end)
    target = find_target(original, action, start, end)
    if target is None:
        raise ValueError(f"nothing to {action} here: put the cursor on a bullet list or a paragraph")
    span, shape = target
    kind = "expand" if shape == "bullets" else ("continue" if action == "continue" else "rephrase")
    source_text = original[span.start:span.end] if action != "continue" else paragraph_before(original, span.start).strip()

    token = CancelToken()
    progress = await _begin_progress(ls, progress_token, TITLES[action], token)
    loop = asyncio.get_running_loop()
    last = [0.0]

    def on_text(variant: int, partial: str) -> None:
        now = time.monotonic()
        if progress and now - last[0] >= PROGRESS_INTERVAL:
            last[0] = now
            message = (f"{variant + 1}/{VARIANTS}: " if action == "variants" else "") + partial[-200:]
            loop.call_soon_threadsafe(ls.work_done_progress.report, progress,
                                      types.WorkDoneProgressReport(message=message))

    def job(cancel: CancelToken) -> Any:
        return engine.generate(kind, rel, source_text, variants=VARIANTS if action == "variants" else 1,
                               cancel=cancel, on_text=on_text)

    try:
        result = await ls.runner.run(job, cancel=token)
    except (Cancelled, asyncio.CancelledError):
        _end_progress(ls, progress, "cancelled")
        raise asyncio.CancelledError() from None
    except ModelError as error:
        _end_progress(ls, progress, "model unavailable")
        ls.report_model_error(error)
        raise
    except BaseException:
        _end_progress(ls, progress, "failed")
        raise
    _end_progress(ls, progress, "done")
    for note in result.context.notes:
        if note.startswith(ANSWER_LIMITED):  # never shortened silently (the window notes are in the viewer)
            ls.show(f"penna: {note}; raise nCtx or select less for a longer answer", types.MessageType.Warning)
    if not any(t.strip() for t in result.texts):
        return Outcome(False, "", None, "penna: the model produced no text this time; try again")
    new_text = _replacement(action, result.texts, original, span)
    current = ls.document(uri)
    # Compare the text, not the version: a client may send a version going backwards, and an
    # equal version number does not prove equal text.
    anchored = reanchor(original, span, current.source)
    if not ls.is_open(uri):  # closed while writing: never an edit to a file no editor holds
        return Outcome(False, new_text, None, ls.offer_result(uri, action, new_text, "closed"))
    if anchored is None:
        message = ("penna: the text changed while writing, so nothing was replaced. "
                   "The result is in the response; paste what you like.")
        ls.show(message, types.MessageType.Warning)
        return Outcome(False, new_text, None, message)
    if action != "variants" and ls.settings.learn_from_rewrites:
        ls.rewrites.expect(uri, rel, engine, new_text.strip())
    edit = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=current.version),
        edits=[types.TextEdit(range=range_of(current, current.source, anchored), new_text=new_text)])
    return Outcome(True, new_text, types.WorkspaceEdit(document_changes=[edit]))


def _replacement(action: str, texts: list[str], original: str, span: Span) -> str:
    if action == "variants":
        lines = ["> [!penna]- Variants: stitch the best parts, then delete this block"]
        for number, variant in enumerate(texts, start=1):
            lines.append(">")
            lines.extend(f"> **{number}.** {para}" if i == 0 else f"> {para}"
                         for i, para in enumerate(variant.split("\n\n")))
        return original[span.start:span.end] + "\n\n" + "\n".join(lines)
    return texts[0]


async def _begin_progress(ls: Any, client_token: Any, title: str, cancel: CancelToken) -> Any:
    token = client_token
    if token is None:
        window = ls.client_capabilities.window
        if not (window and window.work_done_progress):
            return None
        token = f"penna-{uuid.uuid4().hex[:12]}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception:  # noqa: BLE001 - no progress is better than no answer
            return None
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=f"penna: {title}", cancellable=True,
                                                                    message="preparing the context…"))
    future = ls.work_done_progress.tokens.get(token)
    if future is not None:
        future.add_done_callback(lambda f: cancel.cancel() if f.cancelled() else None)
    return token


def _end_progress(ls: Any, token: Any, message: str) -> None:
    if token is not None:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))


def setup(server: Any) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.RefactorRewrite, types.CodeActionKind.QuickFix],
        resolve_provider=True))
    def code_actions(ls: Any, params: types.CodeActionParams) -> list[types.CodeAction]:
        return list_actions(ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: Any, action: types.CodeAction) -> types.CodeAction:
        if not isinstance(action.data, dict):
            return action
        outcome = await perform(ls, action.data)
        action.edit = outcome.edit
        return action

    for name in TITLES:
        def make(action_name: str) -> Any:
            async def command(ls: Any, *args: Any) -> dict[str, Any]:
                data = dict(args[0]) if args and isinstance(args[0], dict) else None
                if data is None:
                    raise ValueError(f"penna.{action_name} takes one argument: {{uri, range, version}}")
                data["action"] = action_name
                outcome = await perform(ls, data)
                if outcome.edit is not None:
                    response = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                        edit=outcome.edit, label=f"penna: {TITLES[action_name]}"))
                    outcome.applied = bool(response and response.applied)
                    if not outcome.applied:
                        outcome.message = (response.failure_reason if response else None) or "the editor refused the edit"
                return outcome.as_result()
            return command

        server.command(f"penna.{name}")(make(name))
