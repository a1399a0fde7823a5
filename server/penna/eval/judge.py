"""How far an automatic judge agrees with the blind reader.

penna chooses among candidate sentences with a grammar judge (`writing/grammar.py`): the parser
decides which restoration is mended and which draft wins. A judge helps only where it tells the
sentences a reader rejects from the ones they keep. If it passes the rejected ones about as often
as the kept ones, choosing by it cannot raise the keepable rate, however it is tuned.

This compares, per system of a filled reading sheet, the judge's verdict ("clean": no word left
unattached) with the reader's marks: the sentences kept (`k`) and those marked not grammatical
(`1`). Sentences marked for meaning, voice or pasting are not the grammar judge's business.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from penna.eval.sheet import AUTHOR, Marked

KEPT = "k"
NOT_GRAMMATICAL = "1"


@dataclass
class Agreement:
    kept: int = 0
    kept_clean: int = 0  # … that the judge passes
    rejected: int = 0  # marked not grammatical
    rejected_clean: int = 0  # … that the judge passes all the same: its blind spot
    unknown: int = 0  # sentences the judge could not judge (left out of the counts above)

    @property
    def caught(self) -> float:
        """Share of the reader's ungrammatical sentences the judge flags."""
        return (self.rejected - self.rejected_clean) / self.rejected if self.rejected else float("nan")

    @property
    def passed(self) -> float:
        """Share of the reader's kept sentences the judge passes."""
        return self.kept_clean / self.kept if self.kept else float("nan")


def agreement(sentences: Iterable[Marked], unattached: Callable[[str], int | None]) -> dict[str, Agreement]:
    """Per system, the judge (`unattached`: words left unattached, None if unknown) against the marks."""
    found: dict[str, Agreement] = {}
    for sentence in sentences:
        if sentence.mark not in (KEPT, NOT_GRAMMATICAL):
            continue
        tally = found.setdefault(sentence.system, Agreement())
        verdict = unattached(sentence.text)
        if verdict is None:
            tally.unknown += 1
        elif sentence.mark == KEPT:
            tally.kept += 1
            tally.kept_clean += verdict == 0
        else:
            tally.rejected += 1
            tally.rejected_clean += verdict == 0
    return found


def _percent(share: float) -> str:
    return "–" if math.isnan(share) else f"{share:.0%}"  # nan: nothing to count


def agreement_table(found: dict[str, Agreement]) -> str:
    header = ("| system | kept by the reader | … the parser passes | not grammatical to the reader "
              "| … the parser passes | parser catches | unknown |")
    lines = [header, "|" + "---|" * 7]
    for system in sorted(found, key=lambda s: (s == AUTHOR, s)):
        a = found[system]
        lines.append(f"| {system} | {a.kept} | {a.kept_clean} ({_percent(a.passed)}) | {a.rejected} "
                     f"| {a.rejected_clean} | {_percent(a.caught)} | {a.unknown} |")
    return "\n".join(lines)
