"""Model figures, on the engine the server runs: throughput against a bare llama-cpp-python
loop, and time to first token (cold, second action on the same note, after warm-up).

Time to first token is taken from the `Engine.generate` call (context assembly included) to
the first piece of text out of the model. A thin probe around the engine's model records that
moment and then cancels, since nothing after the first token matters for these figures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from penna.bench.workloads import Draft, bullet_text
from penna.engine import Engine
from penna.writing.backend import Cancelled, CancelToken, GenerationStats
from penna.writing.model import LlamaModel
from penna.writing.state_store import StateStore


class AfterFirstToken(CancelToken):
    """Cancels the generation once its first model call has produced a token."""

    stats: GenerationStats | None = None

    @property
    def cancelled(self) -> bool:
        return self.event.is_set() or (self.stats is not None and self.stats.first_token_seconds is not None)


class FirstTokenProbe:
    """Stands in for the engine's LlamaModel: same calls, plus when the first token came."""

    def __init__(self, model: LlamaModel) -> None:
        self.model = model
        self.started: float | None = None
        self.stats: GenerationStats | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def stream(self, prompt: str, **kwargs: Any) -> Iterator[str]:
        """The first token of the generation's first model call counts, even one without text
        (a sentence may start with a newline that the task then retries): prefill ended then."""
        stats = kwargs.setdefault("stats", GenerationStats())
        if self.stats is None:
            self.stats, self.started = stats, time.perf_counter()  # the inner stream starts its clock now too
            cancel = kwargs.get("cancel")
            if isinstance(cancel, AfterFirstToken):
                cancel.stats = stats
        yield from self.model.stream(prompt, **kwargs)

    @property
    def decoding(self) -> Any:
        """Bridged sentences drive the model token by token: their first committed token counts.
        (A model server has no `decoding`: the AttributeError keeps the probe one too.)"""
        inner = self.model.decoding

        def probed(prompt: str, **kwargs: Any) -> Any:
            if kwargs.get("stats") is None:
                kwargs["stats"] = GenerationStats()
            if self.stats is None:
                self.stats, self.started = kwargs["stats"], time.perf_counter()
                cancel = kwargs.get("cancel")
                if isinstance(cancel, AfterFirstToken):
                    cancel.stats = kwargs["stats"]
            return inner(prompt, **kwargs)

        return probed

    def forget(self, store: StateStore | None = None) -> None:
        """A cold model: nothing evaluated, no saved prefix states, and none on disk unless
        `store` is given (a restarted server that finds what an earlier one kept)."""
        self.model.llm.reset()
        self.model._states.clear()  # the benchmark needs a truly cold start
        self.model.disk = store


@dataclass
class Ttft:
    seconds: float
    prompt_tokens: int
    reused_tokens: int
    state_loaded: bool


@dataclass
class ModelResults:
    load_seconds: float = 0.0
    cold: list[Ttft] = field(default_factory=list)
    second: list[Ttft] = field(default_factory=list)
    listed: list[Ttft] = field(default_factory=list)  # a second action warmed when the editor listed it
    listed_warm_seconds: list[float] = field(default_factory=list)  # … and that warm-up itself
    warm: list[Ttft] = field(default_factory=list)
    restarted: list[Ttft] = field(default_factory=list)  # a first action after a restart, the prefix on disk
    warm_seconds: list[float] = field(default_factory=list)  # the background warm-up itself
    penna_rates: list[float] = field(default_factory=list)  # decode tokens/s
    bare_rates: list[float] = field(default_factory=list)
    throughput_tokens: int = 0
    prompt_tokens: int = 0


def install_probe(engine: Engine) -> FirstTokenProbe:
    model = engine.model()
    if not isinstance(model, (FirstTokenProbe, LlamaModel)):
        raise TypeError("the model benchmark measures the local llama.cpp model")
    probe = model if isinstance(model, FirstTokenProbe) else FirstTokenProbe(model)
    engine.model_host.backend = probe  # instrumentation: the probe wraps the model
    return probe


def first_token(engine: Engine, probe: FirstTokenProbe, draft: Draft, bullets: list[str]) -> Ttft:
    probe.started, probe.stats = None, None
    started = time.perf_counter()
    try:
        engine.generate("expand", draft.rel_path, bullet_text(bullets), cancel=AfterFirstToken())
    except Cancelled:
        pass
    stats = probe.stats
    if stats is None or probe.started is None or stats.first_token_seconds is None:
        raise RuntimeError(f"the model produced no token for {draft.rel_path}")
    return Ttft(probe.started + stats.first_token_seconds - started, stats.prompt_tokens, stats.reused_tokens,
                stats.state_loaded)


