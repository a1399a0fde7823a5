"""How each section reads to a base model: a document, the author's own notebook.

Base models continue documents; they write with more character when shown real examples than
when told what to do. So the prompt is the author's notebook: who they are, how they write
(with pairs of terse notes and the sentences they became), what they are working on, what they
know, and then the draft. Read material is quoted and attributed, so it is data, not orders.
"""

from __future__ import annotations

from penna.knowledge.items import Item, notes_from_sentence
from penna.vault.text import REFERENCE_LINK, sentences

PAIRS_PER_EXEMPLAR = 3

SECTION_HEADINGS = {
    "participatory": "About me",
    "procedural": "How I write",
    "perspectival": "What I'm working on",
    "propositional": "What I know about this",
}


def render_item(section: str, item: Item) -> str:
    """One item's text as it appears in the prompt (its token cost is counted on this)."""
    if item.label == "exemplar" or item.label == "rewrite":
        return render_exemplar(item.text)
    if section == "participatory" and item.label == "stance":
        return f"- {item.text}"
    if section == "propositional":
        title = (item.source or "").rsplit("/", 1)[-1].removesuffix(".md")
        if item.origin == "read":
            quoted = "\n".join(f"> {line}" for line in item.text.splitlines() if line.strip())
            return f"From my reading, “{title}” (quoted, not my words):\n{quoted}"
        return f"From my note “{title}”:\n{item.text}"
    if section in ("perspectival", "procedural"):
        return f"- {item.text}"
    return item.text


def exemplar_pairs(paragraph: str) -> list[str]:
    """A paragraph of the author's as notes→text pairs, one per sentence."""
    paragraph = REFERENCE_LINK.sub(r"\1", paragraph)  # `[text][ref]` reads as "text"
    pairs = []
    for sentence in sentences(paragraph):
        notes = notes_from_sentence(sentence)
        if notes:
            pairs.append(f"Notes: {notes}\nText: {sentence}")
    return pairs


def render_exemplar(paragraph: str) -> str:
    """The first few sentences of an author's paragraph as notes→text pairs.

    The pairs teach the mapping the task needs (terse notes → this author's sentence) far better
    than a description of the style can. Only the first PAIRS_PER_EXEMPLAR: a whole paragraph
    in a row taught the small model to continue *that* paragraph instead of following the notes
    (measured: it pasted the exemplar's next sentence whatever the notes said); the rest of the
    paragraph feeds the demonstration just before the task (`demo_pairs`), unseen until there.
    """
    return "\n".join(exemplar_pairs(paragraph)[:PAIRS_PER_EXEMPLAR])


def _interleave(blocks: list[str]) -> str:
    """Pairs from different paragraphs in turn, so no two neighbours come from the same one."""
    split = [["Notes: " + p if not p.startswith("Notes: ") else p for p in block.split("\nNotes: ")]
             for block in blocks]
    out: list[str] = []
    for rank in range(max((len(b) for b in split), default=0)):
        out.extend(b[rank] for b in split if rank < len(b))
    return "\n".join(out)


def render_section(section: str, rendered_items: list[str]) -> str:
    if not rendered_items:
        return ""
    heading = SECTION_HEADINGS.get(section, section)
    if section == "procedural":
        style = [r for r in rendered_items if r.startswith("- ")]
        pairs = [r for r in rendered_items if not r.startswith("- ")]
        parts = []
        if style:
            parts.append(f"## {heading}\n" + "\n".join(style))
        if pairs:
            parts.append("## Notes I turned into prose\n" + _interleave(pairs))
        return "\n\n".join(parts) + "\n\n"
    joiner = "\n" if section in ("perspectival",) else "\n\n"
    return f"## {heading}\n" + joiner.join(rendered_items) + "\n\n"


UNKNOWN_AUTHOR = "the author"  # what participatory.author_name says when no name is known


def document_header(author: str) -> str:
    return "# My notebook\n\n" if author == UNKNOWN_AUTHOR else f"# The notebook of {author}\n\n"


def demo_section(demo: str) -> str:
    """The demo pairs as the prompt shows them: after the note's prefix, before the request's own
    passages and the draft (stable per note, so they are part of what the model keeps cached)."""
    return f"## Notes I turned into prose (more)\n{demo}\n\n" if demo else ""


def more_heading(section: str) -> str:
    """The heading of a section's second part, shown further down the prompt."""
    return f"## {SECTION_HEADINGS.get(section, section)} (more)\n"


def demo_pairs(exemplars: list[str], count: int = 3) -> str:
    """A few notes→text pairs from the author's exemplars, shown near the task: after the note's
    prefix, with only the request's own passages between them and the draft (`demo_section`).

    Small models follow the pattern of what is nearest; measured on the sample vault, adding
    these raised the share of each bullet's content words kept from 0.0 to 0.6. They are the
    sentences the prefix did not show (a sentence seen twice gets pasted), taken from different
    exemplars in turn; only when there are none left do shown ones repeat.
    """
    unseen = [exemplar_pairs(p)[PAIRS_PER_EXEMPLAR:] for p in exemplars]
    pool = _interleave(["\n".join(block) for block in unseen if block])
    if not pool:
        pool = _interleave(["\n".join(exemplar_pairs(p)[-1:]) for p in exemplars if exemplar_pairs(p)])
    pairs = ["Notes: " + p if not p.startswith("Notes: ") else p for p in pool.split("\nNotes: ")] if pool else []
    return "\n".join(pairs[:count])
