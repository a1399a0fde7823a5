"""End-to-end: the real `penna serve` configured with `remoteUrl`, generating through a real
`python -m llama_cpp.server` (default model, loopback) started by this module: expand applies
prose, a cancel closes the server stream and applies nothing, and a server that is down is
reported clearly while the rest of the editor keeps working."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from llama_server import client_connections, free_port, peers
from lsp_harness import config, open_note, sample_vault_copy, settings, start_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.e2e, pytest.mark.model]
DRAFT = "Drafts/Winter loaf.md"


@pytest.fixture
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_vault_copy(tmp_path_factory, "lsp-remote")


async def start(client: LanguageClient, vault: Path, remote_url: str) -> None:
    # small: the test stays fast
    await start_session(client, vault, settings(remoteUrl=remote_url, nCtx=1024, maxTokens=64))


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient, server: str, vault: Path):
    await start(lsp_client, vault, server)
    lsp_client.vault = vault  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def command(client: LanguageClient, name: str, uri: str, line: int) -> dict:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=name, arguments=[{"uri": uri, "position": {"line": line, "character": 0}}]))


async def test_expand_and_cancel_through_the_model_server(client: LanguageClient, server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    pid = client._server.pid  # the penna server process pytest-lsp started
    seen: set[tuple[str, str, int]] = set()
    stop = asyncio.Event()

    async def watch() -> None:  # every network socket penna opens while it works
        while not stop.is_set():
            seen.update(peers(pid))
            await asyncio.sleep(0.02)

    watcher = asyncio.ensure_future(watch())
    buffer = open_note(client, client.vault / DRAFT)
    result = await command(client, "penna.expand", buffer.uri, 6)
    assert result["applied"] is True and result["text"].strip()
    body = buffer.text.split("# Winter loaf\n\n", 1)[1]
    assert not body.lstrip().startswith("- ") and result["text"] in buffer.text
    status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
    assert status["model"]["state"] == "ready" and status["model"]["source"] == "remote"
    assert status["model"]["name"].endswith(".gguf")  # the server's model id: its file
    context = await command(client, "penna.showContext", buffer.uri, 2)
    assert "Counted with the model's tokenizer" in context["markdown"]  # the server's /tokenize, exact

    # Cancel mid-generation as an editor does; nothing is applied and the server stream is closed.
    other = open_note(client, client.vault / "Notes/Scoring.md")
    bullet_line = other.text.split("\n").index("- shallow angle for an ear")
    before = other.text
    response = asyncio.ensure_future(client.protocol.send_request_async(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command="penna.variants",
                                   arguments=[{"uri": other.uri, "position": {"line": bullet_line, "character": 0}}]),
        msg_id="cancel-remote"))
    # Wait until a generation stream is open: penna keeps one connection for counting tokens,
    # and each stream has its own.
    for _ in range(600):
        await asyncio.sleep(0.05)
        if any(client.progress_reports.values()) and client_connections(port) >= 2:
            break
    assert client_connections(port) >= 2
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="cancel-remote"))
    with pytest.raises(JsonRpcException) as raised:
        await response
    assert raised.value.code == -32800  # RequestCancelled, not a late result
    for _ in range(40):
        if client_connections(port) <= 1:
            break
        await asyncio.sleep(0.05)
    assert client_connections(port) <= 1  # the generation's stream was closed; only the counting one is left
    status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
    assert status["lastCancelSeconds"] is not None  # how fast: `penna bench` ("cancel → stopped")
    await asyncio.sleep(0.3)
    assert other.text == before and len(client.editor.applied) == 1  # only the first expand

    # The server keeps serving: the next request works.
    again = await command(client, "penna.expand", other.uri, bullet_line)
    assert again["applied"] is True and again["text"].strip() and "- shallow angle for an ear" not in other.text
    stop.set()
    await watcher
    # The offline guarantee with a server configured: connections to that server and nothing else.
    assert seen and {(host, remote_port) for _table, host, remote_port in seen} == {("127.0.0.1", port)}, seen


@pytest_lsp.fixture(config=config())
async def offline_client(lsp_client: LanguageClient, vault: Path):
    await start(lsp_client, vault, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    lsp_client.vault = vault  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_a_model_server_that_is_down_is_reported_and_editing_goes_on(offline_client: LanguageClient) -> None:
    client = offline_client
    buffer = open_note(client, client.vault / DRAFT)
    with pytest.raises(JsonRpcException, match=r"is not reachable \(connection refused after 3 attempts\)"):
        await command(client, "penna.expand", buffer.uri, 6)
    for _ in range(40):
        if any("not reachable" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.1)
    assert any("not reachable" in m.message and "is it running" in m.message for m in client.messages)
    prose = open_note(client, client.vault / "Notes/Scoring.md")
    line = next(i for i, text in enumerate(prose.text.split("\n"))
                if len(text.split()) > 8 and not text.startswith(("-", "#", ">")))
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=prose.uri), position=types.Position(line, 2)))
    assert hover and "how would I phrase this?" in hover.contents.value  # the index-only features keep working
    context = await command(client, "penna.showContext", buffer.uri, 6)
    assert "approximate" in context["markdown"]  # tiktoken, and it says so
    assert client.editor.applied == []
