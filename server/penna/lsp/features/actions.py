"""Code actions: expand, rephrase, continue, three variants.

The list is answered at once, without the model. Generation runs when the user picks an action:
in `codeAction/resolve` when the client can resolve edits, otherwise in the `penna.<action>`
command, which applies its edit through `workspace/applyEdit`. Either way the edit is a
`TextDocumentEdit` bound to a document version, re-anchored or refused if the user typed
meanwhile, with cancellable work-done progress showing the partial text.

With `"preview": true` in its argument a command applies nothing: it streams the growing text as
`penna/draft` notifications and returns the text with the range it would replace, for the client
to show and apply only when the writer accepts (then `penna.accepted` lets penna learn from it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

from penna.engine import Engine, Generation
from penna.knowledge.rewrites import store_rewrite
from penna.knowledge.style import sentence_bounds
from penna.lsp.edits import Action, Span, find_target, offset_of, paragraph_before, paragraph_key, range_of, reanchor
from penna.lsp.protocol import (
    ACTIONS,
    AcceptedArguments,
    AcceptedResult,
    ActionArguments,
    ActionName,
    ActionResult,
    action_arguments,
)
from penna.lsp.server import PennaServer
from penna.lsp.warming import acted_on, warm_action
from penna.vault.text import sentences
from penna.writing.backend import ANSWER_LIMITED, Cancelled, CancelToken, ModelError
from penna.writing.tasks import TaskKind

TITLES: dict[ActionName, str] = {
    "expand": "Expand bullets into prose",
    "rephrase": "Rephrase in my voice",
    "continue": "Continue this paragraph",
    "variants": "Three variants",
}
VARIANTS = 3
PROGRESS_INTERVAL = 0.15
DRAFT = "penna/draft"
RESOLVE = "codeAction/resolve"  # how a code action's `data` is named in argument errors

OnText = Callable[[int, str], None]


@dataclass
class Outcome:
    applied: bool
    text: str
    edit: types.WorkspaceEdit | None = None
    message: str | None = None
    # For a preview: where the text goes (in the document at `version`), what it replaces, and
    # for variants each variant and the sentences a writer stitches from.
    range: types.Range | None = None
    version: int | None = None
    original: str | None = None
    texts: list[str] | None = None

    def as_result(self) -> ActionResult:
        result = ActionResult(applied=self.applied, text=self.text)
        if self.message:
            result["message"] = self.message
        if self.range is not None:
            result["range"] = _range_json(self.range)
            result["version"] = self.version
            result["original"] = self.original
        if self.texts is not None:
            result["variants"] = self.texts
            result["sentences"] = {"note": sentences(self.original or ""),
                                   "variants": [sentences(t) for t in self.texts]}
        return result


# --- the action list -------------------------------------------------------------------------
def supports_resolve(ls: PennaServer) -> bool:
    caps = ls.client_capabilities.text_document
    code_action = caps.code_action if caps else None
    support = code_action.resolve_support if code_action else None
    return bool(support and "edit" in (support.properties or []))


def list_actions(ls: PennaServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    if not uri.endswith((".md", ".markdown")) or ls.engine_for(uri) is None:
        return []
    doc = ls.document(uri)
    start, end = offset_of(doc, params.range.start), offset_of(doc, params.range.end)
    resolve = supports_resolve(ls)
    actions = []
    warm: tuple[TaskKind, str] | None = None
    for action, title in TITLES.items():
        target = find_target(doc.source, action, start, end)
        if target is not None:
            where = range_of(doc, doc.source, target[0])
            actions.append(_offered(title, types.CodeActionKind.RefactorRewrite, action, uri, where, doc.version,
                                    resolve))
            if warm is None and action != "continue":
                warm = ("expand" if target[1] == "bullets" else "rephrase"), target[0].text(doc.source)
    # A list the writer asked for (a menu, a shortcut) is warmed; one the editor asks for by itself
    # at every cursor move only when bullets or prose are selected, which says what comes next.
    invoked = params.context.trigger_kind != types.CodeActionTriggerKind.Automatic
    if warm is not None and (invoked or start != end):
        warm_action(ls, uri, *warm)
    ready = _ready_rephrasing(ls, uri, doc, start)
    if ready is not None:
        actions.insert(0, ready)
    for diagnostic in params.context.diagnostics or []:
        if diagnostic.source == "penna":
            title, sentence = quick_fix_target(doc, diagnostic)
            fix = _offered(title, types.CodeActionKind.QuickFix, "rephrase", uri, sentence, doc.version, resolve)
            fix.diagnostics = [diagnostic]
            actions.append(fix)
    return actions


def _offered(title: str, kind: types.CodeActionKind, action: ActionName, uri: str, where: types.Range,
             version: int | None, resolve: bool) -> types.CodeAction:
    """An action as the client can take it: with `data`, its edit written in codeAction/resolve;
    otherwise with the `penna.<action>` command carrying the same argument."""
    data = {"action": action, "uri": uri, "range": _range_json(where), "version": version}
    if resolve:
        return types.CodeAction(title=title, kind=kind, data=data)
    return types.CodeAction(title=title, kind=kind,
                            command=types.Command(title=title, command=f"penna.{action}", arguments=[data]))


def quick_fix_target(doc: TextDocument, diagnostic: types.Diagnostic) -> tuple[str, types.Range]:
    """The quick fix's label and the sentence it rewrites: from the diagnostic's own data when
    the client sent it back, else found around the flagged text in the current line."""
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    line_number = diagnostic.range.start.line
    line = doc.lines[line_number].rstrip("\r\n") if line_number < len(doc.lines) else ""
    flagged = line[diagnostic.range.start.character:diagnostic.range.end.character] \
        if diagnostic.range.start.line == diagnostic.range.end.line else ""
    label = data.get("label") or (f"Replace '{flagged}' in my voice" if diagnostic.code == "generic-phrase" and flagged
                                  else "Rephrase this sentence in my voice")
    begin, finish = sentence_bounds(line, diagnostic.range.start.character, diagnostic.range.end.character)
    return label, types.Range(types.Position(line_number, begin), types.Position(line_number, finish))


def _ready_rephrasing(ls: PennaServer, uri: str, doc: TextDocument, offset: int) -> types.CodeAction | None:
    """The hover's rephrasing of the paragraph under the cursor, as an instant edit, once written."""
    found = ls.engine_for(uri)
    target = find_target(doc.source, "rephrase", offset, offset)
    if found is None or target is None:
        return None
    span, _shape = target
    text = ls.hover_cache.get(paragraph_key(found[1], span.text(doc.source)))
    if not text:
        return None
    edit = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=doc.version),
        edits=[types.TextEdit(range=range_of(doc, doc.source, span), new_text=text)])
    return types.CodeAction(title="Use the rephrasing in my voice (ready)", kind=types.CodeActionKind.RefactorRewrite,
                            edit=types.WorkspaceEdit(document_changes=[edit]))


