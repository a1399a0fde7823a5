"""Warming an action before the writer asks for it (`lsp/warming.py`). Listing the actions warms
the one offered: while the writer picks it from the menu, the server evaluates what it reads
before its first words, so it starts at once. A pause in typing bullets warms their expand the
same way; an edit makes that warm-up stale.

The model tests use the real server object with its real features, the real default model and
SQLite, in process: the workspace is set as initialize sets it, and the handlers are called as
pygls calls them.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace import Workspace

from penna.lsp.app import create_server
from penna.lsp.features.actions import perform
from penna.lsp.protocol import ActionArguments
from penna.lsp.server import PennaServer
from penna.lsp.warming import acted_on, forget_warmed, typed_bullets, warm_action

DRAFT = "Drafts/Winter loaf.md"
BULLETS = "- rye has no gluten, dough never feels ready\n"


def _warmed(server: PennaServer) -> None:
    """Wait for the warm-up: its settling time, then the worker done with it."""
    assert server.warm_timer is not None
    server.warm_timer.join(timeout=30)
    server.runner.submit_warm(lambda _token: None).result(timeout=120)


def _server_with_draft_open(sample_vault: Path, text: str) -> tuple[PennaServer, str]:
    """The real server as initialize leaves it, with the draft open in the editor as `text`."""
    server = create_server()
    server.protocol._workspace = Workspace(sample_vault.as_uri())  # what initialize sets up
    server.protocol.client_capabilities = types.ClientCapabilities()
    uri = (sample_vault / DRAFT).as_uri()
    server.workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text))
    return server, uri


def _close(server: PennaServer, uri: str) -> None:
    """Stop the warm-ups and the worker, and close the note's engine."""
    forget_warmed(server)
    server.runner.shutdown()
    found = server.engine_for(uri)
    if found is not None:
        found[0].close()


@pytest.mark.model
def test_listing_the_actions_on_bullets_warms_the_expand_the_writer_will_pick(sample_vault: Path) -> None:
    text = (sample_vault / DRAFT).read_text(encoding="utf-8") + "\n" + BULLETS
    server, uri = _server_with_draft_open(sample_vault, text)
    found = server.engine_for(uri)
    assert found is not None
    engine, rel = found
    try:
        engine.sync()
        engine.generate("expand", rel, "- cold kitchen, 17°C, everything slow", candidates=0)  # an action before
        line = text.count("\n") - 1
        selection = types.Range(types.Position(line, 0), types.Position(line, len(BULLETS) - 1))
        list_actions = server.protocol.fm.features[types.TEXT_DOCUMENT_CODE_ACTION]
        cursor = types.Range(types.Position(line, 3), types.Position(line, 3))
        automatic = types.CodeActionContext(diagnostics=[], trigger_kind=types.CodeActionTriggerKind.Automatic)
        offered = list_actions(types.CodeActionParams(types.TextDocumentIdentifier(uri), cursor, automatic))
        assert any(a.title == "Expand bullets into prose" for a in offered)
        assert server.warmed_action is None  # the editor asked by itself, at a cursor move: not warmed
        offered = list_actions(types.CodeActionParams(types.TextDocumentIdentifier(uri), selection,
                                                      types.CodeActionContext(diagnostics=[])))
        assert any(a.title == "Expand bullets into prose" for a in offered)
        assert server.warmed_action == (uri, "expand", BULLETS.rstrip("\n"))
        _warmed(server)

        result = engine.generate("expand", rel, BULLETS.rstrip("\n"), candidates=0)  # the writer picks it
        restoring = result.stats[0]
        new_tokens = restoring.prompt_tokens - restoring.reused_tokens
        assert result.context.late and new_tokens * 4 < engine.model().count(result.context.late_text), new_tokens

        list_actions(types.CodeActionParams(types.TextDocumentIdentifier(uri), selection,
                                            types.CodeActionContext(diagnostics=[])))
        assert server.warmed_action == (uri, "expand", BULLETS.rstrip("\n"))  # listed again: nothing new to warm

        first = server.action_warmup
        shorter = types.Range(types.Position(line, 0), types.Position(line, len(BULLETS) - 7))  # the writer moved on
        list_actions(types.CodeActionParams(types.TextDocumentIdentifier(uri), shorter,
                                            types.CodeActionContext(diagnostics=[])))
        assert first is not None and first.cancelled  # the older list's warm-up is stale
        assert server.warmed_action is not None and server.warmed_action[2] == BULLETS[:len(BULLETS) - 7]
    finally:
        server.runner.shutdown()
        engine.close()


