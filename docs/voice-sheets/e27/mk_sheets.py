"""E27's paired sheets: for each paragraph where the three outputs differ, the code before E27
(`base`), E27 as committed (`new`, WHOLE_SENTENCE_MARGIN = 1.0), E27 with the margin at 0 (`m0`)
and the author's paragraph, shuffled. Run from the repository's root with the project's Python;
the reader gets each corpus's folder without its key.json."""

import json
import shutil
from pathlib import Path

from penna.eval.sheet import SheetRow, write_sheet

HERE = Path("docs/voice-sheets/e27")
for corpus in ("nullprogram", "vaultofknowledge"):
    base, new, margin0 = (json.loads((HERE / f"{corpus}-{tag}.json").read_text()) for tag in ("base", "new", "m0"))
    rows = []
    for x, y, z in zip(base["items"], new["items"], margin0["items"], strict=True):
        assert x["bullets"] == y["bullets"] == z["bullets"]
        if not x["outputs"]["penna"] == y["outputs"]["penna"] == z["outputs"]["penna"]:
            rows.append(SheetRow(x["bullets"], {"penna-base": x["outputs"]["penna"], "penna-e27": y["outputs"]["penna"],
                                                "penna-e27-margin0": z["outputs"]["penna"], "author": x["original"]}))
    folder = Path("/tmp/e27-sheets") / corpus
    write_sheet(folder, rows, seed=27)
    shutil.copy(f"docs/voice-sheets/e21/{corpus}/author-paragraphs.md", folder / "author-paragraphs.md")
    print(corpus, len(rows), "paragraphs ->", folder)
