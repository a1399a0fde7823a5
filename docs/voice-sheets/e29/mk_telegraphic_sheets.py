"""Keyword notes read in full at E29: all 10 paragraphs per corpus from `--bullets telegraphic`
(the same paragraphs and seeds as every reading since E17), penna beside the author's paragraph,
shuffled. Run from the repository's root with the project's Python; the sheets go to
/tmp/e29-telegraphic, each with its key.json, which is moved away before a reader starts."""

import json
import shutil
from pathlib import Path

from penna.eval.sheet import SheetRow, write_sheet

for corpus in ("nullprogram", "vaultofknowledge"):
    outputs = json.loads(Path(f"docs/voice-sheets/e29/{corpus}-telegraphic-penna.json").read_text())
    rows = [SheetRow(item["bullets"], {"penna-e29": item["outputs"]["penna"], "author": item["original"]})
            for item in outputs["items"]]
    folder = Path("/tmp/e29-telegraphic") / corpus
    write_sheet(folder, rows, seed=2929)
    shutil.copy(f"docs/voice-sheets/e21/{corpus}/author-paragraphs.md", folder / "author-paragraphs.md")
    print(corpus, len(rows), "paragraphs ->", folder)
