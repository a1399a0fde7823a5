"""Specification of the calibration trial: which draft a model writes first, decided by measuring it.

The decision rule and its storage are tested on their own; the trial itself runs the real default
model on the sample vault (tests/test_engine.py, tests/e2e/test_cli.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from penna.knowledge.index import Index
from penna.writing.calibration import TRIAL_VERSION, Calibration, Trial, model_key, store, stored, trial_notes


def _trials(free: int, restored: int, total: int = 8) -> list[Trial]:
    return [Trial(f"Sentence {i}.", f"note {i}", f"Free {i}.", i < free, f"Restored {i}.", i < restored)
            for i in range(total)]


@pytest.mark.parametrize(("free", "restored", "order"), [
    (5, 3, "free"),  # fluent: its own sentences are kept more often than its restorations
    (5, 5, "free"),  # a tie goes to its own sentences, which need not keep the note's word order
    (3, 1, "restore"),  # fewer than half of its own sentences keepable: not fluent
    (5, 7, "restore"),  # fluent, but restoring does better still
    (6, 7, "free"),  # kept three times in four: fluent enough, whatever restoring does
    (0, 0, "restore"),
])
def test_a_model_writes_freely_first_only_when_its_own_sentences_are_kept(free: int, restored: int,
                                                                          order: str) -> None:
    assert Calibration("m", "k", _trials(free, restored)).order == order


def test_a_model_whose_own_sentences_are_nearly_all_kept_goes_first_without_restoring_tried() -> None:
    trials = [Trial(f"S{i}.", f"n{i}", f"F{i}.", i < 6) for i in range(8)]  # restored None: not tried
    assert Calibration("big.gguf", "k", trials).order == "free"
    assert "6 of 8" in Calibration("big.gguf", "k", trials).summary()
    assert "restored" not in Calibration("big.gguf", "k", trials).summary()


def test_a_model_that_cannot_restore_writes_freely_whatever_the_trial_found() -> None:
    trials = [Trial("S.", "n", "F.", False) for _ in range(4)]
    assert Calibration("server", "k", trials, restores=False).order == "free"
    assert "cannot restore" in Calibration("server", "k", trials, restores=False).summary()


def test_with_too_few_trial_sentences_a_local_model_restores_first() -> None:
    assert Calibration("m", "k", []).order == "restore"
    assert Calibration("m", "k", _trials(2, 0, total=2)).order == "restore"  # 2 of 2, but only 2
    assert Calibration("m", "k", _trials(3, 0, total=3)).order == "free"


def test_the_summary_gives_both_counts_and_the_order() -> None:
    summary = Calibration("big.gguf", "k", _trials(7, 2)).summary()
    assert "7 of 8" in summary and "restored 2 of 8" in summary and "freely" in summary


def test_a_result_survives_json_and_a_damaged_or_older_one_is_measured_again() -> None:
    calibration = Calibration("m", "k", _trials(2, 5, total=3))
    again = Calibration.from_json(calibration.to_json())
    assert again == calibration and again.order == calibration.order
    assert Calibration.from_json("{not json") is None
    assert Calibration.from_json('{"model": "m"}') is None
    older = calibration.to_json().replace(f'"version": {TRIAL_VERSION}', f'"version": {TRIAL_VERSION - 1}')
    assert Calibration.from_json(older) is None


@dataclass
class _Named:
    """The two fields a stored trial is keyed by (a Backend has more; nothing else is read here)."""

    name: str
    path: Path


def test_a_trial_is_stored_in_the_index_per_model(tmp_path: Path) -> None:
    index = Index(tmp_path / "index.sqlite", tmp_path)
    model_file = tmp_path / "big.gguf"
    model_file.write_bytes(b"GGUF" + b"\0" * 60)
    big = _Named("big.gguf", model_file)
    assert stored(index, big) is None  # type: ignore[arg-type]
    store(index, Calibration(big.name, model_key(big), _trials(6, 1)))  # type: ignore[arg-type]
    assert stored(index, big).order == "free"  # type: ignore[arg-type, union-attr]
    # The same name with other bytes (re-quantised) is another model: measured again.
    model_file.write_bytes(b"GGUF" + b"\0" * 90)
    assert stored(index, big) is None  # type: ignore[arg-type]
    # A damaged entry is ignored, not an error.
    store(index, Calibration(big.name, model_key(big), _trials(6, 1)))  # type: ignore[arg-type]
    for (key,) in index.conn.execute("SELECT key FROM meta WHERE key LIKE 'calibration:%'").fetchall():
        index.set_meta(key, "{broken")
    assert stored(index, big) is None  # type: ignore[arg-type]


def test_trial_notes_are_the_authors_sentences_jotted_one_per_paragraph() -> None:
    paragraphs = [
        "Short one. I started the levain the night before because the kitchen was cold. It rose.",
        "I don't trust the clock when the kitchen is this cold, so I watch the dough instead.",
        "See `make demo` for the code that runs it, which is in the repository somewhere.",
        "Tiny.",
    ]
    found = trial_notes([("Levain", p) for p in paragraphs], count=5)
    assert [n.sentence for n in found] == [
        "I started the levain the night before because the kitchen was cold.",
        "I don't trust the clock when the kitchen is this cold, so I watch the dough instead."]
    assert found[0].before == ("Short one.",)  # the paragraph so far
    assert found[0].note.startswith("started levain night before")  # jotted: phrases kept, glue dropped
    assert "not" in found[1].note.split()  # a negation survives the jotting
    assert trial_notes([("Levain", p) for p in paragraphs], count=1) == found[:1]
