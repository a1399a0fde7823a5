"""E29's measurement of plain edits alone (no model) on E21's bland inputs: which generic phrases
each author writes (counted over the whole corpus), then every sentence the edit changes, with the
author's own phrases kept. Run from the repository's root: `PYTHONPATH=server .venv/bin/python
docs/voice-sheets/e29/plain_edits.py` (vaultofknowledge read from its build in /tmp/ev/vok)."""
import glob, re, sys
from penna.knowledge.style import StyleCounts, StyleProfile, find_generic_phrases
from penna.vault.text import sentences
from penna.writing.plain import edit_sentence
for name, pat, inputs in [("nullprogram", "/work/shared/data/authors/nullprogram/**/*.md", "docs/voice-sheets/e21/nullprogram-generic-inputs.md"),
                          ("vaultofknowledge", "/tmp/ev/vok/**/*.md", "docs/voice-sheets/e21/vaultofknowledge-generic-inputs.md")]:
    counts = StyleCounts()
    for f in glob.glob(pat, recursive=True):
        for para in open(f, errors="ignore").read().split("\n\n"):
            counts.add_paragraph(para)
    prof = StyleProfile(counts)
    own = prof.own_phrases()
    print(f"== {name}: the author's own generic phrases: {sorted(own)}")
    text = open(inputs).read()
    total = flagged = edited_n = 0
    for para in re.split(r"^## \d+\n", text, flags=re.M):
        for s in sentences(para.strip()):
            total += 1
            found = [m.group(0) for m in find_generic_phrases(s)]
            if found: flagged += 1
            e = edit_sentence(s, keep=own)
            if e != s:
                edited_n += 1
                print("  -", s); print("  +", e)
    print(f"  {edited_n} of {total} sentences edited; {flagged} hold a listed phrase")
