"""Specification of the blind reading sheet: written shuffled and unlabelled, scored from marks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from penna.cli import main
from penna.eval.sheet import AUTHOR, SheetRow, read_marks, wilson, write_sheet

ROWS = [
    SheetRow(["cold kitchen, 17°C", "start levain night before"],
             {"penna": "My kitchen is cold, 17°C. I start the levain the night before.",
              "nocontext": "Kitchen cold levain.", AUTHOR: "It's cold in here: 17°C. So I start the levain early."}),
    SheetRow(["bake covered pot"], {"penna": "I bake in a covered pot.", "nocontext": "Pots are good.",
                                    AUTHOR: "I bake in a covered pot."}),
]


def _fill(folder: Path, mark_for: dict[str, str]) -> None:
    """Mark every sentence as its system's mark, through the key (what a reader does by reading)."""
    key = json.loads((folder / "key.json").read_text())["labels"]
    lines, paragraph, label = [], None, None
    for line in (folder / "sheet.md").read_text().splitlines():
        if m := re.match(r"## Paragraph (\d+)", line):
            paragraph = m.group(1)
        elif m := re.match(r"### Version ([A-Z])", line):
            label = m.group(1)
        elif line.startswith("- [ ] ") and paragraph and label:
            lines.append(line.replace("[ ]", f"[{mark_for[key[paragraph][label]]}]", 1))
            continue
        lines.append(line)
    (folder / "sheet.md").write_text("\n".join(lines))


def test_the_sheet_hides_which_system_wrote_what(tmp_path: Path) -> None:
    write_sheet(tmp_path, ROWS, seed=3)
    sheet = (tmp_path / "sheet.md").read_text()
    assert "penna" not in sheet and "nocontext" not in sheet and AUTHOR not in sheet.split("## Paragraph 1")[1]
    assert sheet.count("### Version") == 6 and "- [ ] I start the levain the night before." in sheet
    key = json.loads((tmp_path / "key.json").read_text())["labels"]
    assert set(key["1"].values()) == {"penna", "nocontext", AUTHOR}
    orders = {tuple(labels.values()) for labels in key.values()}
    write_sheet(tmp_path / "again", ROWS, seed=3)
    assert json.loads((tmp_path / "again" / "key.json").read_text())["labels"] == key  # seeded
    assert len(orders) >= 1


def test_scoring_counts_keepable_sentences_per_system(tmp_path: Path) -> None:
    write_sheet(tmp_path, ROWS, seed=3)
    _fill(tmp_path, {"penna": "k", "nocontext": "1", AUTHOR: "k"})
    tallies, problems = read_marks(tmp_path)
    assert problems == []
    assert (tallies["penna"].keepable, tallies["penna"].judged) == (3, 3)
    assert (tallies["nocontext"].keepable, tallies["nocontext"].judged) == (0, 2)
    assert tallies["nocontext"].marks["1"] == 2


def test_score_sheet_command_prints_rates_and_flags_unmarked_lines(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write_sheet(tmp_path, ROWS, seed=3)
    _fill(tmp_path, {"penna": "k", "nocontext": "2", AUTHOR: "k"})
    assert main(["eval", "score-sheet", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| penna | 3 | 100% |" in out and "| nocontext | 2 | 0% |" in out
    sheet = (tmp_path / "sheet.md").read_text().replace("[k]", "[ ]", 1)
    (tmp_path / "sheet.md").write_text(sheet)
    assert main(["eval", "score-sheet", str(tmp_path)]) == 1
    assert "is not one of" in capsys.readouterr().err
    assert main(["eval", "score-sheet", str(tmp_path / "missing")]) == 1


def test_wilson_interval_brackets_the_rate() -> None:
    rate, low, high = wilson(6, 10)
    assert rate == 0.6 and 0.3 < low < 0.6 < high < 0.85
