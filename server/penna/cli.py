"""`penna`: the command line. Thin: each command is a few calls on the engine.

Every failure a user can cause (missing vault, empty input, broken model) ends in one clear line
on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from penna import __version__
from penna.config import Settings, settings_from_dict
from penna.context.assemble import ContextTooSmall
from penna.knowledge.index import IndexUnavailable
from penna.writing.backend import ModelError

if TYPE_CHECKING:  # the engine loads only for the commands that use it
    from penna.engine import Engine
    from penna.knowledge.indexer import Progress

EXIT_USAGE = 2
EXIT_FAILED = 1


class CliError(Exception):
    """A problem to report in one line."""


def _settings(args: argparse.Namespace) -> Settings:
    raw = {}
    for key, attr in (("model", "model"), ("remoteUrl", "remote_url"), ("modelFolders", "model_folders"),
                      ("nCtx", "n_ctx"), ("threads", "threads"), ("temperature", "temperature"),
                      ("maxTokens", "max_tokens"), ("seed", "seed"), ("authorName", "author"),
                      ("readingFolders", "reading_folders")):
        value = getattr(args, attr, None)
        if value is not None:
            raw[key] = value
    settings, problems = settings_from_dict(raw)
    if problems:
        raise CliError(problems[0])
    return settings


def _engine(args: argparse.Namespace, *, sync: bool = True) -> Engine:
    from penna.engine import Engine

    vault = Path(args.vault or os.environ.get("PENNA_VAULT") or ".")
    engine = Engine(vault, _settings(args))
    if sync:
        report = engine.sync(_progress_bar("indexing") if sys.stderr.isatty() else None)
        if report.scanned == 0:
            engine.close()
            raise CliError(f"no notes (.md files) found in the vault {engine.vault}")
    return engine


def _progress_bar(label: str) -> Progress:
    def show(done: int, total: int, _path: str) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _read_input(args: argparse.Namespace) -> str:
    given: str | None = getattr(args, "text", None)
    if given:
        return given
    if sys.stdin is None or sys.stdin.isatty():
        raise CliError("give the bullets on standard input (penna expand --vault V < bullets.md) or with --text")
    text = sys.stdin.read()
    if not text.strip():
        raise CliError("the input is empty: give some bullets to expand")
    return text


def _note(engine: Engine, args: argparse.Namespace) -> str | None:
    if not args.note:
        return None
    rel = engine.rel_path(args.note)
    if rel is None:
        raise CliError(f"the note {args.note} is outside the vault {engine.vault}")
    return rel


# --- commands --------------------------------------------------------------------------------
def cmd_index(args: argparse.Namespace) -> int:
    engine = _engine(args, sync=False)
    if engine.index.rebuilt_reason:
        print(f"rebuilding the index: {engine.index.rebuilt_reason}", file=sys.stderr)
    if args.watch:
        return watch_forever(engine)
    report = engine.sync(_progress_bar("indexing") if sys.stderr.isatty() else None)
    counts = engine.index.counts()
    print(report.summary())
    print(f"index: {counts['notes']} notes ({counts['written']} written, {counts['read']} read), "
          f"{counts['chunks']} chunks, {counts['links']} links — {engine.index.db_path}")
    for path, reason in report.skipped[:10]:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    engine.close()
    return 0


def watch_forever(engine: Engine) -> int:
    """`penna index --watch`: sync, then keep the index following the vault, one line per
    batch, until Ctrl-C or until the vault folder disappears (exit status 1)."""
    from penna.knowledge.watcher import BatchReport

    def show(report: BatchReport) -> None:
        if any(outcome != "unchanged" for outcome in report.outcomes.values()):
            print(report.summary(), flush=True)

    def warn(message: str) -> None:
        print(f"penna: {message}", file=sys.stderr, flush=True)

    watcher = None
    try:
        watcher = engine.start_watching(background=False, on_batch=show, on_error=warn,
                                        progress=_progress_bar("indexing") if sys.stderr.isatty() else None,
                                        on_synced=lambda report: print(report.summary(), flush=True))
        print(f"watching {engine.vault} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        while not watcher.finished.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        engine.close()
    if watcher is not None and watcher.vault_missing:
        print(f"penna: the vault folder {engine.vault} disappeared: stopped watching", file=sys.stderr)
        return EXIT_FAILED
    return 0


def cmd_expand(args: argparse.Namespace) -> int:
    text = _read_input(args)
    engine = _engine(args)
    note = _note(engine, args)
    kind = args.task
    printed: dict[str, Any] = {"variant": -1, "text": ""}
    first_text: list[float] = []

    def stream(variant: int, partial: str) -> None:
        if not first_text:
            first_text.append(time.perf_counter() - started)
        if variant != printed["variant"] or not partial.startswith(printed["text"]):
            # A new variant, or the same number again: the one before was a copy, left out.
            again = variant == printed["variant"]
            if args.variants > 1:
                sys.stdout.write(("\n\n" if printed["variant"] >= 0 else "") + f"--- variant {variant + 1}"
                                 + (" (the one above repeated an earlier variant)" if again else "") + " ---\n")
            printed.update(variant=variant, text="")
        sys.stdout.write(partial[len(printed["text"]):])
        sys.stdout.flush()
        printed["text"] = partial

    started = time.perf_counter()
    result = engine.generate(kind, note, text, variants=args.variants, on_text=stream, candidates=args.candidates)
    sys.stdout.write("\n")
    sys.stdout.flush()
    if args.final:
        # The streamed text is provisional (sentences joined as they come); print the final form.
        for number, final in enumerate(result.texts):
            header = f"--- final {number + 1} ---\n" if args.variants > 1 else "--- final ---\n"
            sys.stdout.write(header + final + "\n")
    sys.stdout.flush()
    stats = result.stats
    first = next((s.first_token_seconds for s in stats if s.first_token_seconds is not None), None)
    tokens = sum(s.generated_tokens for s in stats)
    print(f"[{tokens} tokens in {time.perf_counter() - started:.1f}s; first token {first or 0:.2f}s; "
          f"first sentence {first_text[0] if first_text else 0:.2f}s; "
          f"prompt {result.context.tokens} tokens, {len(result.context.dropped())} items dropped]", file=sys.stderr)
    if args.variants > len(result.texts):
        print(f"[{len(result.texts)} different of {args.variants} variants: the other drafts repeated these]",
              file=sys.stderr)
    for context_note in result.context.notes:  # e.g. the answer was shortened to fit the window
        print(f"[{context_note}]", file=sys.stderr)
    engine.close()
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Try the model on the author's own jotted sentences and say which draft it writes first."""
    engine = _engine(args)
    started = time.perf_counter()
    calibration = engine.calibrate(count=args.sentences, again=args.again)
    for number, trial in enumerate(calibration.trials, 1):
        print(f"{number}. note: {trial.note}\n   the author: {trial.sentence}\n"
              f"   its own  [{'keep' if trial.free_keepable else 'no'}]: {trial.free}")
        if trial.restored is not None:
            print(f"   restored [{'keep' if trial.restored_keepable else 'no'}]: {trial.restored}")
    if not calibration.trials:
        print("too little of the author's own prose to try the model on: it restores notes first (the default)")
    else:
        print(calibration.summary())
    print(f"[{time.perf_counter() - started:.1f}s]", file=sys.stderr)
    engine.close()
    return 0