def _range_json(rng: types.Range) -> dict[str, Any]:
    return {"start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character}}


# --- running an action -----------------------------------------------------------------------
@dataclass
class Target:
    action: Action
    uri: str
    engine: Engine
    rel: str
    doc: TextDocument
    original: str  # the document's text when the action started
    span: Span
    shape: str  # "bullets" or "prose"

    @property
    def task(self) -> tuple[TaskKind, str]:
        """What the model is asked to do, and on which text."""
        if self.action == "continue":
            return "continue", paragraph_before(self.original, self.span.start).strip()
        return ("expand" if self.shape == "bullets" else "rephrase"), self.span.text(self.original)


def resolve_target(ls: PennaServer, arg: ActionArguments) -> Target:
    """Where an action's arguments point, or a ValueError saying what is wrong with them."""
    found = ls.engine_for(arg.uri)
    if found is None:
        raise ValueError(f"{arg.uri} is not a note inside an open vault")
    doc = ls.document(arg.uri)  # a DocumentUnavailable (ValueError) says why it cannot be read
    original = doc.source
    start = types.Position(0, 0)
    rng = arg.selection or types.Range(start, start)
    target = find_target(original, arg.action, offset_of(doc, rng.start), offset_of(doc, rng.end))
    if target is None:
        raise ValueError(f"nothing to {arg.action} here: put the cursor on a bullet list or a paragraph")
    return Target(arg.action, arg.uri, found[0], found[1], doc, original, target[0], target[1])


async def perform(ls: PennaServer, arg: ActionArguments, progress_token: types.ProgressToken | None = None) -> Outcome:
    """Generate for an action and build its version-bound edit (or, with `preview`, the text and
    where it would go, streaming drafts meanwhile). Cancellation propagates."""
    target = resolve_target(ls, arg)
    warm_up = acted_on(ls, target.uri, *target.task)
    cancel = CancelToken()
    try:
        progress = await _begin_progress(ls, progress_token, TITLES[arg.action], cancel)
    except BaseException:
        if warm_up is not None:
            warm_up.cancel()  # kept for this request, which is gone before it could wait for it
        raise
    on_text = _streamer(ls, target, progress, arg)
    result = await _generate(ls, target, cancel, progress, on_text, warm_up)
    _warn_if_shortened(ls, result)
    if not any(t.strip() for t in result.texts):
        return Outcome(False, "", None, "the model produced no text this time; try again")
    return _finish(ls, target, result.texts, arg.preview)


async def _generate(ls: PennaServer, target: Target, cancel: CancelToken, progress: types.ProgressToken | None,
                    on_text: OnText, warm_up: CancelToken | None = None) -> Generation:
    """The model's answer for `target` on the generation worker, after `warm_up` (its own, at
    work); the progress ends either way."""
    kind, source = target.task
    variants = VARIANTS if target.action == "variants" else 1

    def job(token: CancelToken) -> Generation:
        return target.engine.generate(kind, target.rel, source, variants=variants, cancel=token, on_text=on_text,
                                      growing=True)

    try:
        result = await ls.runner.run(job, cancel=cancel, keep=warm_up)
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
    return result


def _warn_if_shortened(ls: PennaServer, result: Generation) -> None:
    """An answer cut by the token limit is never shortened silently (the window notes are in the viewer)."""
    for note in result.context.notes:
        if note.startswith(ANSWER_LIMITED):
            ls.show(f"penna: {note}; raise nCtx or select less for a longer answer", types.MessageType.Warning)


def _finish(ls: PennaServer, target: Target, texts: list[str], preview: bool) -> Outcome:
    """The written text against the document as it is now: an edit, a preview, or kept for the writer."""
    action, span, original = target.action, target.span, target.original
    new_text = _replacement(action, texts, original, span)
    if not ls.is_open(target.uri):  # closed while writing: never an edit to a file no editor holds
        if preview:
            return Outcome(False, new_text, None, "the note was closed while penna was writing, so nothing was changed")
        return Outcome(False, new_text, None, ls.offer_result(target.uri, action, new_text, "closed"))
    current = ls.document(target.uri)
    # Compare the text, not the version: a client may send a version going backwards, and an
    # equal version number does not prove equal text.
    anchored = reanchor(original, span, current.source)
    if preview:
        return _preview(target, texts, current, anchored)
    if anchored is None:  # kept for the writer: penna/result, and the text in the response
        return Outcome(False, new_text, None, ls.offer_result(target.uri, action, new_text, "changed"))
    if action != "variants" and target.engine.settings.learn_from_rewrites:
        ls.rewrites.expect(target.uri, target.rel, target.engine, new_text.strip())
    edit = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=target.uri, version=current.version),
        edits=[types.TextEdit(range=range_of(current, current.source, anchored), new_text=new_text)])
    return Outcome(True, new_text, types.WorkspaceEdit(document_changes=[edit]))


