"""Choosing a sentence a writer would keep, from several candidates for one note.

A candidate is judged in the order a writer judges it:
1. meaning: it says what the note says (`writing/meaning.py`: nothing dropped, no claim word
   added or lost, few words added);
2. grammar: few words Link Grammar cannot link (`writing/grammar.py`), compared with the other
   candidates for the same note, never with the model's own scores;
3. not pasted from the vault or the prompt, and not a repeat of the paragraph so far;
4. prose rather than the note given back word for word;
5. voice: the author's sentence lengths and small-word habits (`voice_score`).

Earlier criteria decide; later ones only break ties. A restoration that fails only on grammar may
be mended first (`mend`): the parser chooses among the model's own next-best fillings. The note
itself, as a sentence, is always a candidate, so a note is never lost and a worse sentence never
beats it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from penna.knowledge.style import StyleProfile, function_word_set
from penna.vault.text import words
from penna.writing import grammar, meaning
from penna.writing.backend import ModelError
from penna.writing.bridge import (
    ALTERNATIVE_MARGIN,
    AUXILIARIES,
    COORDINATORS,
    DETERMINERS,
    PREPOSITIONS,
    SUBJECTS,
    Restoration,
    Switch,
    contract,
    fits,
    note_words,
)
from penna.writing.cleanup import COPY_RUN_LIMIT, longest_shared_run
from penna.writing.meaning import Verdict, judge

REPEAT_RUN_LIMIT = 6  # words in a row shared with a sentence already written: a repetition
UNKNOWN_GRAMMAR = 1  # unattached words assumed for a sentence the parser could not judge
VOICE_STEP = 0.1  # voice scores closer than this are a tie: the earlier candidate, with fewer guesses, wins
ECHO_GRAMMAR = 1  # unattached words charged to a note given back as it is (see grammar_rank)
# How much likelier (nats) the model must find a restoration's variant, read as a whole sentence,
# for it to replace the restoration (`likelier`).
WHOLE_SENTENCE_MARGIN = 1.0
# What a note leaves out and a whole-sentence reading may put back: articles and auxiliaries
# ("Boy named John [was] recruited by [the] Boss").
PUT_BACK = frozenset("a an the is are was were am be been has have had".split())
MENDING_VARIANTS = 10  # a restoration's variants read by the grammar per round (two rounds), least costly first
# A note's passive with its auxiliary left out ("Boss sent on a mission", "Snake ordered to kill"):
# before a past participle that follows a noun, these are offered to the whole-sentence reading
# even where the restoring search never weighed them.
AUXILIARIES_BEFORE_PARTICIPLE = ("was", "were", "is", "are")
IRREGULAR_PARTICIPLES = frozenset(
    "sent made given taken known found built told held done seen written shown born brought bought caught "
    "taught thought kept left lost meant paid sold spent stuck struck won become begun broken chosen driven "
    "eaten fallen forgotten frozen hidden spoken stolen worn drawn grown thrown flown blown".split())
NOT_PARTICIPLES = frozenset("speed indeed hundred embed exceed proceed succeed bleed breed greed creed steed "
                            "hatred kindred sacred naked wicked wretched rugged ragged crooked".split())
PARTICIPLE_GAPS = 3  # participles offered auxiliaries per sentence, the first ones (4 sentences scored each)
# A note's noun with its article left out ("boy named John", "make her scapegoat", "fired nuclear
# warhead"): before a note word that could open a noun phrase, "a"/"an" and "the" are offered to the
# whole-sentence reading, for the first `ARTICLE_GAPS` such words (2 sentences scored each).
ARTICLE_GAPS = 4
# After these a note word already has its determiner, or is no noun ("they developed", "to make");
# "her" may be an object ("make her [a] scapegoat").
NO_ARTICLE_AFTER = DETERMINERS - {"her"} | meaning.QUANTIFIERS | meaning.NUMBER_WORDS | frozenset(
    "a an the i we they he she who to very whose".split())
# "'s" for "is", not a possessive: "it's [a] problem".
IS_CONTRACTED = frozenset("it's that's there's here's what's who's he's she's".split())
# Put-backs taken one after another in one sentence, each read whole against the sentence before it
# ("[A] boy named John [was] recruited by Boss").
PUT_BACK_ROUNDS = 3
# A sentence may need a clause's joint back, not a word of the note's phrase: a coordinator after
# a comma that runs two clauses together ("…wrapped in parentheses, [so] no tokens need…"), offered
# where the parser reads each side as a clause, or a subject and verb before a note that opens
# with no verb ("[It's] useful in practice…"), offered only where the parser misreads the sentence
# and taken only where it then reads better (`clause_put_backs`).
SPLICE_JOINERS = ("and", "so", "but")
# Read whole, a sentence with two more words is less likely for them alone: an opening subject and
# verb that mends the parse is taken while it costs less than this minus `WHOLE_SENTENCE_MARGIN`
# ("[This is] the argument to chkstk." read 1.5 nats less likely than the fragment).
OPENER_ALLOWANCE = 3.0
# A word for a note's comma that mends the parse (a fragment read as one: "Crumb, dense and sour.")
# is taken while it costs less than this minus `WHOLE_SENTENCE_MARGIN`: the model barely tells
# "Crumb is dense and sour." (0.35 nats less likely) from the fragment, and the parser does.
COMMA_ALLOWANCE = 2.0
# A put-back the model reads as likelier may leave this many more words unattached: on the full E32
# reading, the parser's count did not tell the sentences readers kept from those they did not
# (AUC 0.49, docs/voice-sheets/e36/judges.py), and the only put-backs it refused over 40 paragraphs
# were the author's own repairs ("[I don't] bother with inline", "Hindus were [a] low and inferior
# race"). An opening subject and verb must still mend the parse.
PARSE_SLACK = 1
ARTICLES = frozenset({"a", "an", "the"})
# A writer's note puts a comma where the sentence has a word: "wet dough, more like paste" for
# "the dough is more like a paste", "bake hot, let rest" for "bake it hot and let it rest". The
# comma may give way to "is" after the note's opening noun phrase, or to "and" between a clause
# and a subjectless one (`comma_put_backs`).
COMMA_SUBJECT_WORDS = 3
LIST_ITEM_WORDS = 2  # a part this short between two commas is a list's item or an aside, not a predicate
# A note that tells of the past takes the past form of an auxiliary the search added in the
# present (`past_tense_offers`) and of a comma's verb.
# "Last" dates a note only before one of `TIMES` ("last year", not "last fold").
PAST_MARKERS = frozenset("yesterday ago previously formerly".split())
TIMES = frozenset("year week night month summer winter spring autumn weekend time monday tuesday wednesday "
                  "thursday friday saturday sunday".split())
# Past forms that are no participle, so never an adjective ("flour left", "kept cold" are not).
IRREGULAR_PAST = frozenset(
    "was were did went came gave took ate drank ran saw broke chose drove fell forgot froze grew hid rode rose shook "
    "spoke stole threw woke wore wrote began".split())
# After these a word in "-ed" is a past verb ("I raised", "she killed"), not an adjective ("seeded loaf").
PAST_SUBJECTS = frozenset("i we he she they".split())
PAST_FORMS = {"is": "was", "are": "were", "has": "had", "have": "had", "am": "was"}
CLAUSE_OPENERS = (("it's", "it is"), ("that's", "that is"), ("this is", "this is"))
# A clause a note opens on a bare negation has lost its subject with its "do" ("not bother with
# inline" for "I don't bother…"): "I" is offered back, with "do" or "did" before "not"
# (`subject_put_backs`), where the author writes "I".
NEGATION_OPENINGS = frozenset({"not", "never"})
DO_FORMS = frozenset({"do", "did"})  # "does" has a third person's subject left out: no "I" for it
# After "not" these open a noun phrase or name a person ("trust hands, not the clock", "I, not
# you"): a contrast, no clause.
NO_SUBJECT_BEFORE = ARTICLES | DETERMINERS | SUBJECTS | PREPOSITIONS | frozenset(
    "me him her us them only just even because so but and or".split())
# A part after a comma that opens with these is no clause run on ("…, which ensures…").
SUBORDINATORS = frozenset(
    "if when whenever while because though although unless until since as once whether after before".split())
NO_JOINER_BEFORE = PREPOSITIONS | SUBORDINATORS | frozenset(
    "and or but so yet nor which who whom whose that where like then not".split())
# A note that opens with these has its clause's opening, or one a subject and verb cannot precede.
NO_OPENER_BEFORE = SUBORDINATORS | COORDINATORS | SUBJECTS | AUXILIARIES | meaning.MODALS | frozenset(
    "i me him her us them who whom whose which what why how where there here to do does did".split())
# After these a past form is active ("they developed") or already has its auxiliary ("was sent").
NO_AUXILIARY_AFTER = PUT_BACK | PREPOSITIONS | AUXILIARIES | frozenset(
    "i you we they he she it who that which there this these those to not never and or but so then also just only "
    "being get got gets will would can could shall should may might must".split())


@dataclass
class Assessment:
    text: str
    note: str
    origin: str  # "restore", "model", "note" or "edit": where the candidate came from
    verdict: Verdict
    unattached: int | None
    pasted: bool
    repeated: bool
    voice: float = 0.0  # higher is closer to the author (tie-breaker only)
    switches: tuple[Switch, ...] = ()  # a restoration's gaps switched to reach this text (`mend`)

    @property
    def grammar_rank(self) -> int:
        found = UNKNOWN_GRAMMAR if self.unattached is None else self.unattached
        # Link Grammar reads a bare singular noun as a mass noun, so it does not see the articles
        # and verbs a note leaves out: a note given back is charged for them.
        return found + (ECHO_GRAMMAR if self.echo and self.origin in ("note", "model") else 0)

    @property
    def echo(self) -> bool:
        """The note given back word for word: keepable perhaps, but not prose written from it."""
        return self.origin == "note" or not set(words(self.text)) - set(words(self.note))

    @property
    def sound(self) -> bool:
        """Says what the note says, and is neither pasted from the vault nor a repetition."""
        return self.verdict.faithful and not self.pasted and not self.repeated

    @property
    def keepable(self) -> bool:
        """Good enough to take at once, without looking for a better one."""
        return self.sound and (self.unattached == 0 or (self.unattached is None and not grammar.available()))

    def key(self) -> tuple[float, ...]:
        """Sort key: smaller is better."""
        return (float(self.pasted or self.repeated), float(self.verdict.faults), float(self.grammar_rank),
                float(self.echo), -round(self.voice / VOICE_STEP), float(self.origin == "note"))


def as_sentence(note: str) -> str:
    """The note itself, written as a sentence: a capital, a full stop, and its days and months
    spelt as names."""
    text = note.strip().rstrip(",;:—–-").strip()
    if not text:
        return ""
    if text[0].islower():
        text = text[0].upper() + text[1:]
    return contract(text if text.endswith((".", "!", "?", "…")) else text + ".", ())


def assess(note: str, text: str, origin: str, *, sources: Sequence[str], before: Sequence[str],
           voice: float = 0.0) -> Assessment:
    pasted = bool(sources) and longest_shared_run(text, sources) >= COPY_RUN_LIMIT and origin != "note"
    again = bool(before) and longest_shared_run(text, before) >= min(REPEAT_RUN_LIMIT, max(3, len(words(note))))
    repeated = again or (stutters(text) and not stutters(note))
    return Assessment(text, note, origin, judge(note, text), grammar.unattached(text), pasted, repeated, voice)


def stutters(text: str, run: int = 2) -> bool:
    """A run of `run` or more words said twice in a row ("that she had that she had")."""
    found = words(text)
    for size in range(run, len(found) // 2 + 1):
        for start in range(len(found) - 2 * size + 1):
            if found[start:start + size] == found[start + size:start + 2 * size]:
                return True
    return False


def best(candidates: Sequence[Assessment]) -> Assessment:
    return min(candidates, key=lambda a: a.key())


def likelier(restoration: Restoration, first: Assessment, scores: Callable[[Sequence[str]], list[float]],
             judge: Callable[[str], Assessment], alone: Callable[[Sequence[str]], list[float]] | None = None,
             ) -> tuple[Restoration, tuple[Switch, ...]]:
    """The gaps to switch where each switch only puts back an article or an auxiliary the note
    left out, a clause's joint (`clause_put_backs`) or its subject (`subject_put_backs`), and the
    model, reading the whole sentence (`scores`: each text's log-probability after the prompt),
    finds that version likelier by `WHOLE_SENTENCE_MARGIN`. "Boss [ ] sent on"
    is scored, while restoring, with only the next word ahead, and bare "sent" wins there; "Boss
    was sent on a double-agent mission…" is the likelier sentence. Offered: the model's own
    next-best fillings that put one back, an auxiliary before a past participle that follows a
    noun (`participle_put_backs`), an article before a word that could open a noun phrase
    (`article_put_backs`), a clause's joint, the subject of a clause that opens on a bare
    negation (`subject_put_backs`), a word in place of a note's comma (`comma_put_backs`; also
    read by `alone`, after the author's pairs without the paragraph so far, and taken where either
    reading finds it likelier) and an added auxiliary's past form where the note tells of the past
    (`past_tense_offers`). Other switches are not offered: read whole, the model preferred them
    about as often wrongly as rightly (E23 in docs/voice.md). Taken only if it still says what the
    note says and parses no more than `PARSE_SLACK` words worse than the sentence before it and
    than `first`, the restoration judged; then the other gaps are offered again, for
    `PUT_BACK_ROUNDS` rounds. An opening subject and verb must mend the parse, and then needs only
    to cost less than `OPENER_ALLOWANCE` - `WHOLE_SENTENCE_MARGIN` nats; a comma's word that mends
    it, less than `COMMA_ALLOWANCE` - `WHOLE_SENTENCE_MARGIN`.
    Returns the restoration (with the offered fillings among its gaps' alternatives, when one was
    taken) and the switches; none (`()`) when nothing was taken."""
    source, current = restoration, first
    taken: tuple[Switch, ...] = ()
    promising: set[Proposal] | None = None
    for _round in range(PUT_BACK_ROUNDS):
        try:
            step = _put_back_once(source, taken, current, scores, judge, promising, first.grammar_rank, alone)
        except ModelError:  # the window is full: the put-backs taken so far stand
            if not taken:
                raise
            break
        if step is None:
            break
        source, taken, current, promising = step
    return (source, taken) if taken else (restoration, ())


Offer = tuple[int, tuple[str, ...]]  # a gap and a filling for it
Proposal = tuple[Offer, ...]  # the fillings one put-back makes: one, or two where a comma gives way to a word


def _put_back_once(restoration: Restoration, taken: tuple[Switch, ...], current: Assessment,
                   scores: Callable[[Sequence[str]], list[float]], judge: Callable[[str], Assessment],
                   promising: set[Proposal] | None, first_rank: int,
                   alone: Callable[[Sequence[str]], list[float]] | None = None,
                   ) -> tuple[Restoration, tuple[Switch, ...], Assessment, set[Proposal]] | None:
    """One more put-back on `restoration` with `taken` switched (`current`, judged), or None; with
    the offers that read likelier than `current` (or, for one that may mend the parse, less likely
    by no more than its allowance allows) without being taken. After the first round only
    those (`promising`) are offered again: a put-back the model found less likely than the sentence
    without it does not become likelier because another gap changed. `first_rank`: the
    restoration's own grammar rank, which the put-backs together may worsen by `PARSE_SLACK` at most."""
    busy = {gap for gap, _ in taken}
    note = note_words(current.note) or []
    repairs = clause_put_backs(restoration, note, taken, busy,
                               misread=current.unattached is not None and current.grammar_rank > 0)
    commas = comma_put_backs(restoration, note, taken, busy)
    offered = _offers(restoration, taken, note, busy, repairs, commas)
    if promising is not None:
        offered = [offer for offer in offered if offer[2] in promising]
    if not offered:
        return None
    texts = [source.switched(switches) for source, switches, _ in offered]
    found = scores([current.text, *texts])
    gains = [score - found[0] for score in found[1:]]
    # A comma's word is also read after the author's pairs alone: penna's own sentences before it,
    # fragments kept from earlier notes, make the next fragment likelier ("Wet dough is more like a
    # paste…" read 3.4 nats likelier on its own, 0.2 less likely after "Rye, no gluten, never…").
    at_commas = [index for index, (_, _, proposal) in enumerate(offered) if proposal in commas]
    if alone is not None and at_commas:
        plain = alone([current.text, *(texts[index] for index in at_commas)])
        for index, score in zip(at_commas, plain[1:], strict=True):
            gains[index] = max(gains[index], score - plain[0])

    def allowance(proposal: Proposal) -> float:
        """How much less likely than the margin asks `proposal` may read, if it mends the parse."""
        return OPENER_ALLOWANCE if _opening(proposal, repairs) else COMMA_ALLOWANCE if proposal in commas else 0.0

    ranked = sorted(zip(gains, texts, offered, strict=True), key=lambda candidate: candidate[0], reverse=True)
    for gain, text, (source, switches, proposal) in ranked:
        if gain < WHOLE_SENTENCE_MARGIN - OPENER_ALLOWANCE:
            break
        mending = gain < WHOLE_SENTENCE_MARGIN
        if mending and gain < WHOLE_SENTENCE_MARGIN - allowance(proposal):
            continue
        judged = judge(text)
        opening = _opening(proposal, repairs)
        # Only the parser speaks for a comma's word below the margin: it must have judged it.
        if _acceptable(judged, current, first_rank, must_mend=mending or opening, proven=mending and not opening):
            # Kept for the next round: what read likelier than this sentence (what may read less
            # likely, if it mends), on gaps this put-back left alone.
            changed = {gap for gap, _ in proposal}
            again = {other for value, _, (_, _, other) in ranked if not changed & {gap for gap, _ in other}
                     and value > -max(0.0, allowance(other) - WHOLE_SENTENCE_MARGIN)}
            return source, switches, judged, again
    return None


