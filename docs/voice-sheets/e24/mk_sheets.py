import json, sys, shutil
sys.path.insert(0,'/work/main/server')
from pathlib import Path
from penna.eval.sheet import write_sheet, SheetRow
for c, f in [('nullprogram','nullprogram'),('vaultofknowledge','vok')]:
    old=json.load(open(f'/work/main/docs/voice-sheets/e21/{c}-tasks.json'))
    new=json.load(open(f'/tmp/s31/e24/{f}-variants.json'))
    rows=[]
    for x,y in zip(old,new):
        assert x['bullets']==y['bullets'], c
        rows.append(SheetRow(y['bullets'], {'e21-variant-2': x['variants'][1], 'e21-variant-3': x['variants'][2],
                                            'e24-variant-1': y['variants'][0], 'e24-variant-2': y['variants'][1],
                                            'e24-variant-3': y['variants'][2], 'author': y['original']}))
    d=Path(f'/tmp/s31/e24/sheets/{c}'); write_sheet(d, rows, seed=24, meta={'what': 'E24: variants 2 and 3 from the first draft\'s alternatives (e24) against sampled variants (e21)'})
    shutil.copy(f'/work/main/docs/voice-sheets/e21/{c}/author-paragraphs.md', d/'author-paragraphs.md')
    k=Path(f'/tmp/s31/e24/keys/{c}'); k.mkdir(parents=True, exist_ok=True); shutil.move(str(d/'key.json'), k/'key.json')
    print(c, len(rows))
