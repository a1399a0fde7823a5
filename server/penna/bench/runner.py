"""`penna bench`: every performance figure penna promises, with its target and its same-run reference.

Outputs: a table on stdout, `bench.json` (every sample, for comparing runs over time) and
`latency.png` in the output folder. `--quick` runs the same code on small synthetic vaults
with few repeats (still the real model and the real server over stdio); a full run uses the
real vaults in ../shared/data and synthetic vaults of 1k, 3k and 10k notes. `--busy` runs it all
beside a process that holds one core (a busy laptop); references are taken under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from penna.bench.figures import Figure, finite, p50, p95, table
from penna.bench.workloads import (
    SHARED_DATA,
    Draft,
    Vault,
    bullet_text,
    count_notes,
    drafts,
    find_spots,
    real_vaults,
    synthetic,
)
from penna.lsp.warming import LISTED_SETTLE_SECONDS
from penna.writing.model import PREFILL_SLICE

ORDER = ("throughput", "ttft_second", "ttft_typed", "ttft_warm", "ttft_restart", "expand_vs_plain", "cancel",
         "requests_p95", "requests_vok", "requests_during", "hover_first", "context", "index_vok_cold",
         "index_vok_reopen", "index_synthetic", "index_", "update", "rss", "scale_index", "scale_requests")
SERVER_SETTINGS = {"hover": "cached", "seed": 7, "maxTokens": 120}  # hover: the instant part only


@dataclass
class Plan:
    quick: bool
    sizes: tuple[int, ...]  # synthetic vaults for the scaling figures; the last is "10k"
    repeats: int  # model repeats (first-token figures)
    passes: int  # passes over the request spots
    spots: int  # request places per kind
    context_notes: int
    updates: int
    cancels: int
    throughput_tokens: int
    throughput_repeats: int
    n_ctx: int | None = None  # None: the default setting
    busy: bool = False  # a CPU hog holds one core for the whole run
    expand_bullets: int = 4  # the timed expand's bullets (the figure is a 4-bullet expand)
    typing_pauses: tuple[float, ...] = (1.5, 3.0)  # seconds from typing bullets to asking for their expand


    @classmethod
    def make(cls, quick: bool, busy: bool = False) -> Plan:
        if quick:
            # A smaller window makes cold prompts short: the model figures take seconds, not minutes.
            # One bullet: the quick run shows the expand works end to end; its ratio is the full run's.
            return cls(True, (80, 160), 1, 2, 8, 3, 2, 1, 16, 1, n_ctx=1024, busy=busy, expand_bullets=1,
                       typing_pauses=(3.0,))
        # Throughput over 128 tokens (a short paragraph), 8 alternated pairs: over 48 tokens and 6
        # pairs the ratio to the bare loop swung 0.96–1.03 between runs of the same code.
        return cls(False, (1000, 3000, 10000), 4, 3, 40, 12, 8, 6, 128, 8, busy=busy)


class Bench:
    def __init__(self, plan: Plan, out: Path, work: Path, data: Path) -> None:
        self.plan, self.out, self.work, self.data = plan, out, work, data
        self.figures: list[Figure] = []
        self.distributions: dict[str, list[float]] = {}
        self.extra: dict[str, Any] = {}
        self.log_lines: list[str] = []
        self.load_start = os.getloadavg()

    def log(self, message: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {message}"
        self.log_lines.append(line)
        print(line, file=sys.stderr, flush=True)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def ordered(self) -> list[Figure]:
        """In the order of the issue's table."""
        def rank(figure: Figure) -> tuple[int, str]:
            position = next((i for i, key in enumerate(ORDER) if figure.key.startswith(key)), len(ORDER))
            return position, f"{figure.key.rsplit('_', 1)[-1]:>8}"
        return sorted(self.figures, key=rank)

    # --- the run -----------------------------------------------------------------------------
    def run(self) -> None:
        from penna.bench.busy import CpuHog

        if not self.plan.busy:
            self.measure()
            return
        hog = CpuHog().start()
        self.log(f"busy laptop: a CPU hog holds core {hog.core if hog.core is not None else '(any)'}")
        try:
            self.measure()
        finally:
            report = hog.stop()
            self.extra["busy"] = {"core": report.core, "seconds": report.seconds, "cpu_seconds": report.cpu_seconds,
                                  "share": report.share}
            self.log(f"the hog got {report.cpu_seconds:.0f} s of CPU in {report.seconds:.0f} s ({report.share:.0%})")

    def measure(self) -> None:
        from penna.config import Settings

        settings = Settings() if self.plan.n_ctx is None else Settings().replace(n_ctx=self.plan.n_ctx, max_tokens=128)
        self.out.mkdir(parents=True, exist_ok=True)
        self.extra["settings"] = {"n_ctx": settings.n_ctx, "threads": settings.threads,
                                  "max_tokens": settings.max_tokens}
        vaults = [synthetic(self.work / "vaults", n) for n in self.plan.sizes]
        self.log("synthetic vaults ready: " + ", ".join(v.name for v in vaults))
        reals = {} if self.plan.quick else real_vaults(self.data)
        big = vaults[-1]
        knowledge = (Vault("vaultofknowledge", reals["vaultofknowledge"], 0, "real")
                     if "vaultofknowledge" in reals else None)
        missing = f"real data not found at {self.data}" if not self.plan.quick else "not measured by --quick"

        indexed = self.index_figures(settings, vaults, reals, knowledge, missing)
        if knowledge and knowledge.name not in indexed:
            knowledge, missing = None, "indexing it failed (see details.errors in the JSON)"
        self.context_figures(indexed, vaults, knowledge)
        self.update_figure(indexed[big.name], big)
        model_vault = knowledge or big
        self.model_figures(indexed[model_vault.name], model_vault)
        for engine in indexed.values():
            engine.close()
        self.server_figures(vaults, knowledge, missing)

    # --- index -------------------------------------------------------------------------------
    def index_figures(self, settings: Any, vaults: list[Vault], reals: dict[str, Path], knowledge: Vault | None,
                      missing: str) -> dict[str, Any]:
        from penna.bench.index_bench import index_vault

        engines: dict[str, Any] = {}
        times: dict[str, Any] = {}
        for vault in vaults + [Vault(name, path, 0, "real") for name, path in reals.items()]:
            self.log(f"indexing {vault.name} cold, then reopening it")
            try:
                engine, t = index_vault(vault.path, self.cache(vault) / "index.sqlite", settings,
                                        reopen=3 if not self.plan.quick else 2)
            except Exception as error:  # a real vault penna cannot index is itself a result
                if vault.kind == "synthetic":
                    raise
                self.log(f"indexing {vault.name} failed: {error!r}")
                self.extra.setdefault("errors", []).append(f"indexing {vault.name}: {error!r}")
                continue
            vault.notes = vault.notes or t.notes
            engines[vault.name] = engine
            times[vault.name] = t
            self.extra.setdefault("index", {})[vault.name] = {
                "notes": t.notes, "read_seconds": t.read_seconds, "cold_seconds": t.cold_seconds,
                "cold_cpu": t.cold_cpu,
                "profile_seconds": t.profile_seconds, "reopen_seconds": t.reopen_seconds}
        k = times.get("vaultofknowledge")
        if k is None and "vaultofknowledge" in reals:
            missing = "indexing it failed (see details.errors in the JSON)"
        self.add(Figure("index_vok_cold", "index vaultofknowledge cold", "s", "max", 10.0, "≤ 10 s",
                        k.cold_seconds if k else None, "single", reference="read all files",
                        reference_value=k.read_seconds if k else None, workload=f"{k.notes} notes" if k else "",
                        skipped="" if k else missing, note=f"CPU {k.cold_cpu:.1f} s" if k else ""))
        self.add(Figure("index_vok_reopen", "reopen vaultofknowledge unchanged", "s", "max", 1.0, "≤ 1 s",
                        p50(k.reopen_seconds) if k else None, "p50", list(k.reopen_seconds) if k else [],
                        reference="its cold index", reference_value=k.cold_seconds if k else None,
                        skipped="" if k else missing))
        for name in [n for n in reals if n != "vaultofknowledge" and n in times]:
            n = times[name]
            self.add(Figure(f"index_{name}_cold", f"index {name} cold", "s", "report", None, "",
                            n.cold_seconds, "single", reference="read all files", reference_value=n.read_seconds,
                            workload=f"{n.notes} notes",
                            note=f"CPU {n.cold_cpu:.1f} s; reopen p50 {p50(n.reopen_seconds):.2f} s"))
        big = vaults[-1]
        small = vaults[0]
        tb, ts = times[big.name], times[small.name]
        linear = ts.cold_seconds * big.notes / small.notes
        self.add(Figure("index_synthetic_cold", f"index synthetic {big.notes:,} cold", "s",
                        "max", 20.0 if big.notes >= 10000 else None, "≤ 20 s (10k)" if big.notes >= 10000 else "",
                        tb.cold_seconds, "single", reference=f"{small.notes:,} notes × {big.notes // small.notes}",
                        reference_value=linear, workload=f"{tb.notes} notes",
                        note=(f"CPU {tb.cold_cpu:.1f} s; style profile built after indexing: "
                              f"{tb.profile_seconds:.2f} s")
                        + ("" if big.notes >= 10000 else "; target applies at 10k, --quick reports only")))
        if big.notes < 10000:
            self.figures[-1].check = "report"
        for vault in vaults:
            t = times[vault.name]
            self.add(Figure(f"scale_index_{vault.notes}", f"scaling: index {vault.notes:,} notes", "s", "report", None,
                            "roughly linear", t.cold_seconds, "single",
                            reference=f"linear from {small.notes:,}",
                            reference_value=ts.cold_seconds * vault.notes / small.notes,
                            note=f"{1000 * t.cold_seconds / max(1, t.notes):.2f} ms per note, "
                                 f"CPU {1000 * t.cold_cpu / max(1, t.notes):.2f} ms per note"))
        return engines

    def cache(self, vault: Vault) -> Path:
        folder = self.work / "cache" / vault.name.replace(" ", "-").replace(",", "")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # --- context -----------------------------------------------------------------------------
    def context_figures(self, engines: dict[str, Any], vaults: list[Vault], knowledge: Vault | None) -> None:
        from penna.bench.index_bench import measure_context

        per = {}
        for vault in [vaults[0], vaults[-1]] + ([knowledge] if knowledge else []):
            self.log(f"context assembly on {vault.name}")
            found = drafts(vault.path, self.plan.context_notes)
            per[vault.name] = measure_context(engines[vault.name], found, per_note=5 if not self.plan.quick else 3)
        big, small = per[vaults[-1].name], per[vaults[0].name]
        self.distributions[f"context assembly, {vaults[-1].name}"] = big.per_request
        self.add(Figure("context_p95", f"context assembly on {vaults[-1].name} (per request)", "s", "max", 0.025,
                        "p95 ≤ 25 ms", p95(big.per_request), "p95", big.per_request,
                        reference=f"p95 on {vaults[0].name}", reference_value=p95(small.per_request),
                        reference_samples=small.per_request,
                        note=f"first request on a note (its prefix built): p50 {1000 * p50(big.first):.0f} ms, "
                             f"p95 {1000 * p95(big.first):.0f} ms; prompt p50 {p50(big.prompt_tokens):.0f} tokens"))
        if knowledge:
            k = per[knowledge.name]
            self.extra["context_vaultofknowledge"] = {"per_request": k.per_request, "first": k.first}

    # --- one-note update ---------------------------------------------------------------------
    def update_figure(self, engine: Any, vault: Vault) -> None:
        from penna.bench.index_bench import measure_updates

        self.log(f"one-note updates through the watcher on {vault.name}")
        t = measure_updates(engine, vault.path, self.plan.updates)
        self.distributions["one-note update (watcher)"] = t.watcher
        self.add(Figure("update", f"one-note update, event to index ({vault.name})", "s", "max", 0.100,
                        "≤ 100 ms", p50(t.watcher) if t.watcher else None, "p50", t.watcher,
                        reference="index_file alone", reference_value=p50(t.direct) if t.direct else None,
                        reference_samples=t.direct, skipped=t.error,
                        note=(f"p95 {1000 * p95(t.watcher):.0f} ms; write→indexed minus debounce p50 "
                              f"{1000 * p50(t.wall):.0f} ms") if t.watcher else ""))

    # --- model -------------------------------------------------------------------------------
    def model_figures(self, engine: Any, vault: Vault) -> None:
        from penna.bench.model_bench import ModelResults, measure_restart, measure_throughput, measure_ttft

        results = ModelResults()
        found = drafts(vault.path, 2 * self.plan.repeats + 2)
        self.log(f"loading the model; first-token figures on {vault.name}")
        started = time.perf_counter()
        engine.model()
        results.load_seconds = time.perf_counter() - started
        measure_ttft(engine, found, self.plan.repeats, results)
        states = self.work / "states"
        shutil.rmtree(states, ignore_errors=True)
        measure_restart(engine, found, self.plan.repeats, results, states)
        self.log("throughput: penna against a bare llama-cpp-python loop")
        measure_throughput(engine, found[0], tokens=self.plan.throughput_tokens, repeats=self.plan.throughput_repeats,
                           results=results, prompt_chars=1200 if self.plan.quick else None)
        cold = [t.seconds for t in results.cold]
        second = [t.seconds for t in results.second]
        warm = [t.seconds for t in results.warm]
        self.distributions["first token, cold"] = cold
        self.distributions["first token, second action"] = second
        self.distributions["first token, after warm-up"] = warm
        self.extra["model"] = {
            "vault": vault.name, "load_seconds": results.load_seconds,
            "cold": [t.__dict__ for t in results.cold], "second": [t.__dict__ for t in results.second],
            "listed": [t.__dict__ for t in results.listed], "listed_warm_up_seconds": results.listed_warm_seconds,
            "warm": [t.__dict__ for t in results.warm], "warm_up_seconds": results.warm_seconds,
            "restarted": [t.__dict__ for t in results.restarted],
            "throughput_prompt_tokens": results.prompt_tokens, "throughput_tokens": results.throughput_tokens}
        pairs = [a / b for a, b in zip(results.penna_rates, results.bare_rates, strict=True) if b]
        self.add(Figure("throughput", "generation throughput", "tok/s", "ratio_min", 0.97, "≥ 0.97× bare",
                        p50(results.penna_rates), "p50", results.penna_rates, reference="bare create_completion",
                        reference_value=p50(results.bare_rates), reference_samples=results.bare_rates,
                        workload=f"{results.throughput_tokens} tokens after a {results.prompt_tokens}-token prompt",
                        note=f"median of per-pair ratios {p50(pairs):.2f}" if pairs else ""))
        self.extra["prefill_slice_seconds"] = p50([PREFILL_SLICE * t.seconds / t.prompt_tokens for t in results.cold])
        tokens = p50([t.prompt_tokens for t in results.cold])
        reused = p50([t.reused_tokens for t in results.second])
        self.add(Figure("ttft_second", "first token, second action on the note", "s", "ratio_max", 0.15,
                        "≤ 0.15× cold", p50(second), "p50", second, reference="first action cold",
                        reference_value=p50(cold), reference_samples=cold, workload=vault.name,
                        note=f"cold prompt p50 {tokens:.0f} tokens; second action reused {reused:.0f}"))
        listed = [t.seconds for t in results.listed]
        self.distributions["first token, second action picked from the list"] = listed
        self.add(Figure("ttft_listed", "first token, second action picked from the editor's list", "s", "ratio_max",
                        0.15, "≤ 0.15× cold", p50(listed), "p50", listed, reference="first action cold",
                        reference_value=p50(cold), reference_samples=cold, workload=vault.name,
                        note=f"warmed as the server does {LISTED_SETTLE_SECONDS:.1f} s after the editor lists the "
                             f"actions; the warm-up took p50 {p50(results.listed_warm_seconds) * 1000:.0f} ms, "
                             f"so this holds for a pick that comes later than both"))
        self.add(Figure("ttft_warm", "first token after warm-up (freshly opened note)", "s", "report", None, "",
                        p50(warm), "p50", warm, reference="without warm-up (cold)", reference_value=p50(cold),
                        workload=vault.name, note=f"the warm-up itself took p50 {p50(results.warm_seconds):.1f} s; "
                                                  f"model load {results.load_seconds:.2f} s"))
        restarted = [t.seconds for t in results.restarted]
        self.distributions["first token, first action after a restart"] = restarted
        loaded = sum(t.state_loaded for t in results.restarted)
        self.add(Figure("ttft_restart", "first token, first action after a restart", "s", "report", None, "",
                        p50(restarted), "p50", restarted, reference="first action cold", reference_value=p50(cold),
                        reference_samples=cold, workload=vault.name,
                        note=f"the note's prefix as an earlier server kept it on disk (loaded in {loaded} of "
                             f"{len(restarted)}; its file fresh in the page cache); nothing in memory, no warm-up"))

        self.expand_figure(engine, found[0])

    def expand_figure(self, engine: Any, draft: Draft) -> None:
        """A whole expand (4 bullets, 2 with --quick), sentences checked and chosen, against plain
        generation of as many tokens."""
        from penna.bench.expand_bench import measure_expand

        self.log("expand end to end against plain generation of as many tokens")
        count = self.plan.expand_bullets
        bullets = bullet_text((draft.bullets * count)[:count])
        found = measure_expand(engine, draft.rel_path, bullets, repeats=max(1, min(3, self.plan.repeats)))
        self.extra["expand"] = found.to_json()
        self.add(Figure("expand_vs_plain", f"{count}-bullet expand end to end", "s", "ratio_max", 2.0,
                        "≤ 2× plain generation", p50(found.expand_seconds), "p50", found.expand_seconds,
                        reference="plain greedy generation of the text's tokens, same prompt",
                        reference_value=p50(found.plain_seconds), reference_samples=found.plain_seconds,
                        workload=f"{found.sentences} bullets, {p50([float(t) for t in found.tokens]):.0f} tokens",
                        note=f"tokens evaluated with the drafts set aside: p50 "
                             f"{p50([float(t) for t in found.evaluated]):.0f}"))

    # --- server ------------------------------------------------------------------------------
    def server_figures(self, vaults: list[Vault], knowledge: Vault | None, missing: str) -> None:
        from penna.bench.server_bench import run_session

        sessions: dict[str, Any] = {}
        big = vaults[-1]
        typing_vault = knowledge or big  # where the model figures' cold first action was timed
        for vault in vaults + ([knowledge] if knowledge else []):
            with_model = vault is big
            self.log(f"server over stdio on {vault.name}" + (" (then with the model)" if with_model else "")
                     + (" (then typing bullets)" if vault is typing_vault else ""))
            spots = find_spots(vault.path, self.plan.spots)
            draft = drafts(vault.path, 1)[0] if with_model else None
            lists = (1 + len(self.plan.typing_pauses)) * self.plan.repeats + 1
            typed = drafts(vault.path, lists) if vault is typing_vault else None
            sessions[vault.name] = asyncio.run(run_session(
                vault.path, self.cache(vault), spots, passes=self.plan.passes,
                settings={**SERVER_SETTINGS, **({"nCtx": self.plan.n_ctx} if self.plan.n_ctx else {})},
                stderr_path=self.out / f"server-{vault.name.replace(' ', '-').replace(',', '')}.log",
                draft=draft, cancel_repeats=self.plan.cancels, typed=typed, typing_repeats=self.plan.repeats,
                typing_pauses=self.plan.typing_pauses))
        self.typing_figures(sessions[typing_vault.name], typing_vault)
        s = sessions[big.name]
        requests = s.all_latencies()
        for kind, samples in s.latencies.items():
            self.distributions[f"{kind} request, {big.name}"] = samples
        self.distributions[f"JSON-RPC floor, {big.name}"] = s.floor
        self.add(Figure("requests_p95", f"non-model requests on {big.name} (stdio)", "s", "max", 0.020, "p95 ≤ 20 ms",
                        p95(requests), "p95", requests, reference="JSON-RPC round trip (unknown method)",
                        reference_value=p95(s.floor), reference_samples=s.floor,
                        note="; ".join(f"{k} p50 {1000 * p50(v):.1f} / p95 {1000 * p95(v):.1f} ms "
                                       f"({s.answered.get(k, 0)}/{len(v)} non-empty)" for k, v in s.latencies.items())))
        # Hover as a writer meets it: the first on a paragraph. Only the instant stylometric part is
        # timed (SERVER_SETTINGS: hover "cached"); the model's rephrasing comes later as penna/hoverReady.
        first, warm = s.first_hover, s.latencies.get("hover", [])
        self.distributions[f"first hover on a paragraph, {big.name}"] = first
        self.add(Figure("hover_first", f"first hover on a fresh paragraph, {big.name} (stdio)", "s", "max", 0.050,
                        "p95 < 50 ms", p95(first) if first else None, "p95", first,
                        reference="the same paragraphs hovered again", reference_value=p95(warm) if warm else None,
                        reference_samples=warm, workload=f"{len(first)} paragraphs, one per note",
                        skipped="" if first else "no paragraph to hover",
                        note=(f"p50 {1000 * p50(first):.1f} ms, max {1000 * max(first):.1f} ms "
                              f"({s.first_hover_answered}/{len(first)} non-empty)") if first else ""))
        if knowledge:
            k = sessions[knowledge.name]
            kr = k.all_latencies()
            self.add(Figure("requests_vok", "non-model requests on vaultofknowledge (stdio)", "s", "max", 0.020,
                            "p95 ≤ 20 ms", p95(kr), "p95", kr, reference="JSON-RPC round trip",
                            reference_value=p95(k.floor), reference_samples=k.floor,
                            note=f"p50 {1000 * p50(kr):.1f} ms; " + "; ".join(
                                f"{kind} p50 {1000 * p50(v):.1f} / p95 {1000 * p95(v):.1f} ms"
                                for kind, v in k.latencies.items())))
        else:
            self.add(Figure("requests_vok", "non-model requests on vaultofknowledge (stdio)", "s", "max", 0.020,
                            "p95 ≤ 20 ms", skipped=missing))
        if s.during_generation:
            # The requests sent while generating are links, tags and actions: the same kinds, idle, are the reference.
            idle = [t for kind in ("link", "tag", "action") for t in s.latencies.get(kind, [])]
            self.add(Figure("requests_during_generation", f"non-model requests while generating ({big.name})", "s",
                            "ratio_max", 1.2, "p95 ≤ 1.2× idle", p95(s.during_generation), "p95", s.during_generation,
                            reference="same kinds of request, model idle", reference_value=p95(idle),
                            reference_samples=idle, note=f"all requests idle p95 {1000 * p95(requests):.1f} ms"))
            self.distributions["requests while generating"] = s.during_generation
        cancel = s.cancel_server or s.cancel_client
        self.distributions["cancel → stopped"] = cancel
        # The model checks for a cancel between prompt slices: one slice's time, from this run's
        # cold prompts, is the floor the figure is compared with.
        slice_seconds = self.extra.get("prefill_slice_seconds")
        self.add(Figure("cancel", "cancel latency, $/cancelRequest to generation stopped", "s", "max", 0.200,
                        "≤ 200 ms", p95(cancel) if cancel else None, "p95", cancel,
                        reference=f"one {PREFILL_SLICE}-token prompt slice", reference_value=slice_seconds,
                        skipped="" if cancel else "; ".join(s.cancel_errors) or "no sample",
                        note="; ".join([f"p50 {1000 * p50(cancel):.0f} ms, max {1000 * max(cancel):.0f} ms"
                                        if cancel else "",
                                        "client-side (cancel sent → cancelled answer read) p50 "
                                        f"{1000 * p50(s.cancel_client):.0f} ms" if s.cancel_client else "",
                                        *s.cancel_errors]).strip("; ")))
        self.add(Figure("rss", f"server RSS, {big.name}, model not loaded", "MB", "max", 250.0, "≤ 250 MB",
                        s.rss_indexed, "single", reference="idle server before opening the vault",
                        reference_value=s.rss_idle,
                        note="" if big.notes >= 10000 else "target applies at 10k notes"))
        self.add(Figure("rss_model", f"server RSS, {big.name}, model loaded", "MB", "report", None, "",
                        s.rss_model, "single", reference="model not loaded", reference_value=s.rss_indexed,
                        note=f"peak {s.peak_model:.0f} MB"))
        small = sessions[vaults[0].name]
        for vault in vaults:
            v = sessions[vault.name].all_latencies()
            self.add(Figure(f"scale_requests_{vault.notes}", f"scaling: request p95 at {vault.notes:,} notes", "s",
                            "report", None, "flat", p95(v), "p95", v, reference=f"p95 at {vaults[0].notes:,}",
                            reference_value=p95(small.all_latencies()),
                            note=f"server ready (reopen + profile) in {sessions[vault.name].ready_seconds:.1f} s"))
        self.extra["server"] = {name: {"ready_seconds": r.ready_seconds, "rss_idle": r.rss_idle,
                                       "rss_indexed": r.rss_indexed, "rss_model": r.rss_model,
                                       "peak_model": r.peak_model, "latencies": r.latencies, "floor": r.floor,
                                       "answered": r.answered, "cancel_client": r.cancel_client,
                                       "cancel_server": r.cancel_server, "cancel_errors": r.cancel_errors,
                                       "during_generation": r.during_generation, "first_hover": r.first_hover,
                                       "typed_at_once": r.typed_at_once,
                                       "typed_paused": {str(k): v for k, v in r.typed_paused.items()}}
                                for name, r in sessions.items()}

    def typing_figures(self, session: Any, vault: Vault) -> None:
        """The first words of an expand asked for in the editor right after typing its bullets, and
        after pauses (the server warms it once typing has paused), against the model figures' cold
        first action on the same vault."""
        from penna.lsp.warming import TYPING_SETTLE_SECONDS

        cold = [t["seconds"] for t in self.extra.get("model", {}).get("cold", [])]
        ways = [("ttft_typed_at_once", "first words, second action asked as the last bullet is typed",
                 session.typed_at_once, ("nothing warmed: the request evaluates its passages and searches its "
                                         "first gap itself"))]
        ways += [(f"ttft_typed_after_{pause * 1000:.0f}ms",
                  f"first words, second action asked {pause:g} s after typing", session.typed_paused.get(pause, []),
                  f"the server warms it after {TYPING_SETTLE_SECONDS:g} s without a keystroke in the list")
                 for pause in self.plan.typing_pauses]
        for key, label, samples, note in ways:
            self.distributions[label] = samples
            self.add(Figure(key, f"{label} (stdio)", "s", "ratio_max", 0.15, "≤ 0.15× cold",
                            p50(samples) if samples else None, "p50", samples, reference="first action cold",
                            reference_value=p50(cold) if cold else None, reference_samples=cold,
                            workload=vault.name, skipped="" if samples and cold else "no sample",
                            note=f"request → first words in the editor's progress; {note}"))

    # --- output ------------------------------------------------------------------------------
    def write(self, started: float, argv: list[str]) -> tuple[Path, Path | None]:
        from penna.bench.plot import PlotUnavailable, plot_latencies

        self.out.mkdir(parents=True, exist_ok=True)
        data = {
            "schema": 1, "command": "penna bench " + " ".join(argv), "quick": self.plan.quick,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": time.time() - started,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "load_average_start": self.load_start, "load_average_end": os.getloadavg(),
                        "llama_cpp_python": _version("llama_cpp_python"), "busy": self.extra.get("busy")},
            "figures": [f.as_json() for f in self.ordered()],
            "distributions": self.distributions, "details": self.extra, "log": self.log_lines,
        }
        json_path = self.out / "bench.json"
        json_path.write_text(json.dumps(finite(data), indent=1, default=str), encoding="utf-8")
        png = self.out / "latency.png"
        try:
            plot_latencies(self.distributions, png, f"penna bench{' --quick' if self.plan.quick else ''}"
                                                    f"{' --busy' if self.plan.busy else ''}, "
                                                    f"{data['started']} (shared machine: noisy)")
        except PlotUnavailable as error:
            print(f"penna bench: no plot: {error}", file=sys.stderr)
            return json_path, None
        return json_path, png


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def main(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    """Run from `penna bench` (arguments defined in penna.cli, so the CLI imports this lazily)."""
    if args.generate is not None:
        return generate(args)
    args.data = args.data or SHARED_DATA
    started = time.time()
    out = args.out or Path(f"penna-bench-{time.strftime('%Y%m%d-%H%M%S')}")
    work = args.work or Path(tempfile.gettempdir()) / f"penna-bench-{'quick' if args.quick else 'full'}"
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(Plan.make(args.quick, busy=getattr(args, "busy", False)), out, work, args.data)
    if not args.quick and not real_vaults(args.data):
        bench.log(f"real data not found at {args.data}: the real-vault figures are skipped")
    os.environ.setdefault("PENNA_CACHE_DIR", str(work / "cache" / "default"))
    bench.run()
    json_path, png = bench.write(started, argv if argv is not None else sys.argv[2:])
    if bench.plan.busy and "busy" in bench.extra:
        hog = bench.extra["busy"]
        print(f"Busy laptop: a CPU hog held one core for the whole run (it got {hog['share']:.0%} of a core); "
              "every reference below was measured under the same load.\n")
    print(table(bench.ordered()))
    misses = [f.name for f in bench.figures if f.status == "miss"]
    print(f"\n{len(bench.figures)} figures, {len(misses)} targets missed{': ' + '; '.join(misses) if misses else ''}.")
    load = os.getloadavg()
    print(f"Load average at the end {load[0]:.1f} (1 min), {load[2]:.1f} (15 min) on {os.cpu_count()} CPUs. "
          "The machine may be shared: compare ratios to the same-run references more than absolute values.")
    print(f"JSON: {json_path}" + (f"\nplot: {png}" if png else ""))
    return 0


def generate(args: argparse.Namespace) -> int:
    from penna.bench.synthetic import generate_vault

    if args.generate < 1:
        print("penna bench: --generate needs a positive number of notes", file=sys.stderr)
        return 2
    out = args.out or Path(f"synthetic-{args.generate}")
    if out.exists() and any(out.iterdir()):
        print(f"penna bench: {out} exists and is not empty; choose another --out", file=sys.stderr)
        return 1
    stats = generate_vault(out, args.generate, seed=args.seed)
    print(f"wrote {count_notes(out)} notes to {out} in {stats.seconds:.1f} s (seed {args.seed})")
    return 0
