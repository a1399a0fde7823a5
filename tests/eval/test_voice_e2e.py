"""`penna eval voice` end to end: the real command, the real default model, a tiny corpus.

Two held-out paragraphs of the fixture corpus, as natural notes, go through all three systems;
the table, the JSON and the blind reading sheet must be well formed and every figure in its range.
(The numbers themselves are measured on real corpora and recorded in docs/voice.md; a tiny corpus
says nothing about voice.)
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.mark.model
@pytest.mark.e2e
def test_eval_voice_runs_all_three_systems_on_a_tiny_corpus(tmp_path: Path) -> None:
    out = tmp_path / "voice.json"
    done = subprocess.run(
        [sys.executable, "-m", "penna", "eval", "voice", str(CORPUS), "--paragraphs", "2", "--holdout", "0.25",
         "--seed", "3", "--replicates", "200", "--json", str(out), "--bullets", "natural",
         "--sheet", str(tmp_path / "sheet")],
        capture_output=True, text=True, timeout=900, check=False)  # ~30 s of CPU; generous for a shared machine
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == ["nocontext", "rag", "penna", "author (held-out, floor)"]
    assert "seed 3" in done.stdout and "split by date" in done.stdout and "targets:" in done.stdout

    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["config"]["seed"] == 3 and report["config"]["paragraphs"] == 2
    assert report["config"]["bullets"] == "natural"
    assert report["config"]["split"] == {"method": "date", "cut": "2024-07-11", "holdout": 0.25, "train_posts": 6,
                                         "held_out_posts": 2}
    floor = report["author"]["delta_floor"]
    assert 0 < floor["low"] <= floor["high"] < 5
    for name, system in report["systems"].items():
        for key in ("delta", "sentence_length", "punctuation", "content_kept", "generic_per_1k", "words",
                    "claims_changed"):
            estimate = system[key]
            assert all(math.isfinite(estimate[k]) for k in ("mean", "low", "high")), (name, key)
            assert estimate["low"] <= estimate["high"], (name, key)
        assert 0 < system["delta"]["mean"] < 5
        assert 0 <= system["content_kept"]["mean"] <= 1
        assert 0 <= system["punctuation"]["mean"] <= 1
        assert system["generic_per_1k"]["mean"] >= 0 and system["words"]["mean"] > 0, name
        assert isinstance(system["copy_run_max"], int) and system["copy_run_max"] >= 0
    assert report["systems"]["nocontext"]["gap_closed"]["mean"] == 0
    assert {"content_kept_at_least_0.9", "claims_intact", "copy_run_below_12", "generic_rate_at_most_author",
            "gap_closed_at_least_0.5", "beats_rag", "punctuation_below_nocontext"} <= set(report["targets"])
    sheet = (tmp_path / "sheet" / "sheet.md").read_text(encoding="utf-8")
    labels = json.loads((tmp_path / "sheet" / "key.json").read_text(encoding="utf-8"))["labels"]
    assert sheet.count("## Paragraph ") == 2 and "- [ ] " in sheet
    assert all(set(row.values()) == {"nocontext", "rag", "penna", "author"} for row in labels.values())
    for item in report["items"]:
        assert item["bullets"] and set(item["outputs"]) == {"nocontext", "rag", "penna"}
        assert all(text.strip() for text in item["outputs"].values())  # every system wrote something
