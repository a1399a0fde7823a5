"""Rephrase bland generic paragraphs (same content as held-out originals) in the author's vault.
usage: rephrase_generic.py CORPUS GENERIC.md ORIGINALS.json OUT.json"""
import json, re, sys, tempfile, time
from pathlib import Path
from penna.config import Settings
from penna.engine import Engine
from penna.eval.corpus import read_posts, split_posts, build_vault
corpus, generic, originals, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
paras = [p.strip() for p in re.split(r"^## \d+\s*$", generic.read_text(), flags=re.M) if p.strip()]
orig = json.loads(originals.read_text())
split = split_posts(read_posts(corpus), 0.1, 7)
results = []
with tempfile.TemporaryDirectory(prefix="penna-reph-") as work:
    vault = Path(work) / "vault"
    build_vault(split.train, vault, split.cut)
    engine = Engine(vault, Settings(seed=7, threads=1), db_path=Path(work) / "index.sqlite")
    engine.sync()
    try:
        for number, text in enumerate(paras):
            t = time.perf_counter()
            out_text = engine.generate("rephrase", None, text, seed=7 + number).texts[0]
            results.append({"input": text, "rephrase": out_text, "original": orig[number]["original"], "seconds": round(time.perf_counter() - t, 1)})
            print(number, results[-1]["seconds"], flush=True)
            out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    finally:
        engine.close()
