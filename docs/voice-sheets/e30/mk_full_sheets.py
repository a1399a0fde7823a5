"""The code at the end of stop 35 (E30 with the review's fixes) read in full: all 10 paragraphs per
corpus, natural notes, penna beside the author's paragraph, shuffled. Run from the repository's
root with the project's Python; the sheets go to /tmp/e30-full, each with its key.json, which is
moved away before a reader starts."""

import json
import shutil
from pathlib import Path

from penna.eval.sheet import SheetRow, write_sheet

for corpus in ("nullprogram", "vaultofknowledge"):
    outputs = json.loads(Path(f"docs/voice-sheets/e30/{corpus}-head-penna.json").read_text())
    rows = [SheetRow(item["bullets"], {"penna-e30": item["outputs"]["penna"], "author": item["original"]})
            for item in outputs["items"]]
    folder = Path("/tmp/e30-full") / corpus
    write_sheet(folder, rows, seed=3030)
    shutil.copy(f"docs/voice-sheets/e21/{corpus}/author-paragraphs.md", folder / "author-paragraphs.md")
    print(corpus, len(rows), "paragraphs ->", folder)
