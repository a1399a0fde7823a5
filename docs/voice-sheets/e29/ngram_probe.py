"""E29 probe (no change): run from the repository's root with PYTHONPATH=server. Probe: does a word trigram model of the author's own (training) prose prefer the right one of
each pair? Interpolated Kneser-Ney-ish (absolute discounting) over lowercase word tokens."""
import math, re, sys, collections
from pathlib import Path
from penna.eval.corpus import read_posts, split_posts, training_prose

TOK = re.compile(r"[a-z0-9]+(?:['’+-][a-z0-9]+)*|[.,;:!?]")
def toks(s): return ["<s>", "<s>"] + TOK.findall(s.lower().replace("’", "'")) + ["</s>"]

class LM:
    def __init__(self, sents, d=0.75):
        self.d = d
        self.c3 = collections.Counter(); self.c2 = collections.Counter(); self.c1 = collections.Counter()
        self.f2 = collections.Counter(); self.f1 = collections.Counter()
        self.n2 = collections.defaultdict(set); self.n1 = collections.defaultdict(set); self.cont = collections.defaultdict(set)
        for s in sents:
            t = toks(s)
            for i in range(2, len(t)):
                a, b, c = t[i-2], t[i-1], t[i]
                self.c3[(a, b, c)] += 1; self.f2[(a, b)] += 1; self.n2[(a, b)].add(c)
                self.c2[(b, c)] += 1; self.f1[b] += 1; self.n1[b].add(c); self.cont[c].add(b)
        self.types = sum(len(v) for v in self.cont.values())
    def p1(self, c): return (len(self.cont.get(c, ())) + 0.5) / (self.types + 0.5 * 50000)
    def p2(self, b, c):
        f = self.f1.get(b, 0)
        if not f: return self.p1(c)
        return max(self.c2.get((b, c), 0) - self.d, 0) / f + self.d * len(self.n1[b]) / f * self.p1(c)
    def p3(self, a, b, c):
        f = self.f2.get((a, b), 0)
        if not f: return self.p2(b, c)
        return max(self.c3.get((a, b, c), 0) - self.d, 0) / f + self.d * len(self.n2[(a, b)]) / f * self.p2(b, c)
    def score(self, s):
        t = toks(s)
        return sum(math.log(self.p3(t[i-2], t[i-1], t[i])) for i in range(2, len(t)))

PAIRS = {
 "vok": [("A boy named John was recruited by Boss.", "Boy named John was recruited by Boss."),
         ("Snake was ordered to kill Boss to make her a scapegoat for the explosion.", "Snake was ordered to kill Boss to make her scapegoat for the explosion."),
         ("After killing Boss, he got the title of Big Boss.", "After killing Boss, he got a title of Big Boss."),
         ("Zero, a member of the American Philosophers.", "Zero, the member of the American Philosophers."),
         ("He was code named Naked Snake.", "He had a code named Naked Snake."),
         ("Hindus were a low and inferior race.", "Hindus were low and inferior race."),
         ("This is because Western atheism is the counterpart of Western dogmatic theism.", "This is because Western atheism is the counterpart of the Western dogmatic theism."),
         ("EVA was another female spy from the Chinese Philosophers.", "EVA another female spy from the Chinese Philosophers."),
         ("Boss was sent on a double-agent mission.", "Boss sent on a double-agent mission."),
         ("I am not a Christian, so I do not feel the need for the Holy Spirit.", "I am not a Christian, so do not feel the need for the Holy Spirit."),
         ],
 "np": [("In removeconfig I construct a path from path components, starting from a zero-initialized null string.", "In removeconfig I construct a path from path components, starting from zero-initialized null string."),
        ("I can't count the number of times I wanted a tool like c++filt.", "I can't count the number of times I wanted tool like c++filt."),
        ("It requires installing Visual Studio.", "It requires installing a Visual Studio."),
        ("They make debug builds much slower.", "They make the debug builds much slower."),
        ("If you've spent much time with Mingw-w64 you've likely seen the symbol, perhaps in an error message.", "If you've spent much time with Mingw-w64 you've likely seen the symbol, perhaps in the error message."),
        ("First, concat does all the heavy lifting in the conversion function.", "First, concat does all heavy lifting in the conversion function."),
        ("It's a little piece of runtime provided by GCC.", "It's little piece of runtime provided by GCC."),
        ("The function uses a custom ABI and is implemented in assembly.", "The function uses custom ABI and implemented in assembly."),
        ("In the first concat, this null string is copied into the arena.", "In first, concat, this is the null string copied into the arena."),
        ("I had run into this before.", "I run into this before."),
        ],
}
for name, corpus in [("vok", "/tmp/ev/vok"), ("np", "/work/shared/data/authors/nullprogram")]:
    posts = read_posts(Path(corpus)); split = split_posts(posts, 0.1, 7)
    sents = [s for para in (p for doc in training_prose(split.train) for p in doc) for s in re.split(r"(?<=[.!?])\s+", para)]
    lm = LM(sents)
    right = 0
    for good, bad in PAIRS[name]:
        g, b = lm.score(good), lm.score(bad)
        right += g > b
        print(f"{name} {'OK ' if g > b else 'BAD'} {g - b:+6.2f}  {good}")
    print(name, "right", right, "of", len(PAIRS[name]), "sentences", len(sents))
