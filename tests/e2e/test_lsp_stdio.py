"""End-to-end: the protocol stream survives native code. llama-cpp-python points fd 1 at
/dev/null while a model loads; requests answered meanwhile must still reach the editor."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_VAULT
from raw_lsp import RawServer

pytestmark = [pytest.mark.e2e, pytest.mark.model]


def test_requests_answered_while_the_model_loads_reach_the_client(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    server = RawServer()
    try:
        server.initialize(vault.as_uri(), {"seed": 7})
        note = vault / "Drafts" / "Winter loaf.md"
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": note.as_uri(), "languageId": "markdown", "version": 1, "text": note.read_text(encoding="utf-8")}})
        states = []
        started = time.monotonic()
        # Ask throughout the load (about a second on an idle machine, longer under load).
        while time.monotonic() - started < 120:
            reply = server.call("workspace/executeCommand", {"command": "penna.status", "arguments": [{}]},
                                timeout=60)
            states.append(reply["result"]["model"]["state"])
            if states[-1] in ("ready", "error"):
                break
            time.sleep(0.05)
        assert "loading" in states, f"no request landed during the load: {states}"
        assert states[-1] == "ready", states
        # Native prints never leak into the protocol stream: the next answer still parses.
        assert server.call("shutdown", None, timeout=30).get("error") is None
    finally:
        server.close()
