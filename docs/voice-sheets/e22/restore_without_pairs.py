"""E22 (rejected): restorations read the prompt without its notes->text pairs.

Run as `penna` with the patch applied, e.g.
    .venv/bin/python docs/voice-sheets/e22/restore_without_pairs.py eval voice CORPUS --paragraphs 10 \
        --candidates 1 --threads 1 --bullets natural --systems penna --json P.json
Free drafts keep the pairs; only `Bridge.restore` sees the prompt without both pair sections."""
import sys

from penna.cli import main
from penna.writing import bridge

_restore = bridge.Bridge.restore


def _without(prompt: str, heading: str) -> str:
    start = prompt.find(heading)
    if start < 0:
        return prompt
    end = prompt.find("\n## ", start + 3)
    return prompt[:start] + prompt[end + 1:] if end >= 0 else prompt[:start]


def restore_without_pairs(self, prompt, note, **settings):  # type: ignore[no-untyped-def]
    prompt = _without(_without(prompt, "## Notes I turned into prose (more)\n"), "## Notes I turned into prose\n")
    return _restore(self, prompt, note, **settings)


bridge.Bridge.restore = restore_without_pairs  # type: ignore[method-assign]
sys.exit(main(sys.argv[1:]))
