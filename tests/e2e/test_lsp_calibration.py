"""End-to-end: a local model other than the embedded default is tried on the vault in the
background, and the status says how it drafts a sentence from a note.

The model is the default's own GGUF file under another name (no other model can be downloaded
here): the server sees a model chosen by path, which it has not measured, and runs its trial."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_harness import config, open_note, sample_vault_copy, settings, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

from penna.writing.registry import default_model_path

pytestmark = [pytest.mark.e2e, pytest.mark.model]


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def status(client: LanguageClient) -> dict[str, Any]:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))


async def test_a_model_chosen_by_path_is_tried_in_the_background_and_the_status_says_how_it_drafts(
        client: LanguageClient, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    vault = sample_vault_copy(tmp_path_factory, "calibration")
    model = tmp_path / "my-model.gguf"
    model.symlink_to(default_model_path())
    await start_session(client, vault, settings(model=str(model)), "neovim")
    open_note(client, vault / "Drafts" / "Winter loaf.md")  # the warm-up loads the model, then tries it
    seen: list[str] = []
    for _ in range(1800):
        found = (await status(client))["model"]
        if found.get("drafting") and found["drafting"] not in seen:
            seen.append(found["drafting"])
        if "keepable" in found.get("drafting", ""):
            break
        await asyncio.sleep(0.1)
    assert seen and "keepable" in seen[-1], seen
    assert seen[0].startswith("restores notes first until its trial"), seen  # said while it runs
    assert "restored" in seen[-1] and "by restoring the note first" in seen[-1], seen[-1]  # the 270M's result
    assert found["source"] == "path"  # chosen by path: not the embedded default, whose order is measured
