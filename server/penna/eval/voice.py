"""`penna eval voice CORPUS_DIR`: does penna sound like the author? (docs/voice.md)

Holds out the author's latest posts, builds a vault from the rest, derives bullets from held-out
paragraphs, has each system write them out with the same model and seeds, and measures the
outputs against the author's held-out prose: Burrows' Delta with an author floor and the share of
the gap closed, sentence-length and punctuation distances, content kept, copying from the vault
and generic phrases. Prints a table; `--json` writes everything, outputs included.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from penna.config import Settings
from penna.eval import metrics as m
from penna.eval.corpus import (
    BULLET_STYLES,
    HeldOut,
    Split,
    build_vault,
    normalize_prose,
    read_posts,
    select_paragraphs,
    split_posts,
    training_prose,
)
from penna.eval.sheet import AUTHOR, SheetRow, write_sheet
from penna.eval.systems import BUILDERS, System
from penna.knowledge.style import WordProfile
from penna.vault.text import words
from penna.writing import grammar
from penna.writing.meaning import claim_words

TARGETS = {"gap_closed": 0.5, "content_kept": 0.9, "copy_run_below": 12, "grammar_ratio": 1.3}


@dataclass
class Reference:
    """Everything measured on the author's side, from the vault (training) and the held-out text."""

    delta: WordProfile
    copies: m.CopyIndex
    generic_per_1k_train: float
    author: list[str]  # the held-out paragraphs, in item order


@dataclass
class Outputs:
    system: System
    texts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reused: bool = False  # taken from an earlier report (--reuse)


# --- the command (its options: penna.eval.arguments) ---------------------------------------------
def main(args: argparse.Namespace) -> int:
    names = [n.strip() for n in str(args.systems).split(",") if n.strip()]
    unknown = [n for n in names if n not in BUILDERS]
    if unknown or not names:
        print(f"penna: unknown system(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(BUILDERS)}",
              file=sys.stderr)
        return 2
    candidates = args.candidates
    if args.paragraphs < 2 or candidates < 1 or not 0 < args.holdout < 1 or args.replicates < 1:
        print("penna: need --paragraphs ≥ 2, --candidates ≥ 1, --replicates ≥ 1 and 0 < --holdout < 1",
              file=sys.stderr)
        return 2
    corpus = Path(args.corpus).expanduser()
    if not corpus.is_dir():
        print(f"penna: corpus folder not found: {corpus}", file=sys.stderr)
        return 1
    overrides: dict[str, Any] = {"threads": args.threads} if args.threads else {}
    if args.temperature is not None:
        overrides["temperature"] = args.temperature
    settings = Settings(model=args.model, seed=args.seed, **overrides)
    styles = list(BULLET_STYLES) if args.bullets == "both" else [args.bullets]
    reports: dict[str, dict[str, Any]] = {}
    try:
        earlier = [json.loads(Path(path).read_text(encoding="utf-8")) for path in args.reuse or []]
        for style in styles:
            reuse = [r.get(style, {}) if "config" not in r else r for r in earlier]
            reports[style] = run(corpus, names, settings=settings, paragraphs=args.paragraphs, candidates=candidates,
                                 holdout=args.holdout, replicates=args.replicates, log=_log, reuse=reuse,
                                 style=style)
    except (ValueError, OSError) as error:  # json.JSONDecodeError is a ValueError
        print(f"penna: {error}", file=sys.stderr)
        return 1
    for style, report in reports.items():
        print(f"\n### {style} bullets\n\n{table(report)}")
        if args.sheet:
            folder = Path(args.sheet) / style if len(reports) > 1 else Path(args.sheet)
            write_sheet(folder, sheet_rows(report), seed=args.seed, meta={"style": style, **report["config"]})
            print(f"\nblind reading sheet written to {folder / 'sheet.md'} (key: {folder / 'key.json'})")
    if args.json:
        payload = reports[styles[0]] if len(reports) == 1 else reports
        Path(args.json).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")
    return 0


def sheet_rows(report: dict[str, Any]) -> list[SheetRow]:
    """Each paragraph's notes, every system's output and the author's own paragraph."""
    return [SheetRow(item["bullets"], {**item["outputs"], AUTHOR: item["original"]}) for item in report["items"]]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the run -------------------------------------------------------------------------------------
