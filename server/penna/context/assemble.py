"""Budgeted context assembly: the four Ps in a fixed order, fitted to the token budget.

Order: participatory, procedural, perspectival, propositional, then the task. llama.cpp reuses
the KV cache for a shared token prefix, so everything that does not depend on the request comes
first and is rendered byte-identically for every request on the same note.

Propositional comes in two parts, so that most of it is stable too: what the vault says about the
note's topic (retrieved on its title, headings and tags, plus its linked notes: chosen per note,
part of the prefix, warmed when the note opens), then a small, late part retrieved on the request
itself. Only that late part and the task are evaluated per request. Measured on vaultofknowledge
with the default model, a whole propositional section per request made the second action on a
note cost ~0.45× a cold start; pinned, the per-request tail is a few hundred tokens.

For a base model the request's passages come after the note's demo pairs (`document`): the
pairs depend only on the note, so they belong to the cached part, and the request's passages,
the draft's heading and its text are all a second action on the note evaluates (measured on
vaultofknowledge: 197 tokens with the pairs after the passages, about 100 with them before).

Budget: n_ctx − max_new_tokens. The stable sections, the note's propositional part included,
get fixed shares of a fixed part of it (so their size never depends on the request); the
request's part gets a small cap. Items are added in priority order while they fit; what does not
fit is reported in `dropped`, never cut silently. Counts are exact, with the model's tokenizer
when one is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from penna.context.render import demo_section, document_header, more_heading, render_item, render_section
from penna.knowledge.items import Item, Section

Counter = Callable[[str], int]
STABLE_ORDER = ("participatory", "procedural", "perspectival")
STABLE_SHARES = {"participatory": 0.2, "procedural": 0.6, "perspectival": 0.2}
STABLE_FRACTION = 0.7  # of the fixed part; the note's propositional part gets the rest
# The request's own passages: kept small, because every token of it is evaluated per request
# (~5 ms a token on 2 cores) and, for small models, more retrieved text dilutes the voice.
REQUEST_SHARE = 0.05
CHARS_PER_TOKEN_MAX = 8  # prose packs fewer characters than this into a token


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

    @property
    def fixed(self) -> int:
        return max(0, self.n_ctx - self.max_new_tokens - self.task_reserve)

    def stable_budget(self, name: str) -> int:
        return int(self.fixed * STABLE_FRACTION * STABLE_SHARES[name])

    @property
    def pinned_budget(self) -> int:
        """The note's own propositional part (stable, in the prefix)."""
        return int(self.fixed * (1 - STABLE_FRACTION))

    @property
    def request_budget(self) -> int:
        return int(self.n_ctx * REQUEST_SHARE)


@dataclass
class AssembledContext:
    header: str
    sections: list[FittedSection]
    task: str
    budget: Budget
    count: Counter
    exact: bool  # counted with the model's tokenizer (else tiktoken, approximate)
    pinned: str = ""  # the note's propositional part: the start of the propositional section's text
    notes: list[str] = field(default_factory=list)  # what limited the whole prompt (window, answer length)
    estimate_reason: str = ""  # when not exact: why counts are tiktoken's estimates
    demo: str = ""  # the author's notes→text pairs, after the prefix (kept with the context it was fitted for)
    late: str = ""  # the request's own passages (the end of the propositional section's text)
    # The sections' own exact counts summed, plus a token per joint: an upper bound on the whole
    # prompt's count with `fitted_with`. Counting the whole prompt again took a third of a request.
    fitted_tokens: int = 0
    fitted_with: Counter | None = None

    @property
    def prefix(self) -> str:
        """The stable part: identical for every request on the same note."""
        return self.header + "".join(s.text for s in self.sections if s.name in STABLE_ORDER) + self.pinned

    @property
    def body(self) -> str:
        """The sections in order, the request's passages last (a chat model's system message)."""
        return self.header + "".join(s.text for s in self.sections)

    @property
    def late_text(self) -> str:
        """The request's own passages as `document` shows them: under their own heading when
        the note's passages (and the demo pairs) come between them and the section's start."""
        if self.late and self.pinned:
            return more_heading("propositional") + self.late
        return self.late

    @property
    def document(self) -> str:
        """Everything a base model reads before the task's tail: the note's prefix, its demo
        pairs, then the request's passages. Only the last of these differs between two actions
        on the same note, so only it (and the tail) is evaluated again."""
        return self.prefix + demo_section(self.demo) + self.late_text

    @property
    def prompt(self) -> str:
        return self.document + self.task

    @property
    def tokens(self) -> int:
        """The prompt's token count: the fitted sum when `count` is the counter the sections were
        fitted with, else the whole prompt counted with `count` (a model server's exact count)."""
        if self.fitted_tokens and self.fitted_with is not None and self.fitted_with == self.count:
            return self.fitted_tokens
        return self.count(self.prompt)

    def dropped(self) -> list[tuple[str, Item]]:
        return [(s.name, item) for s in self.sections for item in s.dropped]

    def section(self, name: str) -> FittedSection:
        return next(s for s in self.sections if s.name == name)

    def exemplars(self) -> list[str]:
        """The author's paragraphs the prompt shows (a draft copied from one is pasted)."""
        return [i.text for s in self.sections if s.name == "procedural" for i in s.kept if i.label == "exemplar"]


