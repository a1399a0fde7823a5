"""Configuration: `initializationOptions`, then `workspace/configuration` (section `penna`),
refreshed live on `workspace/didChangeConfiguration`. Bad values: one message, defaults kept."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from penna.config import settings_from_dict
from penna.lsp.server import PennaServer


def apply_raw_settings(ls: PennaServer, raw: Any) -> None:
    """Apply the client's settings over the current ones; each bad value is one warning."""
    settings, problems = settings_from_dict(raw, ls.settings)
    ls.apply_settings(settings)
    for problem in problems:
        ls.show(problem, types.MessageType.Warning)


def on_initialize(ls: PennaServer, params: types.InitializeParams) -> None:
    # Messages from worker threads are handed to this loop; without it, the first engine made
    # in an executor (a request before any vault was opened) would write from its own thread.
    ls.bind_event_loop()
    options = params.initialization_options
    if isinstance(options, dict) and "penna" in options and isinstance(options["penna"], dict):
        options = options["penna"]
    apply_raw_settings(ls, options)


async def pull(ls: PennaServer) -> None:
    capabilities = ls.client_capabilities.workspace
    if not (capabilities and capabilities.configuration):
        return
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="penna")]))
    except Exception:  # noqa: BLE001 - a client that cannot answer keeps the current settings
        return
    raw = result[0] if result else None
    if raw is None:
        return
    apply_raw_settings(ls, raw)


async def on_initialized(ls: PennaServer, _params: types.InitializedParams) -> None:
    await pull(ls)
    ls.open_workspace_vaults()


async def on_change(ls: PennaServer, params: types.DidChangeConfigurationParams) -> None:
    pushed = params.settings.get("penna") if isinstance(params.settings, dict) else None
    if isinstance(pushed, dict):
        apply_raw_settings(ls, pushed)
    else:
        await pull(ls)
    ls.model_error_reported = False


def setup(server: PennaServer) -> None:
    server.feature(types.INITIALIZE)(on_initialize)
    server.feature(types.INITIALIZED)(on_initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(on_change)
