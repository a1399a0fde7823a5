"""Marks of a 20-paragraph full sheet split into the paragraphs the 10-paragraph runs also draw
(E17–E33 read those) and the other ten. Run from the repository's root with the project's Python:

    .venv/bin/python docs/voice-sheets/e32/full20/halves.py nullprogram
    .venv/bin/python docs/voice-sheets/e32/full20/halves.py vaultofknowledge
"""
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

corpus = sys.argv[1]
here = Path(__file__).parent
twenty = json.loads((here / f"{corpus}-penna.json").read_text())["items"]
ten = json.loads((here.parent / f"{corpus}-penna.json").read_text())["items"]
drawn = {(item["post"], item["original"]) for item in ten}
earlier = {i + 1 for i, item in enumerate(twenty) if (item["post"], item["original"]) in drawn}
key = json.loads((here / corpus / "key.json").read_text())["labels"]
tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
para = version = None
for line in (here / corpus / "sheet.md").read_text().splitlines():
    if m := re.match(r"## Paragraph (\d+)", line):
        para = int(m.group(1))
    elif m := re.match(r"### Version (\w)", line):
        version = m.group(1)
    elif (m := re.match(r"- \[(\w*)\] ", line)) and para is not None:
        who = key[str(para)][version]
        half = "the ten drawn before" if para in earlier else "the other ten"
        tally[f"{who}, {half}"][0] += m.group(1) == "k"
        tally[f"{who}, {half}"][1] += 1
for name, (kept, total) in sorted(tally.items()):
    print(f"{name}: {kept} of {total} ({100 * kept / total:.0f}%)")
