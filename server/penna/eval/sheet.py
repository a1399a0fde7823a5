"""The blind reading sheet: would the author keep each sentence?

`penna eval voice … --sheet DIR` writes `DIR/sheet.md`: per paragraph, the notes, then every
system's output and the author's own held-out paragraph, in a shuffled order under neutral
labels (A, B, C…), one sentence per line. The key (which label is which system) goes to
`DIR/key.json`, which the reader does not open.

The reader marks each sentence in its brackets:
- `k`: keepable: the author could keep it as it is;
- `1`: not a complete, grammatical sentence;
- `2`: does not say what the notes say (a claim dropped, added or changed);
- `3`: does not sound like this author;
- `4`: pasted from the vault.
A sentence failing several criteria gets the first one it fails.

`penna eval score-sheet DIR` reads the marks and the key and prints the keepable rate per
system with a 95% Wilson interval, and the count of each failure. With `--judge grammar` it also
prints how far the grammar judge penna selects with agrees with the reader (`eval/judge.py`).
"""

from __future__ import annotations

import json
import math
import random
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from penna.vault.text import sentences

AUTHOR = "author"
MARKS = {"k": "keepable", "1": "not grammatical", "2": "meaning changed", "3": "not the author's voice",
         "4": "pasted"}
LINE = re.compile(r"^- \[(?P<mark>[^\]]*)\] (?P<text>.*)$")
VERSION = re.compile(r"^### Version (?P<label>[A-Z])\s*$")
PARAGRAPH = re.compile(r"^## Paragraph (?P<number>\d+)")
INSTRUCTIONS = """# Blind reading sheet

For each paragraph, read the notes, then each version. Mark every sentence in its brackets:
`k` the author could keep it as it is; `1` not a complete, grammatical sentence; `2` does not
say what the notes say (a claim dropped, added or changed: negation, numbers, quantifiers,
modals, who did what); `3` does not sound like this author; `4` pasted from elsewhere.
Give the first criterion a sentence fails. Versions are in random order; one of them may be the
author's own text. Do not open key.json before you have finished.
"""


@dataclass(frozen=True)
class SheetRow:
    notes: Sequence[str]
    versions: dict[str, str]  # system name (or AUTHOR) → text


def write_sheet(directory: Path, rows: Sequence[SheetRow], *, seed: int, meta: dict[str, Any] | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    lines = [INSTRUCTIONS]
    key: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows, start=1):
        names = sorted(row.versions)
        rng.shuffle(names)
        labels = dict(zip(string.ascii_uppercase, names, strict=False))
        key[str(number)] = labels
        lines.append(f"## Paragraph {number}\n\nNotes:\n" + "\n".join(f"- {n}" for n in row.notes) + "\n")
        for label, name in labels.items():
            lines.append(f"### Version {label}")
            lines.extend(f"- [ ] {s}" for s in _sentences_of(row.versions[name]))
            lines.append("")
    (directory / "sheet.md").write_text("\n".join(lines), encoding="utf-8")
    (directory / "key.json").write_text(json.dumps({"meta": meta or {}, "labels": key}, indent=2,
                                                   ensure_ascii=False) + "\n", encoding="utf-8")


def _sentences_of(text: str) -> list[str]:
    found = [s.strip() for p in text.split("\n\n") for s in sentences(p) if s.strip()]
    return found or ["(empty)"]


@dataclass(frozen=True)
class Marked:
    system: str
    mark: str
    text: str


@dataclass
class Tally:
    marks: Counter[str]

    @property
    def judged(self) -> int:
        return sum(self.marks.values())

    @property
    def keepable(self) -> int:
        return self.marks.get("k", 0)


def read_marks(directory: Path) -> tuple[dict[str, Tally], list[str]]:
    """Marks per system, and problems found (unmarked or unknown marks), from a filled sheet."""
    tallies: dict[str, Tally] = {}
    marked, problems = read_sentences(directory)
    for sentence in marked:
        tallies.setdefault(sentence.system, Tally(Counter())).marks[sentence.mark] += 1
    return tallies, problems


def read_sentences(directory: Path) -> tuple[list[Marked], list[str]]:
    """Every marked sentence with its system, and problems found (unmarked or unknown marks)."""
    key = json.loads((directory / "key.json").read_text(encoding="utf-8"))["labels"]
    marked: list[Marked] = []
    problems: list[str] = []
    paragraph = label = None
    for number, line in enumerate((directory / "sheet.md").read_text(encoding="utf-8").splitlines(), start=1):
        if found := PARAGRAPH.match(line):
            paragraph, label = found.group("number"), None
        elif found := VERSION.match(line):
            label = found.group("label")
        elif (found := LINE.match(line)) and paragraph is not None and label is not None:
            mark = found.group("mark").strip().lower()
            if mark not in MARKS:
                problems.append(f"line {number}: mark {mark or '(none)'!r} is not one of {', '.join(MARKS)}")
                continue
            marked.append(Marked(key[paragraph][label], mark, found.group("text")))
    return marked, problems


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float, float]:
    if total == 0:
        return (math.nan, math.nan, math.nan)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (p, max(0.0, centre - half), min(1.0, centre + half))


def score_table(tallies: dict[str, Tally]) -> str:
    lines = ["| system | sentences | keepable | 95% interval | " + " | ".join(MARKS[m] for m in "1234") + " |",
             "|" + "---|" * 8]
    for system in sorted(tallies, key=lambda s: (s == AUTHOR, s)):
        tally = tallies[system]
        rate, low, high = wilson(tally.keepable, tally.judged)
        lines.append(f"| {system} | {tally.judged} | {rate:.0%} | [{low:.0%}, {high:.0%}] | "
                     + " | ".join(str(tally.marks.get(m, 0)) for m in "1234") + " |")
    return "\n".join(lines)


def score_sheet(directory: Path) -> tuple[str, list[str]]:
    tallies, problems = read_marks(directory)
    return score_table(tallies), problems
