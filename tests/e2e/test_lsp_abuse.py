"""Protocol abuse against the real `penna serve` over stdio: documents outside the vault, `..`
in URIs, ranges past the end, versions going backwards, unknown commands, bad arguments, and
requests before `initialize` or after `shutdown`. Every request gets an answer (a result or a
JSON-RPC error with a clear message), and the server keeps serving."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from conftest import SAMPLE_VAULT
from lsp_harness import close_notes, config, open_note, settings, shared_session, start_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from raw_lsp import RawServer

pytestmark = pytest.mark.e2e
OPTIONS = settings(hover="cached", maxTokens=32, nCtx=1024)  # short runs: the machine is shared
shares_a_server = pytest.mark.asyncio(loop_scope="module")  # runs in the loop the shared server lives in


def make_world(factory: pytest.TempPathFactory) -> Path:
    root = factory.mktemp("abuse")
    shutil.copytree(SAMPLE_VAULT, root / "vault")
    (root / "outside").mkdir()
    (root / "outside" / "Private.md").write_text("- a secret list\n- not in the vault\n", encoding="utf-8")
    os.symlink(root / "outside" / "Private.md", root / "vault" / "Escape.md")
    return root


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(tmp_path_factory)


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient, world: Path):
    """A server of its own, for a test that changes a note or the vault."""
    await start_session(lsp_client, world / "vault", OPTIONS)
    lsp_client.world = world  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reading_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LanguageClient]:
    world = make_world(tmp_path_factory)
    async with shared_session(tmp_path_factory.mktemp("penna-cache"), world / "vault", OPTIONS) as shared:
        shared.world = world  # type: ignore[attr-defined]
        yield shared


@pytest_asyncio.fixture(loop_scope="module")
async def reader(reading_server: LanguageClient) -> AsyncIterator[LanguageClient]:
    """One server shared by the tests that change nothing; the notes a test opened are closed after it."""
    yield reading_server
    close_notes(reading_server)


async def command(client: LanguageClient, name: str, *arguments: object) -> object:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=name,
                                                                                   arguments=list(arguments)))


async def still_serving(client: LanguageClient) -> None:
    status = await command(client, "penna.status")
    assert status["vaults"], status  # type: ignore[index]


def doc_id(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_version_going_backwards_uses_the_latest_text(client: LanguageClient) -> None:
    buffer = open_note(client, client.world / "vault" / "Notes" / "Scoring.md")  # type: ignore[attr-defined]
    new_text = "# Scoring\n\n- a fresh bullet\n- and another\n"
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=buffer.uri, version=0),  # went backwards
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)]))
    buffer.text, buffer.version = new_text, 0
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc_id(buffer.uri), range=types.Range(types.Position(2, 2), types.Position(2, 2)),
        context=types.CodeActionContext(diagnostics=[])))
    expand = next(a for a in actions if a.title == "Expand bullets into prose")
    assert expand.data["range"]["end"]["line"] == 3 and expand.data["version"] == 0
    await still_serving(client)


def test_requests_before_initialize_and_after_shutdown_are_answered(tmp_path: Path, sample_vault: Path) -> None:
    server = RawServer({"PENNA_CACHE_DIR": str(tmp_path / "cache")})
    try:
        hover = {"textDocument": {"uri": (sample_vault / "Notes" / "Scoring.md").as_uri()},
                 "position": {"line": 0, "character": 0}}
        early = server.call("textDocument/hover", hover, timeout=30)
        assert early["error"]["code"] == -32002 and "not initialized" in early["error"]["message"]
        assert "result" in server.initialize(sample_vault.as_uri(), {"model": str(tmp_path / "none.gguf")})
        bad = server.call("textDocument/hover", {**hover, "position": {"line": -1, "character": 0}}, timeout=30)
        assert bad["error"]["code"] == -32602  # pygls alone never answers this one
        unknown = server.call("penna/nothing", {}, timeout=30)
        assert unknown["error"]["code"] == -32601
        assert server.call("shutdown", None, timeout=30)["result"] is None
        late = server.call("textDocument/hover", hover, timeout=30)
        assert late["error"]["code"] == -32600 and "shutting down" in late["error"]["message"]
        server.notify("exit")
        assert server.proc.wait(timeout=30) == 0
    finally:
        server.close()


@pytest.mark.model
async def test_version_reused_during_generation_never_overwrites_typing(client: LanguageClient) -> None:
    """A client that sends a version going backwards and then the original version number again,
    with different text: the version matches, the text does not; the edit must be refused."""
    buffer = open_note(client, client.world / "vault" / "Notes" / "Scoring.md")  # type: ignore[attr-defined]
    line = buffer.text.split("\n").index("- shallow angle for an ear")
    started_version = buffer.version
    task = asyncio.ensure_future(command(client, "penna.expand", {"uri": buffer.uri,
                                                                  "position": {"line": line, "character": 0}}))
    await asyncio.sleep(0.3)
    typed = buffer.text.replace("- shallow angle for an ear", "- very shallow angle for an ear")
    for version in (started_version - 1, started_version):
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=buffer.uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=typed)]))
    buffer.text, buffer.version = typed, started_version  # the client accepts edits for this version
    result = await task
    assert result["applied"] is False and "changed while penna was writing" in result["message"]  # type: ignore[index]
    assert "- very shallow angle for an ear" in buffer.text and client.editor.applied == []  # type: ignore[attr-defined]


@pytest.mark.model
async def test_a_selection_too_long_for_the_window_is_refused_with_numbers(client: LanguageClient) -> None:
    world: Path = client.world  # type: ignore[attr-defined]
    note = world / "vault" / "Drafts" / "Huge list.md"
    note.write_text("\n".join(f"- point {i} about the dough and the oven" for i in range(300)) + "\n", encoding="utf-8")
    buffer = open_note(client, note)
    with pytest.raises(JsonRpcException, match=r"context window is 1024; shorten the selection by about \d+ tokens"):
        await command(client, "penna.expand", {"uri": buffer.uri, "position": {"line": 0, "character": 0}})
    assert note.read_text(encoding="utf-8") == buffer.text and client.editor.applied == []  # type: ignore[attr-defined]
    await still_serving(client)


# --- Reading only: one server, shared (`reader`) ------------------------------------------------------
@shares_a_server
async def test_documents_outside_the_vault_and_dotdot_uris_are_refused(reader: LanguageClient) -> None:
    world: Path = reader.world  # type: ignore[attr-defined]
    vault_uri = (world / "vault").as_uri()
    outside = open_note(reader, world / "outside" / "Private.md")
    escape = f"{vault_uri}/Escape.md"  # a symlink in the vault to the file outside
    reader.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=escape, language_id="markdown", version=1, text=outside.text)))
    dotdot_out = f"{vault_uri}/../outside/Private.md"
    dotdot_in = f"{vault_uri}/Notes/../Notes/Scoring.md"
    for uri in (outside.uri, escape, dotdot_out, dotdot_in):
        actions = await reader.text_document_code_action_async(types.CodeActionParams(
            text_document=doc_id(uri), range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[])))
        assert not actions, uri
        hover = await reader.text_document_hover_async(types.HoverParams(text_document=doc_id(uri),
                                                                         position=types.Position(0, 2)))
        assert hover is None, uri
        with pytest.raises(JsonRpcException, match="not a note inside an open vault"):
            await command(reader, "penna.expand", {"uri": uri, "position": {"line": 0, "character": 0}})
        with pytest.raises(JsonRpcException, match="not a note inside an open vault"):
            await command(reader, "penna.showContext", {"uri": uri, "position": {"line": 0, "character": 0}})
    assert outside.text == (world / "outside" / "Private.md").read_text(encoding="utf-8")
    await still_serving(reader)



@shares_a_server
async def test_positions_past_the_end(reader: LanguageClient) -> None:
    buffer = open_note(reader, reader.world / "vault" / "Notes" / "Scoring.md")  # type: ignore[attr-defined]
    far = types.Position(9_999, 9_999)
    actions = await reader.text_document_code_action_async(types.CodeActionParams(
        text_document=doc_id(buffer.uri), range=types.Range(types.Position(2, 0), far),
        context=types.CodeActionContext(diagnostics=[])))
    assert actions is not None and all(a.title for a in actions)  # clamped to the end of the note, not an error
    hover = await reader.text_document_hover_async(types.HoverParams(text_document=doc_id(buffer.uri), position=far))
    assert hover is None
    completion = await reader.text_document_completion_async(types.CompletionParams(
        text_document=doc_id(buffer.uri), position=far))
    assert completion is None or isinstance(completion, (list, types.CompletionList))
    with pytest.raises(JsonRpcException, match="nothing to expand here"):
        await command(reader, "penna.expand", {"uri": buffer.uri, "range": {"start": {"line": 9_000, "character": 0},
                                                                            "end": {"line": 9_999, "character": 9}}})
    context = await command(reader, "penna.showContext",
                            {"uri": buffer.uri, "position": {"line": 9_999, "character": 0}})
    assert "## Propositional" in context["markdown"]  # type: ignore[index]
    await still_serving(reader)



@shares_a_server
async def test_unknown_commands_and_invalid_arguments_get_clear_errors(reader: LanguageClient) -> None:
    buffer = open_note(reader, reader.world / "vault" / "Notes" / "Scoring.md")  # type: ignore[attr-defined]
    with pytest.raises(JsonRpcException, match=r"'penna\.nope' is not defined"):
        await command(reader, "penna.nope")
    with pytest.raises(JsonRpcException, match="is not defined"):
        await command(reader, "rm -rf /")
    bad: list[tuple[str, tuple[object, ...], str]] = [
        ("penna.expand", (), "takes one argument"),
        ("penna.expand", (42,), "takes one argument"),
        ("penna.expand", ({"uri": 42},), "uri must be a document URI string"),
        ("penna.expand", ({"uri": buffer.uri, "range": "oops"},), "range must be"),
        ("penna.expand", ({"uri": buffer.uri, "range": {"start": {"line": 1}}},), "range must be"),
        ("penna.rephrase", ({"uri": buffer.uri, "position": {"line": -1, "character": 0}},),
         "position.line must be a whole number"),
        ("penna.expand", ({"uri": "https://example.com/x.md", "position": {"line": 0, "character": 0}},),
         "not a note inside an open vault"),
        ("penna.showContext", (), "takes one argument object"),
        ("penna.showContext", ({"uri": None},), "uri must be a document URI string"),
    ]
    for name, arguments, message in bad:
        with pytest.raises(JsonRpcException, match=message):
            await command(reader, name, *arguments)
    status = await command(reader, "penna.status", "ignored", 42)  # extra arguments are ignored
    assert status["vaults"]  # type: ignore[index]