def cmd_context(args: argparse.Namespace) -> int:
    from penna.context.viewer import context_markdown

    text = _read_input(args)
    engine = _engine(args)
    note = _note(engine, args)
    context = engine.context(note, args.task, text)
    print(context_markdown(context, engine.all_sections(note)))
    if args.prompt:
        print("\n## The prompt, exactly\n\n```text\n" + context.prompt + "\n```")
    engine.close()
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from penna.knowledge.collected import index_suggestions
    from penna.knowledge.procedural import select_exemplars, style_card

    engine = _engine(args)
    profile = engine.profile()
    counts = engine.index.counts()
    print(f"# Style card — {engine.vault.name}\n")
    print(f"From {profile.words:,} words of the author's own prose in {counts['written']} written notes "
          f"({counts['read']} read notes left out).\n")
    for line in style_card(profile):
        print(f"- {line}")
    suggestions = index_suggestions(engine.index, engine.vault)
    if suggestions:
        print("\n## Perhaps not yours\n")
        print("These folders look collected rather than written; they shape the voice above. If so, add them "
              "to the `readingFolders` setting (or `--reading-folder`).\n")
        for suggestion in suggestions:
            print(f"- `{suggestion.folder}`: {suggestion.notes} notes ({suggestion.why})")
    print("\n## Typical paragraphs\n")
    for item in select_exemplars(engine.index, profile, [], count=3):
        print(f"> {item.text}\n\n— {item.source} (score {item.score})\n")
    engine.close()
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from penna.writing.model import LlamaModel
    from penna.writing.registry import effective_choice, resolve_model, use_model

    if args.action == "use":
        if not args.ref:
            raise CliError("say which model: penna model use REF (default, a .gguf path, ollama:NAME:TAG, a name "
                           "from `penna model list`, or http://HOST:PORT for a model server)")
        settings = _settings(args)
        path, described = use_model(args.ref, n_ctx=settings.n_ctx, folders=settings.model_folders)
        print(f"using {described}\nsaved in {path}")
        return 0
    if args.action == "list":
        from penna.writing.discovery import discover_models

        for found in discover_models([Path(f).expanduser() for f in _settings(args).model_folders]):
            info = found.info
            detail = (f"{info.architecture}, {info.quantization}, ctx {info.context_length}, "
                      f"{'chat' if info.has_chat_template else 'base'}, {info.size_bytes / 2**20:.0f} MB"
                      if info else (found.error or "not read"))
            print(f"{found.name}\t[{found.source}]\t{detail}\t{found.path}")
        return 0
    settings = _settings(args)
    model_ref, remote_url, saved = effective_choice(settings.model, settings.remote_url)
    origin = ", saved with `penna model use`" if saved else ""
    if remote_url:
        from penna.writing.remote import RemoteModel

        remote = RemoteModel.connect(remote_url, n_ctx=settings.n_ctx, model=model_ref)
        print(f"model: {remote.name} on the model server {remote.address.url}{origin}")
        counter = remote.tokenizer + " /tokenize" if remote.tokenizer else "tiktoken (approximate)"
        print(f"tokens: counted with {counter}; n_ctx {remote.n_ctx}")
        return 0
    choice = resolve_model(model_ref, folders=settings.model_folders)
    started = time.perf_counter()
    model = LlamaModel.load(choice.path, n_ctx=settings.n_ctx, threads=settings.threads)
    template = "chat template" if model.is_chat else "base model, no chat template"
    print(f"model: {model.name} ({model.architecture}, {template})")
    print(f"source: {choice.source} ({choice.reference}{origin})")
    print(f"file: {choice.path} ({choice.path.stat().st_size / 2**20:.0f} MB), "
          f"loaded in {time.perf_counter() - started:.2f}s")
    print(f"settings: n_ctx {settings.n_ctx}, threads {settings.threads}")
    return 0


