"""The systems compared: the same model, seed and bullets, three ways of prompting it.

- `nocontext`: the bullets and a plain instruction, one paragraph at once.
- `rag`: the top BM25 passages of the vault, then the same instruction and bullets, one prompt
  for the whole paragraph (what common note plugins do).
- `penna`: `Engine.generate("expand", None, bullets)` with the full 4P context.

The first two are document-style prompts ("Notes: … Paragraph:"), since the default model is a
base model; both get the same length allowance as penna (a few tokens per bullet word), three
tries (seeds) against an empty answer, and the same cleanup, with an answer in bullets or short
blocks joined into one paragraph, so every word the model wrote is measured.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from penna.engine import Engine
from penna.knowledge.items import query_terms
from penna.writing.backend import Backend
from penna.writing.cleanup import clean_paragraph

PREAMBLE = "Below are notes, then a paragraph that writes them out in full sentences.\n\n"
PARAGRAPH_STOP = ["Notes:", "Paragraph:", "\n#", "\n\n\n"]
RAG_PASSAGES = 12
RAG_SHARE = 0.25  # of n_ctx, as penna's own propositional section
RETRIES = 3  # an empty output is retried with the next seed, as penna does
LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


@dataclass
class System:
    name: str
    write: Callable[[str, int], str]  # (bullets text, seed) → prose
    describe: str


def length_allowance(bullets: Sequence[str], cap: int) -> int:
    """Tokens for a paragraph: what penna allows per sentence, summed over the bullets."""
    return min(cap, sum(max(12, min(90, 14 + 4 * len(b.split()))) for b in bullets))


def instruction(bullets_text: str) -> str:
    """A document a base model continues with a paragraph (a heading-style instruction made the
    default model answer with nothing or with more bullets)."""
    return f"Notes:\n{bullets_text}\n\nParagraph:"


def as_prose(raw: str) -> str:
    """What the model wrote, as one paragraph: a small base model often answers in bullets or
    several short blocks; its words count, so list markers and headings go and lines join."""
    lines = []
    for raw_line in raw.splitlines():
        if raw_line.lstrip().startswith(("#", "```")):
            continue
        line = LIST_MARKER.sub("", raw_line).strip()
        if line:
            lines.append(line if re.search(r"[.!?…:;,]$", line) else line + ".")
    return clean_paragraph(" ".join(lines))


def _complete(model: Backend, prompt: str, *, max_tokens: int, temperature: float, seed: int) -> str:
    text = ""
    for attempt in range(RETRIES):
        raw = "".join(model.stream(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed + attempt,
                                   stop=PARAGRAPH_STOP))
        text = as_prose(raw)
        if text:
            break
    return text


def _bullets(bullets_text: str) -> list[str]:
    return [line[2:] for line in bullets_text.splitlines() if line.startswith("- ")]


def no_context(engine: Engine) -> System:
    settings = engine.settings

    def write(bullets_text: str, seed: int) -> str:
        prompt = PREAMBLE + instruction(bullets_text)
        max_tokens = length_allowance(_bullets(bullets_text), settings.max_tokens)
        return _complete(engine.model(), prompt, max_tokens=max_tokens, temperature=settings.temperature, seed=seed)

    return System("nocontext", write, "bullets + a plain instruction")


def rag_passages(engine: Engine, bullets_text: str, budget: int) -> list[str]:
    """The best BM25 passages for the bullets, at most two per note, while they fit `budget` tokens."""
    model = engine.model()
    rendered: list[str] = []
    used = 0
    per_note: dict[str, int] = {}
    for hit in engine.index.search(query_terms(bullets_text), limit=RAG_PASSAGES * 3):
        if per_note.get(hit.path, 0) >= 2:
            continue
        text = f"From “{hit.title}”:\n{hit.text}"
        cost = model.count(text) + 2
        if used + cost > budget:
            continue
        per_note[hit.path] = per_note.get(hit.path, 0) + 1
        rendered.append(text)
        used += cost
        if len(rendered) >= RAG_PASSAGES:
            break
    return rendered


def rag_only(engine: Engine) -> System:
    settings = engine.settings

    def write(bullets_text: str, seed: int) -> str:
        passages = rag_passages(engine, bullets_text, int(settings.n_ctx * RAG_SHARE))
        context = "Excerpts from my notes:\n\n" + "\n\n".join(passages) + "\n\n" if passages else ""
        prompt = context + PREAMBLE + instruction(bullets_text)
        max_tokens = length_allowance(_bullets(bullets_text), settings.max_tokens)
        return _complete(engine.model(), prompt, max_tokens=max_tokens, temperature=settings.temperature, seed=seed)

    return System("rag", write, "top BM25 vault passages + bullets, one prompt")


def penna(engine: Engine, candidates: int) -> System:
    def write(bullets_text: str, seed: int) -> str:
        return engine.generate("expand", None, bullets_text, candidates=candidates, seed=seed).texts[0]

    return System("penna", write, "full 4P context, sentence by sentence (bridged with a local model; "
                                  f"{candidates} candidate(s) per free sentence)")


BUILDERS: dict[str, Callable[[Engine, int], System]] = {
    "nocontext": lambda engine, _k: no_context(engine),
    "rag": lambda engine, _k: rag_only(engine),
    "penna": penna,
}