def test_the_text_an_action_ran_on_is_not_warmed_again_after_it(sample_vault: Path) -> None:
    # Three variants leave the bullets in place: the edit that inserts them, or the selection
    # left on the bullets, must not warm the same expand again.
    text = (sample_vault / DRAFT).read_text(encoding="utf-8") + "\n" + BULLETS
    server, uri = _server_with_draft_open(sample_vault, text)
    try:
        acted_on(server, uri, "expand", BULLETS)
        done = server.action_warmup
        warm_action(server, uri, "expand", BULLETS)
        assert server.warm_timer is None and server.action_warmup is done and done is not None and not done.cancelled
        warm_action(server, uri, "expand", "- bake it hot")  # other bullets: warmed as usual
        assert server.warm_timer is not None and server.warmed_action == (uri, "expand", "- bake it hot")
    finally:
        _close(server, uri)


NOTE = ("# Rye\n\nSome prose about rye.\n\n"
        "- rye has no gluten\n  the dough never feels ready\n- bake hot\n\nMore prose.\n")


def test_the_bullets_typed_in_are_the_list_an_expand_at_the_cursor_takes() -> None:
    block = "- rye has no gluten\n  the dough never feels ready\n- bake hot"
    assert typed_bullets(NOTE, 4) == block  # on an item
    assert typed_bullets(NOTE, 5) == block  # on its continuation line
    assert typed_bullets(NOTE, 6) == block


def test_typing_outside_a_bullet_list_warms_nothing() -> None:
    assert typed_bullets(NOTE, 0) is None  # the title
    assert typed_bullets(NOTE, 2) is None  # prose
    assert typed_bullets(NOTE, 3) is None  # a blank line
    assert typed_bullets(NOTE, 8) is None
    assert typed_bullets(NOTE, 40) is None  # past the end (a stale line number)
    assert typed_bullets("    indented code, no list\n", 0) is None


def _typed(server: PennaServer, uri: str, version: int, line: int, character: int, text: str) -> None:
    """A keystroke as pygls hands it on: the workspace takes the change, then the didChange
    feature runs (on the thread of the event loop its listeners schedule their work on)."""
    change = types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(line, character), types.Position(line, character)), text=text)
    params = types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                                               [change])
    server.workspace.update_text_document(params.text_document, change)
    server.protocol.fm.features[types.TEXT_DOCUMENT_DID_CHANGE](params)


@pytest.mark.model
def test_a_pause_in_typing_bullets_warms_their_expand_and_an_edit_makes_it_stale(sample_vault: Path) -> None:
    loop = asyncio.new_event_loop()  # the server's, as `penna serve` runs it
    asyncio.set_event_loop(loop)
    # A new list under a line of prose, so that it is a list of its own.
    text = (sample_vault / DRAFT).read_text(encoding="utf-8").rstrip("\n") + "\n\nThen rye.\n\n"
    server, uri = _server_with_draft_open(sample_vault, text)
    found = server.engine_for(uri)
    assert found is not None
    engine, rel = found
    line = text.count("\n")
    try:
        engine.sync()
        engine.generate("expand", rel, "- cold kitchen, 17°C, everything slow", candidates=0)  # an action before
        _typed(server, uri, 2, line, 0, "- rye has no gluten")
        assert server.warmed_action == (uri, "expand", "- rye has no gluten")
        settling = server.warm_timer
        assert settling is not None
        # The wait holds no worker: other warm-ups (a hover's rephrasing) run meanwhile.
        assert server.runner.submit_warm(lambda _token: settling.is_alive()).result(timeout=30)
        first = server.action_warmup
        # The writer typed on, then Enter: the cursor is on a new line below the list.
        _typed(server, uri, 3, line, len("- rye has no gluten"), ", dough never feels ready\n")
        assert first is not None and first.cancelled  # that text is stale
        assert server.warmed_action == (uri, "expand", BULLETS.rstrip("\n"))
        _warmed(server)  # the pause: the warm-up ran

        result = engine.generate("expand", rel, BULLETS.rstrip("\n"), candidates=0)  # the writer asks
        restoring = result.stats[0]
        new_tokens = restoring.prompt_tokens - restoring.reused_tokens
        assert result.context.late and new_tokens * 4 < engine.model().count(result.context.late_text), new_tokens

        warmed = server.action_warmup
        _typed(server, uri, 4, line - 2, len("Then rye."), " Dark rye.")  # an edit in the prose above
        assert warmed is not None and warmed.cancelled
        assert server.warmed_action is None
    finally:
        server.runner.shutdown()
        engine.close()
        asyncio.set_event_loop(None)
        loop.close()


