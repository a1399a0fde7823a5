"""A real OpenAI-compatible model server for tests: `python -m llama_cpp.server` with the default
model on a free loopback port (importable as `llama_server`: tests/ is on sys.path). A test module
gets one server for all its tests with a `server` argument (the base URL): tests/conftest.py
loads this module as a pytest plugin.

llama.cpp's own `llama-server` binary is not installable here; llama_cpp.server speaks the same
/v1 API, so the remote backend is exercised against a real server, a real socket and a real model.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

STARTUP_SECONDS = 90.0  # the model loads in ~1 s, but a busy 2-core machine can be slow to import
LOGS: dict[str, Path] = {}  # base URL -> the server's stdout and stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ready(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/v1/models")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@contextmanager
def llama_server(model: Path, log: Path, n_ctx: int = 2048) -> Iterator[str]:
    """Start the server, wait until /v1/models answers, yield its base URL, stop it."""
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", str(n_ctx)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _ready(port):
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {process.returncode}: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"llama_cpp.server did not start in {STARTUP_SECONDS:g} s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=3)  # it may be busy evaluating a prompt a test cancelled
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The default model behind a real llama_cpp.server, shared by the module's tests."""
    from penna.writing.registry import resolve_model

    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with llama_server(resolve_model("default").path, log) as url:
        LOGS[url] = log
        yield url
        del LOGS[url]


def client_sockets(port: int) -> set[int]:
    """Local ports of the established TCP connections from any client on this machine to `port`
    (from /proc/net/tcp): how a test sees that a cancelled stream was really closed."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state == "01" and int(remote.rsplit(":", 1)[1], 16) == port:
                found.add(int(local.rsplit(":", 1)[1], 16))
    return found


def client_connections(port: int) -> int:
    return len(client_sockets(port))


def _address(hex_address: str) -> tuple[str, int]:
    host, port = hex_address.split(":")
    if len(host) == 8:  # IPv4, little-endian
        ip = ".".join(str(int(host[i:i + 2], 16)) for i in (6, 4, 2, 0))
    else:  # IPv6: four little-endian 32-bit words
        words = [bytes.fromhex(host[i:i + 8])[::-1].hex() for i in range(0, 32, 8)]
        ip = ":".join("".join(words)[i:i + 4] for i in range(0, 32, 4))
    return ip, int(port, 16)


def peers(pid: int) -> set[tuple[str, str, int]]:
    """(protocol, remote host, remote port) of every TCP/UDP/raw socket process `pid` has open
    (not the AF_UNIX pairs asyncio uses); a listening or unconnected socket shows as its
    all-zero address."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[9] in inodes:
                found.add((table, *_address(fields[2])))
    return found
