"""The blocking JSON-RPC client over the real server's stdio (it lives in the package, beside the
benchmark's client, and shares its framing): for what a well-behaved client library will not
do: requests before `initialize` or after `shutdown`, and a client that vanishes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from penna.bench.lsp_client import RawLspClient as RawServer

__all__ = ["RawServer", "wait_for"]


def wait_for(server: RawServer, predicate: Callable[[dict[str, Any]], bool], timeout: float = 120) -> dict[str, Any]:
    """The first message from the server matching `predicate`; server requests are answered."""
    return server.wait_for(predicate, timeout)