def _offers(restoration: Restoration, taken: tuple[Switch, ...], note: Sequence[str], busy: set[int],
            repairs: Sequence[Offer], commas: Sequence[Proposal],
            ) -> list[tuple[Restoration, tuple[Switch, ...], Proposal]]:
    """Every put-back offered (see `likelier`): the restoration with the offered fillings among
    its gaps' alternatives, the switches to them after `taken`, and the proposal."""
    spent = restoration.loss(taken)
    offered: list[tuple[Restoration, tuple[Switch, ...], Proposal]] = [
        (restoration, v.switches, _searched(restoration, v.switches[-1]))
        for v in restoration.variants(taken) if v.loss - spent <= ALTERNATIVE_MARGIN
        and restoration.puts_back(v.switches[-1], PUT_BACK)][:MENDING_VARIANTS]
    proposed = {restoration.switched(switches) for _, switches, _ in offered}
    single = [*participle_put_backs(restoration, busy), *article_put_backs(restoration, note, busy),
              *repairs, *subject_put_backs(restoration, note, taken, busy), *past_tense_offers(restoration, note, busy)]
    for fillings in [*((offer,) for offer in single), *commas]:
        extended, switches = restoration, taken
        for gap, fill in fillings:
            extended, switch = extended.offering(gap, fill)
            switches = (*switches, switch)
        if extended.switched(switches) not in proposed:  # the search's own "was" is scored once
            proposed.add(extended.switched(switches))
            offered.append((extended, switches, fillings))
    return offered


