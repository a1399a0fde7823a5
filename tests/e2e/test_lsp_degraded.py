"""End-to-end: the index-only features on a real vault, and a server whose model is missing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from conftest import SHARED_DATA
from lsp_harness import config, open_note
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities

pytestmark = pytest.mark.e2e
KEPANO = SHARED_DATA / "vaults" / "kepano-obsidian"


@pytest_lsp.fixture(config=config(), params=["neovim", "visual-studio-code"])
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, tmp_path: Path):
    if not KEPANO.is_dir():
        pytest.skip(f"real data not found at {KEPANO}")
    options = {"model": str(tmp_path / "missing.gguf")}
    lsp_client.set_configuration({"penna": options})
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(request.param), root_uri=KEPANO.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=KEPANO.as_uri(), name="kepano")],
        initialization_options=options))
    yield
    await lsp_client.shutdown_session()


async def wait_indexed(client: LanguageClient) -> None:
    for _ in range(100):
        status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
        if status["vaults"] and status["vaults"][0]["notes"] >= 100:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"vault not indexed: {status}")


async def complete(client: LanguageClient, uri: str, line: int, character: int) -> list[str]:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character)))
    items = result.items if isinstance(result, types.CompletionList) else (result or [])
    return [i.label for i in items]


async def test_wikilink_heading_and_tag_completion_on_a_real_vault(client: LanguageClient, tmp_path: Path) -> None:
    await wait_indexed(client)
    note = KEPANO / "Notes" / "Evergreen notes turn ideas into objects that you can manipulate.md"
    buffer = open_note(client, note)
    # The user types "[[Ever" and "#cat" at the end of the note (buffer only; the file is untouched).
    lines = buffer.text.split("\n")
    buffer.text += "\n[[Ever\n#cat"
    buffer.version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=buffer.uri, version=buffer.version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=buffer.text)]))
    base = len(lines)
    titles = await complete(client, buffer.uri, base, 6)
    assert "Evergreen notes" in titles or any(t.startswith("Evergreen") for t in titles)
    tags = await complete(client, buffer.uri, base + 1, 4)
    assert "categories" in tags
    assert note.read_text(encoding="utf-8") == buffer.text.split("\n[[Ever")[0]  # nothing written to disk


async def test_missing_model_is_reported_once_and_other_features_work(client: LanguageClient) -> None:
    await wait_indexed(client)
    buffer = open_note(client, KEPANO / "Notes" / "Evergreen notes turn ideas into objects that you can manipulate.md")
    status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
    line = next(i for i, text in enumerate(buffer.text.split("\n"))
                if len(text.split()) > 8 and not text.startswith(("-", "#", ">")))
    with pytest.raises(JsonRpcException, match="model file not found"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="penna.rephrase", arguments=[{"uri": buffer.uri, "position": {"line": line, "character": 0}}]))
    for _ in range(20):
        if any("model is unavailable" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.1)
    assert sum("model is unavailable" in m.message for m in client.messages) == 1
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=buffer.uri), position=types.Position(line, 2)))
    assert hover and "Sentences average" in hover.contents.value
    context = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="penna.showContext", arguments=[{"uri": buffer.uri, "position": {"line": line, "character": 0}}]))
    assert "## Propositional" in context["markdown"] and "approximate" in context["markdown"]
    assert status["model"]["state"] in ("not loaded", "error", "loading")
