"""A blind paired reading sheet for penna's outputs on writer-style notes, and its scoring.

    writer_sheet.py make OUT_DIR NAME=OUTPUTS.tsv NAME=OUTPUTS.tsv   (one line per notes file: path<TAB>text)
    writer_sheet.py score OUT_DIR

`make` writes OUT_DIR/sheet.md (each paragraph's notes, then its versions in shuffled, unlabelled
order; versions that are word for word the same are shown once) and OUT_DIR/key.json. `score`
reads the reader's marks back and prints each system's kept sentences, for the notes sets the
sheet names "dev" (writer-notes/, which the rules were tuned on) and "held-out" (written by a
helper who never saw penna's code or outputs), for all, and for the paragraphs where the
versions differ ("differing").
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "server"))
from penna.vault.text import sentences  # noqa: E402

HEADER = """# Reading sheet

For each paragraph, read the notes, then each version written from them. Mark every sentence in
its brackets: `k` the writer could keep it as it is; `1` not a complete, grammatical sentence; `2`
does not say what the notes say (a claim dropped, added or changed: negation, numbers,
quantifiers, modals, who did what); `3` does not sound like this writer; `4` pasted from
elsewhere. Give the first criterion a sentence fails. Versions of one paragraph are in no
particular order; mark each on its own.
"""


def make(out: Path, runs: list[tuple[str, Path]]) -> None:
    tables = [(name, [line.split("\t", 1) for line in path.read_text().splitlines() if line.strip()])
              for name, path in runs]
    rng = random.Random(38)
    lines, key = [HEADER], []
    for number, rows in enumerate(zip(*(table for _, table in tables), strict=True), 1):
        notes_path = rows[0][0]
        assert all(row[0] == notes_path for row in rows), rows
        texts: dict[str, list[str]] = {}
        for (name, _), (_, text) in zip(tables, rows, strict=True):
            texts.setdefault(text.strip(), []).append(name)
        order = list(texts.items())
        rng.shuffle(order)
        lines.append(f"## Paragraph {number}\n\nNotes:\n{Path(notes_path).read_text().strip()}\n")
        versions = {}
        for letter, (text, names) in zip("ABCD", order, strict=False):
            lines.append(f"### Version {letter}")
            lines.extend(f"- [ ] {sentence}" for sentence in sentences(text))
            lines.append("")
            versions[letter] = names
        key.append({"paragraph": number, "notes": notes_path, "set": "held-out" if "heldout" in notes_path else "dev",
                    "versions": versions})
    out.mkdir(parents=True, exist_ok=True)
    (out / "sheet.md").write_text("\n".join(lines))
    (out / "key.json").write_text(json.dumps(key, indent=1))


def score(out: Path) -> None:
    key = {entry["paragraph"]: entry for entry in json.loads((out / "key.json").read_text())}
    marks: dict[tuple[int, str], list[str]] = {}
    paragraph, version = 0, ""
    for line in (out / "sheet.md").read_text().splitlines():
        if found := re.match(r"## Paragraph (\d+)", line):
            paragraph = int(found.group(1))
        elif found := re.match(r"### Version (\w)", line):
            version = found.group(1)
        elif found := re.match(r"- \[(.*?)\]", line):
            marks.setdefault((paragraph, version), []).append(found.group(1).strip().lower())
    totals: dict[tuple[str, str], list[int]] = {}
    for (number, letter), found in marks.items():
        entry = key[number]
        differ = len(entry["versions"]) > 1
        for name in entry["versions"][letter]:
            for which in (entry["set"], "all", *(["differing"] if differ else [])):
                tally = totals.setdefault((name, which), [0, 0, 0, 0, 0, 0])
                tally[0] += sum(mark == "k" for mark in found)
                tally[1] += len(found)
                for mark in found:
                    if mark in "1234" and mark:
                        tally[1 + int(mark)] += 1
    unmarked = sum(mark == "" for found in marks.values() for mark in found)
    for (name, which), (kept, total, *faults) in sorted(totals.items()):
        print(f"{name:10} {which:9} kept {kept:3} of {total:3} ({100 * kept / total:4.0f}%)  "
              f"not grammatical {faults[0]}, meaning {faults[1]}, voice {faults[2]}, pasted {faults[3]}")
    if unmarked:
        print(f"{unmarked} sentences unmarked")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(Path(sys.argv[2]), [(arg.split("=", 1)[0], Path(arg.split("=", 1)[1])) for arg in sys.argv[3:]])
    else:
        score(Path(sys.argv[2]))
