"""The marks a filled sheet gives the sentences of another output, where the same text was read
there (E31's final vaultofknowledge output against the sheets read at 2f41426): prints the
sentences not read and the count kept. With REF, only the paragraphs where OUT differs from REF.

    .venv/bin/python docs/voice-sheets/e31/marks_from_sheet.py SHEET_DIR OUT.json [REF.json]
"""
import json, re, sys
from pathlib import Path
from penna.eval.sheet import _sentences_of
d = Path(sys.argv[1]); out = json.loads(Path(sys.argv[2]).read_text())["items"]
ref = json.loads(Path(sys.argv[3]).read_text())["items"] if len(sys.argv) > 3 else None
marks = {}
for line in (d / "sheet.md").read_text().splitlines():
    m = re.match(r'- \[(\w*)\] (.*)', line)
    if m: marks.setdefault(m.group(2), set()).add(m.group(1))
kept = total = missing = 0
for i, item in enumerate(out):
    if ref is not None and item["outputs"]["penna"] == ref[i]["outputs"]["penna"]:
        continue
    for s in _sentences_of(item["outputs"]["penna"]):
        found = marks.get(s)
        total += 1
        if not found: missing += 1; print("NOT READ:", s); continue
        if len(found) > 1: print("TWO MARKS:", found, s)
        kept += "k" in found
print(f"kept {kept} of {total} ({missing} not read)")