def _acceptable(judged: Assessment, current: Assessment, first_rank: int, *, must_mend: bool,
                proven: bool) -> bool:
    """Whether a put-back judged `judged` may replace `current`: it says what the note says and
    parses no more than `PARSE_SLACK` words worse than `current` and than the restoration first
    judged (`first_rank`), nor worse where the parser could not judge it; where it `must_mend`
    (an opening clause, or one taken below the margin), it parses better (an unjudged parse counts
    as `UNKNOWN_GRAMMAR` words), and where it must be `proven`, the parser judged it."""
    limit = current.grammar_rank - 1 if must_mend else min(current.grammar_rank, first_rank) + PARSE_SLACK
    unjudged_worse = judged.unattached is None and judged.grammar_rank > current.grammar_rank
    return (judged.sound and judged.grammar_rank <= limit and not unjudged_worse
            and (not proven or judged.unattached is not None))


def _searched(restoration: Restoration, switch: Switch) -> Proposal:
    """The proposal a switch to one of the search's own alternatives makes."""
    gap, choice = switch
    return ((gap, restoration.gaps[gap].others[choice][0]),)


def _opening(proposal: Proposal, repairs: Sequence[Offer]) -> bool:
    """Whether `proposal` is an opening subject and verb (`clause_put_backs` at gap 0)."""
    return len(proposal) == 1 and proposal[0] in repairs and proposal[0][0] == 0


