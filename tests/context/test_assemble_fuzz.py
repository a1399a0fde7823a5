"""Fuzzing context assembly (hypothesis): any sections, items, task and window size give either
a clear ContextTooSmall or a prompt that fits the window (counted with the real tiktoken
counter), keeps the four parts in order, drops nothing silently, and has a prefix that does not
depend on the request.

`PENNA_FUZZ_EXAMPLES` raises the example count (see docs/reliability.md).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from penna.context.assemble import Budget, ContextTooSmall, assemble, fit_pinned, fit_stable
from penna.context.render import render_item
from penna.knowledge.items import Item, Section
from penna.knowledge.tokens import count_tokens

EXAMPLES = int(os.environ.get("PENNA_FUZZ_EXAMPLES", "80"))
NAMES = ("participatory", "procedural", "perspectival", "propositional")
LABELS = ("exemplar", "stance", "passage", "recent", "rewrite", "")

texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=300)
items = st.builds(Item, text=texts, source=st.one_of(st.none(), st.sampled_from(["a.md", "Clippings/b.md", "c/d.md"])),
                  origin=st.sampled_from(["read", "written", None]), label=st.sampled_from(LABELS))


def section(name: str) -> st.SearchStrategy[Section]:
    return st.builds(Section, name=st.just(name), title=st.just(name), items=st.lists(items, max_size=8))


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(stable=st.tuples(*(section(n) for n in NAMES[:3])), pinned=section("propositional"),
       late=section("propositional"), other_late=section("propositional"), task=texts, other_task=texts,
       n_ctx=st.integers(64, 4096), share=st.floats(0, 0.9), author=st.text(max_size=20))
def test_assembly_fits_the_window_or_says_why(stable: tuple[Section, ...], pinned: Section, late: Section,
                                              other_late: Section, task: str, other_task: str, n_ctx: int,
                                              share: float, author: str) -> None:
    budget = Budget(n_ctx, int(n_ctx * share))
    fitted = fit_stable(list(stable), budget, count_tokens)
    pinned_fit = fit_pinned(pinned, budget, count_tokens)
    for part in [*fitted, pinned_fit]:
        assert part.tokens <= part.budget
    try:
        context = assemble(author=author, stable=fitted, propositional=late, task=task, budget=budget,
                           count=count_tokens, exact=False, pinned=pinned_fit)
    except ContextTooSmall as error:
        assert f"context window is {n_ctx}" in str(error) and "nCtx" in str(error)
        return
    assert count_tokens(context.prompt) <= n_ctx - budget.max_new_tokens, "the prompt overflows the window"
    assert [s.name for s in context.sections] == list(NAMES)
    assert context.prompt.endswith(task) and context.prompt.startswith(context.header)
    for source, fit in zip([*stable, pinned], [*fitted, context.section("propositional")], strict=True):
        visible = [i for i in source.items if render_item(source.name, i).strip()]
        assert all(i in fit.kept or i in fit.dropped for i in visible), "an item vanished without being reported"
    for fit in context.sections:
        for item in fit.kept:
            assert render_item(fit.name, item).strip() in fit.text
    try:
        again = assemble(author=author, stable=fitted, propositional=other_late, task=other_task, budget=budget,
                         count=count_tokens, exact=False, pinned=pinned_fit)
    except ContextTooSmall:
        return
    if again.pinned == context.pinned:
        assert again.prefix == context.prefix  # the request never changes the prefix

