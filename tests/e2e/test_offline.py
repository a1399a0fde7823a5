"""The offline guarantee, end to end: the real server indexes, expands, hovers and completes
without ever opening a network socket. Its only channel is stdio."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from conftest import SAMPLE_VAULT
from llama_server import peers
from lsp_harness import config, open_note, settings, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.e2e, pytest.mark.model]


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient, tmp_path: Path):
    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    await start_session(lsp_client, vault, settings())
    yield
    await lsp_client.shutdown_session()


async def test_server_uses_no_network_socket(client: LanguageClient) -> None:
    pid = client._server.pid  # the server process pytest-lsp started
    seen: set[tuple[str, str, int]] = set()
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            seen.update(peers(pid))  # any TCP/UDP/raw socket, connected or not
            await asyncio.sleep(0.02)

    watcher = asyncio.ensure_future(watch())
    note = client.vault / "Drafts/Rye.md"  # one bullet: the model runs; how long it writes does not matter here
    note.write_text("# Rye\n\n- rye has no gluten, dough never feels ready\n", encoding="utf-8")
    buffer = open_note(client, note)
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="penna.expand", arguments=[{"uri": buffer.uri, "position": {"line": 2, "character": 0}}]))
    assert result["applied"]
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=buffer.uri), position=types.Position(2, 3)))
    buffer.text += "\n[[Cold"
    buffer.version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=buffer.uri, version=buffer.version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=buffer.text)]))
    completion = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=buffer.uri),
        position=types.Position(buffer.text.count("\n"), 6)))
    stop.set()
    await watcher
    assert hover is not None and "how would I phrase this" in hover.contents.value
    assert completion is not None and any(i.label == "Cold kitchens" for i in completion.items)
    assert seen == set(), f"the server opened network sockets: {seen}"
