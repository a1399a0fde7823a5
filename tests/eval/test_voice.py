"""Specification of `penna eval voice`: the report, the table and the command's errors.

The measuring part runs on fabricated outputs (the author's own paragraphs, the bare bullets),
whose answers are known: writing the author's text closes the whole gap, the bullets none of it.
The generating part is exercised for real in test_voice_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from penna.cli import main
from penna.eval.corpus import read_posts, select_paragraphs, split_posts
from penna.eval.systems import System
from penna.eval.voice import Outputs, build_reference, measure, table

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def _report() -> dict:
    split = split_posts(read_posts(CORPUS), holdout=0.25, seed=1)
    items = select_paragraphs(split.held_out, 6, seed=1)
    reference = build_reference(split, items)

    def outputs(name: str, texts: list[str]) -> Outputs:
        return Outputs(System(name, lambda _b, _s: "", name), texts, 1.0)

    runs = [outputs("nocontext", [" ".join(i.bullets) + "." for i in items]),
            outputs("rag", [" ".join(i.bullets) + "." for i in items]),
            outputs("penna", [i.text for i in items])]
    return measure(reference, items, runs, seed=1, replicates=200)


@pytest.mark.slow
def test_writing_the_authors_own_text_closes_the_whole_gap() -> None:
    report = _report()
    penna, nocontext = report["systems"]["penna"], report["systems"]["nocontext"]
    assert penna["delta"]["mean"] == pytest.approx(report["author"]["delta_floor"]["mean"])
    assert penna["gap_closed"]["mean"] == pytest.approx(1.0)
    assert nocontext["gap_closed"]["mean"] == pytest.approx(0.0)
    assert penna["content_kept"]["mean"] == pytest.approx(1.0)
    assert penna["delta_minus_rag"]["mean"] < 0  # the author's text is closer to the author than bare bullets
    assert report["targets"]["gap_closed_at_least_0.5"] and report["targets"]["beats_rag"]
    for system in report["systems"].values():
        for key in ("delta", "sentence_length", "punctuation", "content_kept", "generic_per_1k", "words"):
            assert system[key]["low"] <= system[key]["high"]
    assert len(report["items"]) == 6 and set(report["items"][0]["outputs"]) == {"nocontext", "rag", "penna"}
    json.dumps(report)  # JSON-ready as it is


def test_the_table_has_a_row_per_system_and_the_author_floor() -> None:
    report = _report()
    report["config"] = {"corpus": "c", "model": "m", "seed": 1, "paragraphs": 6, "candidates": 1,
                        "replicates": 200, "seconds": 1.0, "split": {"method": "date", "cut": "2024-07-11",
                                                                    "train_posts": 6, "held_out_posts": 2}}
    text = table(report)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == ["nocontext", "rag", "penna", "author (held-out, floor)"]
    assert all(r.count("|") == rows[0].count("|") for r in rows)
    assert "seed 1" in text and "held out from 2024-07-11" in text and "gap_closed_at_least_0.5 ✓" in text


def test_bad_input_gets_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "voice", str(tmp_path / "missing")]) == 1
    assert "corpus folder not found" in capsys.readouterr().err
    assert main(["eval", "voice", str(CORPUS), "--systems", "penna,gpt"]) == 2
    assert "unknown system(s) gpt" in capsys.readouterr().err
    (tmp_path / "one.md").write_text("Just one post.\n")
    assert main(["eval", "voice", str(tmp_path)]) == 1
    assert "at least two posts" in capsys.readouterr().err
    assert main(["eval", "voice", str(CORPUS), "--paragraphs", "1"]) == 2