@pytest.mark.model
def test_an_action_waits_for_its_own_warm_up_at_work_and_cancels_one_still_settling(sample_vault: Path) -> None:
    """Asked once its warm-up is handed to the model's worker (the settling time over), the action
    keeps it: the warm-up evaluates what the action would first. Asked while it still settles, or
    for other text, the action cancels it and does the work itself."""
    text = (sample_vault / DRAFT).read_text(encoding="utf-8") + "\n" + BULLETS
    server, uri = _server_with_draft_open(sample_vault, text)
    bullets = BULLETS.rstrip("\n")
    try:
        warm_action(server, uri, "expand", bullets, settle=0.0)
        assert server.warm_timer is not None
        server.warm_timer.join(timeout=30)
        at_work = server.action_warmup
        assert at_work is not None and server.warm_started is at_work
        assert acted_on(server, uri, "expand", bullets) is at_work and not at_work.cancelled
        assert server.action_warmup is not at_work  # the action's own token now: done, never warmed again
        server.runner.submit_warm(lambda _token: None).result(timeout=120)  # the warm-up ran to its end

        warm_action(server, uri, "expand", "- bake it hot", settle=30.0)
        settling = server.action_warmup
        assert settling is not None and acted_on(server, uri, "expand", "- bake it hot") is None
        assert settling.cancelled and server.warm_started is None

        warm_action(server, uri, "expand", "- bake it hotter", settle=0.0)
        assert server.warm_timer is not None
        server.warm_timer.join(timeout=30)
        stale = server.action_warmup
        assert acted_on(server, uri, "expand", bullets) is None and stale is not None and stale.cancelled
    finally:
        _close(server, uri)


@pytest.mark.model
def test_an_action_cancelled_before_it_waits_for_its_own_warm_up_cancels_the_warm_up(sample_vault: Path) -> None:
    """An action keeps its warm-up at work, then waits for the editor to create its progress bar.
    Cancelled there, before it queued behind the warm-up, it takes the warm-up with it: nothing
    is left running for a request that is gone. (In process there is no editor: the progress
    bar is never created, as with an editor slow to answer.)"""
    text = (sample_vault / DRAFT).read_text(encoding="utf-8") + "\n" + BULLETS
    server, uri = _server_with_draft_open(sample_vault, text)
    server.protocol.client_capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True))
    line = text.count("\n") - 1
    selection = types.Range(types.Position(line, 0), types.Position(line, len(BULLETS) - 1))
    loop = asyncio.new_event_loop()
    try:
        # Slow the worker down so that the warm-up is still at work when the action is asked.
        server.runner.submit_warm(lambda _token: time.sleep(1.0))
        warm_action(server, uri, "expand", BULLETS.rstrip("\n"), settle=0.0)
        assert server.warm_timer is not None
        server.warm_timer.join(timeout=30)
        at_work = server.action_warmup
        assert at_work is not None and server.warm_started is at_work

        async def ask_then_cancel() -> None:
            asked = asyncio.ensure_future(perform(server, ActionArguments(uri=uri, range=selection)))
            await asyncio.sleep(0.2)  # waiting for the progress bar
            assert not asked.done() and not at_work.cancelled
            asked.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asked

        loop.run_until_complete(ask_then_cancel())
        assert at_work.cancelled
    finally:
        loop.close()
        _close(server, uri)