def cmd_eval_voice(args: argparse.Namespace) -> int:
    from penna.eval.voice import main as eval_voice

    return eval_voice(args)


def cmd_eval_score_sheet(args: argparse.Namespace) -> int:
    from penna.eval.sheet import score_sheet

    folder = Path(args.folder).expanduser()
    if not (folder / "sheet.md").is_file() or not (folder / "key.json").is_file():
        print(f"penna: {folder} has no sheet.md and key.json (write them with `penna eval voice … --sheet DIR`)",
              file=sys.stderr)
        return 1
    table, problems = score_sheet(folder)
    print(table)
    if args.judge == "grammar":
        from penna.eval.judge import agreement, agreement_table
        from penna.eval.sheet import read_sentences
        from penna.writing import grammar

        if not grammar.available():
            print("penna: --judge grammar needs Link Grammar (`make install` installs it)", file=sys.stderr)
            return 1
        print("\nThe grammar judge against the reader's marks:\n")
        print(agreement_table(agreement(read_sentences(folder)[0], grammar.unattached)))
    for problem in problems:
        print(f"penna: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_bench(args: argparse.Namespace) -> int:
    from penna.bench.runner import main as bench_main

    return bench_main(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from penna.lsp.app import run

    run(tcp_port=args.tcp)
    return 0


# --- parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="penna", description="Your bullets, in your voice, from your notes vault.")
    parser.add_argument("--version", action="version", version=f"penna {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def vault_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--vault", help="the notes vault (default: $PENNA_VAULT or the current folder)")

    def model_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", help="'default', a .gguf path, or ollama:NAME:TAG")
        p.add_argument("--remote-url", dest="remote_url", help="an OpenAI-compatible model server, e.g. http://host:8080")
        p.add_argument("--model-folder", dest="model_folders", action="append", metavar="DIR",
                       help="also look for .gguf models here (repeatable)")
        p.add_argument("--n-ctx", type=int, dest="n_ctx")
        p.add_argument("--threads", type=int)
        p.add_argument("--temperature", type=float)
        p.add_argument("--max-tokens", type=int, dest="max_tokens")
        p.add_argument("--seed", type=int)
        p.add_argument("--author", help="the author's name")
        p.add_argument("--reading-folder", dest="reading_folders", action="append", metavar="FOLDER",
                       help="a folder of notes you read or collected, not wrote "
                            "(repeatable; replaces the default list)")

    p = sub.add_parser("index", help="build or refresh the vault's index")
    vault_args(p)
    p.add_argument("vault_pos", nargs="?", metavar="VAULT")
    p.add_argument("--watch", action="store_true", help="then keep the index following the vault until Ctrl-C")
    p.set_defaults(func=cmd_index)

    for name, help_text in (("expand", "turn bullets (stdin) into prose in the author's voice"),
                            ("context", "show exactly what the model would be told, with token counts")):
        p = sub.add_parser(name, help=help_text)
        vault_args(p)
        model_args(p)
        p.add_argument("--note", help="the note being written (path inside the vault)")
        p.add_argument("--task", choices=["expand", "rephrase", "continue"], default="expand")
        p.add_argument("--text", help="the input text (instead of standard input)")
        if name == "expand":
            p.add_argument("--variants", type=int, default=1)
            p.add_argument("--candidates", type=int, default=1, help="candidates per sentence (best one kept)")
            p.add_argument("--final", action="store_true", help="also print the final text after streaming")
            p.set_defaults(func=cmd_expand)
        else:
            p.add_argument("--prompt", action="store_true", help="also print the exact prompt")
            p.set_defaults(func=cmd_context)

    p = sub.add_parser("calibrate", help="try the model on the author's sentences: does it write freely first, "
                                         "or restore the notes first? (stored per model; run again with --again)")
    vault_args(p)
    model_args(p)
    p.add_argument("--sentences", type=int, default=8, help="how many of the author's sentences to try")
    p.add_argument("--again", action="store_true", help="measure again even if a result is stored")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("profile", help="the author's style card: figures and exemplars")
    vault_args(p)
    model_args(p)
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("model", help="which model is in use and where it came from; list or choose models")
    p.add_argument("action", nargs="?", choices=["show", "list", "use"], default="show")
    p.add_argument("ref", nargs="?", metavar="REF", help="for `use`: default, a .gguf path, ollama:NAME:TAG, "
                   "a name from `penna model list`, or http://HOST:PORT")
    model_args(p)
    p.set_defaults(func=cmd_model)

    p = sub.add_parser("eval", help="measure penna: `penna eval voice CORPUS_DIR` (see docs/voice.md)")
    evals = p.add_subparsers(dest="evaluation", required=True)
    p = evals.add_parser("voice", help="does penna sound like the author? held-out posts, three systems, Delta")
    from penna.eval.arguments import add_voice_arguments

    add_voice_arguments(p)
    p.set_defaults(func=cmd_eval_voice)
    p = evals.add_parser("score-sheet", help="keepable rate per system from a filled blind reading sheet")
    p.add_argument("folder", metavar="DIR", help="the folder `penna eval voice --sheet DIR` wrote")
    p.add_argument("--judge", choices=["grammar"],
                   help="also print how often the grammar judge penna selects with agrees with the reader")
    p.set_defaults(func=cmd_eval_score_sheet)

    p = sub.add_parser("serve", help="run the language server over stdio")
    p.add_argument("--tcp", type=int, metavar="PORT", help="listen on TCP (debugging only)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("bench", help="measure speed, scale and memory against the targets (table, JSON, PNG)")
    p.add_argument("--quick", action="store_true", help="small synthetic vaults and few repeats (about two minutes)")
    p.add_argument("--generate", type=int, metavar="N", help="only write a synthetic vault of N notes (into --out)")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic vaults")
    p.add_argument("--out", type=Path, help="output folder (default: ./penna-bench-TIME)")
    p.add_argument("--work", type=Path,
                   help="keeps synthetic vaults and indexes between runs (default: in the temp dir)")
    p.add_argument("--data", type=Path, help="the real data (default: ../shared/data beside the checkout)")
    p.add_argument("--busy", action="store_true",
                   help="a busy laptop: a CPU hog holds one core for the whole run (references under the same load)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "vault_pos", None) and not getattr(args, "vault", None):
        args.vault = args.vault_pos
    if getattr(args, "variants", 1) < 1 or getattr(args, "candidates", 1) < 1:
        print("penna: --variants and --candidates must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    from penna.engine import VaultError

    try:
        return int(args.func(args) or 0)
    except (CliError, VaultError, ModelError, ContextTooSmall, IndexUnavailable, ValueError) as error:
        print(f"penna: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("penna: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
