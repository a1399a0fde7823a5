"""What choosing sentences a writer would keep costs: a whole expand against plain generation.

A 4-bullet expand writes each sentence after checking it (meaning, grammar) and, when the first
draft is not keepable, tries more. The reference is the cheapest honest way to get as many
tokens from the model: one plain greedy stream of the same number of tokens from the same
prompt, on the same model object, after the same warm-up. Both run alternately, so drifts in
machine load hit both alike; the figure is the ratio of their medians.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from penna.engine import Engine
from penna.writing.bridge import bridge_for
from penna.writing.tasks import notes_for, task_tail

BULLETS = ("cold kitchen, 17°C, everything slow\n- start the levain the night before\n"
           "- bulk ferment can take nine hours, watch the dough not the clock\n- bake in a covered pot for steam")


@dataclass
class ExpandResults:
    expand_seconds: list[float] = field(default_factory=list)
    plain_seconds: list[float] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)  # tokens of each expand's text
    evaluated: list[int] = field(default_factory=list)  # tokens each expand generated, drafts it set aside included
    sentences: int = 0

    def to_json(self) -> dict[str, Any]:
        expand = statistics.median(self.expand_seconds) if self.expand_seconds else float("nan")
        plain = statistics.median(self.plain_seconds) if self.plain_seconds else float("nan")
        return {"expand_seconds": self.expand_seconds, "plain_seconds": self.plain_seconds, "tokens": self.tokens,
                "evaluated": self.evaluated, "sentences": self.sentences, "expand_median": expand,
                "plain_median": plain, "ratio": expand / plain if plain else float("nan")}


def measure_expand(engine: Engine, rel_path: str | None, bullets: str = "- " + BULLETS, *,
                   repeats: int = 3) -> ExpandResults:
    """Median seconds of `Engine.generate("expand")` and of plain generation of as many tokens."""
    results = ExpandResults()
    notes = notes_for("expand", bullets)
    results.sentences = len(notes)
    # Once-only costs (the model, the style profile, the grammar's dictionary) out of the timing,
    # with a one-bullet expand of other words: the timed requests share nothing with it.
    engine.generate("expand", rel_path, "- once only\n", seed=1)
    model = engine.model()
    bridge = bridge_for(model)
    context = engine.context(rel_path, "expand", bullets)
    title = engine.current_note(rel_path).title if rel_path else "Draft"
    prompt = context.document + task_tail("expand", title, notes, [])  # the demo pairs are in the document

    def expand(seed: int) -> None:
        # As a writer meets it: the note opened (its prefix warmed), nothing of this request kept
        # from the one before (its passages evaluated, its sentences' first gaps searched).
        engine.warm(rel_path)
        if bridge is not None:
            bridge.forget_openings()
        started = time.perf_counter()
        result = engine.generate("expand", rel_path, bullets, seed=seed)
        results.expand_seconds.append(time.perf_counter() - started)
        results.evaluated.append(sum(s.generated_tokens for s in result.stats))
        # The reference writes as many tokens as the text the writer gets, not as many as were
        # tried: counting rejected drafts would make wasted work look cheaper.
        results.tokens.append(model.count(result.texts[0]))

    def plain() -> None:
        tokens = results.tokens[-1] if results.tokens else 64
        started = time.perf_counter()
        for _piece in model.stream(prompt, max_tokens=tokens, temperature=0.0, seed=0, stop=[]):
            pass
        results.plain_seconds.append(time.perf_counter() - started)

    for number in range(repeats):
        expand(seed=1 + number)
        plain()
    return results