def stable_prefix(author: str, stable: Sequence[FittedSection], pinned: FittedSection | None = None) -> str:
    """What a note's requests all start with (what warm-up evaluates)."""
    return document_header(author) + "".join(s.text for s in stable) + (pinned.text if pinned else "")


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


def fit_pinned(section: Section, budget: Budget, count: Counter) -> FittedSection:
    """The note's propositional part. Cache it with the stable sections."""
    return fit_section(section, budget.pinned_budget, count)


def fit_late(pinned: FittedSection | None, section: Section, budget: int, count: Counter) -> FittedSection:
    """The request's passages, appended to the note's part as more items of the same section
    (the pinned text stays a byte-identical prefix). Passages already pinned are skipped.

    Each item is counted once, on its own (tokenizing is most of assembly's time); an item with
    more characters than the budget could hold at CHARS_PER_TOKEN_MAX cannot fit and is not counted."""
    heading = render_section(section.name, ["x"]).removesuffix("x\n\n")
    shown = {(i.source, i.text) for i in pinned.kept} if pinned else set()
    continues = bool(pinned and pinned.text)  # else this part opens the section and needs its heading
    fitted = FittedSection(section.name, budget, notes=list(section.notes))
    used = 0 if continues else count(heading)
    parts: list[str] = []
    for item in section.items:
        if (item.source, item.text) in shown:
            continue
        rendered = render_item(section.name, item)
        if not rendered.strip():
            continue
        piece = rendered + "\n\n"
        cost = count(piece) if len(piece) <= CHARS_PER_TOKEN_MAX * (budget - used) else budget + 1
        if used + cost <= budget:
            parts.append(piece)
            fitted.kept.append(item)
            used += cost
        else:
            fitted.dropped.append(item)
    text = "".join(parts)
    fitted.text = text if continues or not text else heading + text
    fitted.tokens = used if text else 0
    return fitted


def _merge(pinned: FittedSection | None, late: FittedSection) -> FittedSection:
    if pinned is None:
        return late
    merged = FittedSection(late.name, pinned.budget + late.budget, [*pinned.kept, *late.kept],
                           [*pinned.dropped, *late.dropped], notes=[*pinned.notes, *late.notes])
    merged.text = pinned.text + late.text
    merged.tokens = pinned.tokens + late.tokens
    return merged


def assemble(*, author: str, stable: Sequence[FittedSection], propositional: Section, task: str,
             budget: Budget, count: Counter, exact: bool, pinned: FittedSection | None = None,
             demo: str = "") -> AssembledContext:
    """Sections are counted once each (the stable ones when fitted, per note); their sum, plus a
    token per joint in case a joint tokenizes differently, stands for the whole prompt. The demo
    pairs (`demo`) count with the task, as the part of the prompt that is not a section."""
    header = document_header(author)
    limit = budget.n_ctx - budget.max_new_tokens
    base = count(header) + sum(s.tokens for s in stable) + len(stable) + 1
    task_tokens = count(task) + (count(demo_section(demo)) + 1 if demo else 0)
    if pinned and pinned.text and base + pinned.tokens + 1 + task_tokens > limit:
        # A long request: the note's passages give way (and say so) rather than refusing it.
        pinned = FittedSection(pinned.name, pinned.budget, [], [*pinned.kept, *pinned.dropped],
                               notes=[*pinned.notes, "the note's own passages made room for a long request"])
    fixed = base + (pinned.tokens + 1 if pinned and pinned.text else 0) + task_tokens
    remaining = limit - fixed
    if remaining < 0:
        over = -remaining
        raise ContextTooSmall(
            f"the request needs {fixed + budget.max_new_tokens} tokens but the context window is {budget.n_ctx}; "
            f"shorten the selection by about {over} tokens or raise nCtx")
    # The request's passages get a heading of their own after the demo pairs (`late_text`): it
    # comes out of the window's room, never out of the passages' own small share.
    heading = count(more_heading(propositional.name)) + 1 if pinned and pinned.text else 0
    late = fit_late(pinned, propositional, max(0, min(remaining - heading, budget.request_budget)), count)
    total = fixed + (late.tokens + 1 + heading if late.text else 0)
    return AssembledContext(header, [*stable, _merge(pinned, late)], task, budget, count, exact,
                            pinned=pinned.text if pinned else "", demo=demo, late=late.text, fitted_tokens=total,
                            fitted_with=count)
