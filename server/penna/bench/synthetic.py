"""Deterministic synthetic Obsidian-style vaults for benchmarks.

`generate_vault(root, n_notes, seed)` writes exactly `n_notes` Markdown files. The count
*includes* the profile note `About me.md` at the root. A few tiny PNGs go under `Attachments/`;
they are not counted as notes. The same `(n_notes, seed)` gives byte-identical files and the
same mtimes on any machine: every choice comes from one seeded `random.Random`, consumed in a
fixed order, and time is counted back from a fixed `EPOCH`, never from the clock.

The shape is loosely modelled on real vaults (kepano-obsidian, vaultofknowledge):
- ~20% clippings in `Clippings/`. Each has `source` or `url` frontmatter and an impersonal voice.
  Written notes use a first-person voice with contractions, hedges, em-dashes and stances
  ("I think …"), so the read/written split leaves a measurable trace in style statistics.
- ~5% empty stubs, most notes 50–600 words, ~2% long notes of 3–8k words.
- `Daily/<year>/` daily notes, `Projects/<name>/`, nested topic folders under `Notes/`,
  some Unicode names, spaces in most names.
- `[[links]]` are drawn by preferential attachment, so hubs emerge. Some carry `|alias` or
  `#heading`, ~5% point at missing notes, and some are `![[embeds]]` of notes and images.

CLI: `python -m penna.bench.synthetic OUT_DIR --notes N --seed S [--json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

EPOCH = 1748736000  # 2025-06-01T00:00:00Z: the fixed "now" that all mtimes count back from.
DAY = 86400
SPAN = 730 * DAY  # mtimes are spread over the two years before EPOCH.
USER_NAME = "Robin Vale"
PROFILE_TITLE = "About me"
PROFILE_INTRO = (f"I'm {USER_NAME}. I write about ideas, code and cooking, mostly for myself. "
                 "I've always preferred plain sentences to clever ones, and I think most writing "
                 "advice is far too cautious.")
# A valid 1×1 PNG, so image embeds resolve to real files without costing time or space.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)

NOUNS = """draft idea habit system note outline argument essay reader writer sentence paragraph
garden recipe project deadline meeting question answer model pattern principle practice method tool
workflow archive library index memory attention focus routine morning evening journal chapter story
voice tone style metaphor structure rhythm friction constraint feedback review revision budget plan
goal priority decision experiment result hypothesis theory concept framework map territory network
graph database server script function variable interface compiler editor keyboard notebook pencil
coffee walk city train kitchen bread soup season weather river forest mountain community conversation
teacher student lesson skill craft tradition culture history language word meaning context signal
noise boundary rule exception process product market customer team manager strategy risk cost value
quality detail surface depth balance tension contrast""".split()
ADJECTIVES = """quiet small simple careful messy clear vague useful slow fast deep shallow early late
honest strange familiar rough polished practical abstract concrete local remote personal public
private fragile robust gentle sharp loose tight open hidden obvious subtle modest ambitious steady
patient restless curious boring hard easy plain dense sparse warm cold new old good better""".split()
# Regular verbs only, so third-person and past forms can be derived by rule.
VERBS = """shape connect explain change improve reflect support test follow measure question answer
sketch remember outline revise compare collect structure consider describe suggest require reveal
limit borrow organize clarify ignore notice balance frame extend reduce combine link release track
draft publish shift learn need open turn help start finish delay protect replace simplify""".split()
ADVERBS = "slowly quietly usually rarely often clearly mostly simply gradually eventually honestly".split()
PREPOSITIONS = "in for without after with under against before beyond through".split()
STANCES = ["I think", "I've always felt that", "I suspect", "My sense is that", "Honestly,",
           "I keep noticing that", "I'm not sure, but", "It seems to me that", "I'd argue that"]
HEDGE_TAILS = ["at least for now", "or so I suspect", "though I could be wrong", "mostly",
               "which still surprises me", "and that's fine"]
ASIDES = ["at least in my experience", "see below", "this took me years", "probably",
          "not always", "I'm still testing this"]
SHORT_WRITTEN = ["That matters.", "Not always.", "It works, mostly.", "I'm not convinced.",
                 "Worth trying.", "Still true.", "This is the hard part.", "I'll come back to this."]
FORMAL_OPENERS = ["In practice,", "Historically,", "According to recent studies,", "However,",
                  "For most organizations,", "As the author notes,", "In contrast,", "Crucially,"]
REPORTED = ["argued", "suggested", "noted", "observed", "shown"]
HEADINGS = ["Background", "Open questions", "Next steps", "Why it matters", "What I learned",
            "Summary", "Ideas", "References", "Problems", "Examples", "Counterarguments"]
CALLOUTS = ["note", "tip", "warning", "quote", "info", "summary", "NOTE", "question"]
TAGS = ["writing", "ideas", "reading", "philosophy", "programming/python", "programming/rust",
        "cooking", "health/sleep", "health/exercise", "status/draft", "status/done", "area/home",
        "journal", "todo", "evergreen", "music", "travel", "project/penna"]
AUTHORS = ["Mara Ellison", "Tomas Okafor", "Ines Halvorsen", "Priya Raman", "Jonah Whitlock",
           "Lena Marchetti", "Samuel Oduya", "Keiko Tanabe", "Elif Demir", "Joaquín Reyes"]
SITES = ["https://essays.example.org", "https://www.example.com/blog", "https://news.example.net"]
UNICODE_WORDS = ["café", "naïve", "über", "résumé", "smørrebrød", "Zürich", "東京", "Ελλάδα",
                 "façade", "jalapeño", "crème brûlée", "Ångström", "mañana"]
PROJECTS = ["Penna", "Garden redesign", "Thesis", "Cookbook", "Website rebuild", "Novel draft",
            "Home lab", "Reading group", "Podcast", "Course notes", "Kitchen renovation", "Newsletter"]
TOPIC_DIRS = ["Writing craft", "Programming", "Philosophy", "Cooking", "Reading notes", "Réflexions",
              "Health", "Music", "Travel", "Ideas"]
SUB_DIRS = ["Drafts", "Archive", "2024", "Old ideas"]
CODE = {  # Python comments in fences look like headings to a naive parser: a useful edge case.
    "python": "def {v}_{n}({m}):\n    # {v} the {n} before returning it\n    return [x for x in {m} if x]",
    "bash": '# {v} every {n} in the vault\nfind . -name "*.md" | xargs grep -l "{m}"',
    "js": "function {v}({m}) {{\n  // {v} the {n}\n  return {m}.filter(Boolean);\n}}",
    "yaml": "{n}:\n  {m}: true\n  {v}: 3",
}


def _third_person(verb: str) -> str:
    if verb.endswith(("s", "sh", "ch", "x", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _past(verb: str) -> str:
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


AN_WORDS = {w for w in ADJECTIVES if w[0] in "aeiou" and w != "useful"} | {"honest"}
VERBS_S = [_third_person(v) for v in VERBS]
VERBS_ED = [_past(v) for v in VERBS]


def _cap(text: str) -> str:
    """Upper-case the first letter only (str.capitalize would lower-case link targets)."""
    return text[:1].upper() + text[1:]


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


@dataclass
class SyntheticVaultStats:
    """What `generate_vault` wrote, and how long it took."""

    notes: int = 0
    clippings: int = 0
    links: int = 0  # `[[wikilinks]]` in bodies; embeds and frontmatter `author: [[…]]` excluded
    missing_links: int = 0  # of `links`, those pointing at notes that do not exist
    embeds: int = 0  # `![[…]]` of notes and images
    words: int = 0  # whitespace-separated tokens in bodies, frontmatter excluded
    bytes: int = 0  # Markdown only, attachments excluded
    seconds: float = 0.0


@dataclass(slots=True)
class _Plan:
    kind: str  # profile | daily | clipping | project | note | stub
    title: str
    rel: str  # POSIX path relative to the vault root
    words: int
    mtime: int
    created: str
    headings: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # rendered, consumed while writing the body
    embeds: list[str] = field(default_factory=list)


class _Generator:
    """All randomness flows through `self.r` in a fixed order; that is the determinism contract."""

    def __init__(self, n_notes: int, seed: int) -> None:
        self.n = n_notes
        self.r = random.Random(seed)
        self.taken: set[str] = {PROFILE_TITLE.lower()}  # lower-cased: Obsidian matches names loosely
        self.n_images = min(200, max(3, n_notes // 25))
        self.stats = SyntheticVaultStats()
        self.links_left: list[str] = []  # links of the note being written, placed as prose allows
        self.words_left = 0

    def pick(self, seq: list[str]) -> str:
        return seq[int(self.r.random() * len(seq))]  # faster than Random.choice, same determinism

    # -- prose -------------------------------------------------------------------------------
    def np(self, mine: bool = False) -> str:
        r, noun = self.r.random(), self.pick(NOUNS)
        if r < 0.3:
            return "the " + noun
        if r < 0.5:
            adj = self.pick(ADJECTIVES)
            return ("an " if adj in AN_WORDS else "a ") + adj + " " + noun
        if r < 0.65:
            return "the " + self.pick(ADJECTIVES) + " " + noun
        if r < 0.8:
            return f"the {noun} of {self.pick(NOUNS)}"
        return ("my " if mine else "every ") + noun

    def clause(self, obj: str | None = None, mine: bool = False) -> str:
        return f"{self.np(mine)} {self.pick(VERBS_S)} {obj or self.np(mine)}"

    def pp(self) -> str:
        return f"{self.pick(PREPOSITIONS)} {self.np()}"

    def obj(self) -> str | None:
        """Hand out one of the note's pending links, at a rate that spreads them over its body."""
        if self.links_left and self.r.random() * max(self.words_left, 14) < 14 * len(self.links_left):
            return self.links_left.pop()
        return None

    def written_sentence(self) -> str:
        r, obj = self.r.random(), self.obj()
        if r < 0.08 and obj is None:
            return self.pick(SHORT_WRITTEN)
        core = self.clause(obj, mine=True)
        if r < 0.3:
            s = f"{self.pick(STANCES)} {core}"
        elif r < 0.42:
            s = f"{core} — {self.pick(HEDGE_TAILS)}"
        elif r < 0.5:
            s = f"{core} ({self.pick(ASIDES)})"
        elif r < 0.62:
            s = f"{core}, but {self.clause()} {self.pp()}"
        elif r < 0.7:
            s = f"{self.pick(ADVERBS)}, {core}"
        elif r < 0.76:
            return f"Why does {self.np(True)} {self.pick(VERBS)} {obj or self.np()}?"
        elif r < 0.86:
            s = f"{core}, which {self.pick(VERBS_S)} {self.np()} {self.pp()}"
        else:
            s = core
        return _cap(s) + "."

    def read_sentence(self) -> str:
        r, obj = self.r.random(), self.obj()
        core = self.clause(obj)
        if r < 0.2:
            s = f"{self.pick(FORMAL_OPENERS)} {core}"
        elif r < 0.35:
            s = f"{core}; {self.clause()} {self.pp()}"
        elif r < 0.5:
            s = f"{core} {self.pp()}"
        elif r < 0.6:
            year = 1950 + int(self.r.random() * 74)
            s = f"in {year}, {self.np()} {self.pick(VERBS_ED)} {obj or self.np()}"
        elif r < 0.7:
            s = f"researchers have {self.pick(REPORTED)} that {core}"
        elif r < 0.8:
            s = f"{core}, and {self.clause()} {self.pp()} {self.pp()}"
        else:
            s = core
        return _cap(s) + "."

    def sentence(self, voice: str) -> str:
        return self.written_sentence() if voice == "written" else self.read_sentence()

    # -- blocks: each returns Markdown text; word budgets are counted by the caller ----------------
    def paragraph(self, voice: str) -> str:
        n = 1 + int(self.r.random() ** 1.5 * 7)  # mostly short paragraphs, a few long ones
        text = " ".join(self.sentence(voice) for _ in range(n))
        if voice == "written" and self.r.random() < 0.1:
            text += " #" + self.pick(TAGS)  # inline tags trail the sentence they label
        return text

    def bullets(self, voice: str, indent: str) -> str:
        lines, depth, number = [], 0, 0
        numbered = self.r.random() < 0.15
        for i in range(2 + int(self.r.random() * 7)):
            r = self.r.random()
            depth = 0 if i == 0 or r > 0.6 else min(depth + (r < 0.3), 2)
            if numbered and depth == 0:
                number += 1
                marker = f"{number}."
            else:
                marker = "-"
            item = self.sentence(voice) if self.r.random() < 0.5 else _cap(self.obj() or self.np())
            lines.append(f"{indent * depth}{marker} {item}")
        return "\n".join(lines)

    def quote(self) -> str:
        lines = [f"> {self.read_sentence()}" for _ in range(1 + int(self.r.random() * 3))]
        if self.r.random() < 0.4:
            lines.append(f"> — {self.pick(AUTHORS)}")
        return "\n".join(lines)

    def callout(self) -> str:
        fold = "-" if self.r.random() < 0.15 else ""
        title = " " + _cap(self.np()) if self.r.random() < 0.5 else ""
        head = f"> [!{self.pick(CALLOUTS)}]{fold}{title}"
        lines = [f"> {self.written_sentence()}" for _ in range(1 + int(self.r.random() * 3))]
        return "\n".join([head, *lines])

    def code(self) -> str:
        lang = self.pick(list(CODE))
        body = CODE[lang].format(v=self.pick(VERBS), n=self.pick(NOUNS), m=self.pick(NOUNS))
        return f"```{lang}\n{body}\n```"

    def comment(self) -> str:
        if self.r.random() < 0.5:
            return f"%% {self.written_sentence()} %%"
        return f"%%\nTODO: {self.written_sentence()}\n%%"

    def block(self, voice: str, indent: str) -> str:
        r = self.r.random()
        if voice == "read":  # clippings: mostly prose, the odd list or pull quote
            if r < 0.85:
                return self.paragraph(voice)
            return self.bullets(voice, indent) if r < 0.94 else self.quote()
        if r < 0.58:
            return self.paragraph(voice)
        if r < 0.72:
            return self.bullets(voice, indent)
        for limit, make in ((0.78, self.quote), (0.84, self.callout), (0.87, self.code),
                            (0.9, self.comment)):
            if r < limit:
                return make()
        return "---" if r < 0.92 else " ".join("#" + self.pick(TAGS) for _ in range(2))

    # -- notes -------------------------------------------------------------------------------
    def body(self, p: _Plan) -> str:
        if p.kind == "stub":
            return ""
        if p.kind == "daily":
            return self.daily_body(p)
        self.links_left, self.words_left = p.links[::-1], p.words
        voice = "read" if p.kind == "clipping" else "written"
        indent = self.pick(["\t", "\t", "  ", "    "])  # Obsidian defaults to tabs; imports vary
        blocks = [f"# {p.title}"] if p.kind == "profile" or self.r.random() < 0.2 else []
        if p.kind == "profile":
            blocks.append(PROFILE_INTRO)
        per_section = max(1, p.words // (len(p.headings) + 1))
        for i in range(len(p.headings) + 1):
            if i:
                level = "##" if self.r.random() < 0.8 else "###"
                blocks.append(f"{level} {p.headings[i - 1]}")
            budget = per_section
            while budget > 0:
                text = self.block(voice, indent)
                if text == "---" and not blocks:
                    continue  # a leading rule would read as the start of frontmatter
                blocks.append(text)
                n = text.count(" ") + 1
                budget -= n
                self.words_left -= n
            if p.embeds and self.r.random() < 0.5:
                blocks.append(p.embeds.pop())
        blocks.extend(p.embeds)
        if self.links_left:  # whatever prose did not absorb ends up in a "Related" line, as people do
            blocks.append("Related: " + ", ".join(self.links_left))
        return "\n\n".join(blocks) + "\n"

    def daily_body(self, p: _Plan) -> str:
        """A timestamped log, the odd paragraph of reflection, then a task list."""
        self.links_left, self.words_left = p.links[::-1], p.words
        log, hour = [], 7
        while self.words_left > p.words // 4:
            hour, minute = hour + int(self.r.random() * 3), int(self.r.random() * 4) * 15
            text = self.written_sentence() if self.r.random() < 0.8 else self.paragraph("written")
            log.append(f"- {min(hour, 23):02d}:{minute:02d} {text}")
            self.words_left -= text.count(" ") + 2
        tasks = []
        while self.words_left > 0 or self.links_left:
            box = "x" if self.r.random() < 0.6 else " "
            text = f"{_cap(self.pick(VERBS))} {self.obj() or self.np()}"
            tasks.append(f"- [{box}] {text}")
            self.words_left -= text.count(" ") + 3
        blocks = [f"## {p.headings[0]}", "\n".join(log), *p.embeds, f"## {p.headings[1]}", "\n".join(tasks)]
        return "\n\n".join(b for b in blocks if b) + "\n"

    def clipping_fields(self, p: _Plan, r: float) -> list[str]:
        """A web clipper's header: where it came from, who wrote it, when."""
        out = [f"title: {_yaml_str(p.title)}"] if r < 0.5 else []
        slug = "-".join(p.title.lower().split())
        key = "source" if self.r.random() < 0.5 else "url"
        out.append(f"{key}: {_yaml_str(self.pick(SITES) + '/' + slug)}")
        author = self.pick(AUTHORS)
        out.append(f'author:\n  - "[[{author}]]"' if r < 0.5 else f"author: {_yaml_str(author)}")
        out.append(f"published: {_date(EPOCH - int(self.r.random() * 15 * 365) * DAY)}")
        return out

    def frontmatter(self, p: _Plan) -> str:
        r = self.r.random()
        if (p.kind in ("stub", "daily") and r < 0.5) or (p.kind in ("note", "project") and r < 0.12):
            return ""
        out = ["---", *self.clipping_fields(p, r)] if p.kind == "clipping" else ["---"]
        out.append(f"created: {p.created}")
        if p.tags:
            if self.r.random() < 0.5:
                out.append("tags: [" + ", ".join(p.tags) + "]")
            else:
                out.append("tags:\n" + "\n".join(f"  - {t}" for t in p.tags))
        if p.aliases:
            out.append("aliases:\n" + "\n".join(f"  - {_yaml_str(a)}" for a in p.aliases))
        if p.kind in ("note", "project"):
            r = self.r.random()
            if r < 0.05:
                out.append(f"author: {_yaml_str(USER_NAME)}")  # written despite `author`: it's the user
            elif r < 0.15:
                out.append('audience: "newsletter readers"\npurpose: "persuade"')
            if p.kind == "project":
                out.append(f"status: {self.pick(['active', 'paused', 'done'])}")
        return "\n".join(out) + "\n---\n"

    def note(self, p: _Plan) -> str:
        fm, body = self.frontmatter(p), self.body(p)
        if fm and body:
            return fm + "\n" + body
        return fm + body

    # -- planning ----------------------------------------------------------------------------
    def unique(self, make: Callable[[], str]) -> str:
        title = make()
        for _ in range(3):
            if title.lower() not in self.taken:
                break
            title = make()
        base, k = title, 2
        while title.lower() in self.taken:
            title, k = f"{base} {k}", k + 1
        self.taken.add(title.lower())
        return title

    def note_title(self) -> str:
        r, adj, noun, other = self.r.random(), self.pick(ADJECTIVES), self.pick(NOUNS), self.pick(NOUNS)
        if r < 0.02:
            return _cap(f"{self.pick(UNICODE_WORDS)} and the {noun}")
        forms = [f"{adj} {noun}", f"{noun} and {other}", f"on {adj} {noun}", f"notes on the {noun}",
                 f"how to {self.pick(VERBS)} the {noun}", f"{noun} as {other}", f"the {noun} problem",
                 f"why I {self.pick(VERBS)} the {adj} {noun}", f"{noun} versus {other}"]
        return _cap(forms[int(r * len(forms))])

    def clipping_title(self) -> str:
        adj, noun, other = self.pick(ADJECTIVES), self.pick(NOUNS), self.pick(NOUNS)
        forms = [f"The {adj} {noun} of {other}", f"How {noun} {self.pick(VERBS_S)} {other}",
                 f"Why {adj} {noun} matters", f"A field guide to {adj} {noun}",
                 f"What we get wrong about {noun}", f"In defense of {adj} {noun}"]
        small = {"of", "to", "about", "a", "the", "in"}
        words = self.pick(forms).split()
        return " ".join([_cap(words[0])] + [w if w in small else _cap(w) for w in words[1:]])

    def kinds(self) -> list[str]:
        """The profile first, then a shuffled mix in fixed proportions."""
        n, quotas = self.n, []
        left = n - 1
        for kind, share in (("clipping", 0.2), ("daily", 0.12), ("stub", 0.05), ("project", 0.13)):
            k = min(left, round(share * n), 730 if kind == "daily" else n)  # ≤ one daily note a day
            quotas += [kind] * k
            left -= k
        quotas += ["note"] * left
        self.r.shuffle(quotas)
        return ["profile", *quotas]

    def words_for(self, kind: str) -> int:
        r = self.r.random()
        if kind == "stub":
            return 0
        if kind == "daily":
            return min(300, max(10, int(self.r.lognormvariate(4.1, 0.7))))
        if kind == "profile":
            return 350
        if r < 0.02:  # the heavy tail: long essays and long-read clippings
            return 3000 + int(self.r.random() * 5000)
        return min(2500, max(50, int(self.r.lognormvariate(5.3, 0.85))))  # median ≈ 200 words

    def plan(self, kind: str, daily_days: list[int]) -> _Plan:
        age = int(SPAN * self.r.random() ** 1.6)  # skewed to recent edits, as in real vaults
        mtime = EPOCH - age
        words = self.words_for(kind)
        if kind == "daily":
            day = EPOCH - (daily_days.pop() + 1) * DAY
            mtime, title = day + 18 * 3600 + int(self.r.random() * 5 * 3600), _date(day)
            self.taken.add(title)
            return _Plan(kind, title, f"Daily/{title[:4]}/{title}.md", words, mtime, title,
                         headings=["Log", "Tasks"], tags=["daily"])
        created = _date(mtime - int(self.r.random() * (SPAN - age) * 0.7))
        if kind == "profile":
            return _Plan(kind, PROFILE_TITLE, f"{PROFILE_TITLE}.md", words, EPOCH - 30 * DAY, created,
                         headings=["Background", "What I care about", "How I write"],
                         aliases=["me", USER_NAME], tags=["profile"])
        title = self.unique(self.clipping_title if kind == "clipping" else self.note_title)
        p = _Plan(kind, title, "", words, mtime, created)
        p.rel = self.folder(kind) + title + ".md"
        n_heads = int(words / 300 * (0.5 + self.r.random()))
        p.headings = list(dict.fromkeys(self.heading() for _ in range(min(n_heads, 12))))
        if kind == "clipping":
            p.tags = ["clippings"] if self.r.random() < 0.4 else []
        else:
            p.tags = [self.pick(TAGS) for _ in range(int(self.r.random() * 4))]
            if self.r.random() < 0.15:
                p.aliases = [title.lower(), "".join(w[0] for w in title.split()).upper()]
        return p

    def folder(self, kind: str) -> str:
        r = self.r.random()
        if kind == "clipping":
            return "Clippings/"
        if kind == "project":
            n_projects = min(40, max(2, self.n // 150))
            k = int(self.r.random() ** 2 * n_projects)  # a few big projects, many small ones
            name = PROJECTS[k] if k < len(PROJECTS) else f"{_cap(ADJECTIVES[k])} {NOUNS[k]} project"
            return f"Projects/{name}/"
        if r < 0.1:
            return ""
        if r < 0.65:
            return "Notes/"
        topic = self.pick(TOPIC_DIRS)
        return f"Notes/{topic}/{self.pick(SUB_DIRS)}/" if r < 0.72 else f"Notes/{topic}/"

    def heading(self) -> str:
        r = self.r.random()
        if r < 0.5:
            return self.pick(HEADINGS)
        if r < 0.8:
            return _cap(f"{self.pick(ADJECTIVES)} {self.pick(NOUNS)}")
        return f"On the {self.pick(NOUNS)}"

    def link(self, t: _Plan) -> str:
        r = self.r.random()
        if r < 0.1 and t.aliases:
            return f"[[{t.title}|{self.pick(t.aliases)}]]"
        if r < 0.18:
            return f"[[{t.title}|{self.np()}]]"
        if r < 0.28 and t.headings:
            return f"[[{t.title}#{self.pick(t.headings)}]]"
        return f"[[{t.title}]]"

    def out_degree(self, p: _Plan) -> int:
        r = self.r.random()
        if p.kind == "profile":
            return 6
        if p.kind == "daily":
            return min(8, int(self.r.expovariate(0.6)))
        if p.kind == "clipping":
            return 1 if r < 0.3 else 0
        if p.kind == "stub":
            return 0
        return min(80, round(p.words / 110 * (0.4 + 1.2 * r)))

    def wire(self, plans: list[_Plan]) -> None:
        """Preferential attachment: each link target joins the pool again, so the linked get linked."""
        n = len(plans)
        pool = list(range(n))
        for _ in range(max(3, n // 150)):  # seed hubs (MOCs, key concepts) with extra weight
            pool += [int(self.r.random() * n)] * 20
        ghosts = [self.unique(self.note_title) for _ in range(max(5, n // 50))]
        for i, p in enumerate(plans):
            for _ in range(self.out_degree(p)):
                if self.r.random() < 0.05:
                    p.links.append(f"[[{self.pick(ghosts)}]]")
                    self.stats.missing_links += 1
                    continue
                t = pool[int(self.r.random() * len(pool))]
                if t != i:  # self-links are rare in real vaults; just drop the draw
                    pool.append(t)
                    p.links.append(self.link(plans[t]))
            if p.kind in ("note", "project", "daily") and self.r.random() < 0.2:
                pic = f"pic-{1 + int(self.r.random() * self.n_images):03d}.png"
                p.embeds.append(f"![[{pic}|400]]" if self.r.random() < 0.3 else f"![[{pic}]]")
            if p.kind in ("note", "project") and self.r.random() < 0.05:
                shown = plans[pool[int(self.r.random() * len(pool))]]
                p.embeds.append("!" + (f"[[{shown.title}#{shown.headings[0]}]]" if shown.headings
                                       else f"[[{shown.title}]]"))
            self.stats.links += len(p.links)
            self.stats.embeds += len(p.embeds)

    def run(self, root: Path) -> SyntheticVaultStats:
        kinds = self.kinds()
        daily_days = self.r.sample(range(730), kinds.count("daily"))
        plans = [self.plan(kind, daily_days) for kind in kinds]
        self.wire(plans)
        made: set[Path] = set()
        for p in plans:
            data = self.note(p).encode("utf-8")
            path = root / p.rel
            if path.parent not in made:  # one mkdir per folder, not per note
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            path.write_bytes(data)
            os.utime(path, (p.mtime, p.mtime))
            body = data.split(b"\n---\n", 1)[1] if data.startswith(b"---\n") else data
            self.stats.words += len(body.split())
            self.stats.bytes += len(data)
        self.stats.notes = len(plans)
        self.stats.clippings = kinds.count("clipping")
        attachments = root / "Attachments"
        attachments.mkdir(exist_ok=True)
        for k in range(1, self.n_images + 1):
            pic = attachments / f"pic-{k:03d}.png"
            pic.write_bytes(PNG)
            os.utime(pic, (EPOCH - k * DAY, EPOCH - k * DAY))
        return self.stats


def generate_vault(root: Path, n_notes: int, seed: int = 0) -> SyntheticVaultStats:
    """Write a synthetic vault of `n_notes` notes (including `About me.md`) into `root`.

    `root` may be missing or empty. A non-empty `root` raises FileExistsError: leftovers from
    another run would spoil the counts, and this should never write over someone's real vault.
    """
    if n_notes < 1:
        raise ValueError("n_notes must be at least 1 (the profile note)")
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    root.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    stats = _Generator(n_notes, seed).run(root)
    stats.seconds = round(time.perf_counter() - start, 3)
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m penna.bench.synthetic",
                                     description="Generate a deterministic synthetic notes vault.")
    parser.add_argument("out_dir", type=Path, help="missing or empty directory to write into")
    parser.add_argument("--notes", type=int, default=1000, help="number of notes, profile included")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the stats as JSON")
    args = parser.parse_args(argv)
    try:
        stats = generate_vault(args.out_dir, args.notes, args.seed)
    except (FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(asdict(stats)))
    else:
        for key, value in asdict(stats).items():
            print(f"{key:>14}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
