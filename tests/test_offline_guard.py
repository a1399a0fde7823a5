"""The guard every test runs under (tests/conftest.py `offline`) really blocks the network and
really lets loopback through; tests/e2e/test_offline.py checks the server process itself."""

from __future__ import annotations

import socket

import pytest
from conftest import NetworkBlocked


@pytest.mark.parametrize("family, kind", [(socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET, socket.SOCK_DGRAM)])
def test_non_local_addresses_are_blocked(family: int, kind: int) -> None:
    with socket.socket(family, kind) as sock:
        with pytest.raises(NetworkBlocked):
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed
        with pytest.raises(NetworkBlocked):
            sock.connect_ex(("8.8.8.8", 53))
        if kind == socket.SOCK_DGRAM:
            with pytest.raises(NetworkBlocked):
                sock.sendto(b"x", ("192.0.2.1", 9))


def test_loopback_is_allowed() -> None:
    with socket.socket() as server, socket.socket() as client:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client.connect(server.getsockname())
        accepted, _ = server.accept()
        accepted.sendall(b"ok")
        assert client.recv(2) == b"ok"
        accepted.close()
