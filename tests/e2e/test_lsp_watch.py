"""End-to-end: the running server follows the vault (real `penna serve` over stdio, real
watchdog), and `penna index --watch` does the same from the command line.

The model is pointed at a missing file: nothing here needs it, and loading it would only slow
the machine down (the server says once that the model is unavailable).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from conftest import SAMPLE_VAULT
from lsp_harness import config, open_note, sample_vault_copy, start_session, type_text
from lsprotocol import types
from pytest_lsp import LanguageClient

from penna.knowledge.index import Index
from penna.paths import index_path

pytestmark = pytest.mark.e2e
WAIT = 30.0  # generous: a shared CI machine


@pytest.fixture
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_vault_copy(tmp_path_factory, "watch")


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient, vault: Path, tmp_path: Path):
    await start_session(lsp_client, vault, {"model": str(tmp_path / "missing.gguf")})
    yield
    await lsp_client.shutdown_session()


async def labels(client: LanguageClient, uri: str, line: int, character: int) -> list[str]:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character)))
    items = result.items if isinstance(result, types.CompletionList) else (result or [])
    return [item.label for item in items]


async def eventually(check, what: str) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > WAIT:
            raise AssertionError(f"{what}: not within {WAIT:.0f}s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_a_note_created_on_disk_after_start_is_offered_in_link_completion(client: LanguageClient) -> None:
    vault: Path = client.vault  # type: ignore[attr-defined]
    buffer = open_note(client, vault / "Drafts/Winter loaf.md")
    end = len(buffer.text.split("\n")) - 1
    type_text(client, buffer, types.Position(end, 0), "[[Autol")
    line = buffer.text.split("\n")[end]
    assert "Autolyse" not in await labels(client, buffer.uri, end, len(line))

    (vault / "Notes/Autolyse.md").write_text("# Autolyse\n\nFlour and water rest before the salt.\n", encoding="utf-8")
    seconds = await eventually(lambda: _offers(client, buffer.uri, end, len(line), "Autolyse"), "the new note")
    print(f"\nnew note offered {seconds:.2f}s after it was written")

    (vault / "Notes/Autolyse.md").unlink()
    await eventually(lambda: _lacks(client, buffer.uri, end, len(line), "Autolyse"), "the deleted note gone")


async def test_headings_typed_in_an_open_buffer_complete_before_saving_and_not_after_closing(
        client: LanguageClient) -> None:
    vault: Path = client.vault  # type: ignore[attr-defined]
    other = open_note(client, vault / "Notes/Scoring.md")
    type_text(client, other, types.Position(len(other.text.split("\n")), 0), "\n## Unsaved heading\n")
    draft = open_note(client, vault / "Drafts/Winter loaf.md")
    end = len(draft.text.split("\n")) - 1
    type_text(client, draft, types.Position(end, 0), "[[Scoring#Uns")
    column = len(draft.text.split("\n")[end])
    await eventually(lambda: _offers(client, draft.uri, end, column, "Unsaved heading"), "the unsaved heading")

    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=other.uri)))  # unsaved text is dropped: disk wins
    await eventually(lambda: _lacks(client, draft.uri, end, column, "Unsaved heading"), "back to disk")


async def test_the_vault_deleted_while_running_is_reported_the_server_keeps_answering_and_catches_up_when_it_is_back(
        client: LanguageClient) -> None:
    vault: Path = client.vault  # type: ignore[attr-defined]
    buffer = open_note(client, vault / "Drafts/Winter loaf.md")
    await eventually(lambda: _offers(client, buffer.uri, 0, 0, None), "the index")
    shutil.rmtree(vault)

    async def reported() -> bool:
        return any("is gone" in m.message and m.type == types.MessageType.Warning for m in client.messages)

    await eventually(reported, "a message about the vault")
    # Requests still get answers from what was indexed: no crash, no hang.
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
    assert result["vaults"][0]["notes"] > 0

    # The folder comes back (a drive remounted, a sync restored it): the server catches up.
    shutil.copytree(SAMPLE_VAULT, vault)
    (vault / "Notes/Autolyse.md").write_text("# Autolyse\n\nFlour and water rest before the salt.\n", encoding="utf-8")
    end = len(buffer.text.split("\n")) - 1
    type_text(client, buffer, types.Position(end, 0), "[[Autol")
    column = len(buffer.text.split("\n")[end])
    await eventually(lambda: _offers(client, buffer.uri, end, column, "Autolyse"), "a note in the restored vault")


async def test_opening_a_clipping_is_reading_and_typing_or_saving_is_editing(client: LanguageClient) -> None:
    vault: Path = client.vault  # type: ignore[attr-defined]
    open_note(client, vault / "Clippings/Oven spring explained.md")  # maybe before the sync has indexed it
    draft = open_note(client, vault / "Drafts/Winter loaf.md")
    type_text(client, draft, types.Position(0, 0), "x")
    type_text(client, draft, types.Position(0, 0), "y")  # one edit event per stretch of typing
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=draft.uri)))
    index = Index(index_path(vault), vault)  # the server's own index (same cache directory)

    async def recorded() -> bool:
        return len(index.attention_since(0)) >= 4

    try:
        await eventually(recorded, "attention events")
        events = sorted((path, kind) for path, kind, _ in index.attention_since(0))
        assert events == [("Clippings/Oven spring explained.md", "read"), ("Drafts/Winter loaf.md", "edit"),
                          ("Drafts/Winter loaf.md", "edit"), ("Drafts/Winter loaf.md", "open")]
    finally:
        index.close()


async def _offers(client: LanguageClient, uri: str, line: int, character: int, label: str | None) -> bool:
    if label is None:  # only that the index is ready
        status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
        return bool(status["vaults"]) and status["vaults"][0]["notes"] > 0
    return label in await labels(client, uri, line, character)


async def _lacks(client: LanguageClient, uri: str, line: int, character: int, label: str) -> bool:
    return label not in await labels(client, uri, line, character)


def test_penna_index_watch_follows_the_vault_until_it_disappears(vault: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "penna", "index", "--watch", str(vault)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()  # the start-up sync's summary
        assert "added" in first, first
        assert "watching" in process.stderr.readline()
        (vault / "Inbox.md").write_text("# Inbox\n\nBuy rye flour.\n", encoding="utf-8")
        assert process.stdout.readline().startswith("added 1 note")
        (vault / "Inbox.md").write_text("# Inbox\n\nBuy rye flour and salt.\n", encoding="utf-8")
        assert process.stdout.readline().startswith("updated 1 note")
        shutil.rmtree(vault)
        assert process.wait(timeout=WAIT) == 1
        assert "disappeared" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
