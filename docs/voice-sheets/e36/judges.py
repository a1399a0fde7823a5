"""Do the judges see what the readers saw? On the full E32 reading (20 paragraphs per corpus), the
area under the ROC curve of each judge's score for "kept" against the readers' marks:
Link Grammar's unattached words (penna's grammar judge) and the default model's mean and lowest
token log-probability for the sentence read alone. 0.5 is chance, 1.0 a perfect judge.

    PYTHONPATH=server .venv/bin/python docs/voice-sheets/e36/judges.py PATH/TO/gemma-3-270m-q4_k_m.gguf
"""
import json
import math
import re
import sys

import numpy as np
from llama_cpp import Llama

from penna.writing import grammar

SHEETS = "docs/voice-sheets/e32/full20"


def marked() -> list[tuple[str, bool, str]]:
    """(system, kept?, sentence) for every sentence the readers marked."""
    rows = []
    for corpus in ("nullprogram", "vaultofknowledge"):
        key = json.load(open(f"{SHEETS}/{corpus}/key.json"))["labels"]
        para = version = None
        for line in open(f"{SHEETS}/{corpus}/sheet.md").read().splitlines():
            if found := re.match(r"## Paragraph (\d+)", line):
                para, version = found.group(1), None
            elif found := re.match(r"### Version (\w)", line):
                version = found.group(1)
            elif (found := re.match(r"- \[(\w*)\] (.*)", line)) and para and version:
                system = "author" if key[para][version] == "author" else "penna"
                rows.append((system, found.group(1) == "k", found.group(2)))
    return rows


def log_probabilities(llm: Llama, sentence: str) -> np.ndarray:
    tokens = llm.tokenize(sentence.encode(), add_bos=True)
    llm.reset()
    llm.eval(tokens)
    found = []
    for index in range(1, len(tokens)):
        row = np.array(llm.scores[index - 1], dtype=np.float64)
        top = row.max()
        found.append(row[tokens[index]] - (top + math.log(np.exp(row - top).sum())))
    return np.array(found)


def auc(scores: list[float], kept: list[bool]) -> float:
    good = [s for s, k in zip(scores, kept) if k]
    bad = [s for s, k in zip(scores, kept) if not k]
    return sum((g > b) + 0.5 * (g == b) for g in good for b in bad) / (len(good) * len(bad))


def main() -> None:
    llm = Llama(sys.argv[1], n_ctx=512, logits_all=True, verbose=False, n_threads=2)
    rows = marked()
    judged = []
    for system, kept, sentence in rows:
        found = log_probabilities(llm, sentence)
        judged.append((system, kept, -(grammar.unattached(sentence) or 0), found.mean(), found.min(),
                       -len(sentence.split())))
    for system in ("penna", "author"):
        mine = [row for row in judged if row[0] == system]
        kept = [row[1] for row in mine]
        print(f"{system}: {len(mine)} sentences, {sum(kept)} kept")
        for column, name in ((2, "Link Grammar, fewer unattached"), (3, "model, mean log-probability"),
                             (4, "model, lowest token log-probability"), (5, "shorter")):
            print(f"  {name:40} AUC {auc([row[column] for row in mine], kept):.2f}")


if __name__ == "__main__":
    main()
