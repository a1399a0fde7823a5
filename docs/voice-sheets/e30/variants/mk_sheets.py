"""Three variants read blind at the end of stop 35: the first 5 natural-notes paragraphs per corpus
(as E21 and E24), made by `docs/voice-sheets/e24/variants_read.py CORPUS OUT.json` at the final
code, each paragraph's three variants beside the author's, shuffled. Run from the repository's
root with the project's Python; the sheets go to /tmp/e30-variants, each with its key.json, which
is moved away before a reader starts."""

import json
import shutil
from pathlib import Path

from penna.eval.sheet import SheetRow, write_sheet

for corpus in ("nullprogram", "vaultofknowledge"):
    made = json.loads(Path(f"docs/voice-sheets/e30/variants/{corpus}-variants.json").read_text())
    rows = []
    for item in made:
        versions = {f"variant-{n + 1}": text for n, text in enumerate(item["variants"])}
        rows.append(SheetRow(item["bullets"], {**versions, "author": item["original"]}))
    folder = Path("/tmp/e30-variants") / corpus
    write_sheet(folder, rows, seed=3031)
    shutil.copy(f"docs/voice-sheets/e21/{corpus}/author-paragraphs.md", folder / "author-paragraphs.md")
    print(corpus, len(rows), "paragraphs ->", folder)
