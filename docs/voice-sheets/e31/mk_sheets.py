"""Blind reading sheets from `penna eval voice --json` outputs, for any reading from E31 on (the
earlier `mk_*sheets.py` are the records of their own readings). Run from the repository's root
with the project's Python; each sheet's key.json is moved into KEYS before a reader starts.

    # paired: only the paragraphs where NEW's text differs from REF's, both beside the author's
    mk_sheets.py paired NAME=NEW.json NAME=REF.json OUT_DIR KEYS_DIR CORPUS
    # full: every paragraph of NEW beside the author's
    mk_sheets.py full NAME=NEW.json OUT_DIR KEYS_DIR CORPUS
    # both: every paragraph of NEW and of REF beside the author's (changed or not)
    mk_sheets.py both NAME=NEW.json NAME=REF.json OUT_DIR KEYS_DIR CORPUS
    # variants: each paragraph's three variants (docs/voice-sheets/e24/variants_read.py) beside the author's
    mk_sheets.py variants VARIANTS.json OUT_DIR KEYS_DIR CORPUS

CORPUS is nullprogram or vaultofknowledge (its eight training paragraphs, from
docs/voice-sheets/e21, go beside the sheet for the reader); NAME is the system's name in the key.
E31's sheets: `paired penna-e31b=e31/nullprogram-penna.json penna-base=e30/nullprogram-head-penna.json
… nullprogram` and `full penna-e31b=e31/nullprogram-penna.json … nullprogram` (likewise for
vaultofknowledge), paths under docs/voice-sheets.
"""

import json
import shutil
import sys
from pathlib import Path

from penna.eval.sheet import SheetRow, write_sheet

SEED = 3131


def named(argument: str) -> tuple[str, list[dict]]:
    name, path = argument.split("=", 1)
    return name, json.loads(Path(path).read_text())["items"]


def main(argv: list[str]) -> None:
    mode, *rest = argv
    if mode in ("paired", "both"):
        new, ref, out, keys, corpus = rest
        (new_name, new_items), (ref_name, ref_items) = named(new), named(ref)
        rows = [SheetRow(n["bullets"], {new_name: n["outputs"]["penna"], ref_name: r["outputs"]["penna"],
                                        "author": n["original"]})
                for n, r in zip(new_items, ref_items, strict=True)
                if mode == "both" or n["outputs"]["penna"] != r["outputs"]["penna"]]
    elif mode == "variants":
        made, out, keys, corpus = rest
        rows = [SheetRow(item["bullets"], {**{f"variant-{n + 1}": text for n, text in enumerate(item["variants"])},
                                           "author": item["original"]})
                for item in json.loads(Path(made).read_text())]
    else:
        new, out, keys, corpus = rest
        new_name, new_items = named(new)
        rows = [SheetRow(n["bullets"], {new_name: n["outputs"]["penna"], "author": n["original"]}) for n in new_items]
    folder = Path(out)
    write_sheet(folder, rows, seed=SEED)
    shutil.copy(f"docs/voice-sheets/e21/{corpus}/author-paragraphs.md", folder / "author-paragraphs.md")
    Path(keys).mkdir(parents=True, exist_ok=True)
    shutil.move(str(folder / "key.json"), Path(keys) / f"{corpus}.json")
    print(f"{corpus}: {len(rows)} paragraphs -> {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
