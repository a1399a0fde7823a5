"""E28's probe: print the restoration of the notes of one held-out paragraph that contain PATTERN,
gap by gap with each gap's next-best fillings (kept down to 6 nats here, not the code's 2), and
the model's whole-sentence scores of the restoration and of hand-made versions, after the eval's
real prompt. Run from the repository's root with the project's Python:
`.venv/bin/python docs/voice-sheets/e28/probe.py /tmp/ev/vok 0 EVA "EVA was another female spy…"`
(corpus folder, paragraph number as `penna eval voice --paragraphs 10` selects them, pattern,
then any sentences to score). The extra lookahead evaluations can tip near-ties, so the paragraph
printed at the end may differ from the evaluation's in a word or two."""
import sys, tempfile
from pathlib import Path
from penna.config import Settings
from penna.engine import Engine
from penna.eval.corpus import read_posts, split_posts, build_vault, select_paragraphs
from penna.writing import bridge as B, tasks as T
corpus, number, pattern = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
extra = sys.argv[4:]  # hand-made sentences to score after the same prompt
B.ALTERNATIVE_MARGIN = 6.0; B.ALTERNATIVES_PER_GAP = 6; B.SAMPLED_LOOKAHEADS = 12
posts = read_posts(corpus); split = split_posts(posts, 0.1, 7)
items = select_paragraphs(split.held_out, 10, 7, style="natural")
item = items[number]
orig = T._SentenceWriter._restored
def restored(self, index, note, written, *, steering, first_gap_only=False):
    r = orig(self, index, note, written, steering=steering, first_gap_only=first_gap_only)
    if r is not None and pattern in note and not steering:
        print("NOTE:", note); print("TEXT:", r.text)
        for g in r.gaps:
            print("   ", repr("".join(g.written)), [("".join(w), round(l, 2)) for w, l in g.others])
        prompt = self.prefix + T.prose_tail(self.request.title, written, demo=self.request.demo)
        texts = [r.text, *extra]
        for t, s in zip(texts, self.bridge.sentence_scores(prompt, texts)):
            print(f"   {s:8.2f}  {t}")
    return r
T._SentenceWriter._restored = restored
with tempfile.TemporaryDirectory() as work:
    vault = Path(work) / "vault"; build_vault(split.train, vault, split.cut)
    engine = Engine(vault, Settings(seed=7, threads=1), db_path=Path(work) / "i.sqlite"); engine.sync()
    try:
        bullets = "\n".join("- " + b for b in item.bullets)
        print(engine.generate("expand", None, bullets, candidates=1, seed=7 + number).texts[0])
    finally:
        engine.close()
