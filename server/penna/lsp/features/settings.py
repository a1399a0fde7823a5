"""Configuration: `initializationOptions`, then `workspace/configuration` (section `penna`),
refreshed live on `workspace/didChangeConfiguration`. Bad values: one message, defaults kept."""

from __future__ import annotations

from lsprotocol import types

from penna.config import settings_from_dict
from penna.lsp.server import PennaServer


def setup(server: PennaServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: PennaServer, params: types.InitializeParams) -> None:
        # Messages from worker threads are handed to this loop; without it, the first engine made
        # in an executor (a request before any vault was opened) would write from its own thread.
        ls.bind_event_loop()
        options = params.initialization_options
        if isinstance(options, dict) and "penna" in options and isinstance(options["penna"], dict):
            options = options["penna"]
        settings, problems = settings_from_dict(options, ls.settings)
        ls.apply_settings(settings)
        for problem in problems:
            ls.show(problem, types.MessageType.Warning)

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
        settings, problems = settings_from_dict(raw, ls.settings)
        ls.apply_settings(settings)
        for problem in problems:
            ls.show(problem, types.MessageType.Warning)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: PennaServer, _params: types.InitializedParams) -> None:
        await pull(ls)
        ls.open_workspace_vaults()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_change(ls: PennaServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings.get("penna") if isinstance(params.settings, dict) else None
        if isinstance(pushed, dict):
            settings, problems = settings_from_dict(pushed, ls.settings)
            ls.apply_settings(settings)
            for problem in problems:
                ls.show(problem, types.MessageType.Warning)
        else:
            await pull(ls)
        ls.model_error_reported = False
