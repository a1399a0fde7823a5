"""PennaProtocol (lsp/server.py) overrides or calls private pygls methods: `_handle_request`,
`_execute_handler`, `_send_handler_result`, `_send_response`, `_send_data`, `_ctx_msg_id` and
`_shutdown`. pyproject pins the pygls version they were written against; this test fails loudly
when the installed pygls differs, or when a signature it relies on has changed."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from pathlib import Path

from pygls.protocol import JsonRPCProtocol

from penna.lsp.app import create_server

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_installed_pygls_is_the_pinned_one() -> None:
    pinned = re.search(r'"pygls==([\d.]+)"', PYPROJECT.read_text(encoding="utf-8"))
    assert pinned, "pyproject must pin pygls exactly (PennaProtocol relies on its private methods)"
    assert version("pygls") == pinned.group(1), (
        f"pygls {version('pygls')} is installed, penna was tested with {pinned.group(1)}: check PennaProtocol")


def parameters(method: object) -> list[str]:
    return list(inspect.signature(method).parameters)  # type: ignore[arg-type]


def test_the_private_methods_penna_relies_on_keep_their_signatures() -> None:
    assert parameters(JsonRPCProtocol._handle_request) == ["self", "msg_id", "method_name", "params"]
    assert parameters(JsonRPCProtocol._execute_handler)[:5] == ["self", "msg_id", "handler", "callback", "args"]
    assert parameters(JsonRPCProtocol._send_handler_result) == ["self", "future", "msg_id"]
    assert parameters(JsonRPCProtocol._send_response) == ["self", "msg_id", "result", "error"]
    assert parameters(JsonRPCProtocol._send_data) == ["self", "data"]
    protocol = create_server().protocol
    assert hasattr(protocol, "_ctx_msg_id") and protocol._shutdown is False