def article_put_backs(restoration: Restoration, note: Sequence[str],
                      busy: set[int] | frozenset[int] = frozenset()) -> list[Offer]:
    """(gap, filling) for "a"/"an" (by the word's spelling; not before a plural) and "the" put
    before a note word that could open a noun phrase (`_takes_article`; `note`: the note's words,
    for their case); at a sentence's opening the word goes into lower case ("Boy named John…" →
    "A boy named John…"). For the first `ARTICLE_GAPS` such words, skipping the gaps in `busy`."""
    found: list[Offer] = []
    gaps = restoration.gaps
    for index in range(min(len(gaps), len(note))):
        if index in busy or not _takes_article(restoration, index, note[index]):
            continue
        bare = note[index].lower()
        plural = bare.endswith("s") and not bare.endswith(("ss", "us", "is"))
        written = gaps[index].written
        word = written[-1].lstrip()
        lead = written[-1][:len(written[-1]) - len(word)]
        for article in ["the"] if plural else ["an" if fits("an", bare) else "a", "the"]:
            if index == 0:
                found.append((index, (lead + article.capitalize(), " " + word[:1].lower() + word[1:])))
            else:
                found.append((index, (*written[:-1], " " + article, written[-1])))
        if len({gap for gap, _ in found}) == ARTICLE_GAPS:
            break
    return found