def _streamer(ls: PennaServer, target: Target, progress: types.ProgressToken | None, arg: ActionArguments) -> OnText:
    """The model's `on_text`: partial text to the work-done progress (its tail) and, for a
    preview, whole to `penna/draft`, at most every PROGRESS_INTERVAL seconds while it grows; a
    text that replaces what came before (the sentence chosen in place of a growing one) at once."""
    loop = asyncio.get_running_loop()
    last = [0.0]
    seen = [""]
    where = _range_json(range_of(target.doc, target.original, target.span))
    count = VARIANTS if target.action == "variants" else 1

    def on_text(variant: int, partial: str) -> None:
        now = time.monotonic()
        grows, seen[0] = partial.startswith(seen[0]), partial
        if not (progress is not None or arg.preview) or (grows and now - last[0] < PROGRESS_INTERVAL):
            return
        last[0] = now
        if progress is not None:
            message = (f"{variant + 1}/{VARIANTS}: " if count > 1 else "") + partial[-200:]
            loop.call_soon_threadsafe(ls.work_done_progress.report, progress,
                                      types.WorkDoneProgressReport(message=message))
        if arg.preview:
            draft = {"draftId": arg.draft_id, "uri": target.uri, "action": target.action,
                     "variant": variant, "variants": count, "range": where, "text": partial}
            loop.call_soon_threadsafe(ls.protocol.notify, DRAFT, draft)

    return on_text


