"""Specification of the model host: one model per engine, loaded on first need (on the side when
the request may be cancelled), its state told to listeners, and counting before it loads.

Real default model (the 270M GGUF).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from penna.config import Settings
from penna.writing import model as model_module
from penna.writing.backend import Cancelled, CancelToken, ModelError
from penna.writing.model_host import ModelHost, ModelState


@pytest.mark.model
def test_a_cancel_while_the_model_loads_returns_at_once_and_the_load_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp cannot interrupt a load (seconds for a large model). A caller cancelled while
    the model loads stops at once; the load finishes on the side for the next caller. The load
    is the real one, held at a gate so the test knows it is still under way when it cancels."""
    gate = threading.Event()
    real_load = model_module.LlamaModel.load.__func__  # type: ignore[attr-defined]

    def gated_load(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(60)
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(model_module.LlamaModel, "load", classmethod(gated_load))
    host = ModelHost(Settings(n_ctx=1024))
    cancel = CancelToken()
    outcome: list[BaseException | None] = []

    def request() -> None:
        try:
            host.get(cancel)
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - checked below
            outcome.append(error)

    worker = threading.Thread(target=request)
    try:
        worker.start()
        for _ in range(500):
            if host.state.state == "loading":
                break
            time.sleep(0.01)
        assert host.state.state == "loading"
        cancel.cancel()
        worker.join(30)
        assert not worker.is_alive() and isinstance(outcome[0], Cancelled)
        assert host.state.state == "loading"  # the cancel did not wait for the load
        gate.set()
        backend = host.get()  # waits for the same load
        assert host.state.state == "ready" and host.get(CancelToken()) is backend
    finally:
        gate.set()


@pytest.mark.model
def test_listeners_hear_loading_then_ready_and_a_failing_listener_does_not_stop_the_load() -> None:
    host = ModelHost(Settings(n_ctx=1024))
    heard: list[ModelState] = []

    def broken(state: ModelState) -> None:
        raise RuntimeError("a listener's own bug")

    host.listeners.extend([broken, heard.append])
    backend = host.get()
    assert [state.state for state in heard] == ["loading", "ready"]
    ready = heard[-1]
    assert ready.choice is not None and ready.choice.path == backend.path and (ready.load_seconds or 0) > 0
    assert host.get() is backend  # loaded once


@pytest.mark.model
def test_counting_before_the_load_uses_the_vocabulary_and_does_not_load_the_model() -> None:
    host = ModelHost(Settings(n_ctx=1024))
    count, exact = host.counter()
    assert exact and count("Cold kitchen, slow dough.") > 0
    assert host.backend is None and host.tokenizer is not None and host.state.state == "not loaded"
    backend = host.get()
    count, exact = host.counter()
    assert exact and count == backend.count  # once loaded, the model counts itself


@pytest.mark.model
def test_new_settings_unload_the_model_only_when_they_change_it() -> None:
    settings = Settings(n_ctx=1024)
    host = ModelHost(settings)
    backend = host.get()
    host.configure(Settings(n_ctx=1024, temperature=0.3))  # not about the model
    assert host.backend is backend and host.state.state == "ready"
    host.configure(Settings(n_ctx=2048))
    assert host.backend is None and host.state == ModelState()
    assert host.get().n_ctx == 2048


def test_a_missing_model_is_an_error_state_and_counting_falls_back(tmp_path: Path) -> None:
    host = ModelHost(Settings(model=str(tmp_path / "missing.gguf")))
    heard: list[str] = []
    host.listeners.append(lambda state: heard.append(state.state))
    with pytest.raises(ModelError, match="not found"):
        host.get()
    assert host.state.state == "error" and "missing.gguf" in (host.state.error or "")
    count, exact = host.counter()
    assert not exact and count("three small words") > 0  # tiktoken: nothing crashes
    assert heard == ["loading", "error"]
