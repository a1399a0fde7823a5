"""End-to-end, over stdio: the server pushes `penna/status` when its state changes (so clients
need not poll), and pulls settings per vault with `workspace/configuration` and the vault's
folder as `scopeUri` (so an editor's per-folder settings reach their vault), again on
`workspace/didChangeConfiguration`. No model is loaded: the model setting names a missing file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_harness import SERVER, make_client, open_note, settings, start_session
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from penna.bench.synthetic import generate_vault
from penna.lsp.protocol import STATUS_NOTIFICATION, StatusResult

pytestmark = pytest.mark.e2e
PARAGRAPH = "I think a walk before writing clears my head. It always has, even in the rain.\n"


def recording_client() -> LanguageClient:
    """The harness's editor-like client, also keeping every `penna/status` it is sent."""
    client = make_client()
    client.statuses = []  # type: ignore[attr-defined]

    @client.feature(STATUS_NOTIFICATION)
    def on_status(ls: LanguageClient, params: Any) -> None:
        ls.statuses.append(params)  # type: ignore[attr-defined]

    return client


def plain(value: Any) -> Any:
    """A notification's params as plain JSON (pygls hands unknown ones over as namedtuples)."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


async def pushed(client: LanguageClient, predicate: Callable[[StatusResult], bool],
                 after: int = 0) -> StatusResult:
    """The first status pushed (from the `after`-th on) that satisfies `predicate`."""
    async def first() -> StatusResult:
        while True:
            for status in client.statuses[after:]:  # type: ignore[attr-defined]
                if predicate(plain(status)):
                    return plain(status)  # type: ignore[no-any-return]
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(first(), 120)  # a guard against hanging, not a timing assertion


def pushed_index(client: LanguageClient, status: StatusResult, after: int = 0) -> int:
    """Where a status returned by `pushed` sits among those pushed (the first equal one from `after`)."""
    return [plain(s) for s in client.statuses].index(status, after)  # type: ignore[attr-defined]


def make_vault(root: Path, name: str) -> Path:
    vault = root / name
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "Notes").mkdir()
    (vault / "Walks.md").write_text(f"# Walks\n\n{PARAGRAPH}", encoding="utf-8")
    (vault / "Notes" / "Rain.md").write_text("# Rain\n\nI like the rain. It smells of iron.\n", encoding="utf-8")
    return vault


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=recording_client))
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def test_status_is_pushed_when_indexing_ends_and_when_the_model_fails(client: LanguageClient,
                                                                            tmp_path: Path) -> None:
    vault = make_vault(tmp_path, "vault")
    await start_session(client, vault, settings(model=str(tmp_path / "missing.gguf")))
    indexed = await pushed(client, lambda s: bool(s["vaults"]) and all(v["indexed"] for v in s["vaults"])
                           and not s["indexing"])
    assert indexed["vaults"][0]["path"] == str(vault.resolve()) and indexed["vaults"][0]["notes"] == 2, indexed
    assert indexed["model"]["state"] != "error", "the model is not touched before something needs it"
    before = len(client.statuses)  # type: ignore[attr-defined]
    open_note(client, vault / "Walks.md")  # the warm-up asks for the model, which is missing
    failed = await pushed(client, lambda s: s["model"]["state"] == "error", after=before)
    assert failed["model"].get("error"), failed
    # The pushed status is the one `penna.status` answers.
    asked = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
    assert set(asked) == set(failed) and asked["model"]["state"] == "error"


async def hover(client: LanguageClient, uri: str) -> types.Hover | None:
    return await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(2, 3)))


async def test_each_vault_gets_its_folders_settings_and_a_change_is_pulled_again(client: LanguageClient,
                                                                                   tmp_path: Path) -> None:
    alpha, beta = make_vault(tmp_path, "alpha"), make_vault(tmp_path, "beta")
    common = settings(model=str(tmp_path / "missing.gguf"), hover="cached")
    client.set_configuration({"penna": common})
    # beta's folder settings: no hover, and its Notes folder is reading material.
    client.set_configuration({"penna": {**common, "hover": "off", "readingFolders": ["Notes"]}},
                             scope_uri=beta.as_uri())
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=alpha.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=alpha.as_uri(), name="alpha"),
                           types.WorkspaceFolder(uri=beta.as_uri(), name="beta")],
        initialization_options=common))
    # Both vaults indexed and nothing indexing: beta's folder settings arrive after its engine
    # started, and re-classifying its notes is indexing too (a status pushed between the two once
    # showed beta indexed with 0 notes).
    status = await pushed(client, lambda s: len(s["vaults"]) == 2 and all(v["indexed"] for v in s["vaults"])
                          and not s["indexing"])
    read = {Path(v["path"]).name: v["read"] for v in status["vaults"]}
    assert read == {"alpha": 0, "beta": 1}, status  # readingFolders came from beta's folder only

    a, b = open_note(client, alpha / "Walks.md"), open_note(client, beta / "Walks.md")
    assert await hover(client, a.uri) is not None
    assert await hover(client, b.uri) is None  # hover is off in beta

    # alpha's folder now turns hover off too: the change is pulled, per folder, and applied.
    client.set_configuration({"penna": {**common, "hover": "off"}}, scope_uri=alpha.as_uri())
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    for _ in range(200):
        if await hover(client, a.uri) is None:
            break
        await asyncio.sleep(0.05)
    assert await hover(client, a.uri) is None
    assert not [m for m in client.messages if m.type == types.MessageType.Warning], client.messages


async def test_a_vault_reindexed_for_new_settings_says_so_while_it_runs(client: LanguageClient,
                                                                        tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    total = generate_vault(vault, 600, seed=5).notes  # large enough that its re-index takes a while
    excluded = len(list((vault / "Notes").rglob("*.md")))
    options = settings(model=str(tmp_path / "missing.gguf"))
    await start_session(client, vault, options)
    first = await pushed(client, lambda s: bool(s["vaults"]) and s["vaults"][0]["indexed"] and not s["indexing"])
    assert first["vaults"][0]["notes"] == total, first

    # A rule that changes which files are notes: the vault is re-indexed under the running watcher.
    before = len(client.statuses)  # type: ignore[attr-defined]
    client.set_configuration({"penna": {**options, "exclude": ["Notes/**"]}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    started = await pushed(client, lambda s: s["indexing"] and not s["vaults"][0]["indexed"], after=before)
    done = await pushed(client, lambda s: not s["indexing"] and s["vaults"][0]["indexed"],
                        after=pushed_index(client, started, before) + 1)
    assert done["vaults"][0]["notes"] == total - excluded > 0, done
    # The last status a client got says the re-index is over, and `penna.status` agrees.
    assert plain(client.statuses[-1]) == done, client.statuses[-1]  # type: ignore[attr-defined]
    asked = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status"))
    assert not asked["indexing"] and asked["vaults"][0]["indexed"], asked
    assert asked["vaults"][0]["notes"] == total - excluded, asked
