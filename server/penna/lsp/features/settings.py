"""Configuration: `initializationOptions`, then `workspace/configuration` (section `penna`),
refreshed live on `workspace/didChangeConfiguration`. Bad values: one message, defaults kept.

Settings are pulled once for the client as a whole and once per vault, with the vault's folder
as `scopeUri`, so an editor's per-folder settings reach the vault they belong to. Only the keys
in VAULT_KEYS (what a vault is, and how penna behaves inside it) are taken from a folder's
answer; the model and generation settings are the client's, one for all vaults.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

from penna.config import FIELDS, Settings, settings_from_dict
from penna.engine import Engine
from penna.lsp.server import PennaServer

SECTION = "penna"
# The settings a workspace folder (a vault) may set for itself. The VS Code extension declares
# exactly these with `"scope": "resource"` (tests/e2e/test_protocol_contract.py checks it).
VAULT_KEYS = ("authorName", "profileNote", "readingFolders", "exclude", "halfLifeDays", "hover", "diagnostics",
              "learnFromRewrites")


def apply_raw_settings(ls: PennaServer, raw: Any) -> None:
    """Apply the client's settings over the current ones; each bad value is one warning."""
    settings, problems = settings_from_dict(raw, ls.settings)
    ls.apply_settings(settings)
    for problem in problems:
        ls.show(problem, types.MessageType.Warning)


def vault_values(raw: Any, base: Settings) -> tuple[dict[str, Any], list[str]]:
    """A folder's answer → that vault's own values (snake_case field → value) and its problems.
    Keys that are not vault keys are ignored here: they are the client's, pulled without scope."""
    if not isinstance(raw, dict):
        return {}, []
    mine = {key: value for key, value in raw.items() if key in VAULT_KEYS and value is not None}
    settings, problems = settings_from_dict(mine, base)
    return {FIELDS[key][0]: getattr(settings, FIELDS[key][0]) for key in mine}, problems


def on_initialize(ls: PennaServer, params: types.InitializeParams) -> None:
    # Messages from worker threads are handed to this loop; without it, the first engine made
    # in an executor (a request before any vault was opened) would write from its own thread.
    ls.bind_event_loop()
    options = params.initialization_options
    if isinstance(options, dict) and SECTION in options and isinstance(options[SECTION], dict):
        options = options[SECTION]
    apply_raw_settings(ls, options)


def can_pull(ls: PennaServer) -> bool:
    capabilities = ls.client_capabilities.workspace
    return bool(capabilities and capabilities.configuration)


async def pull(ls: PennaServer, *, pushed: dict[str, Any] | None = None, client_wide: bool = True) -> None:
    """Ask the client for its settings and for each vault's (with the vault's folder as
    `scopeUri`) in one `workspace/configuration` request, and apply them together. `pushed`
    settings (sent with a change) stand for the client's own; `client_wide=False` asks only
    for the vaults'. A client that cannot be asked gets `pushed` applied as they are."""
    if not can_pull(ls):
        if pushed is not None:
            apply_raw_settings(ls, pushed)
        return
    ask = client_wide and pushed is None
    scopes = ls.vault_scopes()
    items = ([types.ConfigurationItem(section=SECTION)] if ask else []) + [
        types.ConfigurationItem(section=SECTION, scope_uri=uri) for _root, uri in scopes]
    answers: list[Any] = []
    if items:
        try:
            answers = list(await ls.workspace_configuration_async(types.ConfigurationParams(items=items)) or [])
        except Exception:  # noqa: BLE001 - a client that cannot answer keeps the current settings
            answers = []
            scopes = []
    settings, problems = ls.settings, list[str]()
    raw = (answers.pop(0) if answers else None) if ask else pushed
    if raw is not None:
        settings, problems = settings_from_dict(raw, ls.settings)
    overrides = dict(ls.vault_overrides)
    for (root, _uri), answer in zip(scopes, answers, strict=False):
        overrides[root], found = vault_values(answer, settings)
        problems += [problem for problem in found if problem not in problems]  # said once, not once per vault
    ls.apply_settings(settings, overrides)
    for problem in problems:
        ls.show(problem, types.MessageType.Warning)


async def on_initialized(ls: PennaServer, _params: types.InitializedParams) -> None:
    await pull(ls)
    ls.open_workspace_vaults()


async def on_change(ls: PennaServer, params: types.DidChangeConfigurationParams) -> None:
    pushed = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
    # Settings sent with the change are the client's own; each vault's are asked all the same.
    await pull(ls, pushed=pushed if isinstance(pushed, dict) else None)
    ls.model_error_reported = False


def follow_new_vaults(ls: PennaServer) -> Callable[[Engine], None]:
    """An engine made for a vault whose settings were never asked (a folder added later, or the
    vault of the first opened note) asks for them; any thread."""
    asked: set[Path] = set()
    tasks: set[asyncio.Task[None]] = set()  # the loop holds tasks weakly

    def ask() -> None:
        task = asyncio.get_running_loop().create_task(pull(ls, client_wide=False))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def on_engine(engine: Engine) -> None:
        loop = ls.event_loop
        if engine.vault in ls.vault_overrides or engine.vault in asked or loop is None or not can_pull(ls):
            return
        asked.add(engine.vault)
        loop.call_soon_threadsafe(ask)

    return on_engine


def setup(server: PennaServer) -> None:
    server.feature(types.INITIALIZE)(on_initialize)
    server.feature(types.INITIALIZED)(on_initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(on_change)
    server.engine_hooks.append(follow_new_vaults(server))
