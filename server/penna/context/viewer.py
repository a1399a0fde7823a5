"""The context viewer: everything the model is told about the author, shown to the author.

Markdown with one section per P, each with its token count and budget, every item with its
source note (a link) and read/written label, and what was dropped for lack of room.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from penna.context.assemble import AssembledContext, FittedSection
from penna.knowledge.items import Item, Section

TITLES = {
    "participatory": "Participatory — who I am",
    "procedural": "Procedural — how I write",
    "perspectival": "Perspectival — what is salient now",
    "propositional": "Propositional — what I know about this",
}


def _source(item: Item, vault_uri: str | None) -> str:
    if not item.source:
        return ""
    name = item.source.rsplit("/", 1)[-1].removesuffix(".md")
    target = f"{vault_uri.rstrip('/')}/{quote(item.source)}" if vault_uri else quote(item.source)
    origin = f" · {item.origin}" if item.origin else ""
    return f" — [{name}]({target}){origin}"


def _excerpt(text: str, limit: int = 280) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _section(fitted: FittedSection, vault_uri: str | None) -> list[str]:
    lines = [f"## {TITLES.get(fitted.name, fitted.name)}", "",
             (f"*{fitted.tokens} of {fitted.budget} tokens · {len(fitted.kept)} items kept, "
              f"{len(fitted.dropped)} dropped*"), ""]
    lines += [f"> {note}" for note in fitted.notes]
    if fitted.notes:
        lines.append("")
    for item in fitted.kept:
        label = f"**{item.label}**: " if item.label else ""
        lines.append(f"- {label}{_excerpt(item.text)}{_source(item, vault_uri)}")
    if fitted.dropped:
        lines += ["", "Dropped for lack of room:"]
        lines += [f"- ~~{_excerpt(item.text, 80)}~~{_source(item, vault_uri)}" for item in fitted.dropped]
    return [*lines, ""]


def context_markdown(context: AssembledContext, sections: Sequence[Section] = (), vault_uri: str | None = None) -> str:
    reason = context.estimate_reason or "the model is not available"
    counting = "the model's tokenizer" if context.exact else f"tiktoken: approximate estimates, because {reason}"
    lines = ["# What penna tells the model", "",
             (f"Prompt: **{context.tokens} tokens** of a {context.budget.n_ctx}-token window, "
              f"{context.budget.max_new_tokens} kept for the answer. Counted with {counting}."),
             ("Order: participatory, procedural, perspectival (stable for this note, so the model reuses its cache), "
              "then propositional, then the task."), ""]
    lines += [f"> {note}" for note in context.notes]
    lines += [""] if context.notes else []
    for fitted in context.sections:
        lines += _section(fitted, vault_uri)
    lines += ["## Task", "", "```text", context.task, "```", ""]
    dropped = context.dropped()
    lines.append(f"**Dropped in all: {len(dropped)} items.**" if dropped else "Nothing was dropped.")
    return "\n".join(lines)
