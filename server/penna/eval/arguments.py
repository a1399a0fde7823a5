"""The options of `penna eval voice`, kept apart so that building the CLI's parser imports
nothing heavy (the evaluation itself loads the engine and the model only when it runs)."""

from __future__ import annotations

import argparse

SYSTEM_NAMES = ("nocontext", "rag", "penna")
DEFAULT_CANDIDATES = 2


def add_voice_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", metavar="CORPUS_DIR", help="a folder of Markdown posts by one author")
    parser.add_argument("--paragraphs", type=int, default=30, help="held-out paragraphs to write (default 30)")
    parser.add_argument("--seed", type=int, default=7,
                        help="seed for the split, the sample, generation and the intervals (default 7)")
    parser.add_argument("--json", metavar="PATH", help="also write the full results (outputs included) as JSON")
    parser.add_argument("--candidates", type=int, default=DEFAULT_CANDIDATES,
                        help="penna's extra candidates for a sentence whose first draft is not keepable "
                             f"(default {DEFAULT_CANDIDATES})")
    parser.add_argument("--systems", default=",".join(SYSTEM_NAMES),
                        help=f"comma-separated, from: {', '.join(SYSTEM_NAMES)} (default: all)")
    parser.add_argument("--holdout", type=float, default=0.1, help="share of posts held out (default 0.1)")
    parser.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates (default 1000)")
    parser.add_argument("--reuse", metavar="JSON", action="append",
                        help="take the outputs of the systems an earlier --json report holds, if it wrote the "
                             "same paragraphs with the same seed and temperature (repeatable; for experiments on "
                             "one system)")
    parser.add_argument("--model", default="default", help="'default', a .gguf path, or ollama:NAME:TAG")
    parser.add_argument("--threads", type=int, help="model threads (default: the CPUs penna may run on)")
    parser.add_argument("--temperature", type=float, help="sampling temperature for every system (default: penna's)")
    parser.add_argument("--bullets", choices=("telegraphic", "natural", "both"), default="both",
                        help="how bullets are derived from the held-out sentences: content words only "
                             "(telegraphic), as a writer jots them (natural), or both (default)")
    parser.add_argument("--sheet", metavar="DIR",
                        help="also write a blind reading sheet (DIR/sheet.md) and its key (DIR/key.json); "
                             "score it with `penna eval score-sheet DIR`")