def run(corpus: Path, systems: Sequence[str], *, settings: Settings, paragraphs: int, candidates: int = 1,
        holdout: float = 0.1, replicates: int = 1000, log: Callable[[str], None] = lambda _m: None,
        extra: dict[str, Callable[..., System]] | None = None,
        reuse: Sequence[dict[str, Any]] = (), style: str = "telegraphic") -> dict[str, Any]:
    """The whole evaluation; returns the JSON-ready report. `extra` adds experimental systems;
    `reuse` (earlier reports) supplies the outputs of the systems they hold when they wrote the
    same paragraphs and bullets with the same seed, so an experiment regenerates only what changed."""
    from penna.engine import Engine

    started = time.perf_counter()
    seed = settings.seed
    posts = read_posts(corpus)
    split = split_posts(posts, holdout, seed)
    items = select_paragraphs(split.held_out, paragraphs, seed, style)
    if len(items) < 2:
        raise ValueError(f"only {len(items)} usable prose paragraphs in the held-out posts; need at least 2")
    log(f"split by {split.method}: {len(split.train)} posts in the vault, {len(split.held_out)} held out"
        + (f" (from {split.cut})" if split.cut else "") + f"; {len(items)} paragraphs")
    reference = build_reference(split, items)
    reused: dict[str, tuple[list[str], str, str]] = {}  # name → (outputs, description, model)
    for earlier in reuse:
        reused.update(reusable_outputs(earlier, items, [n for n in systems if n not in reused], settings))
    if reused:
        log(f"reusing the earlier outputs of {', '.join(reused)}")
    builders = {**BUILDERS, **(extra or {})}
    outputs: dict[str, Outputs] = {name: Outputs(System(name, _reused_only, describe), texts, 0.0, reused=True)
                                   for name, (texts, describe, _model) in reused.items()}
    model_name, model_path = next(((model, "") for _t, _d, model in reused.values()), ("", ""))
    if any(name not in reused for name in systems):
        with tempfile.TemporaryDirectory(prefix="penna-eval-") as work:
            vault = Path(work) / "vault"
            build_vault(split.train, vault, split.cut)
            engine = Engine(vault, settings, db_path=Path(work) / "index.sqlite")
            try:
                engine.sync()
                model = engine.model()
                model_name, model_path = model.name, str(model.path)
                log(f"model: {model.name} ({'chat' if model.is_chat else 'base'}), threads {settings.threads}")
                for name in systems:
                    if name not in reused:
                        outputs[name] = generate(builders[name](engine, candidates), items, seed, log)
            finally:
                engine.close()
    runs = [outputs[name] for name in systems]
    report = measure(reference, items, runs, seed=seed, replicates=replicates)
    report["config"] = {
        "corpus": str(corpus), "model": model_name, "model_path": model_path, "seed": seed,
        "generation_seeds": f"{seed} + paragraph number", "paragraphs": len(items), "candidates": candidates,
        "bullets": style, "grammar_judge": "Link Grammar" if grammar.available() else "unavailable",
        "temperature": settings.temperature, "threads": settings.threads, "replicates": replicates,
        "split": {"method": split.method, "cut": str(split.cut) if split.cut else None, "holdout": holdout,
                  "train_posts": len(split.train), "held_out_posts": len(split.held_out)},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return report


def build_reference(split: Split, items: Sequence[HeldOut]) -> Reference:
    documents = ["\n\n".join(paragraphs) for paragraphs in training_prose(split.train)]
    train_text = "\n\n".join(documents)
    return Reference(
        delta=m.fit_delta(documents),
        copies=m.CopyIndex(post.text for post in split.train),
        generic_per_1k_train=1000.0 * m.generic_count(train_text) / max(1, len(words(train_text))),
        author=[item.text for item in items],
    )


def reusable_outputs(report: dict[str, Any], items: Sequence[HeldOut], names: Sequence[str],
                     settings: Settings) -> dict[str, tuple[list[str], str, str]]:
    """Outputs of `names` from an earlier report, with each system's description and the model,
    if it wrote exactly these items with the same seed and temperature (else nothing: they run again)."""
    config = report.get("config", {})
    same_items = [(i["post"], i["paragraph"], i["bullets"]) for i in report.get("items", [])] == [
        (h.post, h.number, list(h.bullets)) for h in items]
    same_run = (config.get("seed"), config.get("temperature")) == (settings.seed, settings.temperature)
    if not (same_items and same_run):
        return {}
    return {name: ([i["outputs"][name] for i in report["items"]], report["systems"][name]["describe"],
                   str(config.get("model", "")))
            for name in names if name in report.get("systems", {})}


def _reused_only(_bullets: str, _seed: int) -> str:
    raise RuntimeError("a reused system does not write")


def generate(system: System, items: Sequence[HeldOut], seed: int, log: Callable[[str], None]) -> Outputs:
    """Each paragraph's bullets through one system; paragraph i is written with seed + i by every system."""
    out = Outputs(system)
    started = time.perf_counter()
    for number, item in enumerate(items):
        out.texts.append(normalize_prose_keep_paragraphs(system.write(item.bullets_text, seed + number)))
        log(f"  {system.name}: {number + 1}/{len(items)} ({time.perf_counter() - started:.0f}s)")
    out.seconds = time.perf_counter() - started
    return out


def normalize_prose_keep_paragraphs(text: str) -> str:
    return "\n\n".join(normalize_prose(p) for p in text.split("\n\n") if p.strip())


# --- measuring -----------------------------------------------------------------------------------
def measure(reference: Reference, items: Sequence[HeldOut], runs: Sequence[Outputs], *, seed: int,
            replicates: int) -> dict[str, Any]:
    distances: dict[str, m.TextDistance] = {"delta": reference.delta.delta, "sentence_length": m.length_distance,
                                            "punctuation": m.punctuation_distance}
    halves = m.split_halves(len(items), seed=seed, replicates=replicates)
    floors = {name: m.split_half_distance(d, reference.author, None, halves) for name, d in distances.items()}
    per_system = {run.system.name: {name: m.split_half_distance(d, reference.author, run.texts, halves)
                                    for name, d in distances.items()} for run in runs}
    author = {
        "delta_floor": _mean_interval(floors["delta"]).to_json(),
        "sentence_length_floor": _mean_interval(floors["sentence_length"]).to_json(),
        "punctuation_floor": _mean_interval(floors["punctuation"]).to_json(),
        "generic_per_1k_train": round(reference.generic_per_1k_train, 3),
        **per_output(reference, items, reference.author, seed),
    }
    for key in ("content_kept", "claims_changed", "claims_intact"):
        author.pop(key, None)
    systems: dict[str, Any] = {}
    baseline = per_system.get("nocontext")
    for run in runs:
        values = per_system[run.system.name]
        entry: dict[str, Any] = {name: _mean_interval(v).to_json() for name, v in values.items()}
        if baseline is not None:
            entry["gap_closed"] = _gap(baseline["delta"], values["delta"], floors["delta"]).to_json()
        entry.update(per_output(reference, items, run.texts, seed))
        entry.update(describe=run.system.describe, seconds=round(run.seconds, 1), reused=run.reused)
        systems[run.system.name] = entry
    if "rag" in per_system and "penna" in per_system:
        diffs = [p - r for p, r in zip(per_system["penna"]["delta"], per_system["rag"]["delta"], strict=True)]
        systems["penna"]["delta_minus_rag"] = _mean_interval(diffs).to_json()
    return {
        "author": author,
        "systems": systems,
        "targets": targets(author, systems),
        "items": [{"post": item.post, "paragraph": item.number, "bullets": list(item.bullets), "original": item.text,
                   "outputs": {run.system.name: run.texts[i] for run in runs}} for i, item in enumerate(items)],
    }


def _mean_interval(values: Sequence[float]) -> m.Estimate:
    clean = [v for v in values if not math.isnan(v)]
    return m.interval(sum(clean) / len(clean) if clean else float("nan"), clean)


def _gap(baseline: Sequence[float], system: Sequence[float], floor: Sequence[float]) -> m.Estimate:
    """Point estimate from the mean Deltas (a ratio of means is stable); interval from replicates."""
    def mean(v: Sequence[float]) -> float:
        return sum(v) / len(v)

    point = m.gap_closed(mean(baseline), mean(system), mean(floor))
    return m.interval(point, [m.gap_closed(b, s, f) for b, s, f in zip(baseline, system, floor, strict=True)])


def per_output(reference: Reference, items: Sequence[HeldOut], texts: Sequence[str], seed: int) -> dict[str, Any]:
    counts = [len(words(t)) for t in texts]
    runs = [reference.copies.longest_run(t) for t in texts]
    judged = [grammar.unattached_per_100_words(t) for t in texts]
    changed = [claims_changed(i.bullets_text, t) for i, t in zip(items, texts, strict=True)]
    return {
        "grammar_per_100": m.bootstrap_ratio([j[0] * j[1] / 100.0 if j else 0.0 for j in judged],
                                             [j[1] if j else 0 for j in judged], seed=seed, scale=100.0).to_json(),
        "claims_changed": m.bootstrap_mean(changed, seed=seed).to_json(),
        "claims_intact": m.bootstrap_mean([float(c == 0) for c in changed], seed=seed).to_json(),
        "content_kept": m.bootstrap_mean([m.content_kept(i.bullets_text, t) for i, t in zip(items, texts, strict=True)],
                                         seed=seed).to_json(),
        "copy_run_max": max(runs, default=0),
        "copy_run": m.bootstrap_mean(runs, seed=seed).to_json(),
        "generic_per_1k": m.bootstrap_ratio([m.generic_count(t) for t in texts], counts, seed=seed,
                                            scale=1000.0).to_json(),
        "words": m.bootstrap_mean(counts, seed=seed).to_json(),
    }


def claims_changed(bullets_text: str, output: str) -> int:
    """Negations, numbers, quantifiers and modals the output adds to or drops from its notes."""
    wanted, got = claim_words(bullets_text), claim_words(output)
    return sum((wanted - got).values()) + sum((got - wanted).values())


def targets(author: dict[str, Any], systems: dict[str, Any]) -> dict[str, Any]:
    penna = systems.get("penna")
    if penna is None:
        return {}
    out: dict[str, Any] = {
        "content_kept_at_least_0.9": penna["content_kept"]["mean"] >= TARGETS["content_kept"],
        "claims_intact": penna["claims_changed"]["mean"] == 0,
        "copy_run_below_12": penna["copy_run_max"] < TARGETS["copy_run_below"],
        "generic_rate_at_most_author": penna["generic_per_1k"]["mean"] <= author["generic_per_1k_train"],
    }
    if "gap_closed" in penna:
        out["gap_closed_at_least_0.5"] = penna["gap_closed"]["mean"] >= TARGETS["gap_closed"]
    floor = author["grammar_per_100"]["mean"]
    if not math.isnan(floor) and floor > 0:
        out["grammar_within_1.3x_author"] = penna["grammar_per_100"]["mean"] <= TARGETS["grammar_ratio"] * floor
    if "nocontext" in systems:
        out["punctuation_below_nocontext"] = penna["punctuation"]["mean"] < systems["nocontext"]["punctuation"]["mean"]
    if "rag" in systems:
        out["beats_rag"] = penna["delta"]["mean"] < systems["rag"]["delta"]["mean"]
    return out


# --- the table -----------------------------------------------------------------------------------
def _fmt(estimate: dict[str, float] | None, digits: int = 2) -> str:
    if not estimate or math.isnan(estimate["mean"]):
        return "–"
    return f"{estimate['mean']:.{digits}f} [{estimate['low']:.{digits}f}, {estimate['high']:.{digits}f}]"


def table(report: dict[str, Any]) -> str:
    config, author = report.get("config", {}), report["author"]
    header = ("| system | Delta | gap closed | sentence-length W1 | punctuation | grammar (unattached /100 words) "
              "| content kept | claims changed | copy run max (mean) | generic /1k | words | seconds |")
    lines = [header, "|" + "---|" * 12]
    for name, s in report["systems"].items():
        lines.append(f"| {name} | {_fmt(s['delta'])} | {_fmt(s.get('gap_closed'))} | {_fmt(s['sentence_length'], 1)} "
                     f"| {_fmt(s['punctuation'])} | {_fmt(s['grammar_per_100'], 1)} | {_fmt(s['content_kept'])} "
                     f"| {_fmt(s['claims_changed'], 2)} | {s['copy_run_max']} "
                     f"({s['copy_run']['mean']:.1f}) | {_fmt(s['generic_per_1k'], 1)} | {s['words']['mean']:.0f} "
                     f"| {'reused' if s.get('reused') else round(s['seconds'])} |")
    lines.append(f"| author (held-out, floor) | {_fmt(author['delta_floor'])} | 1 | "
                 f"{_fmt(author['sentence_length_floor'], 1)} | {_fmt(author['punctuation_floor'])} | "
                 f"{_fmt(author['grammar_per_100'], 1)} | – | – | "
                 f"{author['copy_run_max']} ({author['copy_run']['mean']:.1f}) | {_fmt(author['generic_per_1k'], 1)} "
                 f"(vault {author['generic_per_1k_train']:.2f}) | {author['words']['mean']:.0f} | – |")
    split = config.get("split", {})
    notes = [
        f"corpus {config.get('corpus')}; {config.get('bullets', 'telegraphic')} bullets; "
        f"grammar judged by {config.get('grammar_judge', '?')}; split by {split.get('method')}"
        + (f" (held out from {split.get('cut')})" if split.get("cut") else "")
        + f", {split.get('train_posts')} posts in the vault, {split.get('held_out_posts')} held out",
        (f"model {config.get('model')}; seed {config.get('seed')} (generation: seed + paragraph number); "
         f"{config.get('paragraphs')} paragraphs; candidates {config.get('candidates')}; "
         f"{config.get('replicates')} bootstrap replicates; {config.get('seconds')} s in all"),
        "targets: " + ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in report.get("targets", {}).items()),
    ]
    return "\n".join(lines) + "\n\n" + "\n".join(notes)
