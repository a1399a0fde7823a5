"""`penna serve`: build the server from its features and run it.

The server class (lsp/server.py) knows no feature; each feature area lives in
`penna.lsp.features.<area>` and registers its handlers through `setup(server)` (esbonio's
pattern), so features depend on the server and never the other way round.

Over stdio, penna runs its own message loop rather than pygls's reader: messages are framed,
size-checked, parsed and shape-checked on a reader thread (lsp/framing.py), and handed to the
event loop one at a time. `exit` ends the process at once, whatever is still in flight (a
generation, a remote server that never answers): the process does not wait for worker threads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, BinaryIO

from pygls.io_ import StdoutWriter

from penna.lsp.features import (
    actions,
    commands,
    completion,
    diagnostics,
    documents,
    hover,
    model_status,
    rewrites,
    settings,
    status,
)
from penna.lsp.framing import FrameReader, Rejected
from penna.lsp.server import PennaProtocol, PennaServer
from penna.lsp.stdio import protocol_stdout

log = logging.getLogger("penna.lsp")

FEATURES = (settings, documents, actions, commands, status, hover, completion, diagnostics, rewrites, model_status)


def create_server() -> PennaServer:
    server = PennaServer()
    for feature in FEATURES:
        feature.setup(server)
    return server


def serve_stdio(server: PennaServer, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Serve until `exit` or the end of stdin; returns the exit code (1: exit without shutdown)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    protocol = server.protocol
    if not isinstance(protocol, PennaProtocol):  # PennaServer always builds one; this tells the type checker
        raise TypeError(f"penna needs its own protocol class, not {type(protocol).__name__}")
    protocol.set_writer(StdoutWriter(stdout))
    finished: asyncio.Future[int] = loop.create_future()

    def finish(code: int) -> None:
        if not finished.done():
            finished.set_result(code)

    protocol.exit_handler = finish

    async def dispatch(item: dict[str, Any] | Rejected) -> None:
        if isinstance(item, Rejected):
            protocol.reject(item)
            return
        try:
            protocol.handle_message(protocol.structure_message(item))
        except Exception:  # one bad message never stops the server
            log.exception("unable to handle a message")

    threading.Thread(target=_read_stdin, args=(stdin, loop, finished, dispatch, finish), name="penna-stdin",
                     daemon=True).start()
    server.event_loop = loop
    return loop.run_until_complete(finished)


def _read_stdin(stdin: BinaryIO, loop: asyncio.AbstractEventLoop, finished: asyncio.Future[int],
                dispatch: Callable[[dict[str, Any] | Rejected], Coroutine[Any, Any, None]],
                finish: Callable[[int], None]) -> None:
    """The reader thread: one message at a time, so it never runs ahead of the server."""
    reader = FrameReader(stdin)
    try:
        while not finished.done():
            item = reader.read()
            if item is None:
                break
            asyncio.run_coroutine_threadsafe(dispatch(item), loop).result()
    except Exception:
        log.exception("reading from the client failed")  # e.g. stdin closed under the reader
    finally:
        if not loop.is_closed():
            loop.call_soon_threadsafe(finish, 0)


def run(tcp_port: int | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="penna %(levelname)s %(message)s")
    server = create_server()
    if tcp_port:
        server.start_tcp("127.0.0.1", tcp_port)
        code = 0
    else:
        code = serve_stdio(server, sys.stdin.buffer, protocol_stdout())
    server.stop_watchers()
    server.runner.shutdown()
    logging.shutdown()
    # Worker threads may be blocked (a model server that never answers, a load in native code);
    # none of them holds anything that must be finished, so the process ends now.
    os._exit(code)
