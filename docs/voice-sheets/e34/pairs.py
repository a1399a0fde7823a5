"""The sentences two penna versions of a paired sheet do not share, with the reader's marks:
    .venv/bin/python docs/voice-sheets/e34/pairs.py docs/voice-sheets/e34/nullprogram
"""
import json, re, sys
from collections import defaultdict
folder = sys.argv[1]
key = json.load(open(f"{folder}/key.json"))["labels"]
marks = defaultdict(lambda: defaultdict(list)); para = version = None
for line in open(f"{folder}/sheet.md").read().splitlines():
    if m := re.match(r"## Paragraph (\d+)", line): para = m.group(1)
    elif m := re.match(r"### Version (\w)", line): version = m.group(1)
    elif (m := re.match(r"- \[(\w*)\] (.*)", line)) and para:
        marks[para][key[para][version]].append((m.group(1), m.group(2)))
for para, by in marks.items():
    old = dict((s, k) for k, s in by["penna-e32"]); new = dict((s, k) for k, s in by["penna-e34"])
    for s, k in old.items():
        if s not in new: print(f"P{para} E32 [{k}] {s}")
    for s, k in new.items():
        if s not in old: print(f"P{para} E34 [{k}] {s}")
