"""Marks per system on a filled sheet that holds two penna versions (E32 and E33) beside the
author's, and the marks of the sentences the two versions do not share. SKIP: paragraph numbers
left out (comma-separated). Run from the repository's root with the project's Python:

    .venv/bin/python docs/voice-sheets/e33/tally.py docs/voice-sheets/e33/nullprogram
    .venv/bin/python docs/voice-sheets/e33/tally.py docs/voice-sheets/e33/vaultofknowledge 5,6,10
"""
import json, re, sys
from collections import defaultdict
d = sys.argv[1]; skip = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else set()
key = json.load(open(f"{d}/key.json"))["labels"]
para = ver = None
marks = defaultdict(list)
for line in open(f"{d}/sheet.md"):
    m = re.match(r"## Paragraph (\d+)", line)
    if m: para = m.group(1); continue
    m = re.match(r"### Version (\w)", line)
    if m: ver = m.group(1); continue
    m = re.match(r"- \[(\w*)\] (.*)", line)
    if m and para not in skip: marks[key[para][ver]].append((para, m.group(1), m.group(2)))
for sysname, ms in sorted(marks.items()):
    valid = [x for x in ms if x[1] in "k1234" and x[1]]
    print(sysname, f"{sum(x[1]=='k' for x in valid)} of {len(valid)}")
# changed sentences
e32 = {(p, s): mk for p, mk, s in marks["penna-e32"]}; e33 = {(p, s): mk for p, mk, s in marks["penna-e33"]}
only32 = [v for k, v in e32.items() if k not in e33]; only33 = [v for k, v in e33.items() if k not in e32]
print("changed: e32 kept", only32.count("k"), "of", len(only32), "; e33 kept", only33.count("k"), "of", len(only33))
same = [(k, e32[k], e33[k]) for k in e32 if k in e33]
print("same sentences marked differently:", sum(a != b for _, a, b in same), "of", len(same))