def clause_put_backs(restoration: Restoration, note: Sequence[str], taken: tuple[Switch, ...],
                     busy: set[int] | frozenset[int] = frozenset(), *, misread: bool = False) -> list[Offer]:
    """(gap, filling) that give a sentence a clause's joint back (`SPLICE_JOINERS`,
    `CLAUSE_OPENERS`). A coordinator where a comma runs one clause on into another: the search
    added nothing but an article before the note word after the comma, that word opens no phrase or clause of its
    own (`NO_JOINER_BEFORE`), the sentence does not open with a subordinate clause ("If you…, you…"),
    and the parser reads the part before the comma and the part after it each as a clause. And,
    where the parser reads the sentence badly (`misread`), at its opening (nothing added before the
    note's first word but an article, and that word, written in lower case in the note, opens no
    clause of its own: `NO_OPENER_BEFORE`) a subject and verb ("it's" where the author writes it
    so, else "it is"). `taken`: the switches made so far; skipping the gaps in `busy`."""
    found: list[Offer] = []
    gaps = restoration.gaps
    opening = gaps[0].written if gaps else ()
    if misread and 0 not in busy and note and opening and all(w.strip().lower() in ARTICLES for w in opening[:-1]):
        bare = note[0].lower()
        # A word the note writes with a capital may be a name: it is not lowered, nor put mid-sentence.
        if bare.isalpha() and bare not in NO_OPENER_BEFORE and note[0][:1].islower():
            head = opening[0].lstrip()
            lowered = head[:1].lower() + head[1:]
            for short, full in CLAUSE_OPENERS:
                opener = short if short in restoration.author_words else full
                found.append((0, (opener[:1].upper() + opener[1:], " " + lowered, *opening[1:])))
    found.extend((index, (" " + joiner, *gaps[index].written))
                 for index in _splices(restoration, note, taken, busy) for joiner in SPLICE_JOINERS)
    return found


def _splices(restoration: Restoration, note: Sequence[str], taken: tuple[Switch, ...],
             busy: set[int] | frozenset[int]) -> list[int]:
    """The gaps after a comma that runs one clause on into another (see `clause_put_backs`)."""
    if not note or note[0].lower() in SUBORDINATORS:
        return []
    gaps = restoration.gaps
    fills = restoration.fills(taken)
    found = []
    for index in range(2, min(len(gaps), len(note))):
        # The search may have added an article there ("…, [the] dough ran away"), nothing else.
        if index in busy or not fills[index - 1] or any(
                w.strip().lower() not in ARTICLES for w in gaps[index].written[:-1]):
            continue
        if not fills[index - 1][-1].endswith(","):
            continue
        if note[index].lower() in NO_JOINER_BEFORE or not note[index].replace("'", "").isalpha():
            continue
        before, after = _written(fills[:index]).rstrip(","), _written(fills[index:])
        if grammar.clause(before) and grammar.clause(after):
            found.append(index)
    return found


