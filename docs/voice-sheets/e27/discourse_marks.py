"""E26's narrower idea, checked against the readers' marks instead of tried: how often a reader
kept penna's sentences that add one of E26's discourse words (absent from the paragraph's notes),
against penna's other sentences, over every filled sheet with a key in docs/voice-sheets. Run from
the repository's root: `.venv/bin/python docs/voice-sheets/e27/discourse_marks.py`."""
import json, re, collections
from pathlib import Path
W = set("if because when while whether though however instead perhaps quite rather really very even just still already again now then too also".split())
tab = collections.defaultdict(collections.Counter)
ex = collections.defaultdict(list)
for sheet in sorted(Path("docs/voice-sheets").rglob("sheet.md")):
    kf = sheet.with_name("key.json")
    if not kf.exists(): continue
    key = json.loads(kf.read_text()); labels = key.get("labels", key)
    para = ver = None; notes = []
    for line in sheet.read_text().splitlines():
        if m := re.match(r"## Paragraph (\d+)", line): para, ver, notes = m.group(1), None, []
        elif m := re.match(r"### Version (\w+)", line): ver = m.group(1)
        elif ver is None and para and line.startswith("- "): notes.append(line[2:])
        elif (m := re.match(r"- \[([k1234])\] (.+)", line.strip())) and para and ver:
            name = labels.get(para, {}).get(ver, "")
            if "penna" not in name: continue
            nw = set(re.findall(r"[a-z']+", " ".join(notes).lower()))
            sw = re.findall(r"[a-z']+", m.group(2).lower())
            added = sorted({w for w in sw if w in W and w not in nw})
            k = "added" if added else "none"
            tab[k][m.group(1)] += 1
            if added: ex[m.group(1)].append((str(sheet.parent), added, m.group(2)))
for k, c in tab.items():
    n = sum(c.values()); print(k, n, dict(c), f"kept {c['k']/n:.0%}")
for mark in ex:
    print("==", mark, len(ex[mark]))
    seen=set()
    for s in ex[mark]:
        if s[2] in seen: continue
        seen.add(s[2]); print("  ", s[1], s[2][:140])
