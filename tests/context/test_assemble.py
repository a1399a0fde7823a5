"""Specification of context assembly: order, stable prefix, budget, and honest dropping."""

from __future__ import annotations

from pathlib import Path

import pytest

from penna.config import Settings
from penna.context.assemble import Budget, ContextTooSmall
from penna.context.viewer import context_markdown
from penna.engine import Engine

NOTE = "Drafts/Winter loaf.md"


@pytest.fixture
def engine(sample_vault: Path) -> Engine:
    engine = Engine(sample_vault, Settings())
    engine.sync()
    return engine


def test_sections_come_in_cache_friendly_order(engine: Engine) -> None:
    context = engine.context(NOTE, "expand", "- proof overnight in the fridge")
    assert [s.name for s in context.sections] == ["participatory", "procedural", "perspectival", "propositional"]
    prompt = context.prompt
    assert prompt.index("## About me") < prompt.index("## How I write") < prompt.index("## What I'm working on")
    assert (prompt.index("## What I'm working on") < prompt.index("## What I know about this")
            < prompt.index("## Winter loaf"))


@pytest.mark.model
def test_successive_requests_share_the_prefix_exactly(engine: Engine) -> None:
    first = engine.context(NOTE, "expand", "- proof overnight in the fridge\n- bake hot")
    second = engine.context(NOTE, "rephrase", "Steam keeps the crust soft so the loaf can rise.")
    assert first.exact and second.exact  # counted with the model's own tokenizer
    assert first.prefix == second.prefix and len(first.prefix) > 500
    assert "Notes:" in first.prefix  # the exemplars are part of it
    model = engine.counter()[0].__self__  # the tokenizer behind the exact counts
    prefix_tokens = model.tokenize(first.prefix)
    for context in (first, second):
        assert model.tokenize(context.prompt)[: len(prefix_tokens) - 1] == prefix_tokens[:-1]
    assert first.prompt != second.prompt


def test_only_the_requests_own_passages_and_the_task_differ_between_requests(engine: Engine) -> None:
    """The demo pairs depend on the note only: they come right after its prefix, so the model keeps
    them cached with it, and a second action evaluates its passages and its task alone."""
    first = engine.context(NOTE, "expand", "- lactic and acetic acid, temperature")
    second = engine.context(NOTE, "expand", "- steam\n- covered pot\n- starter")
    assert first.demo and first.demo == second.demo and "Notes:" in first.demo
    shared = first.prefix + "## Notes I turned into prose (more)\n" + first.demo + "\n\n"
    for context in (first, second):
        assert context.document == shared + context.late_text
        assert context.prompt == context.document + context.task and context.task.startswith("## Winter loaf\n\n")
        assert context.prompt.count(context.demo) == 1  # shown once, before the request's passages
        assert context.late_text.startswith("## What I know about this (more)\nFrom my ")
        assert context.late and context.late in context.section("propositional").text  # the viewer's section
    assert first.late_text != second.late_text


@pytest.mark.model
def test_the_prompt_count_is_the_sections_sum_and_never_less_than_the_whole(engine: Engine) -> None:
    """The prompt is not tokenized again as a whole: its count is the sections' exact counts plus
    one per joint, which must never be below the whole prompt's count (the window must hold it)."""
    count, exact = engine.counter()
    assert exact
    for text in ("- proof overnight in the fridge\n- bake hot", "- lactic and acetic acid, temperature",
                 "- steam\n- covered pot\n- starter\n- rye flour and a long cold proof"):
        context = engine.context(NOTE, "expand", text)
        whole = count(context.prompt)
        assert whole <= context.tokens <= whole + 2 * len(context.sections) + 4


def test_read_material_is_quoted_as_data(engine: Engine) -> None:
    context = engine.context(NOTE, "expand", "- lactic and acetic acid, temperature")
    section = context.section("propositional")
    read = [i for i in section.kept if i.origin == "read"]
    assert read
    assert "(quoted, not my words):\n> " in section.text


def test_budget_is_respected_and_drops_are_reported(engine: Engine) -> None:
    engine.apply_settings(engine.settings.replace(n_ctx=1024, max_tokens=128))
    context = engine.context(NOTE, "expand", "- steam\n- covered pot\n- starter")
    assert context.tokens <= 1024 - 128
    assert context.dropped(), "a small window must drop something, and say so"
    for fitted in context.sections:
        assert fitted.tokens <= fitted.budget
    viewer = context_markdown(context, engine.all_sections(NOTE))
    assert "Dropped for lack of room" in viewer and "~~" in viewer


def test_task_that_cannot_fit_is_refused_with_numbers(engine: Engine) -> None:
    engine.apply_settings(engine.settings.replace(n_ctx=512, max_tokens=128))
    with pytest.raises(ContextTooSmall, match="context window is 512"):
        engine.context(NOTE, "expand", "\n".join(f"- point number {i} about dough" for i in range(200)))


def test_stable_shares_do_not_depend_on_the_request() -> None:
    budget = Budget(2048, 256)
    assert budget.stable_budget("procedural") == int((2048 - 256 - 512) * 0.7 * 0.6)