def comma_put_backs(restoration: Restoration, note: Sequence[str], taken: tuple[Switch, ...],
                    busy: set[int] | frozenset[int] = frozenset()) -> list[Proposal]:
    """Fillings that put a word where the note has a comma: the comma dropped from the gap before,
    the word added to the gap after. "and" at a comma that runs a clause on into another (see
    `clause_put_backs`) that opens on no subject pronoun ("I bake it hot[,] [and] let it rest…";
    before "I" the comma stays, E32's ", and I…").
    And at the sentence's first comma, where the note opens on a short noun phrase (at most
    `COMMA_SUBJECT_WORDS` words, opening on no preposition, subordinator or pronoun, that the
    parser reads as a subject: "Wet dough is good." parses clean) and the comma is followed by a
    lower-case word that opens no phrase of its own (`_subject_comma`):
    - "is" ("are" after a plural; "was"/"were" too where the note tells of the past:
      `_tells_of_past`): "Wet dough[,] [is] more like a paste…";
    - "has" ("have", "had") before "no": "Rye[,] [has] no gluten";
      (a verb only where the parser reads "It <verb> <what follows>." as a clause: "It has no
      gluten.", not "It has no longer active."; and none where a verb follows: "Dough is never
      rises.")
    - nothing, the comma only dropped, where what follows up to the next comma is a predicate (the
      parser reads "It spreads flat." as a clause) and the parser reads the noun phrase and it as
      one: "Weak dough[,] spreads flat";
    - each of those with "and" for the next comma, before a second predicate, after a singular
      noun phrase: "Rye[,] [has] no gluten[,] [and] never feels ready".
    A short part that another comma ends (at most `LIST_ITEM_WORDS` words) is a list's item or an
    aside ("flour, water, salt"), offered a verb only joined to a second predicate after it; the
    comma before it is still dropped where it is a predicate itself.
    The parser is not asked whether the parts are clauses: it reads "Wet dough" as an order and
    "more like a paste" as one too. Skipping the gaps in `busy`."""
    found: list[Proposal] = []
    gaps = restoration.gaps
    fills = restoration.fills(taken)
    # A clause whose first note word is a subject pronoun keeps its comma: "and I…" is E32's.
    found.extend((_without_comma(fills, index - 1), (index, (" and", *gaps[index].written)))
                 for index in _splices(restoration, note, taken, busy)
                 if index - 1 not in busy and note[index].lower() not in SUBJECTS)
    comma = _subject_comma(restoration, note, fills, busy)
    if comma is None:
        return found
    first, head = comma
    before, word = note[first - 1].rstrip(",;:"), note[first].rstrip(",;:").lower()
    dropped = _without_comma(fills, first - 1)
    rest = _written(fills[first:]).rstrip(".!?").split(",")
    plural = _plural(before)
    past = _tells_of_past(note)
    pronoun = "They" if plural else "It"
    predicate = rest[0].strip()
    # A noun phrase is no predicate, whatever the parser makes of "My neighbour a baker.".
    noun_phrase = not predicate or predicate.split()[0].lower() in DETERMINERS | {"no"}
    dropping = bool(not noun_phrase and grammar.clause(f"{pronoun} {predicate}.")
                    and grammar.clause(f"{head} {predicate}."))
    if dropping:  # a verb of its own follows: no "is" ("Dough is never rises.")
        verbs = []
    elif word == "no":
        verbs = ["have" if plural else "has", *(["had"] if past else [])]
    else:
        verbs = ["are" if plural else "is", *((["were"] if plural else ["was"]) if past else [])]
    # The verb must make a clause of what follows: "It has no gluten.", not "It has no longer active.".
    given: list[Proposal] = [(dropped, (first, (" " + verb, *gaps[first].written))) for verb in verbs
                             if grammar.clause(f"{pronoun} {verb} {predicate}.")]
    if dropping:
        given.append((dropped,))
    # A second predicate after the next comma, with no subject of its own, is joined by "and" with
    # the first: "Rye[,] [has] no gluten[,] [and] never rises". Given the verb alone, the model
    # reads the sentence as no likelier: it is still half a fragment. Not after a plural, whose
    # verb reads like an order ("Rolls glaze[,] [and] bake hot").
    second = next((i for i in range(first + 1, min(len(gaps), len(note))) if fills[i - 1][-1].endswith(",")), None)
    joins = (not plural and second is not None and second not in busy and second - 1 not in busy and len(rest) > 1
             and all(w.strip().lower() in ARTICLES for w in gaps[second].written[:-1]) and note[second][:1].islower()
             and note[second].rstrip(",;:").lower() not in NO_JOINER_BEFORE | SUBJECTS
             and bool(grammar.clause(f"{pronoun} {rest[1].strip()}.")))
    joined: list[Proposal] = []
    if joins and second is not None:
        for proposal in given:
            made = dict(proposal)  # the comma may end the very filling the verb went into
            before_second = made.get(second - 1, fills[second - 1])
            made[second - 1] = (*before_second[:-1], before_second[-1][:-1])
            made[second] = (" and", *gaps[second].written)
            joined.append(tuple(sorted(made.items())))
    if len(rest) > 1 and len(predicate.split()) <= LIST_ITEM_WORDS:
        # A short part that another comma ends is a list's item or an aside ("flour, water, salt",
        # "my neighbour, a baker, lends…") unless a predicate follows to join it, or it is one.
        given = [(dropped,)] if dropping else []
    given.extend(joined)
    found.extend(given)
    return found


def _written(fills: Sequence[tuple[str, ...]]) -> str:
    """The words of these gaps' fillings as one stretch of the sentence."""
    return "".join(word for fill in fills for word in fill).strip()


def _without_comma(fills: Sequence[tuple[str, ...]], index: int) -> Offer:
    fill = fills[index]
    return index, (*fill[:-1], fill[-1][:-1])


def _subject_comma(restoration: Restoration, note: Sequence[str], fills: Sequence[tuple[str, ...]],
                   busy: set[int] | frozenset[int]) -> tuple[int, str] | None:
    """The gap after the note's own first comma, as the search wrote it (a comma already given
    way is no longer one), and the sentence's words before it (`fills`: each gap's filling as
    switched so far), where those are a short noun phrase the parser reads as a subject and the
    word after the comma may follow a verb (see `comma_put_backs`); else None."""
    gaps = restoration.gaps
    first = next((i for i in range(1, min(len(gaps), len(note)))
                  if gaps[i - 1].written and gaps[i - 1].written[-1].endswith(",")), None)
    if (first is None or first in busy or first - 1 in busy or first > COMMA_SUBJECT_WORDS
            or not fills[first - 1][-1].endswith(",")
            or any(w.strip().lower() not in ARTICLES for w in gaps[first].written[:-1])):
        return None  # the search added a word after the comma, other than an article: "wet dough, [and] more"
    opening, word = note[0].lower(), note[first].rstrip(",;:")
    if (opening in PREPOSITIONS or opening in NO_OPENER_BEFORE or not word[:1].islower()
            or word.lower() in NO_JOINER_BEFORE or word.lower() in SUBJECTS or not word.replace("-", "").isalpha()):
        return None
    head = _written(fills[:first]).rstrip(",")
    if any(w.lower() in DETERMINERS for w in head.split()[1:]):
        return None  # a verb and its object ("Wet the dough,", "Shape the loaf,"), not a noun phrase
    # What comes before the comma must be something that "is": "Wet dough is good." parses clean,
    # "I bake it hot is good." does not. A count noun may wait for its article ("The first loaf
    # is good."; Link Grammar does not read "First loaf is good.").
    verb = "are" if _plural(note[first - 1].rstrip(",;:")) else "is"
    probes = [head] if head.split()[0].lower() in DETERMINERS else [head, "The " + head[:1].lower() + head[1:]]
    return (first, head) if any(grammar.unattached(f"{probe} {verb} good.") == 0 for probe in probes) else None


