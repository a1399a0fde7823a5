"""Shared fixtures. Every test gets its own cache directory, so no test sees another's index
(or another's kept prompt states) and nothing is ever written to the user's real cache."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The shared llama_cpp.server fixture (`server`, one per test module that asks for it).
pytest_plugins = ["llama_server"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_VAULT = ROOT / "examples" / "sample-vault"
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    """With pytest-xdist (`make test` runs two workers), assemble the default model once, before
    the workers start: two workers assembling it at the same moment could each load the other's
    half-written file. Without workers, the first test that needs it assembles it as penna does."""
    if hasattr(config, "workerinput"):
        _own_a_cpu(config.workerinput)
        return
    if not getattr(config.option, "numprocesses", None):
        return
    # The groups go out in the order `pytest_collection_modifyitems` leaves them, costliest first;
    # xdist would otherwise sort them by their number of tests, which sends the one-test files that
    # run a whole expand or an editor last, to a worker alone while the other has finished.
    config.option.loadscopereorder = False
    from penna.writing.backend import ModelError
    from penna.writing.registry import default_model_path

    try:
        default_model_path()
    except ModelError:
        pass  # the tests that need the model say why


def _own_a_cpu(workerinput: dict[str, Any]) -> None:
    """Each pytest-xdist worker runs on CPUs of its own, and so does everything it starts (the
    servers, Neovim, the model): penna sizes the model's threads to the CPUs it may use
    (`config.usable_cpus`). Without this, two workers each start a model with one thread per core
    and llama.cpp's threads spin-wait for CPUs the other worker holds."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cpus = sorted(os.sched_getaffinity(0))
    workers, index = int(workerinput["workercount"]), int(workerinput["workerid"].removeprefix("gw"))
    if workers > len(cpus):
        return  # more workers than CPUs: nothing to own
    share = len(cpus) // workers
    with contextlib.suppress(OSError):  # refused: the worker shares the CPUs, slower but correct
        os.sched_setaffinity(0, cpus[index * share:(index + 1) * share])


# `make test`'s scheduling (a plugin of its own, so that a test can run it alone).
from xdist_scheduling import group_of, pytest_xdist_make_scheduler  # noqa: E402, F401


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `make test` the groups (`group_of`) go out costliest first (`_cost`, from their marks):
    the longest jobs first is what keeps two workers finishing together."""
    # pytest-xdist's workers, which collect, see `--dist loadgroup` as `option.loadgroup`.
    if not getattr(config.option, "loadgroup", False):
        return
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(group_of(item.nodeid), []).append(item)
    ranked = sorted(groups.values(), key=lambda members: -sum(_cost(item) for item in members))  # stable
    items[:] = [item for members in ranked for item in members]


def _cost(item: pytest.Item) -> float:
    """A test's likely seconds, from its marks: a server or editor with the model runs a whole
    expand or more (~20 s), the model in process some generation (~8 s)."""
    marks = {mark.name for mark in item.iter_markers()}
    if {"e2e", "model"} <= marks:
        return 20.0
    if "model" in marks:
        return 8.0
    if "e2e" in marks:
        return 6.0
    return 3.0 if "slow" in marks else 0.2


@pytest.fixture(scope="session")
def default_model() -> Any:
    """The default model, loaded once for the in-process tests that tokenize, decode and generate
    with it. They share it safely: none changes its settings, and what one call leaves behind is
    llama.cpp's evaluated prefix, which the next call reuses or discards."""
    from penna.config import usable_cpus
    from penna.writing.model import LlamaModel
    from penna.writing.registry import resolve_model

    return LlamaModel.load(resolve_model("default").path, n_ctx=1024, threads=usable_cpus())


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("penna-cache")
    monkeypatch.setenv("PENNA_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def sample_vault(tmp_path: Path) -> Path:
    """A private copy of the shipped sample vault (tests may change it)."""
    target = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, target)
    return target


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (it sits beside the checkout in CI)")
    return SHARED_DATA


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A temporary folder an unprivileged user can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="penna-perm-"))
    path.chmod(0o777)
    yield path
    for sub in path.rglob("*"):
        with contextlib.suppress(OSError):
            sub.chmod(0o777 if sub.is_dir() else 0o666)
    shutil.rmtree(path, ignore_errors=True)


class NetworkBlocked(AssertionError):
    pass


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX paths
        return True
    host = address[0] if isinstance(address, tuple) and address else ""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """penna is offline at run time: any test that opens a non-local connection fails."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(method: Callable[[socket.socket, Any], Any]) -> Callable[[socket.socket, Any], Any]:
        def connect(self: socket.socket, address: Any) -> Any:
            if not _is_local(address):
                raise NetworkBlocked(f"test tried to reach the network: {address!r}")
            return method(self, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    real_sendto = socket.socket.sendto

    def sendto(self: socket.socket, data: bytes, *args: Any) -> int:  # UDP needs no connect()
        if args and not _is_local(args[-1]):
            raise NetworkBlocked(f"test tried to reach the network: {args[-1]!r}")
        return real_sendto(self, data, *args)

    monkeypatch.setattr(socket.socket, "sendto", sendto)