def _preview(target: Target, texts: list[str], current: TextDocument, anchored: Span | None) -> Outcome:
    """A preview's answer: the text, and where it goes now (or why it cannot go anywhere)."""
    variants = [t.strip() for t in texts] if target.action == "variants" else None
    text = texts[0] if target.action == "continue" else texts[0].strip()
    if anchored is None:
        return Outcome(False, text, None, "the text changed while writing, so nothing was replaced",
                       original=target.span.text(target.original), texts=variants)
    return Outcome(False, text, None, None, range=range_of(current, current.source, anchored),
                   version=current.version, original=anchored.text(current.source), texts=variants)


def _replacement(action: str, texts: list[str], original: str, span: Span) -> str:
    """What replaces the span: the text, or for variants the notes followed by a block to stitch from."""
    if action != "variants":
        return texts[0]
    lines = ["> [!penna]- Variants: stitch the best parts, then delete this block"]
    if len(texts) < VARIANTS:  # the engine leaves out copies
        lines.append(f"> ({len(texts)} of {VARIANTS}: the other drafts repeated these)")
    for number, variant in enumerate(texts, start=1):
        lines.append(">")
        lines.extend(f"> **{number}.** {para}" if i == 0 else f"> {para}"
                     for i, para in enumerate(variant.split("\n\n")))
    return original[span.start:span.end] + "\n\n" + "\n".join(lines)


async def _begin_progress(ls: PennaServer, client_token: types.ProgressToken | None, title: str,
                          cancel: CancelToken) -> types.ProgressToken | None:
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


def _end_progress(ls: PennaServer, token: types.ProgressToken | None, message: str) -> None:
    if token is not None:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))


# --- handlers ----------------------------------------------------------------------------------
async def run_command(ls: PennaServer, arg: ActionArguments) -> ActionResult:
    """`penna.<action>` (its argument checked and typed by the dispatch): generate, then apply the
    edit through workspace/applyEdit (or, with `preview`, answer the text and where it goes)."""
    outcome = await perform(ls, arg)
    if outcome.edit is not None:
        response = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=outcome.edit, label=f"penna: {TITLES[arg.action]}"))
        outcome.applied = bool(response and response.applied)
        if not outcome.applied:
            outcome.message = (response.failure_reason if response else None) or "the editor refused the edit"
    return outcome.as_result()


def _command() -> Callable[[PennaServer, ActionArguments], Awaitable[ActionResult]]:
    async def command(ls: PennaServer, arg: ActionArguments) -> ActionResult:
        return await run_command(ls, arg)
    return command


async def resolve_action(ls: PennaServer, action: types.CodeAction) -> types.CodeAction:
    """codeAction/resolve: the edit of an action offered with `data` (checked as a command's argument)."""
    if not isinstance(action.data, dict):
        return action
    outcome = await perform(ls, action_arguments(RESOLVE, [action.data]))
    action.edit = outcome.edit
    return action


def accepted(ls: PennaServer, arg: AcceptedArguments) -> AcceptedResult:
    """The writer accepted a preview (`{uri, text, generated?}`): follow their later edits of
    `text`, and when they stitched or changed it, `generated → text` is a rewrite to learn."""
    found = ls.engine_for(arg.uri)
    if found is None or not found[0].settings.learn_from_rewrites:
        return AcceptedResult(learning=False)
    engine, rel = found
    generated, text = arg.generated, arg.text
    stored = (generated is not None and generated.strip() != text.strip()
              and store_rewrite(engine.index, rel, generated.strip(), text.strip()))
    ls.rewrites.expect(arg.uri, rel, engine, text.strip())
    return AcceptedResult(learning=True, stored=bool(stored))


def setup(server: PennaServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.RefactorRewrite, types.CodeActionKind.QuickFix],
        resolve_provider=True))
    def code_actions(ls: PennaServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return list_actions(ls, params)

    server.feature(types.CODE_ACTION_RESOLVE)(resolve_action)
    for name in ACTIONS:  # one handler each (pygls marks a handler with its command's name)
        server.command(f"penna.{name}")(_command())
    server.command("penna.accepted")(accepted)
