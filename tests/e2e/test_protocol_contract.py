"""The server and its clients agree: every penna command has one typed definition
(lsp/protocol.py) and is documented; every field a client reads from `penna.status` is one the
server sends; every setting the VS Code extension offers has the server's type and range.

The clients are read as text (clients/vscode/src/*.ts, package.json, clients/neovim/lua/penna/
health.lua); the server's side is the real server, started over stdio."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from raw_lsp import RawServer

from penna.config import FIELDS
from penna.lsp import protocol
from penna.lsp.app import create_server
from penna.lsp.features.settings import VAULT_KEYS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
VSCODE = ROOT / "clients" / "vscode"
HEALTH = ROOT / "clients" / "neovim" / "lua" / "penna" / "health.lua"


def fields(typed: Any) -> set[str]:
    return set(typing.get_type_hints(typed))


def test_every_penna_command_has_one_typed_definition_and_is_documented() -> None:
    server = create_server()
    registered = {name for name in server.protocol.fm.commands if name.startswith("penna.")}
    missing = registered - set(protocol.ARGUMENTS)
    assert not missing, f"not defined in lsp/protocol.py: {missing}"
    documented = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert [name for name in registered if f"`{name}`" not in documented] == []
    assert f"`{protocol.RESULT_NOTIFICATION}`" in documented
    assert f"`{protocol.STATUS_NOTIFICATION}`" in documented
    for name in fields(protocol.ResultNotification):
        assert f"`{name}`" in documented, f"penna/result field {name} is not documented"


def lua_reads(source: str, variable: str) -> set[str]:
    return set(re.findall(rf"\b{variable}\.([A-Za-z_]+)\b", source))


def test_the_status_fields_clients_read_are_fields_the_server_defines() -> None:
    health = HEALTH.read_text(encoding="utf-8")
    assert lua_reads(health, "v") <= fields(protocol.VaultStatus), lua_reads(health, "v") - fields(protocol.VaultStatus)
    assert lua_reads(health, "model") <= fields(protocol.ModelStatus)
    assert lua_reads(health, "status") <= fields(protocol.StatusResult)
    status_ts = "\n".join(path.read_text(encoding="utf-8") for path in (VSCODE / "src").glob("*.ts"))
    interface = re.search(r"interface ServerStatus \{(.*?)\n\}", status_ts, re.S)
    assert interface, "the VS Code client's ServerStatus interface"
    body = interface.group(1)
    vaults = re.search(r"vaults\?: \{(.*?)\}\[\]", body, re.S)
    model = re.search(r"model\?: \{(.*?)\}", body, re.S)
    assert vaults and model
    read_vault = set(re.findall(r"(\w+)\??:", vaults.group(1)))
    read_model = set(re.findall(r"(\w+)\??:", model.group(1)))
    read_top = set(re.findall(r"^\s{2}(\w+)\??:", body, re.M))
    assert read_vault <= fields(protocol.VaultStatus), read_vault - fields(protocol.VaultStatus)
    assert read_model <= fields(protocol.ModelStatus), read_model - fields(protocol.ModelStatus)
    assert read_top <= fields(protocol.StatusResult), read_top - fields(protocol.StatusResult)


def test_the_real_server_sends_every_status_field_it_defines(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "Note.md").write_text("# Note\n\nA paragraph.\n", encoding="utf-8")
    server = RawServer({"PENNA_CACHE_DIR": str(tmp_path / "cache")})
    try:
        server.initialize(vault.as_uri(), {"model": str(tmp_path / "none.gguf")})
        status = server.call("workspace/executeCommand", {"command": "penna.status"})["result"]
    finally:
        server.close()
    assert set(status) == fields(protocol.StatusResult)
    assert set(status["vaults"][0]) == fields(protocol.VaultStatus)
    assert isinstance(status["vaults"][0]["indexed"], bool)
    assert protocol.ModelStatus.__required_keys__ <= set(status["model"]) <= fields(protocol.ModelStatus)


def extension_settings() -> dict[str, Any]:
    """The server settings the VS Code extension contributes (its own penna.server.* and
    penna.trace.* left out), by key without the `penna.` prefix."""
    properties = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))["contributes"]["configuration"]
    properties = properties["properties"] if isinstance(properties, dict) else {
        k: v for block in properties for k, v in block["properties"].items()}
    return {key.removeprefix("penna."): spec for key, spec in properties.items()
            if not key.startswith(("penna.server.", "penna.trace."))}


def test_the_settings_a_folder_may_set_are_the_ones_the_server_takes_per_vault() -> None:
    per_folder = {key for key, spec in extension_settings().items() if spec.get("scope") == "resource"}
    assert per_folder == set(VAULT_KEYS), per_folder ^ set(VAULT_KEYS)
    documented = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert all(f"`{key}`" in documented for key in VAULT_KEYS)


def _accepts(check: Any, value: Any) -> bool:
    try:
        check(value)
    except ValueError:
        return False
    return True


def test_every_setting_the_extension_offers_has_the_servers_type_and_range() -> None:
    client = extension_settings()
    assert set(client) == set(FIELDS), (set(client) ^ set(FIELDS))
    problems = []
    for key, spec in client.items():
        check = FIELDS[key][1]
        if spec.get("default") is not None and not _accepts(check, spec["default"]):
            problems.append(f"{key}: the client's default {spec['default']!r} is refused by the server")
        problems.extend(f"{key}: the client offers {value!r}, the server refuses it"
                        for value in spec.get("enum") or [] if not _accepts(check, value))
        kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        if "integer" in kinds or "number" in kinds:
            low, high = spec.get("minimum"), spec.get("maximum")
            if low is not None and (not _accepts(check, low) or _accepts(check, low - 1)):
                problems.append(f"{key}: the client's minimum {low} is not the server's")
            if high is not None and (not _accepts(check, high) or _accepts(check, high + 1)):
                problems.append(f"{key}: the client's maximum {high} is not the server's")
            if high is None and not _accepts(check, 10**9):
                problems.append(f"{key}: the server has a maximum the client does not state")
            if low is None and _accepts(check, 0) and not _accepts(check, -(10**9)):
                problems.append(f"{key}: the server has a minimum the client does not state")
    assert problems == []
