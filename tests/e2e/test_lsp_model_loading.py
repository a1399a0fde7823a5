"""End-to-end: the model loads lazily and in the background, and the editor is shown its loading
as work-done progress ending with the load time (or the reason it failed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsp_harness import config, open_note, sample_vault_copy, settings, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.e2e, pytest.mark.model]
LOADING = "penna: loading the model"


@pytest.fixture
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_vault_copy(tmp_path_factory, "loading")


async def start(client: LanguageClient, vault: Path, editor: str, **overrides: object) -> None:
    await start_session(client, vault, settings(**overrides), editor)


def loading_reports(client: LanguageClient) -> list[list[object]]:
    return [reports for reports in client.progress_reports.values()
            if reports and isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].title == LOADING]


async def wait_for_end(client: LanguageClient, timeout: float = 120.0) -> list[object]:
    async def ended() -> list[object]:
        while True:
            for reports in loading_reports(client):
                if isinstance(reports[-1], types.WorkDoneProgressEnd):
                    return reports
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(ended(), timeout)


@pytest_lsp.fixture(config=config(), params=["visual-studio-code", "neovim"])
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    lsp_client.editor_name = request.param  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_opening_a_note_loads_the_model_in_the_background_with_progress(client: LanguageClient,
                                                                             vault: Path) -> None:
    await start(client, vault, client.editor_name)  # type: ignore[attr-defined]
    assert loading_reports(client) == [], "the model must not load before anything needs it"
    open_note(client, vault / "Drafts" / "Winter loaf.md")  # the warm-up needs the model
    reports = await wait_for_end(client)
    assert reports[-1].message and "ready in" in reports[-1].message, reports[-1]
    assert len(loading_reports(client)) == 1, "the model loads once"


async def test_a_broken_model_ends_the_progress_with_the_reason(client: LanguageClient, vault: Path,
                                                               tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    await start(client, vault, client.editor_name, model=str(broken))  # type: ignore[attr-defined]
    open_note(client, vault / "Drafts" / "Winter loaf.md")
    reports = await wait_for_end(client)
    assert "unavailable" in (reports[-1].message or ""), reports[-1]
    # The rest keeps working: the vault is indexed all the same.
    for _ in range(600):
        status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
        if not status.get("indexing"):
            break
        await asyncio.sleep(0.1)
    assert status["model"]["state"] == "error" and status["vaults"][0]["notes"] > 0, status
