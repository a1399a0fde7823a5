"""Two editors on one vault at once: two real `penna serve` processes share one index file in
the cache. Both index (one creates the database while the other waits), both answer, and the
index stays consistent. (Three `penna index` runs at once: tests/knowledge/test_index_faults.py.)"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from raw_lsp import RawServer

pytestmark = pytest.mark.e2e


def test_two_servers_on_one_vault_at_once(sample_vault: Path, tmp_path: Path) -> None:
    env = {"PENNA_CACHE_DIR": str(tmp_path / "cache")}
    servers = [RawServer(env), RawServer(env)]
    try:
        ids = [s.request("initialize", {"processId": None, "rootUri": sample_vault.as_uri(), "capabilities": {},
                                        "initializationOptions": {"model": str(tmp_path / "none.gguf")},
                                        "workspaceFolders": [{"uri": sample_vault.as_uri(), "name": "v"}]})
               for s in servers]
        for server, msg_id in zip(servers, ids, strict=True):
            assert "result" in server.response(msg_id)
            server.notify("initialized", {})
        counts = [0, 0]
        deadline = time.monotonic() + 60
        while min(counts) < 9 and time.monotonic() < deadline:
            for i, server in enumerate(servers):
                status = server.call("workspace/executeCommand", {"command": "penna.status"})["result"]
                counts[i] = status["vaults"][0]["notes"] if status["vaults"] else 0
            time.sleep(0.1)
        assert counts == [9, 9]
        uri = (sample_vault / "Notes" / "Cold kitchens.md").as_uri()
        for server in servers:
            server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "markdown",
                                                                    "version": 1, "text": "[[Sco"}})
            reply = server.call("textDocument/completion", {"textDocument": {"uri": uri},
                                                            "position": {"line": 0, "character": 5}})
            items = reply["result"]["items"] if isinstance(reply["result"], dict) else reply["result"]
            assert any(item["label"] == "Scoring" for item in items)
        for server in servers:
            assert server.call("shutdown")["result"] is None
            server.notify("exit")
            assert server.proc.wait(timeout=30) == 0
    finally:
        for server in servers:
            server.close()
    for server in servers:
        assert b"rebuilding" not in server.stderr and b"Traceback" not in server.stderr
    (db,) = (tmp_path / "cache" / "index").glob("*.sqlite")
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 9