def measure_ttft(engine: Engine, drafts: list[Draft], repeats: int, results: ModelResults) -> None:
    """Per repeat: a cold first action on a freshly opened note, a second action on it with other
    bullets, a third with others again, warmed first as the server does when the editor lists the
    actions (the writer then picks one), then another note opened with a background warm-up
    before its first action."""
    probe = install_probe(engine)
    usable = [d for d in drafts if len(d.bullets) >= 2]
    if len(usable) < 2:
        raise RuntimeError("not enough notes with prose in this vault for the first-token figures")
    for number in range(repeats):
        note = usable[(2 * number) % len(usable)]
        other = usable[(2 * number + 1) % len(usable)]
        probe.forget()
        engine.refresh(note.rel_path)  # what opening the note does
        results.cold.append(first_token(engine, probe, note, note.bullets))
        results.second.append(first_token(engine, probe, note, other.bullets))
        third = usable[(2 * number + 2) % len(usable)]
        started = time.perf_counter()
        engine.warm_request("expand", note.rel_path, bullet_text(third.bullets))
        results.listed_warm_seconds.append(time.perf_counter() - started)
        results.listed.append(first_token(engine, probe, note, third.bullets))
        probe.forget()
        engine.refresh(other.rel_path)
        started = time.perf_counter()
        engine.warm(other.rel_path)
        results.warm_seconds.append(time.perf_counter() - started)
        results.warm.append(first_token(engine, probe, other, note.bullets))


def measure_restart(engine: Engine, drafts: list[Draft], repeats: int, results: ModelResults, folder: Path) -> None:
    """Per repeat: a note warmed by an earlier server, which kept its prefix on disk; then a
    restart (nothing in memory) and at once a first action on the note, before any warm-up."""
    probe = install_probe(engine)
    store = StateStore(folder)
    usable = [d for d in drafts if len(d.bullets) >= 2]
    try:
        for number in range(repeats):
            note = usable[(2 * number) % len(usable)]
            probe.forget(store)
            engine.refresh(note.rel_path)
            engine.warm(note.rel_path)  # the earlier server
            probe.forget(store)  # the restart
            engine.refresh(note.rel_path)
            results.restarted.append(first_token(engine, probe, note, note.bullets))
    finally:
        probe.forget()


def measure_throughput(engine: Engine, draft: Draft, *, tokens: int, repeats: int, results: ModelResults,
                       prompt_chars: int | None = None) -> None:
    """Decode speed of penna's streaming path against a bare `create_completion` loop on the
    same Llama object (same GGUF, context, threads), same prompt, greedy sampling. The two are
    alternated, each leading every other pair, so drifts in machine load hit both alike; the
    prompt is evaluated before the first timed run and reused by every run after it."""
    model = engine.model()
    base = model.model if isinstance(model, FirstTokenProbe) else model
    if not isinstance(base, LlamaModel):
        raise TypeError("the throughput benchmark measures the local llama.cpp model")
    prompt = engine.context(draft.rel_path, "expand", bullet_text(draft.bullets)).prompt
    if prompt_chars:
        prompt = prompt[-prompt_chars:]
    results.prompt_tokens = base.count(prompt)
    base.llm.reset()
    list(base.stream(prompt, max_tokens=1, temperature=0.0, seed=0, stop=[]))

    def penna() -> None:
        stats = GenerationStats()
        for _piece in base.stream(prompt, max_tokens=tokens, temperature=0.0, seed=0, stop=[], stats=stats):
            pass
        results.penna_rates.append(stats.tokens_per_second)
        results.throughput_tokens = stats.generated_tokens

    def bare() -> None:
        # penna's sampling settings (the library's default repeat_penalty is 1.0, and a penalty
        # costs a pass over the whole vocabulary per token): the loop, not the sampler, is compared.
        with base.lock:
            times = [time.perf_counter() for _chunk in base.llm.create_completion(
                prompt, max_tokens=tokens, temperature=0.0, seed=0, stream=True, top_p=0.95, repeat_penalty=1.1)]
        if len(times) > 1:
            results.bare_rates.append((len(times) - 1) / (times[-1] - times[0]))

    for number in range(repeats):
        for run in ((penna, bare) if number % 2 == 0 else (bare, penna)):
            run()
