"""Specification of the judge's agreement with the reader: kept and ungrammatical sentences,
per system, against the judge's verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.eval.test_sheet import _fill

from penna.cli import main
from penna.eval.judge import agreement, agreement_table
from penna.eval.sheet import AUTHOR, Marked, SheetRow, write_sheet
from penna.writing import grammar


def test_agreement_counts_what_the_judge_passes_among_kept_and_rejected_sentences() -> None:
    # The judge here is a table (the counting is under test, not a parser).
    verdicts = {"kept clean": 0, "kept flagged": 2, "broken flagged": 3, "broken passed": 0, "unknown": None}
    marked = [Marked("penna", "k", "kept clean"), Marked("penna", "k", "kept flagged"),
              Marked("penna", "1", "broken flagged"), Marked("penna", "1", "broken passed"),
              Marked("penna", "1", "unknown"), Marked("penna", "2", "kept clean"),
              Marked(AUTHOR, "k", "kept clean")]
    found = agreement(marked, verdicts.__getitem__)
    penna = found["penna"]
    assert (penna.kept, penna.kept_clean, penna.rejected, penna.rejected_clean, penna.unknown) == (2, 1, 2, 1, 1)
    assert penna.passed == 0.5 and penna.caught == 0.5  # a meaning fault (2) is not the grammar judge's
    assert found[AUTHOR].rejected == 0
    table = agreement_table(found)
    assert "| penna | 2 | 1 (50%) | 2 | 1 | 50% | 1 |" in table
    assert "| author | 1 | 1 (100%) | 0 | 0 | – | 0 |" in table  # nothing to catch: no figure


@pytest.mark.skipif(not grammar.available(), reason="Link Grammar is not installed (make install installs it)")
def test_score_sheet_with_the_grammar_judge_prints_its_agreement(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rows = [SheetRow(["bulk ferment nine hours"],
                     {"penna": "A bulk ferment is a can take nine hours, and you watch the dough not the clock.",
                      AUTHOR: "I start the levain the night before."})]
    write_sheet(tmp_path, rows, seed=1)
    _fill(tmp_path, {"penna": "1", AUTHOR: "k"})
    assert main(["eval", "score-sheet", str(tmp_path), "--judge", "grammar"]) == 0
    out = capsys.readouterr().out
    assert "| penna | 0 | 0 (–) | 1 | 0 | 100% | 0 |" in out  # the parser flags the broken one
    assert "| author | 1 | 1 (100%) | 0 | 0 | – | 0 |" in out
