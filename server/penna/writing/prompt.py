"""A request's prompt: the note's cached prefix and its demo pairs, then the request's own
passages and its task, fitted to the window of the backend that will run it.

The prefix (see context/prefix_cache.py) is the same for every request on a note, so the model
reuses its evaluated state; only the request's few passages and the task are new. A model server
without a tokenizer endpoint is fitted on estimates and its final prompt counted once.
"""

from __future__ import annotations

from collections.abc import Sequence

from penna.config import Settings
from penna.context.assemble import AssembledContext, Counter, assemble, stable_prefix
from penna.context.late import rare_terms
from penna.context.prefix_cache import PrefixCache
from penna.context.render import demo_section
from penna.knowledge.index import Index
from penna.knowledge.items import query_terms
from penna.knowledge.perspectival import CurrentNote, RecentSalience
from penna.knowledge.procedural import Profile
from penna.knowledge.propositional import propositional_section
from penna.writing.backend import Backend, estimate_reason, fitting_counter, leave_room, window
from penna.writing.tasks import TaskKind, budget_tail


class PromptBuilder:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.prefixes = PrefixCache()
        self.salience = RecentSalience()

    def prefix_prompt(self, settings: Settings, current: CurrentNote, profile: Profile, open_paths: Sequence[str],
                      count: Counter, backend: Backend | None) -> str:
        """The text every request on the note starts with, as a request on it would be fitted (to
        warm the model): the stable prefix and the demo pairs."""
        budget = window(backend, settings.n_ctx, settings.max_tokens)[0]
        entry = self.prefixes.entry(self.index, settings, current, profile, open_paths=open_paths,
                                    count=fitting_counter(backend, count), budget=budget)
        return stable_prefix(entry.author, entry.fitted, entry.pinned) + demo_section(entry.demo)

    def context(self, settings: Settings, current: CurrentNote, profile: Profile, open_paths: Sequence[str],
                kind: TaskKind, text: str, *, count: Counter, exact: bool, backend: Backend | None) -> AssembledContext:
        fit = fitting_counter(backend, count)  # a model server: estimates, then one exact count
        budget, notes = window(backend, settings.n_ctx, settings.max_tokens)
        stable = self.prefixes.entry(self.index, settings, current, profile, open_paths=open_paths, count=fit,
                                     budget=budget)
        # The request's own passages: few, and after the note's, so only they and the task are new;
        # searched on the request's rarer words (the note's topic words are pinned already).
        topic = query_terms(current.title, " ".join(current.headings), " ".join(current.tags))
        late = propositional_section(self.index, rare_terms(self.index, query_terms(text), exclude=topic),
                                     current_path=current.path,
                                     salience=self.salience.get(self.index, settings.half_life_days),
                                     linked=False)  # the note's links are pinned
        # The demo pairs go with the context (not looked up again later: the watcher may drop the
        # cached entry meanwhile), before the request's passages: the tail has none of its own.
        context = assemble(author=stable.author, stable=stable.fitted, propositional=late, pinned=stable.pinned,
                           task=budget_tail(kind, current.title, text), budget=budget, count=fit, exact=exact,
                           demo=stable.demo)
        context.estimate_reason = "" if exact else estimate_reason(backend)
        return leave_room(context, count, notes)  # never truncated silently: a shorter answer is said