def _plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith(("ss", "us", "is")) and word[:1].islower()


def _tells_of_past(note: Sequence[str]) -> bool:
    """Whether the note tells of the past: a word that dates it ("ago", "last year"), a verb in a
    past form that is no participle ("forgot", "took"), or a word in "-ed" after a subject ("she
    killed") or opening the note or a part of it before "it", "to" or a number ("raised it",
    "dropped to 72"); not "seeded loaf", "malted flour" or "last fold"."""
    bare = [w.strip(",;:.!?").lower() for w in note]
    for index, word in enumerate(bare):
        after = bare[index + 1] if index + 1 < len(bare) else ""
        if word in PAST_MARKERS or word in IRREGULAR_PAST or (word == "last" and after in TIMES):
            return True
        if _participle(word) and word not in IRREGULAR_PARTICIPLES:
            opens = index == 0 or note[index - 1].endswith((",", ";", ":"))
            if (index > 0 and bare[index - 1] in PAST_SUBJECTS) or (
                    opens and (after in {"it", "to", "them", "her", "him"} or after[:1].isdigit())):
                return True
    return False


def past_tense_offers(restoration: Restoration, note: Sequence[str],
                      busy: set[int] | frozenset[int] = frozenset()) -> list[Offer]:
    """(gap, filling) with the past form of a present auxiliary the search added ("is" → "was",
    "are" → "were", "has"/"have" → "had"), where the note tells of the past (`_tells_of_past`):
    the search chose "is" before "too low" with only the next note word ahead, and "Price [is]
    too low last year" reads "last year" only whole. Skipping the gaps in `busy`."""
    if not _tells_of_past(note):
        return []
    found: list[Offer] = []
    for index, gap in enumerate(restoration.gaps):
        if index in busy:
            continue
        written = gap.written
        for position, word in enumerate(written[:-1]):
            past = PAST_FORMS.get(word.strip().lower())
            if past is not None:
                lead = word[:len(word) - len(word.lstrip())]
                spelt = past.capitalize() if word.strip()[:1].isupper() else past
                found.append((index, (*written[:position], lead + spelt, *written[position + 1:])))
    return found


def subject_put_backs(restoration: Restoration, note: Sequence[str], taken: tuple[Switch, ...],
                      busy: set[int] | frozenset[int] = frozenset()) -> list[Offer]:
    """(gap, filling) that give a clause opening on the note's bare "not" or "never" its subject
    back: "I do not", "I did not", "I never" ("[I don't] bother with inline…", "Other than -x,
    [I don't] plan on…"; spelt as the author spells it). Only where the author writes "I" (their
    frequent words), the clause opens the sentence or follows a comma, the search put nothing
    there but "do" or "did" (which reads as an imperative: "Don't plan on…"), and the note goes on
    with no noun phrase or person (`NO_SUBJECT_BEFORE`: "hands, not [the] clock" is a contrast);
    skipping the gaps in `busy`. Taken only where the model, reading the whole sentence, finds it likelier:
    an imperative the author meant stays one ("e.g. don't write to out parameters")."""
    if "i" not in restoration.author_words:
        return []
    found: list[Offer] = []
    gaps = restoration.gaps
    fills = restoration.fills(taken)
    for index in range(min(len(gaps), len(note))):
        word = note[index].lower()
        written = gaps[index].written
        if index in busy or word not in NEGATION_OPENINGS or not written:
            continue
        if index > 0 and not (fills[index - 1] and fills[index - 1][-1].endswith(",")):
            continue
        if any(w.strip().lower() not in DO_FORMS for w in written[:-1]):
            continue
        following = note[index + 1].lower() if index + 1 < len(note) else ""
        if not following.isalpha() or following in NO_SUBJECT_BEFORE or not note[index + 1][:1].islower():
            continue
        if any(w.strip().lower() in NO_SUBJECT_BEFORE for w in gaps[index + 1].written[:-1]):
            continue  # the search read a noun phrase there: "not [the] clock"
        head = written[0]
        lead = head[:len(head) - len(head.lstrip())]
        negation = " " + written[-1].strip().lower()
        subject = lead + "I" if index == 0 else " I"
        auxiliaries = [()] if word == "never" else [(" do",), (" did",)]
        found.extend((index, (subject, *auxiliary, negation)) for auxiliary in auxiliaries)
    return found


def _takes_article(restoration: Restoration, index: int, original: str) -> bool:
    """Whether the note word `original`, written at the end of gap `index`, could take an article:
    written in lower case in the note, no small word, number, claim word, past participle or word
    with an apostrophe ("it's"); the gap holds no determiner; the word right before it (the gap's
    own last small word, else the note's word before) is no determiner, quantifier, number,
    possessive, subject pronoun or "to"; at a sentence's opening, the gap adds nothing before it."""
    written = restoration.gaps[index].written
    bare = original.lower()
    if not written or written[-1].strip().rstrip(",;:.!?…—–- ").lower() != bare:
        return False
    if (not original[:1].islower() or not bare.replace("-", "").isalpha()
            or bare in function_word_set() or bare in NO_ARTICLE_AFTER or bare in meaning.NEGATIONS
            or bare in meaning.MODALS or _participle(bare)):
        return False
    added = [w.strip().lower() for w in written[:-1]]
    if any(w in DETERMINERS or w in NO_ARTICLE_AFTER for w in added):
        return False
    if index == 0:
        return not added
    if not added and not restoration.gaps[index - 1].written:
        return False
    before = added[-1] if added else restoration.gaps[index - 1].written[-1].strip().rstrip(",;:").lower()
    possessive = before.endswith(("'s", "’s", "s'")) and before.replace("’", "'") not in IS_CONTRACTED
    return bool(before) and before not in NO_ARTICLE_AFTER and not possessive and not any(c.isdigit() for c in before)


