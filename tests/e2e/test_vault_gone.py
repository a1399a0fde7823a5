"""The vault folder renamed, then deleted, while the real server runs: it says so once, keeps
what it had indexed, and every feature that does not need the folder keeps answering.
(No model: the folder's fate has nothing to do with it, and a model warming up on a loaded
machine would only slow the test.)"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsp_harness import config, open_note, sample_vault_copy, settings, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.e2e


@pytest.fixture
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_vault_copy(tmp_path_factory, "gone")


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient, vault: Path):
    options = settings(model=str(vault.parent / "no-model.gguf"), hover="cached")
    await start_session(lsp_client, vault, options)
    yield
    await lsp_client.shutdown_session()


async def test_vault_moved_then_deleted_while_serving(client: LanguageClient, tmp_path: Path) -> None:
    vault: Path = client.vault  # type: ignore[attr-defined]
    for _ in range(100):
        status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
        if status["vaults"] and status["vaults"][0]["notes"] >= 9:
            break
        await asyncio.sleep(0.1)
    buffer = open_note(client, vault / "Notes" / "Cold kitchens.md")
    moved = vault.parent / "renamed-vault"
    vault.rename(moved)
    doc = types.TextDocumentIdentifier(uri=buffer.uri)

    async def features_answer() -> None:
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=doc, position=types.Position(5, 3)))
        assert hover is not None and "how would I phrase this" in hover.contents.value  # from the open buffer
        buffer.text += "\n[[Sco"
        buffer.version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=buffer.uri, version=buffer.version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=buffer.text)]))
        completion = await client.text_document_completion_async(types.CompletionParams(
            text_document=doc, position=types.Position(buffer.text.count("\n"), 5)))
        items = completion.items if isinstance(completion, types.CompletionList) else (completion or [])
        assert any(item.label == "Scoring" for item in items)  # the index is kept
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=doc))
        status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
        assert status["vaults"]

    await features_answer()
    for _ in range(100):  # the watcher notices (no event comes for a renamed root) and says so
        if any("is gone" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.1)
    assert any("is gone" in m.message and m.type == types.MessageType.Warning for m in client.messages), client.messages
    shutil.rmtree(moved)
    await features_answer()
    assert not vault.exists()  # penna recreated nothing where the vault was
