"""End-to-end: the real `penna serve` over stdio, the real default model, driven by pytest-lsp
with VS Code's and Neovim's client capabilities (spec warnings are errors, see the Makefile).

A test that edits a note or changes a setting gets a server of its own (`client`); the tests
that only read (hover, the context viewer, diagnostics and their quick fixes) share one server
per editor (`reader`)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsp_harness import (
    apply_and_notify,
    close_notes,
    config,
    open_note,
    sample_vault_copy,
    settings,
    shared_session,
    start_session,
    type_text,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.e2e, pytest.mark.model]
DRAFT = "Drafts/Winter loaf.md"
EDITORS = ["visual-studio-code", "neovim"]
shares_a_server = pytest.mark.asyncio(loop_scope="module")  # runs in the loop the shared server lives in


def essay_vault(factory: pytest.TempPathFactory) -> Path:
    target = sample_vault_copy(factory, "lsp")
    (target / "Drafts" / "Essay.md").write_text(
        "# Essay\n\nIt is important to note that bread is slow. The oven matters.\n\n"
        "- first point about flour\n- second point about water\n", encoding="utf-8")
    return target


def note_of_bullets(client: LanguageClient, name: str, *bullets: str) -> Path:
    """A note of its own, a title and `bullets` from line 2: the tests that only need some
    expand to edit with expand a bullet or two, not the four of the sample draft."""
    path = client.vault / "Drafts" / f"{name}.md"
    path.write_text(f"# {name}\n\n" + "".join(f"- {b}\n" for b in bullets), encoding="utf-8")
    return path


@pytest.fixture
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return essay_vault(tmp_path_factory)


@pytest_lsp.fixture(config=config(), params=EDITORS)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, vault: Path):
    await start_session(lsp_client, vault, settings(), request.param)
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=EDITORS)
async def reading_server(request: pytest.FixtureRequest,
                         tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LanguageClient]:
    async with shared_session(tmp_path_factory.mktemp("penna-cache"), essay_vault(tmp_path_factory), settings(),
                              request.param) as shared:
        yield shared


@pytest_asyncio.fixture(loop_scope="module")
async def reader(reading_server: LanguageClient) -> AsyncIterator[LanguageClient]:
    """The shared server; the notes a test opened are closed after it."""
    yield reading_server
    close_notes(reading_server)


async def actions_at(client: LanguageClient, uri: str, line: int) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(line, 2), types.Position(line, 2)),
        context=types.CodeActionContext(diagnostics=[])))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def run_action(client: LanguageClient, action: types.CodeAction) -> None:
    """Do what an editor does with a chosen action: resolve and apply, or run its command."""
    if action.data is not None and action.edit is None:
        resolved = await client.code_action_resolve_async(action)
        assert resolved.edit and resolved.edit.document_changes, "resolve produced no edit"
        for change in resolved.edit.document_changes:
            assert isinstance(change, types.TextDocumentEdit) and change.text_document.version is not None
            apply_and_notify(client, change)
    else:
        assert action.command is not None
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=action.command.command, arguments=action.command.arguments))


async def test_expand_bullets_replaces_them_with_prose(client: LanguageClient) -> None:
    buffer = open_note(client, client.vault / DRAFT)
    actions = await actions_at(client, buffer.uri, 6)  # how fast: `penna bench` (non-model requests)
    titles = [a.title for a in actions]
    assert "Expand bullets into prose" in titles and "Three variants" in titles
    await run_action(client, next(a for a in actions if a.title == "Expand bullets into prose"))
    body = buffer.text.split("# Winter loaf\n\n", 1)[1]
    assert not body.lstrip().startswith("- "), body
    assert len(body.split()) >= 8 and body.strip()[-1] in ".!?…"
    assert "audience: home bakers" in buffer.text  # nothing outside the bullets was touched


async def test_rephrase_continue_and_variants_each_edit(client: LanguageClient) -> None:
    buffer = open_note(client, client.vault / "Drafts/Essay.md")
    before = buffer.text
    actions = {a.title: a for a in await actions_at(client, buffer.uri, 2)}
    assert {"Rephrase in my voice", "Continue this paragraph"} <= set(actions)
    await run_action(client, actions["Continue this paragraph"])
    assert buffer.text.startswith(before.split("\n\n- ")[0]) and len(buffer.text) > len(before)
    actions = {a.title: a for a in await actions_at(client, buffer.uri, 2)}
    await run_action(client, actions["Rephrase in my voice"])
    assert "It is important to note that bread is slow." not in buffer.text
    bullets_line = buffer.text.split("\n").index("- first point about flour")
    actions = {a.title: a for a in await actions_at(client, buffer.uri, bullets_line)}
    await run_action(client, actions["Three variants"])
    # This list has close alternatives, so at least a second variant; copies are left out, and the
    # block says so: three, or fewer with the reason.
    assert "> [!penna]- Variants" in buffer.text and "> **2.**" in buffer.text
    shown = len(re.findall(r"^> \*\*\d\.\*\* ", buffer.text, flags=re.M))
    assert shown == 3 or f"> ({shown} of 3: the other drafts repeated these)" in buffer.text, buffer.text
    assert "- first point about flour" in buffer.text  # variants are added, the bullets stay


async def test_command_path_applies_edit_through_apply_edit(client: LanguageClient) -> None:
    buffer = open_note(client, note_of_bullets(client, "Rye", "rye has no gluten, dough never feels ready"))
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="penna.expand", arguments=[{"uri": buffer.uri, "range": {"start": {"line": 2, "character": 0},
                                                                         "end": {"line": 2, "character": 0}}}]))
    assert result["applied"] is True and result["text"]
    assert client.editor.applied and result["text"] in buffer.text


async def test_cancel_stops_generation_and_applies_nothing(client: LanguageClient) -> None:
    buffer = open_note(client, client.vault / DRAFT)
    # Cancel as an editor does: `$/cancelRequest` for the request id, then read the response
    # JSON-RPC still requires (it must be the RequestCancelled error, not a late result).
    request_id = "cancel-me"
    # pytest-lsp's send_request_async is a coroutine: schedule it so the request goes out now.
    response = asyncio.ensure_future(client.protocol.send_request_async(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command="penna.variants",
                                   arguments=[{"uri": buffer.uri, "position": {"line": 6, "character": 0}}]),
        msg_id=request_id))
    for _ in range(300):  # wait until generation has really started (progress reported)
        await asyncio.sleep(0.05)
        if any(client.progress_reports.values()):
            break
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
    with pytest.raises(JsonRpcException) as raised:
        await response
    assert raised.value.code == -32800  # RequestCancelled
    status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
    assert status["lastCancelSeconds"] is not None  # how fast: `penna bench` ("cancel → stopped")
    # The generation stopped: its progress ended as cancelled (sent once the worker had stopped,
    # before the answer) and the worker, which reports partial text while it runs, says no more.
    cancelled = [reports for reports in client.progress_reports.values()
                 if any(isinstance(r, types.WorkDoneProgressEnd) and r.message == "cancelled" for r in reports)]
    assert len(cancelled) == 1 and isinstance(cancelled[0][-1], types.WorkDoneProgressEnd), cancelled
    reported = len(cancelled[0])
    await asyncio.sleep(0.5)
    assert len(cancelled[0]) == reported
    assert client.editor.applied == [] and buffer.text.count("\n- ") == 4


async def test_typing_during_generation_reanchors_or_refuses(client: LanguageClient) -> None:
    buffer = open_note(client, note_of_bullets(client, "Rye", "rye has no gluten", "bake it hot, rest a full day"))
    task = asyncio.ensure_future(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="penna.expand", arguments=[{"uri": buffer.uri, "position": {"line": 2, "character": 0}}])))
    await asyncio.sleep(0.3)
    type_text(client, buffer, types.Position(1, 0), "A new first line typed meanwhile.\n\n")
    result = await task
    assert result["applied"] is True  # re-anchored onto the unchanged bullets
    assert buffer.text.count("A new first line typed meanwhile.") == 1
    assert "- bake it hot" not in buffer.text

    # A change inside the target span cannot be re-anchored: refused, and the text is offered.
    # One bullet in a note of its own: the refusal does not depend on how long the answer is.
    short = client.vault / "Drafts/Scoring angle.md"
    short.write_text("# Scoring angle\n\n- shallow angle for an ear\n", encoding="utf-8")
    buffer = open_note(client, short)
    bullet_line = buffer.text.split("\n").index("- shallow angle for an ear")
    task = asyncio.ensure_future(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="penna.expand", arguments=[{"uri": buffer.uri, "position": {"line": bullet_line, "character": 0}}])))
    await asyncio.sleep(0.3)
    type_text(client, buffer, types.Position(bullet_line, 2), "very ")
    result = await task
    assert result["applied"] is False and result["text"] and "changed while" in result["message"]
    assert "- very shallow angle for an ear" in buffer.text  # the keystroke survived


async def test_configuration_change_applies_and_reports_bad_values(client: LanguageClient) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"penna": {"temperature": "hot", "hover": "cached"}}))
    for _ in range(40):
        if any("temperature" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.1)
    assert any("'temperature' must be a number" in m.message for m in client.messages)
    buffer = open_note(client, client.vault / "Notes/Cold kitchens.md")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=buffer.uri), position=types.Position(5, 3)))
    assert hover and "being prepared" not in hover.contents.value  # cached mode never generates


async def test_rewrites_become_exemplars_and_cut_words_are_avoided(client: LanguageClient) -> None:
    buffer = open_note(client, note_of_bullets(client, "Rye", "rye has no gluten, dough never feels ready"))
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="penna.expand", arguments=[{"uri": buffer.uri, "position": {"line": 2, "character": 0}}]))
    assert result["applied"]
    generated = result["text"].strip()
    # The author rewrites the draft hard: keeps a few words of their own and cuts the rest.
    final = "Rye dough is slow; I trust my hands and the clock less."
    start = buffer.text.index(generated)
    buffer.text = buffer.text[:start] + final + buffer.text[start + len(generated):]
    buffer.version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=buffer.uri, version=buffer.version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=buffer.text)]))
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=buffer.uri)))
    from penna.knowledge.items import content_words
    cut = sorted(set(content_words(generated)) - set(content_words(final)))
    assert cut, "the rewrite must delete some of penna's words"
    markdown = ""
    for _ in range(40):
        context = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="penna.showContext", arguments=[{"uri": buffer.uri, "position": {"line": 0, "character": 0}}]))
        markdown = context["markdown"]
        if "**rewrite**" in markdown:
            break
        await asyncio.sleep(0.1)
    assert f"**rewrite**: {final}" in markdown
    avoid_line = next(line for line in markdown.splitlines() if "Words I cut from drafts" in line)
    assert any(word in avoid_line for word in cut)
    forgotten = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.forgetRewrites"))
    assert forgotten["forgotten"] == 1


# --- Reading only: one server per editor, shared (`reader`) ----------------------------------------
@shares_a_server
async def test_hover_gives_style_analysis_at_once_and_rephrasing_when_ready(reader: LanguageClient) -> None:
    buffer = open_note(reader, reader.vault / "Drafts/Essay.md")
    params = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=buffer.uri),
                               position=types.Position(2, 5))
    first = await reader.text_document_hover_async(params)
    assert first and "how would I phrase this?" in first.contents.value
    assert "“it is important to note”" in first.contents.value.lower() or "important to note" in first.contents.value
    text = first.contents.value
    for _ in range(60):
        if "In your voice" in text:
            break
        await asyncio.sleep(0.5)
        text = (await reader.text_document_hover_async(params)).contents.value
    assert "In your voice" in text



@shares_a_server
async def test_context_viewer_shows_four_parts(reader: LanguageClient) -> None:
    buffer = open_note(reader, reader.vault / DRAFT)
    result = await reader.workspace_execute_command_async(types.ExecuteCommandParams(
        command="penna.showContext", arguments=[{"uri": buffer.uri, "position": {"line": 6, "character": 0}}]))
    markdown = result["markdown"]
    for part in ("Participatory", "Procedural", "Perspectival", "Propositional"):
        assert f"## {part}" in markdown
    assert "file://" in markdown and "tokens" in markdown



@shares_a_server
async def test_diagnostics_flag_generic_phrases_with_a_quick_fix(reader: LanguageClient) -> None:
    buffer = open_note(reader, reader.vault / "Drafts/Essay.md")
    for _ in range(40):
        if reader.diagnostics.get(buffer.uri):
            break
        await asyncio.sleep(0.1)
    found = reader.diagnostics[buffer.uri]
    assert any(d.code == "generic-phrase" and d.severity == types.DiagnosticSeverity.Information for d in found)
    result = await reader.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=buffer.uri), range=found[0].range,
        context=types.CodeActionContext(diagnostics=found)))
    assert any(a.kind == types.CodeActionKind.QuickFix for a in result if isinstance(a, types.CodeAction))
