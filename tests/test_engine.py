"""Specification of the engine facade: what the CLI, the server and the benchmark share.

Real default model, real SQLite.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from penna.config import Settings
from penna.engine import Engine
from penna.writing.model import Cancelled, CancelToken

DRAFT = "Drafts/Winter loaf.md"


@pytest.mark.model
def test_a_request_survives_its_notes_cached_prefix_being_dropped_while_it_runs(sample_vault: Path) -> None:
    """The watcher (a neighbour saved) or the editor (the note reopened) may drop a note's cached
    prefix from another thread at any moment; a request already assembled keeps what it was
    fitted with instead of looking the prefix up again (CI once saw a KeyError here)."""
    engine = Engine(sample_vault, Settings(seed=7, max_tokens=24, n_ctx=1024))
    engine.sync()
    assembled = engine.context

    def context_then_dropped(*args, **kwargs):  # type: ignore[no-untyped-def]
        context = assembled(*args, **kwargs)
        engine.refresh_all()  # what `notes_changed` or a didOpen does, between assembling and writing
        return context

    engine.context = context_then_dropped  # type: ignore[method-assign]
    try:
        result = engine.generate("expand", DRAFT, "- cold kitchen\n- slow bulk ferment")
        assert result.texts[0].strip()
        assert result.context.demo and "Notes:" in result.context.demo  # the demo it was fitted with went along
    finally:
        engine.close()


@pytest.mark.model
def test_writing_uses_the_last_profile_and_never_rebuilds_it_on_the_request(sample_vault: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Typing moves the author's writing at every pause; a request must not wait for a profile
    rebuild (seconds on a large vault): it uses the last one while the worker rebuilds."""
    import threading

    from penna.knowledge import procedural

    engine = Engine(sample_vault, Settings(seed=7, max_tokens=16, n_ctx=1024))
    engine.sync()
    try:
        engine.generate("expand", DRAFT, "- cold kitchen")  # the first request builds the first profile
        before = engine.index.written_version
        (sample_vault / "Notes" / "Fresh.md").write_text("I wrote this today, and it moves my profile.\n")
        engine.sync()
        assert engine.index.written_version != before
        built_on: list[str] = []
        real_build = procedural._build_profile

        def build(*args, **kwargs):  # type: ignore[no-untyped-def]
            built_on.append(threading.current_thread().name)
            return real_build(*args, **kwargs)

        monkeypatch.setattr(procedural, "_build_profile", build)
        result = engine.generate("expand", DRAFT, "- slow bulk ferment")
        assert result.texts[0].strip()
        assert threading.current_thread().name not in built_on  # any rebuild ran on the profile worker
    finally:
        engine.close()


@pytest.mark.model
def test_a_cancel_while_the_model_loads_returns_at_once_and_the_load_goes_on(sample_vault: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp cannot interrupt a load (seconds for a large model). A request cancelled while
    its model loads stops at once; the load finishes on the side for the next request. The load
    is the real one, held at a gate so the test knows it is still under way when it cancels."""
    import threading

    from penna.writing import model as model_module

    gate = threading.Event()
    real_load = model_module.LlamaModel.load.__func__  # type: ignore[attr-defined]

    def gated_load(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(60)
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(model_module.LlamaModel, "load", classmethod(gated_load))
    engine = Engine(sample_vault, Settings(seed=7, max_tokens=16, n_ctx=1024))
    engine.sync()
    try:
        cancel = CancelToken()
        outcome: list[BaseException | None] = []

        def request() -> None:
            try:
                engine.generate("expand", DRAFT, "- cold kitchen", cancel=cancel)
                outcome.append(None)
            except BaseException as error:  # noqa: BLE001 - checked below
                outcome.append(error)

        worker = threading.Thread(target=request)
        worker.start()
        for _ in range(500):
            if engine.model_state.state == "loading":
                break
            time.sleep(0.01)
        assert engine.model_state.state == "loading"
        cancel.cancel()
        worker.join(30)
        assert not worker.is_alive() and isinstance(outcome[0], Cancelled)
        assert engine.model_state.state == "loading"  # the cancel did not wait for the load
        gate.set()
        result = engine.generate("expand", DRAFT, "- cold kitchen")  # waits for the same load, then writes
        assert result.texts[0].strip() and engine.model_state.state == "ready"
    finally:
        gate.set()
        engine.close()
