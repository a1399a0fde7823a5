"""Specification of the engine facade: what the CLI, the server and the benchmark share.

Real default model, real SQLite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from penna.config import Settings
from penna.engine import Engine
from penna.vault.text import sentences
from penna.writing.backend import Cancelled, CancelToken
from penna.writing.bridge import Bridge
from penna.writing.calibration_session import draft_order, needs_calibration, stored_calibration
from penna.writing.meaning import judge

DRAFT = "Drafts/Winter loaf.md"


@pytest.mark.model
def test_a_request_survives_its_notes_cached_prefix_being_dropped_while_it_runs(sample_vault: Path) -> None:
    """The watcher (a neighbour saved) or the editor (the note reopened) may drop a note's cached
    prefix from another thread at any moment; a request already assembled keeps what it was
    fitted with instead of looking the prefix up again (a lookup would raise KeyError)."""
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
def test_an_action_warmed_while_the_writer_picks_it_evaluates_only_its_tail(sample_vault: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor lists the actions before the writer picks one; warming the offered action then
    leaves only the paragraph so far to evaluate when it runs, not the request's own passages, and
    its first sentence's first gap is searched already."""
    engine = Engine(sample_vault, Settings(seed=7, max_tokens=48))
    engine.sync()
    bullets = "- rye has no gluten, dough never feels ready"
    try:
        engine.generate("expand", DRAFT, "- cold kitchen, 17°C, everything slow", candidates=0)
        warmed = engine.warm_request("expand", DRAFT, bullets)
        assert warmed is not None and warmed.prompt_tokens > 0
        searched: list[bool] = []  # per gap search of the request: was it the sentence's first gap?
        search = Bridge._gap
        monkeypatch.setattr(Bridge, "_gap",
                            lambda self, *a, **k: searched.append(k["at_start"]) or search(self, *a, **k))
        result = engine.generate("expand", DRAFT, bullets, candidates=0)
        monkeypatch.undo()
        model = engine.model()
        assert result.context.late  # the request's own passages: new to the cache but for the warm-up
        restoring = result.stats[0]  # the first draft of the first sentence: the note restored
        new_tokens = restoring.prompt_tokens - restoring.reused_tokens
        assert new_tokens * 4 < model.count(result.context.late_text), new_tokens
        assert searched and not searched[0], searched  # its first gap came from the warm-up, not a search
        assert engine.warm_request("continue", DRAFT, "A paragraph.") is None  # built from another prompt
    finally:
        engine.close()


def test_a_request_cancelled_before_it_runs_stops_without_loading_the_model(sample_vault: Path) -> None:
    """Cancelled while queued: nothing to do, and no model load for it. (Cancelling while the
    model loads is the model host's: tests/writing/test_model_host.py.)"""
    engine = Engine(sample_vault, Settings(seed=7, max_tokens=16, n_ctx=1024))
    engine.sync()
    try:
        cancel = CancelToken()
        cancel.cancel()
        with pytest.raises(Cancelled):
            engine.generate("expand", DRAFT, "- cold kitchen", cancel=cancel)
        assert engine.model_state.state == "not loaded"
    finally:
        engine.close()


@pytest.mark.model
def test_the_model_is_tried_on_the_authors_sentences_and_the_result_kept(sample_vault: Path) -> None:
    """`calibrate` writes both first drafts for a few of the author's jotted sentences with the
    real default model, judges them, stores the result in the index, and expanding follows it."""
    engine = Engine(sample_vault, Settings(seed=7, max_tokens=48, n_ctx=2048))
    engine.sync()
    try:
        assert stored_calibration(engine.index, engine.model_host.backend) is None
        found = engine.calibrate(count=2)
        assert len(found.trials) == 2 and found.restores
        for trial in found.trials:
            assert trial.sentence and trial.note and trial.restored is not None
            assert trial.sentence not in engine.context(None, "expand", "").document  # neither draft could copy it
        # The default rarely writes a keepable sentence of its own (docs/voice.md): it restores first.
        assert found.order == "restore", found.summary()
        assert stored_calibration(engine.index, engine.model_host.backend) == found  # stored in the index …
        assert engine.calibrate() == found  # … and not measured again unless asked
        assert draft_order(engine.index, engine.model()) == "restore"
        # The embedded default is never tried on its own.
        assert not needs_calibration(engine.index, engine.model_host)
    finally:
        engine.close()


@pytest.mark.model
def test_variants_written_anew_are_never_copies_of_earlier_ones(sample_vault: Path) -> None:
    # This note has no close alternative, so variants 2 and 3 are written anew: each looks for a
    # faithful sentence the ones before did not choose, and one that finds none is left out
    # rather than shown as a copy (the model gave the same sentence three times before).
    note = "cold kitchen, 17°C, everything slow"
    engine = Engine(sample_vault, Settings(seed=7, threads=1))
    engine.sync()
    try:
        three = engine.generate("expand", DRAFT, f"- {note}\n", variants=3)
    finally:
        engine.close()
    assert 1 <= len(three.texts) <= 3, three.texts
    assert len(set(three.texts)) == len(three.texts), three.texts
    for text in three.texts:
        assert judge(note, text).faithful, text


@pytest.mark.model
def test_the_other_variants_are_the_first_drafts_alternatives_without_writing_again(sample_vault: Path) -> None:
    bullets = "- bulk ferment can take nine hours, watch the dough not the clock\n- bake in a covered pot for steam\n"
    engine = Engine(sample_vault, Settings(seed=7, threads=1))
    engine.sync()
    shown: dict[int, list[str]] = {}
    try:
        three = engine.generate("expand", DRAFT, bullets, variants=3, growing=True,
                                on_text=lambda number, text: shown.setdefault(number, []).append(text))
    finally:
        engine.close()
    first = sentences(three.texts[0])
    # The first variant is written as an expand is: each restored sentence shown as it grows.
    assert len(shown[0]) > len(first) and " ".join(shown[0][-1].split()) == " ".join(three.texts[0].split())
    assert len(shown[0][0].split()) < len(first[0].split())  # the first words, before the sentence is done
    for number in (1, 2):
        assert shown.get(number, []) == [three.texts[number]]  # the others come whole: stitched, not written again
    assert three.texts[1] != three.texts[0]
    for variant in three.texts[1:]:
        assert len(sentences(variant)) == len(first)  # a sentence for each note, in order
        assert any(a != b for a, b in zip(sentences(variant), first, strict=True))
