"""A pytest-lsp client that behaves like an editor: it keeps the documents it opened, applies
`workspace/applyEdit` to them (checking versions like VS Code does), and tells the server."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_VAULT
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

SERVER = [sys.executable, "-m", "penna", "serve"]


@dataclass
class Buffer:
    uri: str
    text: str
    version: int = 1


@dataclass
class EditorState:
    buffers: dict[str, Buffer] = field(default_factory=dict)
    applied: list[types.WorkspaceEdit] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


UNIT_BYTES = {"utf-8": 1, "utf-16": 2, "utf-32": 4}


def offset(text: str, position: types.Position, encoding: str = "utf-16") -> int:
    """The string index of an LSP position whose `character` counts units of `encoding` (the one
    the server chose at initialize: Neovim offers utf-8 first, VS Code speaks utf-16)."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    codec = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return start + index
        units += len(char.encode(codec)) // UNIT_BYTES[encoding]
    return start + len(line)


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = (text[: offset(text, edit.range.start, encoding)] + edit.new_text
                + text[offset(text, edit.range.end, encoding):])
    return text


def position_encoding(client: LanguageClient) -> str:
    """The position encoding the server chose for this client (utf-16 unless it said otherwise)."""
    return str(getattr(client, "position_encoding", None) or "utf-16")


def make_client() -> LanguageClient:
    client = make_test_lsp_client()
    client.editor = EditorState()  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(ls: LanguageClient, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        state: EditorState = ls.editor  # type: ignore[attr-defined]
        for change in params.edit.document_changes or []:
            buffer = state.buffers[change.text_document.uri]
            if change.text_document.version is not None and change.text_document.version != buffer.version:
                state.refused.append(f"version {change.text_document.version} != {buffer.version}")
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="document version changed")
        for change in params.edit.document_changes or []:
            apply_and_notify(ls, change)
        state.applied.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    return client


def apply_and_notify(client: LanguageClient, change: types.TextDocumentEdit) -> None:
    state: EditorState = client.editor  # type: ignore[attr-defined]
    buffer = state.buffers[change.text_document.uri]
    if change.text_document.version is not None:
        assert change.text_document.version == buffer.version, "edit bound to another version"
    buffer.text = apply_text_edits(buffer.text, list(change.edits), position_encoding(client))
    buffer.version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=buffer.uri, version=buffer.version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=buffer.text)]))


def open_note(client: LanguageClient, path: Path) -> Buffer:
    text = path.read_text(encoding="utf-8")
    buffer = Buffer(path.as_uri(), text)
    client.editor.buffers[buffer.uri] = buffer  # type: ignore[attr-defined]
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=buffer.uri, language_id="markdown", version=1, text=text)))
    return buffer


def type_text(client: LanguageClient, buffer: Buffer, at: types.Position, text: str) -> None:
    """The user types: change the buffer and tell the server."""
    cut = offset(buffer.text, at, position_encoding(client))
    buffer.text = buffer.text[:cut] + text + buffer.text[cut:]
    buffer.version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=buffer.uri, version=buffer.version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=buffer.text)]))


def config(env: dict[str, str] | None = None) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER, client_factory=make_client, server_env=env)


def close_notes(client: LanguageClient) -> None:
    """Close every note the client opened and forget their diagnostics, as an editor closing its
    tabs: a shared server's next test opens them afresh."""
    state: EditorState = client.editor  # type: ignore[attr-defined]
    for uri in list(state.buffers):
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        del state.buffers[uri]
        client.diagnostics.pop(uri, None)


def settings(**overrides: Any) -> dict[str, Any]:
    base = {"seed": 7, "maxTokens": 120}
    base.update(overrides)
    return base


def sample_vault_copy(factory: pytest.TempPathFactory, name: str) -> Path:
    """A private copy of the shipped sample vault (the test may change it)."""
    target = factory.mktemp(name) / "vault"
    shutil.copytree(SAMPLE_VAULT, target)
    return target


async def start_session(client: LanguageClient, vault: Path, options: dict[str, Any],
                        editor: str = "visual-studio-code") -> None:
    """Initialize as `editor` does when it opens `vault` as its one workspace folder: `options`
    are both the initializationOptions and the `penna` configuration section it answers with."""
    client.set_configuration({"penna": options})
    result = await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(editor), root_uri=vault.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=vault.as_uri(), name="vault")], initialization_options=options))
    client.vault = vault  # type: ignore[attr-defined]
    client.position_encoding = result.capabilities.position_encoding  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def shared_session(cache: Path, vault: Path, options: dict[str, Any],
                         editor: str = "visual-studio-code") -> AsyncIterator[LanguageClient]:
    """A server and its session for a client that several tests share (a module-scoped
    fixture), as `start_session` opens them, with an index cache of its own: conftest's per-test
    cache folder does not exist yet when a module's fixture starts."""
    client = await config({**os.environ, "PENNA_CACHE_DIR": str(cache)}).start()
    assert isinstance(client, LanguageClient)
    try:
        await start_session(client, vault, options, editor)
        yield client
        await client.shutdown_session()
    finally:
        await client.stop()
