"""Budgeted context assembly: the four Ps in a fixed order, fitted to the token budget.

Order: participatory, procedural, perspectival (the stable prefix, chosen per note), then
propositional (per request), then the task. llama.cpp reuses the KV cache for a shared token
prefix, so everything that does not depend on the request comes first and is rendered
byte-identically for every request on the same note.

Budget: n_ctx − max_new_tokens. The stable sections get fixed shares of a fixed part of it (so
their size never depends on the request); propositional gets what the stable part and the task
leave. Items are added in priority order while they fit; what does not fit is reported in
`dropped`, never cut silently. Counts are exact, with the model's tokenizer when one is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from penna.context.render import document_header, render_item, render_section
from penna.knowledge.items import Item, Section

Counter = Callable[[str], int]
STABLE_ORDER = ("participatory", "procedural", "perspectival")
STABLE_SHARES = {"participatory": 0.2, "procedural": 0.6, "perspectival": 0.2}
STABLE_FRACTION = 0.7
PROPOSITIONAL_SHARE = 0.25


class ContextTooSmall(ValueError):
    """The task alone does not fit in the context window."""


@dataclass
class FittedSection:
    name: str
    budget: int
    kept: list[Item] = field(default_factory=list)
    dropped: list[Item] = field(default_factory=list)
    tokens: int = 0
    text: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Budget:
    n_ctx: int
    max_new_tokens: int

    @property
    def task_reserve(self) -> int:
        return min(512, self.n_ctx // 4)

    def stable_budget(self, name: str) -> int:
        fixed = max(0, self.n_ctx - self.max_new_tokens - self.task_reserve)
        return int(fixed * STABLE_FRACTION * STABLE_SHARES[name])


@dataclass
class AssembledContext:
    header: str
    sections: list[FittedSection]
    task: str
    budget: Budget
    count: Counter
    exact: bool  # counted with the model's tokenizer (else tiktoken, approximate)

    @property
    def prefix(self) -> str:
        """The stable part: identical for every request on the same note."""
        return self.header + "".join(s.text for s in self.sections if s.name in STABLE_ORDER)

    @property
    def body(self) -> str:
        """Everything before the task: the part a generation's own tail is appended to."""
        return self.header + "".join(s.text for s in self.sections)

    @property
    def prompt(self) -> str:
        return self.body + self.task

    @property
    def tokens(self) -> int:
        return self.count(self.prompt)

    def dropped(self) -> list[tuple[str, Item]]:
        return [(s.name, item) for s in self.sections for item in s.dropped]

    def section(self, name: str) -> FittedSection:
        return next(s for s in self.sections if s.name == name)


def stable_prefix(author: str, stable: Sequence[FittedSection]) -> str:
    return document_header(author) + "".join(s.text for s in stable)


def fit_section(section: Section, budget: int, count: Counter) -> FittedSection:
    """Keep items in order while they fit. Rendering and counting are per item and exact."""
    fitted = FittedSection(section.name, budget, notes=list(section.notes))
    rendered: list[str] = []
    for item in section.items:
        text = render_item(section.name, item)
        if not text.strip():
            continue
        trial = render_section(section.name, [*rendered, text])
        cost = count(trial)
        if cost <= budget:
            rendered.append(text)
            fitted.kept.append(item)
            fitted.tokens = cost
        else:
            fitted.dropped.append(item)
    fitted.text = render_section(section.name, rendered)
    return fitted


def fit_stable(sections: Sequence[Section], budget: Budget, count: Counter) -> list[FittedSection]:
    """The stable prefix sections for one note. Cache the result per note; it does not depend
    on the request."""
    by_name = {s.name: s for s in sections}
    return [fit_section(by_name[name], budget.stable_budget(name), count) for name in STABLE_ORDER if name in by_name]


def assemble(*, author: str, stable: Sequence[FittedSection], propositional: Section, task: str,
             budget: Budget, count: Counter, exact: bool) -> AssembledContext:
    header = document_header(author)
    fixed = count(header + "".join(s.text for s in stable) + task)
    remaining = budget.n_ctx - budget.max_new_tokens - fixed
    if remaining < 0:
        over = -remaining
        raise ContextTooSmall(
            f"the request needs {fixed + budget.max_new_tokens} tokens but the context window is {budget.n_ctx}; "
            f"shorten the selection by about {over} tokens or raise nCtx")
    # More retrieved text is slower to evaluate cold and, for small models, dilutes the voice.
    fitted = fit_section(propositional, min(remaining, int(budget.n_ctx * PROPOSITIONAL_SHARE)), count)
    return AssembledContext(header, [*stable, fitted], task, budget, count, exact)
