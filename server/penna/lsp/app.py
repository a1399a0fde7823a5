"""`penna serve`: build the server from its features and run it.

The server class (lsp/server.py) knows no feature; each feature area lives in
`penna.lsp.features.<area>` and registers its handlers through `setup(server)` (esbonio's
pattern), so features depend on the server and never the other way round.
"""

from __future__ import annotations

import logging

from penna.lsp.features import (actions, commands, completion, diagnostics, documents, hover, model_status,
                                rewrites, settings)
from penna.lsp.server import PennaServer
from penna.lsp.stdio import protocol_stdout

FEATURES = (settings, documents, actions, commands, hover, completion, diagnostics, rewrites, model_status)


def create_server() -> PennaServer:
    server = PennaServer()
    for feature in FEATURES:
        feature.setup(server)
    return server


def run(tcp_port: int | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="penna %(levelname)s %(message)s")
    server = create_server()
    if tcp_port:
        server.start_tcp("127.0.0.1", tcp_port)
    else:
        server.start_io(stdout=protocol_stdout())
    server.stop_watchers()
    server.runner.shutdown()
