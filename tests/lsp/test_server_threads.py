"""Messages from worker threads reach the client through the event loop, from the first request on.

The real server object and its real initialize handler, on a real asyncio loop. `show` itself is
replaced by a recorder: without a client transport it has nowhere to write, and what is checked is
only the thread it runs on.
"""

from __future__ import annotations

import asyncio
import threading

from lsprotocol import types

from penna.lsp.app import create_server


def test_a_message_from_a_worker_thread_is_written_by_the_event_loop_even_before_any_vault() -> None:
    server = create_server()
    written_on: list[str] = []
    server.show = lambda message, kind=types.MessageType.Info: written_on.append(threading.current_thread().name)  # type: ignore[method-assign]

    async def session() -> None:
        initialize = server.protocol.fm.features[types.INITIALIZE]
        initialize(types.InitializeParams(capabilities=types.ClientCapabilities()))
        # The first engine made in an executor (a command before any vault was opened) warns:
        await asyncio.get_running_loop().run_in_executor(None, server.show_from_thread, "penna: a warning")
        await asyncio.sleep(0.05)

    asyncio.run(session())
    assert written_on == [threading.current_thread().name]  # the loop's thread, not the worker's
