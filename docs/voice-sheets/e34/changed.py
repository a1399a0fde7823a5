"""The sentences of one `penna eval voice --json` output that another does not hold, per paragraph.
Run from the repository's root with the project's Python:

    PYTHONPATH=server .venv/bin/python docs/voice-sheets/e34/changed.py NEW.json REF.json
    # E34's contractions against E32, and E34 (openers too) against its contractions alone:
    … changed.py docs/voice-sheets/e34/nullprogram-contractions-penna.json docs/voice-sheets/e32/full20/nullprogram-penna.json
    … changed.py docs/voice-sheets/e34/nullprogram-penna.json docs/voice-sheets/e34/nullprogram-contractions-penna.json
"""
import json
import sys

from penna.vault.text import sentences

new = json.load(open(sys.argv[1]))["items"]
ref = {(i["post"], i["original"]): i["outputs"]["penna"] for i in json.load(open(sys.argv[2]))["items"]}
changed = total = 0
for number, item in enumerate(new, 1):
    before, after = sentences(ref[(item["post"], item["original"])]), sentences(item["outputs"]["penna"])
    total += len(after)
    added = [s for s in after if s not in set(before)]
    if added:
        changed += len(added)
        print(f"## paragraph {number}")
        print("\n".join([*(f"  - {s}" for s in before if s not in set(after)), *(f"  + {s}" for s in added)]))
print(f"changed {changed} of {total}")
