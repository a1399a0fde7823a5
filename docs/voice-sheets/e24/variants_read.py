"""Three variants on held-out paragraphs (the first 5 of E21's), for a blind reading (E24).
usage: variants_read.py CORPUS OUT.json"""
import json, sys, tempfile, time
from pathlib import Path
from penna.config import Settings
from penna.engine import Engine
from penna.eval.corpus import read_posts, split_posts, build_vault, select_paragraphs
corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
posts = read_posts(corpus)
split = split_posts(posts, 0.1, 7)
items = select_paragraphs(split.held_out, 10, 7, style="natural")[:5]
results = []
with tempfile.TemporaryDirectory(prefix="penna-variants-") as work:
    vault = Path(work) / "vault"
    build_vault(split.train, vault, split.cut)
    engine = Engine(vault, Settings(seed=7, threads=1), db_path=Path(work) / "index.sqlite")
    engine.sync()
    try:
        for number, item in enumerate(items):
            t = time.perf_counter()
            variants = engine.generate("expand", None, item.bullets_text, variants=3, seed=7 + number).texts
            entry = {"post": item.post, "paragraph": item.number, "original": item.text, "bullets": list(item.bullets),
                     "variants": variants, "variants_seconds": round(time.perf_counter() - t, 1)}
            results.append(entry)
            print(number, entry["variants_seconds"], flush=True)
            out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    finally:
        engine.close()
