"""Listing the actions warms the one offered: while the writer picks it from the menu, the server
evaluates what it reads before its first words, so it starts at once.

The real server object with its real features, the real default model and SQLite, in process:
the workspace is set as initialize sets it, and the handlers are called as pygls calls them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace import Workspace

from penna.lsp.app import create_server

DRAFT = "Drafts/Winter loaf.md"
BULLETS = "- rye has no gluten, dough never feels ready\n"


@pytest.mark.model
def test_listing_the_actions_on_bullets_warms_the_expand_the_writer_will_pick(sample_vault: Path) -> None:
    server = create_server()
    server.protocol._workspace = Workspace(sample_vault.as_uri())  # what initialize sets up
    server.protocol.client_capabilities = types.ClientCapabilities()
    uri = (sample_vault / DRAFT).as_uri()
    text = (sample_vault / DRAFT).read_text(encoding="utf-8") + "\n" + BULLETS
    server.workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text))
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
        server.runner.submit_warm(lambda _token: None).result(timeout=120)  # the worker is done with the warm-up

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