def participle_put_backs(restoration: Restoration,
                         busy: set[int] | frozenset[int] = frozenset()) -> list[tuple[int, tuple[str, ...]]]:
    """(gap, filling) for each auxiliary of `AUXILIARIES_BEFORE_PARTICIPLE` put before a note word
    that looks like a past participle ("sent", "recruited"), where the word right before it (the
    gap's own last small word, else the note's word before) is not a pronoun, an auxiliary, a
    preposition or a word after which a past form is active, and does not end in a mark; for the
    first `PARTICIPLE_GAPS` such words, skipping the gaps in `busy`."""
    found: list[tuple[int, tuple[str, ...]]] = []
    gaps = restoration.gaps
    for index in range(1, len(gaps)):
        if index in busy:
            continue
        written = gaps[index].written
        if not written or not gaps[index - 1].written or not _participle(written[-1]):
            continue
        before = (written[-2] if len(written) > 1 else gaps[index - 1].written[-1]).strip()
        if not before[-1:].isalpha() or before.lower() in NO_AUXILIARY_AFTER:
            continue
        found.extend((index, (*written[:-1], " " + auxiliary, written[-1]))
                     for auxiliary in AUXILIARIES_BEFORE_PARTICIPLE)
        if len(found) == PARTICIPLE_GAPS * len(AUXILIARIES_BEFORE_PARTICIPLE):
            break
    return found


def _participle(word: str) -> bool:
    bare = word.strip().rstrip(",;:.!?…—–- ").lower()
    return bare.isalpha() and bare not in NOT_PARTICIPLES and (
        bare in IRREGULAR_PARTICIPLES or (len(bare) > 4 and bare.endswith("ed")))


def mend(restoration: Restoration, first: Assessment, judge: Callable[[str], Assessment],
         base: tuple[Switch, ...] = ()) -> Assessment | None:
    """Where the model's restoration says what the note says but does not parse, the same
    restoration with one or two gaps switched to the model's own next-best filling ("held back by
    [a] small context lengths" → "held back by small context lengths"), if the parser finds that it
    reads better; the switches cost at most `ALTERNATIVE_MARGIN` nats together, so the model still
    finds the sentence likely (a filling `likelier` put back counts as costing nothing: the model,
    reading the whole sentence, found it likelier). The parser only chooses among what the model proposed: it adds no
    word of its own. `first` is the restoration judged, with the gaps in `base` switched
    (`likelier`); `judge` judges another text for the same note. None when nothing reads better."""
    if first.keepable or not first.sound:
        return None
    current = first  # `base`: the gaps switched so far
    for _round in range(2):
        cheapest = [v for v in restoration.variants(base) if v.loss <= ALTERNATIVE_MARGIN][:MENDING_VARIANTS]
        found = [(judge(v.text), v.switches) for v in cheapest]
        better = [(a, s) for a, s in found if a.sound
                  and a.unattached is not None and a.grammar_rank < current.grammar_rank]
        if not better:
            break
        current, base = min(better, key=lambda f: (f[0].grammar_rank, restoration.loss(f[1])))
        current = replace(current, switches=base)
        if current.keepable:
            break
    return None if current is first else current


def alternatives(restoration: Restoration, chosen: Assessment, judge: Callable[[str], Assessment],
                 count: int) -> list[str]:
    """Up to `count` other sentences a writer could keep in place of `chosen` (the restoration,
    perhaps mended): one more gap switched to the model's own next-best filling, at most
    `ALTERNATIVE_MARGIN` nats less likely, that still says what the note says, parses as well
    (and is keepable if `chosen` is), is no more the note given back bare than `chosen`, and
    differs in its words, not only its commas; the likeliest first. The sentences of the
    other variants a writer stitches from: each is the model's close second opinion, judged as
    the first was, where sampling would give a warmer and worse draft."""
    base = chosen.switches
    spent = restoration.loss(base)
    found: list[str] = []
    seen = {tuple(words(chosen.text))}
    for variant in restoration.variants(base)[:MENDING_VARIANTS]:
        if variant.loss - spent > ALTERNATIVE_MARGIN or len(found) == count:
            break
        if tuple(words(variant.text)) in seen:
            continue
        judged = judge(variant.text)
        if (judged.sound
                and judged.unattached is not None and judged.grammar_rank <= chosen.grammar_rank
                and (judged.keepable or not chosen.keepable) and (not judged.echo or chosen.echo)):
            found.append(variant.text)
            seen.add(tuple(words(variant.text)))
    return found


def voice_score(text: str, profile: StyleProfile | None, before: Sequence[str]) -> float:
    """How close to the author: a sentence length they write and their small-word habits."""
    if profile is None:
        return 0.0
    typical = profile.sentence_typicality(len(words(text)))
    distance = profile.mfw.distance(" ".join([*before, text])) if profile.mfw else 0.0
    return typical - distance
