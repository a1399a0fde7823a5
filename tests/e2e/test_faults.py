"""Faults against the real server and the real model: the client vanishing mid-generation, and
100 concurrent requests while a generation runs.

(kill -9 during indexing: tests/knowledge/test_index_faults.py; the vault moved or deleted while
the server runs: tests/e2e/test_vault_gone.py.)
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsp_harness import config, open_note, sample_vault_copy, settings, start_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from raw_lsp import RawServer, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.model]
LONG_LIST = "# Long list\n\n" + "\n".join(f"- point {i}: flour and water" for i in range(24)) + "\n"
# Short prompts (small nCtx), long output (many bullets, three variants): generation outlasts the test.
LONG_RUN = settings(nCtx=2048, maxTokens=600, hover="cached")


@pytest.fixture
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = sample_vault_copy(tmp_path_factory, "faults")
    (target / "Drafts" / "Long list.md").write_text(LONG_LIST, encoding="utf-8")
    return target


def test_client_vanishing_mid_generation_stops_it_and_the_server_exits(vault: Path, tmp_path: Path) -> None:
    server = RawServer({"PENNA_CACHE_DIR": str(tmp_path / "cache")})
    try:
        server.call("initialize", {"processId": None, "rootUri": vault.as_uri(), "initializationOptions": LONG_RUN,
                                   "capabilities": {"window": {"workDoneProgress": True}},
                                   "workspaceFolders": [{"uri": vault.as_uri(), "name": "vault"}]})
        server.notify("initialized", {})
        uri = (vault / "Drafts" / "Long list.md").as_uri()
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "markdown", "version": 1,
                                                                "text": LONG_LIST}})
        server.request("workspace/executeCommand", {
            "command": "penna.variants", "arguments": [{"uri": uri, "position": {"line": 2, "character": 0}}]})
        # Wait until text is being generated (a progress report carries partial text).
        wait_for(server, lambda m: m.get("method") == "$/progress" and m["params"]["value"].get("kind") == "report"
                 and ":" in (m["params"]["value"].get("message") or ""), timeout=180)
        server.proc.stdin.close()  # type: ignore[union-attr] - the editor crashed: its pipes close
        server.proc.stdout.close()  # type: ignore[union-attr]
        # The first variant alone, 24 bullets, takes a minute or more; exiting within 15 s means the generation stopped.
        try:
            code = server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail("the server was still running 15 s after the client vanished: the generation went on")
    finally:
        server.close()
    assert code == 0, server.stderr.decode()[-2000:]
    assert b"Traceback" not in server.stderr, server.stderr.decode()[-2000:]


@pytest_lsp.fixture(config=config())
async def client(lsp_client: LanguageClient, vault: Path):
    await start_session(lsp_client, vault, LONG_RUN)
    yield
    await lsp_client.shutdown_session()


async def timed(coroutine) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = await coroutine
    assert result is not None
    return time.perf_counter() - started


async def test_a_hundred_mixed_requests_during_a_generation(client: LanguageClient) -> None:
    vault: Path = client.vault  # type: ignore[attr-defined]
    long_list = open_note(client, vault / "Drafts" / "Long list.md")
    draft = open_note(client, vault / "Notes" / "Cold kitchens.md")
    draft.text += "\n[[Sc\n#"
    draft.version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=draft.uri, version=draft.version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=draft.text)]))
    last = draft.text.count("\n")
    generation = asyncio.ensure_future(client.protocol.send_request_async(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command="penna.variants",
                                   arguments=[{"uri": long_list.uri, "position": {"line": 2, "character": 0}}]),
        msg_id="long-generation"))
    # Until the model is really generating: a precondition, not a bound (the prompt is evaluated
    # cold, and under make test another worker's model shares the cores), so as long as the
    # client-vanishing test above allows.
    deadline = time.monotonic() + 180
    while not any(getattr(r, "message", "") and ":" in r.message for reports in client.progress_reports.values()
                  for r in reports):
        assert time.monotonic() < deadline, "the generation never started"
        await asyncio.sleep(0.05)

    doc = types.TextDocumentIdentifier(uri=draft.uri)
    kinds = {
        "hover": lambda: client.text_document_hover_async(
            types.HoverParams(text_document=doc, position=types.Position(5, 3))),
        "link completion": lambda: client.text_document_completion_async(types.CompletionParams(
            text_document=doc, position=types.Position(last - 1, 4))),
        "tag completion": lambda: client.text_document_completion_async(types.CompletionParams(
            text_document=doc, position=types.Position(last, 1))),
        "code actions": lambda: client.text_document_code_action_async(types.CodeActionParams(
            text_document=doc, range=types.Range(types.Position(5, 0), types.Position(5, 0)),
            context=types.CodeActionContext(diagnostics=[]))),
        "status": lambda: client.workspace_execute_command_async(types.ExecuteCommandParams(command="penna.status")),
    }
    names = [name for _ in range(20) for name in kinds]
    started = time.perf_counter()
    # Every request gets its answer (not None) while the model is still generating; the timeout
    # only guards against a hang. How fast they are answered is `penna bench`'s figure
    # ("non-model requests while generating"), not this test's.
    latencies = await asyncio.wait_for(asyncio.gather(*(timed(kinds[name]()) for name in names)), timeout=120)
    wall = time.perf_counter() - started
    assert not generation.done(), "the generation finished first: the test did not overlap them"
    by_kind = {name: sorted(t for n, t in zip(names, latencies, strict=True) if n == name) for name in kinds}
    print({name: f"median {statistics.median(ts):.3f}s max {max(ts):.3f}s" for name, ts in by_kind.items()},
          f"all 100 in {wall:.2f}s")
    assert len(latencies) == 100 and all(len(by_kind[name]) == 20 for name in kinds)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="long-generation"))
    with pytest.raises(JsonRpcException):
        await generation
    assert client.editor.applied == []  # type: ignore[attr-defined]
